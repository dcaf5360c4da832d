"""WebAssembly types: value types, function types, limits and the types of tables, memories and
globals. Plain immutable values; nothing here knows about bytes or text."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "ValType",
    "FuncType",
    "Limits",
    "TableType",
    "MemoryType",
    "GlobalType",
    "ExternKind",
    "ExternType",
    "TagType",
    "PAGE_SIZE",
    "MAX_PAGES",
]

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB of 32-bit addressable memory


class ValType(enum.IntEnum):
    """A value type. The integer value is the type's binary encoding."""

    I32 = 0x7F
    I64 = 0x7E
    F32 = 0x7D
    F64 = 0x7C
    V128 = 0x7B
    FUNCREF = 0x70
    EXTERNREF = 0x6F

    # Hash as the int does, in C: Enum's own __hash__ is Python code, and function types (tuples
    # of these) are hashed whenever a function is made.
    __hash__ = int.__hash__

    @property
    def text(self) -> str:
        """The type's name in the text format (`i32`, `funcref`, ...)."""
        return _TEXT_NAMES[self]

    @property
    def is_num(self) -> bool:
        return self in (ValType.I32, ValType.I64, ValType.F32, ValType.F64)

    @property
    def is_ref(self) -> bool:
        return self in (ValType.FUNCREF, ValType.EXTERNREF)

    @classmethod
    def from_text(cls, name: str) -> "ValType | None":
        """The value type named `name` in the text format, or None."""
        return _BY_TEXT.get(name)

    def __str__(self) -> str:
        return self.text


_TEXT_NAMES = {
    ValType.I32: "i32",
    ValType.I64: "i64",
    ValType.F32: "f32",
    ValType.F64: "f64",
    ValType.V128: "v128",
    ValType.FUNCREF: "funcref",
    ValType.EXTERNREF: "externref",
}
_BY_TEXT = {name: vt for vt, name in _TEXT_NAMES.items()}


@dataclass(frozen=True, slots=True)
class FuncType:
    """A function type `[params] -> [results]`."""

    params: tuple[ValType, ...] = ()
    results: tuple[ValType, ...] = ()

    def __str__(self) -> str:
        params = " ".join(map(str, self.params))
        results = " ".join(map(str, self.results))
        return f"[{params}] -> [{results}]"

    def __repr__(self) -> str:
        params = ", ".join(map(str, self.params))
        results = ", ".join(map(str, self.results))
        return f"FuncType(({params}) -> ({results}))"


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits of a table (in elements) or a memory (in pages)."""

    min: int
    max: int | None = None

    def __str__(self) -> str:
        return f"{self.min}" if self.max is None else f"{self.min} {self.max}"


@dataclass(frozen=True, slots=True)
class TableType:
    limits: Limits
    elem: ValType


@dataclass(frozen=True, slots=True)
class MemoryType:
    limits: Limits


@dataclass(frozen=True, slots=True)
class GlobalType:
    valtype: ValType
    mutable: bool = False


class ExternKind(enum.IntEnum):
    """The kind of an import or export. The integer value is the binary encoding."""

    FUNC = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3
    TAG = 4  # exception handling

    @property
    def text(self) -> str:
        return ("func", "table", "memory", "global", "tag")[self]


@dataclass(frozen=True, slots=True)
class TagType:
    """An exception tag: the index of the function type giving its payload (its parameters;
    it has no results)."""

    type_index: int


ExternType = FuncType | TableType | MemoryType | GlobalType | TagType
