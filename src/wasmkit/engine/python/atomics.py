"""The threads proposal's instructions in the Python engine: one helper function per atomic
instruction, which generated code calls with the memory it accesses (`MEM<i>`, memory `i` of
the instance), the effective address and the operands, as `i32_atomic_rmw_add(MEM0, (l0 + 8), l1)`.

Each helper checks the alignment first ("unaligned atomic memory access" for any address that
is not a multiple of the access width, even one out of bounds, as wasmtime and the reference
interpreter check), then accesses the memory through its byte view, so that an access past the
end raises the IndexError or struct.error that the call boundary turns into "out of bounds
memory access". Read-modify-writes, compare-exchanges and atomic stores hold the memory's
atomic lock (`runtime.atomics`) from their load to their store; atomic loads need no lock;
ordinary loads and stores are untouched. On a memory that native code is bound to as well,
they call the processor's atomic operations instead (`AtomicSync.machine`), which native
code's atomic instructions respect. Values are unsigned ints of their type, as everywhere
in the engine; a narrow access zero-extends what it loads and stores the low bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...errors import Trap, TrapKind
from ...opcodes import ALL, Feature, Imm, Op

if TYPE_CHECKING:
    from ...runtime.memory import Memory
    from ...runtime.store import Store

__all__ = ["FUNCTIONS", "call_text", "helper_name"]

_FORMATS = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}
# What each read-modify-write stores, given the old value and the operand (both within the
# access width); the store keeps the width's low bits.
_RMW: dict[str, Callable[[int, int], int]] = {
    "add": lambda old, value: old + value,
    "sub": lambda old, value: old - value,
    "and": lambda old, value: old & value,
    "or": lambda old, value: old | value,
    "xor": lambda old, value: old ^ value,
    "xchg": lambda old, value: value,
}


def _unaligned() -> Trap:
    return Trap(TrapKind.UNALIGNED_ATOMIC)


def _in_bounds(memory: Memory, address: int, width: int) -> None:
    """Wait and notify check the bounds before anything else happens."""
    if address + width > memory.size:
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)


def helper_name(op: Op) -> str:
    """The name of `op`'s helper in the namespace of generated code."""
    return op.name.replace(".", "_")


def call_text(op: Op, memory: int, args: str) -> str:
    """The call generated code makes for atomic instruction `op` on memory index `memory` with
    `args` (the effective address, then the operands, as text)."""
    if op.name.startswith("memory.atomic.wait"):
        return f"{helper_name(op)}(MEM{memory}, STORE, {args})"  # the store: its interrupt stops a wait
    return f"{helper_name(op)}(MEM{memory}, {args})"


def _load(width: int) -> Callable[..., int]:
    unpack = struct.Struct(_FORMATS[width]).unpack_from
    misaligned = width - 1

    def load(memory: Memory, address: int) -> int:
        if address & misaligned:
            raise _unaligned()
        machine = memory.sync.machine
        if machine is not None:  # native code shares the memory: the processor's atomic load
            _in_bounds(memory, address, width)
            return machine["load", width](memory.address + address, 0, 0)
        return unpack(memory.views[0], address)[0]

    return load


def _store(width: int) -> Callable[..., None]:
    pack = struct.Struct(_FORMATS[width]).pack_into
    misaligned = width - 1
    mask = (1 << 8 * width) - 1

    def store(memory: Memory, address: int, value: int) -> None:
        if address & misaligned:
            raise _unaligned()
        with memory.sync.lock:
            machine = memory.sync.machine
            if machine is not None:
                _in_bounds(memory, address, width)
                machine["store", width](memory.address + address, value & mask, 0)
            else:
                pack(memory.views[0], address, value & mask)

    return store


def _rmw(width: int, kind: str) -> Callable[..., int]:
    unpack = struct.Struct(_FORMATS[width]).unpack_from
    pack = struct.Struct(_FORMATS[width]).pack_into
    misaligned = width - 1
    mask = (1 << 8 * width) - 1
    operation = _RMW[kind]

    def rmw(memory: Memory, address: int, value: int) -> int:
        if address & misaligned:
            raise _unaligned()
        with memory.sync.lock:
            machine = memory.sync.machine
            if machine is not None:
                _in_bounds(memory, address, width)
                return machine[kind, width](memory.address + address, value & mask, 0)
            view = memory.views[0]
            old = unpack(view, address)[0]
            pack(view, address, operation(old, value & mask) & mask)
        return old

    return rmw


def _cmpxchg(width: int) -> Callable[..., int]:
    unpack = struct.Struct(_FORMATS[width]).unpack_from
    pack = struct.Struct(_FORMATS[width]).pack_into
    misaligned = width - 1
    mask = (1 << 8 * width) - 1

    def cmpxchg(memory: Memory, address: int, expected: int, replacement: int) -> int:
        if address & misaligned:
            raise _unaligned()
        with memory.sync.lock:
            machine = memory.sync.machine
            if machine is not None:
                _in_bounds(memory, address, width)
                return machine["cmpxchg", width](memory.address + address, expected & mask, replacement & mask)
            view = memory.views[0]
            old = unpack(view, address)[0]
            if old == expected & mask:  # the expected value wraps to the access width
                pack(view, address, replacement & mask)
        return old

    return cmpxchg


def _wait(width: int) -> Callable[..., int]:
    load = _load(width)
    misaligned = width - 1

    def wait(memory: Memory, store: Store, address: int, expected: int, timeout: int) -> int:
        if address & misaligned:
            raise _unaligned()
        if not memory.type.shared:
            raise Trap(TrapKind.UNSHARED_WAIT)
        _in_bounds(memory, address, width)
        return memory.sync.wait(
            address, lambda: load(memory, address) == expected, timeout, store.check_interrupt
        )

    return wait


def _notify(memory: Memory, address: int, count: int) -> int:
    if address & 3:
        raise _unaligned()
    _in_bounds(memory, address, 4)
    if not memory.type.shared:
        return 0  # no one can wait on an unshared memory
    return memory.sync.notify(address, count)


def _helper(op: Op) -> Callable[..., object] | None:
    """The helper of atomic instruction `op` (None for atomic.fence, which needs none)."""
    if op.imm is Imm.ZERO:
        return None
    name = op.name
    if name == "memory.atomic.notify":
        return _notify
    if name.startswith("memory.atomic.wait"):
        return _wait(op.width)
    kind = name.split(".")[-1].removesuffix("_u")
    if kind.startswith("load"):
        return _load(op.width)
    if kind.startswith("store"):
        return _store(op.width)
    if kind == "cmpxchg":
        return _cmpxchg(op.width)
    return _rmw(op.width, kind)


FUNCTIONS: dict[str, Callable[..., object]] = {
    helper_name(op): helper for op in ALL if op.feature is Feature.THREADS if (helper := _helper(op)) is not None
}

