"""Shared number globals in native cells: native code reads and writes them in place.

A mutable global that is imported or exported (`engine.base.shared_globals`) is one object
every instance holding it sees: the `runtime.Global`. Native code used to reach such a global
through a call back into Python at each `global.get` and `global.set`; a component made of
dynamically linked core modules (libc, libpython and the program, as componentize-py builds
them) shares `__stack_pointer` that way, and one request's run made some 20,000 such calls.

A global of a number type (i32, i64, f32, f64, v128) bound into native code now keeps its
value in a cell of its own (a `CELL_BYTES` buffer, its bits as `layout` says), and the
binding's global cell for it holds that cell's address: native code loads the address, then
the value (see `lower`), as cheaply as a global of its own. The `Global` object stays what the
other instances, the host and the Python engine hold: it becomes a `CellGlobal` (or a
subclass of its own class, for a user's subclass of `Global`), whose `internal` reads and
writes the cell, so each of them sees every change at once. A reference
global cannot live there (a reference's handle means something to one binding only) and is
still reached through Python.
"""

from __future__ import annotations

import ctypes
from typing import Any, cast

from ...bits import MASK32, MASK64
from ...runtime.global_ import Global
from ...runtime.values import from_bits, to_bits
from ...syntax.types import ValType, ValueType
from .layout import cell_words

__all__ = ["CellGlobal", "in_cell", "cell_address"]

_IN_CELL = frozenset({ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128})
_NARROW = frozenset({ValType.I32, ValType.F32})  # stored in a cell's low 4 bytes only
_INTERNAL: Any = Global.__dict__["internal"]  # the slot `Global.internal` is kept in: a `CellGlobal` keeps its cell there


def in_cell(vt: ValueType) -> bool:
    """Whether a value of type `vt` is the same bits in every binding's cells (a number, not
    a reference's handle): a shared global of it is kept in a cell native code reaches in
    place, and a function of such values may be called native to native (`module`)."""
    return vt in _IN_CELL


class _InCell:
    """What makes a global's value live in its cell: placed before the global's own class, so
    that its `internal` is found first. It adds no slot, so that an existing global can take
    a class with it in place (`cell_address`), whatever its class's layout."""

    __slots__ = ()

    @property
    def internal(self) -> object:
        cell = _INTERNAL.__get__(self)
        vt = cast(Global, self).type.valtype
        if vt is ValType.V128:
            return cell[0] | (cell[1] << 64)
        return from_bits(vt, cell[0] & MASK32 if vt in _NARROW else cell[0])

    @internal.setter
    def internal(self, value: object) -> None:
        _store(_INTERNAL.__get__(self), cast(Global, self).type.valtype, value)


class CellGlobal(_InCell, Global):
    """A `Global` whose value is in a native cell (see the module's docstring)."""

    __slots__ = ()


_CLASSES: dict[type, type] = {Global: CellGlobal}  # each global class's, made once


def _in_cell_class(cls: type) -> type:
    """The class a global of class `cls` takes when its value moves into a cell: CellGlobal,
    or for a subclass of `Global` (a user's), a subclass of it made once."""
    found = _CLASSES.get(cls)
    if found is None:
        found = _CLASSES[cls] = type(cls.__name__, (_InCell, cls), {"__slots__": (), "__module__": cls.__module__})
    return found


def _store(cell: Any, vt: ValueType, value: object) -> None:
    bits = int(to_bits(vt, value))  # type: ignore[call-overload]
    cell[0] = bits & MASK64
    cell[1] = bits >> 64 if vt is ValType.V128 else 0


def cell_address(glob: Global) -> int:
    """The address of the cell holding `glob`'s value, which takes a class with `_InCell`
    the first time (its value moved into a new cell, which it keeps alive)."""
    if not isinstance(glob, _InCell):
        value = glob.internal
        cell = cell_words(1)
        _store(cell, glob.type.valtype, value)
        _INTERNAL.__set__(glob, cell)
        glob.__class__ = _in_cell_class(type(glob))
    return ctypes.addressof(_INTERNAL.__get__(glob))
