"""The validation context: the types of everything a function body or constant expression may
refer to, and the lookups that report unknown indices in the reference wording."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import ValidationError
from .subtyping import TypeRelation
from ..syntax.types import ArrayType, DefinedType, FuncType, StructType, GlobalType, MemoryType, TableType, ValType, ValueType

__all__ = ["Context", "LocalTypes"]


@dataclass(slots=True)
class Context:
    types: Sequence[DefinedType]
    funcs: Sequence[FuncType]
    tables: Sequence[TableType]
    mems: Sequence[MemoryType]
    globals: Sequence[GlobalType]
    elems: Sequence[ValueType]
    data_count: int
    refs: frozenset[int] = field(default_factory=frozenset)
    func_type_indices: Sequence[int] = ()  # each function's type index, for `ref.func`'s type
    rel: TypeRelation = field(default_factory=lambda: TypeRelation(()))
    tags: Sequence[FuncType] = ()  # each tag's function type (its parameters are the payload)

    def defined_type(self, index: int) -> DefinedType:
        """Type `index`, whatever its kind."""
        return _lookup(self.types, index, "type")

    def type(self, index: int) -> FuncType:
        """Type `index`, which must be a function type."""
        found = _lookup(self.types, index, "type")
        if not isinstance(found, FuncType):
            raise ValidationError(f"non-function type {index}")
        return found

    def struct_type(self, index: int) -> StructType:
        found = _lookup(self.types, index, "type")
        if not isinstance(found, StructType):
            raise ValidationError(f"non-structure type {index}")
        return found

    def array_type(self, index: int) -> ArrayType:
        found = _lookup(self.types, index, "type")
        if not isinstance(found, ArrayType):
            raise ValidationError(f"non-array type {index}")
        return found

    def func(self, index: int) -> FuncType:
        return _lookup(self.funcs, index, "function")

    def table(self, index: int) -> TableType:
        return _lookup(self.tables, index, "table")

    def memory(self, index: int) -> MemoryType:
        return _lookup(self.mems, index, "memory")

    def global_(self, index: int) -> GlobalType:
        return _lookup(self.globals, index, "global")

    def elem(self, index: int) -> ValueType:
        return _lookup(self.elems, index, "elem segment")

    def tag(self, index: int) -> FuncType:
        return _lookup(self.tags, index, "tag")

    def data(self, index: int) -> None:
        if index >= self.data_count:
            raise ValidationError(f"unknown data segment {index}")


def _lookup(items: Sequence, index: int, what: str):
    if index < len(items):
        return items[index]
    raise ValidationError(f"unknown {what} {index}")


class LocalTypes(Sequence[ValueType]):
    """The types of a function's locals (parameters first), looked up by run without
    expanding them: a function may declare billions of locals in a few bytes."""

    def __init__(self, params: Sequence[ValueType], runs: Sequence[tuple[int, ValueType]]) -> None:
        self._starts: list[int] = []
        self._types: list[ValueType] = []
        total = 0
        for vt in params:
            self._starts.append(total)
            self._types.append(vt)
            total += 1
        for count, vt in runs:
            self._starts.append(total)
            self._types.append(vt)
            total += count
        self._len = total

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index):
        if not 0 <= index < self._len:
            raise IndexError(index)
        return self._types[bisect_right(self._starts, index) - 1]
