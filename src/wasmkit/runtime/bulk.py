"""The bulk memory and table instructions, with the spec's bounds rules: every range is
checked before anything is written, and a fault traps. Memory is filled, copied and
initialised in place (no temporary copy of the range, however large)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ..bits import MASK32, MASK64
from ..errors import Trap, TrapKind
from .func import Func
from .heap import is_subtype_id
from .memory import Memory
from .table import Table

__all__ = [
    "indirect_callee",
    "memory_fill",
    "memory_copy",
    "memory_copy_between",
    "memory_init",
    "table_get",
    "table_set",
    "table_grow",
    "table_fill",
    "table_copy",
    "table_init",
    "table_init_functions",
]


def _memory_trap() -> Trap:
    return Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)


def _table_trap() -> Trap:
    return Trap(TrapKind.OUT_OF_BOUNDS_TABLE)


def indirect_callee(table: Table, index: int, expected_type_id: int) -> Func:
    """The function `call_indirect` calls at `index` of `table`, after the spec's checks: in
    range, not null, of the expected type (`type_id`)."""
    elements = table.elements
    if index >= len(elements):
        raise Trap(TrapKind.UNDEFINED_ELEMENT)
    func = elements[index]
    try:
        actual = cast(Func, func).type_id
    except AttributeError:  # null, or a lazy entry (see `table`): the common case pays nothing
        if func is None:
            raise Trap(TrapKind.UNINITIALIZED_ELEMENT, f"uninitialized element {index}") from None
        func = table.resolve(index)
        actual = cast(Func, func).type_id
    if actual != expected_type_id and not is_subtype_id(actual, expected_type_id):
        raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
    return cast(Func, func)


def memory_fill(memory: Memory, dst: int, value: int, length: int) -> None:
    if dst + length > memory.size:
        raise _memory_trap()
    memory.fill(dst, value, length)


def memory_copy(memory: Memory, dst: int, src: int, length: int) -> None:
    if src + length > memory.size or dst + length > memory.size:
        raise _memory_trap()
    memory.copy_within(dst, src, length)


def memory_copy_between(dst_memory: Memory, src_memory: Memory, dst: int, src: int, length: int) -> None:
    """memory.copy from one memory to another (multi-memory), or within one."""
    if dst_memory is src_memory:
        memory_copy(dst_memory, dst, src, length)
        return
    if src + length > src_memory.size or dst + length > dst_memory.size:
        raise _memory_trap()
    dst_memory.view[dst : dst + length] = src_memory.view[src : src + length]


def memory_init(memory: Memory, data: bytes, dst: int, src: int, length: int) -> None:
    if src + length > len(data) or dst + length > memory.size:
        raise _memory_trap()
    memory.view[dst : dst + length] = memoryview(data)[src : src + length]


def table_get(table: Table, index: int) -> object:
    elements = table.elements
    if index >= len(elements):
        raise _table_trap()
    return table.resolve(index) if table.functions is not None else elements[index]


def table_set(table: Table, index: int, value: object) -> None:
    elements = table.elements
    if index >= len(elements):
        raise _table_trap()
    elements[index] = value
    table.changed(index, index + 1)


def table_grow(table: Table, init: object, delta: int) -> int:
    """The old size, or -1 (as an unsigned i32, or i64 for a 64-bit table) when the table
    cannot grow."""
    return table.grow(delta, init) & (MASK64 if table.type.is_64 else MASK32)


def table_fill(table: Table, index: int, value: object, length: int) -> None:
    elements = table.elements
    if index + length > len(elements):
        raise _table_trap()
    elements[index : index + length] = [value] * length
    table.changed(index, index + length)


def table_copy(dst_table: Table, src_table: Table, dst: int, src: int, length: int) -> None:
    if src + length > len(src_table.elements) or dst + length > len(dst_table.elements):
        raise _table_trap()
    if src_table.functions is not None and dst_table.functions is not src_table.functions:
        if dst_table.functions is None:  # it takes on the source's lazy entries
            dst_table.functions = src_table.functions
        else:
            src_table.resolve_range(src, src + length)
    dst_table.elements[dst : dst + length] = src_table.elements[src : src + length]
    dst_table.changed(dst, dst + length)


def table_init(table: Table, segment: list[object], dst: int, src: int, length: int) -> None:
    if src + length > len(segment) or dst + length > len(table.elements):
        raise _table_trap()
    table.elements[dst : dst + length] = segment[src : src + length]
    table.changed(dst, dst + length)


def table_init_functions(table: Table, indices: Sequence[int], functions: Sequence[object], dst: int) -> None:
    """An active element segment of `ref.func` items (function `indices` of `functions`)
    written at `dst`, as lazy entries (see `table`): the same bounds and trap as `table_init`."""
    if dst + len(indices) > len(table.elements):
        raise _table_trap()
    table.place_functions(dst, indices, functions)
