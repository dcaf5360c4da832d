"""Tables: growable vectors of references (functions or host objects), None for null.

A table of functions filled by an element segment of `ref.func` items holds, until first read,
the function's index (an `int`) in place of its `Func`: making 47,161 `Func` objects was most of
python.wasm's instantiation, and an instance made per request reads a handful of its slots.
Such a lazy entry belongs to the table's `functions` (the function index space of the
instance whose segment wrote it); every read of a slot (`get`, `call_indirect`, `table.get`,
`table.copy` into another table) turns it into that instance's `Func` and keeps it, so the
same function is always the same object, as before.
"""

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
        # What the lazy entries (function indices) of `elements` index, if there are any.
        self.functions: Sequence[object] | None = None

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
        return self.resolve(index) if self.functions is not None else self.elements[index]

    def resolve(self, index: int) -> object:
        """Element `index` (in range), a lazy entry made its `Func` first, and kept. (Only a
        table of functions has lazy entries; in a table of `anyref` an int is an i31.)"""
        value = self.elements[index]
        if value.__class__ is int and self.functions is not None:
            value = self.elements[index] = self.functions[value]
        return value

    def resolve_range(self, start: int, stop: int) -> None:
        """Make the lazy entries among elements start..stop their `Func`s."""
        if self.functions is not None:
            elements = self.elements
            for index in range(start, stop):
                if elements[index].__class__ is int:
                    self.resolve(index)

    def place_functions(self, dst: int, indices: Sequence[int], functions: Sequence[object]) -> None:
        """Write the functions `indices` of `functions` (an instance's function index space)
        at `dst` (the range is checked by the caller): as lazy entries when the table has
        none of another instance's, else as their `Func`s."""
        if self.functions is None or self.functions is functions:
            self.functions = functions
            self.elements[dst : dst + len(indices)] = indices
        else:
            self.elements[dst : dst + len(indices)] = [functions[i] for i in indices]
        self.changed(dst, dst + len(indices))

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
