"""The Python side of wasm exceptions on the native engine.

Native code throws and catches on its own: `throw` writes the identity of its tag and the
payload into the context's EXCEPTION cells (cell 0 the tag, cells 1.. the payload, as `layout`
lays cells out) and unwinds with TRAP_THROWN, the way a trap unwinds; a handler compares the
identity with those of its clauses' tags (the TAGS words: `id` of the instance's Tag objects,
so an imported tag matches the exporter's) and takes the payload from the cells. No Python is
involved unless the exception must be an object: an exnref (`catch_ref`, `catch_all_ref`, a
legacy catch that a `rethrow` names), or an exception leaving the instance.

From Python come exceptions raised by host functions and other instances, and those of
`throw_ref`: `receive` writes them into the cells as well, keeping the object as the binding's
pending exception (TRAP_THROWN_HELD), so that it leaves the instance as itself.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, cast

from ...errors import Trap, TrapKind
from ...runtime.tag import Tag, WasmException
from .layout import CELL_WORDS, TRAP_HOST, TRAP_THROWN, TRAP_THROWN_HELD, ExceptionOp, Field

if TYPE_CHECKING:
    from .module import _Binding

__all__ = ["ExceptionCells", "receive", "in_flight", "exception_helper"]


class ExceptionCells:
    """One instance's exception state for native code: its tags' identities and the cells of
    the exception in flight (room for the largest payload of the module's tags)."""

    __slots__ = ("tags", "tag_words", "room", "cells")

    def __init__(self, tags: list[Tag], room: int, word_array: Any) -> None:
        self.tags = {id(tag): tag for tag in tags}
        self.tag_words = word_array(max(len(tags), 1))(*(id(tag) for tag in tags))
        self.room = room
        self.cells = word_array(CELL_WORDS * (1 + room))()

    def bind(self, context: Any) -> None:
        context[Field.TAGS] = ctypes.addressof(self.tag_words)
        context[Field.EXCEPTION] = ctypes.addressof(self.cells)


def receive(binding: "_Binding", exception: WasmException) -> int:
    """Make `exception` (from Python) the one unwinding through `binding`'s native code; returns
    the non-zero status native code unwinds on."""
    state = binding.exceptions
    cells = state.cells
    cells[0] = id(exception.tag)
    params = exception.tag.type.params
    if len(params) <= state.room:  # else none of this instance's tags is its tag: no payload taken
        for i, (vt, value) in enumerate(zip(params, exception.internal)):
            binding.put(cells, 1 + i, vt, value)
    binding.pending = exception
    binding.context[Field.TRAP] = TRAP_THROWN_HELD
    return 1


def in_flight(binding: "_Binding", status: int) -> WasmException:
    """The exception unwinding with `status` (one of the THROWN codes) as a WasmException: the
    one received, or one made of the cells for what native code threw."""
    if status == TRAP_THROWN_HELD:
        return cast(WasmException, binding.pending)
    cells = binding.exceptions.cells
    tag = binding.exceptions.tags[cells[0]]
    internal = tuple(binding.get(cells, 1 + i, vt) for i, vt in enumerate(tag.type.params))
    return WasmException.thrown(tag, internal)


def exception_helper(binding: "_Binding", op: int, operand: int) -> int:
    """What native code asks Python for (`ExceptionOp`)."""
    if op == ExceptionOp.EXNREF:
        status = binding.context[Field.TRAP]
        exception = in_flight(binding, status)
        if status == TRAP_THROWN:  # an object now: a second exnref of it is the same one
            binding.pending = exception
            binding.context[Field.TRAP] = TRAP_THROWN_HELD
        return binding.handle(exception)
    # THROW_REF
    thrown = binding.decode(operand)
    if thrown is None:
        binding.pending = Trap(TrapKind.NULL_EXCEPTION_REFERENCE)
        binding.context[Field.TRAP] = TRAP_HOST
        return 1
    # Without the traceback it gathered so far (thrown again in a loop, it would grow).
    return receive(binding, cast(WasmException, thrown).with_traceback(None))
