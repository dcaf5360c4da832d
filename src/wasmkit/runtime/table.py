"""Tables: growable vectors of references (functions or host objects), None for null."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..syntax.types import DefinedType, TableType
from .values import to_internal

__all__ = ["Table", "MAX_TABLE_ELEMENTS"]

# The spec allows up to 2**32-1 elements; a table is a Python list, so wasmkit refuses to make
# or grow one past ten million (growth past it returns -1, as the spec allows).
MAX_TABLE_ELEMENTS = 10_000_000


class Table:
    """A table instance. `elements` is the list the engines index directly: growth extends
    it in place, so it stays the same object for the table's life. Change it through `set`,
    `grow` and the bulk operations (or call `changed` after writing it yourself): engines that
    mirror it, such as the native engine for `call_indirect`, hear of changes that way.
    Values given to `Table`, `set` and `grow` are checked against the element type (a `Func`
    or None for funcref): TypeError if they do not fit."""

    def __init__(self, table_type: TableType, init: object = None, max_elements: int | None = None) -> None:
        self.type = table_type
        limit = MAX_TABLE_ELEMENTS if max_elements is None else min(max_elements, MAX_TABLE_ELEMENTS)
        maximum = table_type.limits.max
        self._max = limit if maximum is None else min(maximum, limit)
        if table_type.limits.min > self._max:
            raise ValueError(
                f"table of {table_type.limits.min} elements exceeds the limit of {self._max} elements"
            )
        self.elements: list[object] = [to_internal(table_type.elem, init)] * table_type.limits.min
        self._listeners: list[Callable[[Table, int, int], None]] = []
        # The defined types, and their run-time ids, of the module whose instance made the
        # table (None for one made in Python): what a type index in its element type names,
        # for matching it to an import's.
        self.module_types: tuple[Sequence[DefinedType], Sequence[int]] | None = None

    @property
    def size(self) -> int:
        return len(self.elements)

    def grow(self, delta: int, init: object = None) -> int:
        """Grow by `delta` elements set to `init`; return the old size, or -1 if refused."""
        old = len(self.elements)
        if delta < 0 or old + delta > self._max:
            return -1
        self.elements.extend([to_internal(self.type.elem, init)] * delta)
        self.changed(old, old + delta)
        return old

    def get(self, index: int) -> object:
        return self.elements[index]

    def set(self, index: int, value: object) -> None:
        if not 0 <= index < len(self.elements):
            raise IndexError(f"table index {index} is out of bounds")
        self.elements[index] = to_internal(self.type.elem, value)
        self.changed(index, index + 1)

    def add_listener(self, listener: Callable[["Table", int, int], None]) -> None:
        """Call `listener(table, start, stop)` whenever elements start..stop change."""
        self._listeners.append(listener)

    def __repr__(self) -> str:
        maximum = "" if self.type.limits.max is None else f" max={self.type.limits.max}"
        return f"<Table {self.type.elem} size={self.size}{maximum}>"

    def changed(self, start: int, stop: int) -> None:
        """Tell the listeners that elements start..stop were written (or added)."""
        if start < stop:
            for listener in self._listeners:
                listener(self, start, stop)
