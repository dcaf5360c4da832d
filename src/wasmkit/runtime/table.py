"""Tables: growable vectors of references (functions or host objects), None for null.

A table of functions filled by an element segment of `ref.func` items holds, until first read,
the function's index (an `int`) in place of its `Func`: making 47,161 `Func` objects was most of
python.wasm's instantiation, and an instance made per request reads a handful of its slots.
A lazy entry names its function as `owner << 32 | index`: function `index` of the table's
`functions[owner]`, the function index space of the instance whose segment wrote it (owner 0,
the first such instance, writes plain indices; a table shared by the core modules of a
component gets entries from several). Every read of a slot (`get`, `call_indirect`,
`table.get`, `table.copy` into another table) turns it into that instance's `Func` and keeps
it, so the same function is always the same object, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..syntax.types import DefinedType, TableType
from .values import to_internal

__all__ = ["Table", "MAX_TABLE_ELEMENTS"]

# The spec allows up to 2**32-1 elements; a table is a Python list, so wasmkit refuses to make
# or grow one past ten million (growth past it returns -1, as the spec allows).
MAX_TABLE_ELEMENTS = 10_000_000
_INDEX = (1 << 32) - 1  # the function index in a lazy entry
_MAX_OWNERS = 16  # instances whose lazy entries one table holds (later ones write Funcs)


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
        # The function index spaces the lazy entries of `elements` index, if there are any
        # (shared with the tables `table.copy` gave lazy entries to).
        self.functions: list[Sequence[object]] | None = None

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
            value = self.elements[index] = self.functions[value >> 32][value & _INDEX]
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
        at `dst`, as lazy entries (the range is checked by the caller)."""
        owner = self.owner_number(functions, add=True)
        if owner is None:  # a table many instances write to (a host's, say): their Funcs
            self.elements[dst : dst + len(indices)] = [functions[i] for i in indices]
        else:
            self.elements[dst : dst + len(indices)] = indices if owner == 0 else [owner << 32 | i for i in indices]
        self.changed(dst, dst + len(indices))

    def owner_number(self, functions: Sequence[object], add: bool = False) -> int | None:
        """The number lazy entries of `functions` carry in this table, if it has one; with
        `add`, a new one if there are fewer than `_MAX_OWNERS` (each holds its instance)."""
        for number, owner in enumerate(self.functions or ()):
            if owner is functions:
                return number
        if not add or self.functions is not None and len(self.functions) >= _MAX_OWNERS:
            return None
        if self.functions is None:
            self.functions = []
        self.functions.append(functions)
        return len(self.functions) - 1

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
