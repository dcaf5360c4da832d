"""Globals: a typed cell, shared by every instance that imports or exports it."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import WasmError
from ..syntax.types import DefinedType, GlobalType
from .values import to_api, to_internal

__all__ = ["Global"]


class Global:
    """A global instance.

    `Global(global_type, value)` makes one holding the Python value `value` (DESIGN.md §3:
    i32/i64 signed or unsigned ints, f32 rounded to single precision; TypeError or ValueError
    if it does not fit). `value` is the global's value as Python sees it; setting it converts
    the same way and checks that the global is mutable. `internal` holds it in the engines'
    representation (see `wasmkit.runtime.values`), which is what compiled code reads and writes.
    """

    __slots__ = ("type", "internal", "module_types")

    def __init__(self, global_type: GlobalType, value: object) -> None:
        self.type = global_type
        self.internal = to_internal(global_type.valtype, value)
        # The defined types, and their run-time ids, of the module whose instance made the
        # global: what a type index in its type names, for matching it to an import's.
        self.module_types: tuple[Sequence[DefinedType], Sequence[int]] | None = None

    @classmethod
    def from_internal(cls, global_type: GlobalType, internal: object) -> "Global":
        """A global holding `internal`, a value already in the engines' representation (what
        instantiation computes from a constant expression): no conversion."""
        glob = cls.__new__(cls)
        glob.module_types = None
        glob.type = global_type
        glob.internal = internal
        return glob

    @property
    def value(self) -> object:
        return to_api(self.type.valtype, self.internal)

    @value.setter
    def value(self, value: object) -> None:
        if not self.type.mutable:
            raise WasmError("cannot set an immutable global")
        self.internal = to_internal(self.type.valtype, value)

    def __repr__(self) -> str:
        mutability = "mut " if self.type.mutable else ""
        return f"<Global {mutability}{self.type.valtype.text} = {self.value!r}>"
