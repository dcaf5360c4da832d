"""wasmkit: a WebAssembly toolkit and runtime in Python.

Read, check, write and print modules; run them; embed them in Python programs.
"""

from __future__ import annotations

from .version import __version__

from .api import externref, f32, f64, funcref, host, i32, i64, load, v128
from .binary import read_module, write_module
from .runtime import Caller, Func, Global, Instance, Linker, Memory, Module, Store, StoreLimits, Table, Tag, WasmException
from .errors import (
    DecodeError,
    ExitTrap,
    LinkError,
    ParseError,
    Trap,
    TrapKind,
    ValidationError,
    WasmError,
)
from .text import parse_module as parse_wat
from .syntax.types import FuncType, GlobalType, HeapType, Limits, MemoryType, RefType, TableType, ValType, ValueType
from .validate import ValidModule, validate
from .profile import Profiler
from .opcodes import ALL_FEATURES, WASM_2_0, Feature
from . import syntax


def print_wat(module: "syntax.Module") -> str:
    """The module in the text format (see wasmkit.text.printer)."""
    from .text.printer import print_module

    return print_module(module)


def install_import_hook() -> None:
    """Make `import NAME` find NAME.wasm / NAME.wat on sys.path (see wasmkit.hook)."""
    from . import hook  # noqa: F401  (installing is what importing the hook does)

    hook.install_import_hook()


__all__ = [
    "__version__",
    "install_import_hook",
    "load",
    "host",
    "Caller",
    "i32",
    "i64",
    "f32",
    "f64",
    "v128",
    "funcref",
    "externref",
    "Module",
    "Feature",
    "WASM_2_0",
    "ALL_FEATURES",
    "Instance",
    "Store",
    "StoreLimits",
    "Profiler",
    "Linker",
    "Func",
    "Memory",
    "Table",
    "Tag",
    "WasmException",
    "Global",
    "FuncType",
    "GlobalType",
    "Limits",
    "MemoryType",
    "TableType",
    "ValType",
    "RefType",
    "HeapType",
    "ValueType",
    "read_module",
    "write_module",
    "parse_wat",
    "print_wat",
    "validate",
    "ValidModule",
    "WasmError",
    "DecodeError",
    "ParseError",
    "ValidationError",
    "LinkError",
    "Trap",
    "TrapKind",
    "ExitTrap",
]

# `from __future__ import annotations` binds this name here; it is no part of the API.
del annotations
