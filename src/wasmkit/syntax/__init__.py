"""The abstract syntax of WebAssembly: types and modules, as plain immutable values."""

from .module import (
    CustomSection,
    DataSegment,
    ElemSegment,
    Export,
    Func,
    Global,
    Import,
    Module,
    NameSection,
    SegmentMode,
)
from .types import ExternKind, FuncType, GlobalType, Limits, MemoryType, TableType, ValType

__all__ = [
    "CustomSection",
    "DataSegment",
    "ElemSegment",
    "Export",
    "Func",
    "Global",
    "Import",
    "Module",
    "NameSection",
    "SegmentMode",
    "ExternKind",
    "FuncType",
    "GlobalType",
    "Limits",
    "MemoryType",
    "TableType",
    "ValType",
]
