"""Implementation limits: sizes the spec allows but wasmkit refuses, as its appendix on
implementation limitations permits. They are wasmtime's (wasmparser's `limits.rs`, agreed on
with the browsers' engines), with wasmparser's wording, so that a module wasmtime accepts is
accepted here and one it refuses for its size is refused here too, before anything is
allocated for what it declares (2^32-1 locals fit in six bytes of a code section).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ValidationError
from ..syntax.module import Module
from ..syntax.types import FuncType, GlobalType, MemoryType, TableType, ValType, ValueType

__all__ = [
    "MAX_TYPES",
    "MAX_FUNCTIONS",
    "MAX_IMPORTS",
    "MAX_EXPORTS",
    "MAX_GLOBALS",
    "MAX_ELEMENT_SEGMENTS",
    "MAX_DATA_SEGMENTS",
    "MAX_TABLES",
    "MAX_MEMORIES",
    "MAX_FUNCTION_SIZE",
    "MAX_FUNCTION_LOCALS",
    "MAX_FUNCTION_PARAMS",
    "MAX_FUNCTION_RESULTS",
    "MAX_SEGMENT_ELEMENTS",
    "check_module_limits",
    "check_function_limits",
]

MAX_TYPES = 1_000_000
MAX_FUNCTIONS = 1_000_000  # imported ones included, as for the other index spaces
MAX_IMPORTS = 1_000_000
MAX_EXPORTS = 1_000_000
MAX_GLOBALS = 1_000_000
MAX_ELEMENT_SEGMENTS = 100_000
MAX_DATA_SEGMENTS = 100_000
MAX_TABLES = 100
MAX_MEMORIES = 100
MAX_FUNCTION_SIZE = 7_654_321  # bytes of one function's code entry (locals and body)
MAX_FUNCTION_LOCALS = 50_000  # parameters included
MAX_FUNCTION_PARAMS = 1000
MAX_FUNCTION_RESULTS = 1000
MAX_SEGMENT_ELEMENTS = 10_000_000  # items of one element segment


def _check_count(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise ValidationError(f"{what} count exceeds limit of {limit}")


def check_module_limits(module: Module) -> None:
    """The module-wide limits: how many of each thing it declares or imports, and the size
    of its function types and element segments."""
    imports = [imp.desc for imp in module.imports]
    _check_count(len(module.types), MAX_TYPES, "types")
    _check_count(len(imports), MAX_IMPORTS, "imports")
    _check_count(sum(isinstance(d, int) for d in imports) + len(module.funcs), MAX_FUNCTIONS, "functions")
    _check_count(sum(isinstance(d, TableType) for d in imports) + len(module.tables), MAX_TABLES, "tables")
    _check_count(sum(isinstance(d, MemoryType) for d in imports) + len(module.mems), MAX_MEMORIES, "memories")
    _check_count(sum(isinstance(d, GlobalType) for d in imports) + len(module.globals), MAX_GLOBALS, "globals")
    _check_count(len(module.exports), MAX_EXPORTS, "exports")
    _check_count(len(module.elems), MAX_ELEMENT_SEGMENTS, "element segments")
    _check_count(len(module.datas), MAX_DATA_SEGMENTS, "data segments")
    for func_type in module.types:
        if not isinstance(func_type, FuncType):
            continue
        if len(func_type.params) > MAX_FUNCTION_PARAMS:
            raise ValidationError("function params size is out of bounds")
        if len(func_type.results) > MAX_FUNCTION_RESULTS:
            raise ValidationError("function returns size is out of bounds")
    for seg in module.elems:
        if len(seg.init) > MAX_SEGMENT_ELEMENTS:
            raise ValidationError("number of elements is out of bounds")


def check_function_limits(func_type: FuncType, local_runs: Sequence[tuple[int, ValueType]], body: bytes) -> None:
    """One function's limits: its locals (parameters included) and the size of its body
    (its instructions; wasmtime counts the few bytes of local declarations too)."""
    if len(func_type.params) + sum(count for count, _ in local_runs) > MAX_FUNCTION_LOCALS:
        raise ValidationError("too many locals: locals exceed maximum")
    _check_count(len(body), MAX_FUNCTION_SIZE, "function body size")
