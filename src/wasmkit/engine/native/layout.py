"""What native code and the Python side agree on: the instance context's fields, the trap codes,
and the signatures of the runtime helpers native code calls back into.

The context is an array of 8-byte slots, one per field; native code reads and writes them at
`8 * field`. Values cross between native code and Python in 16-byte cells, as bit patterns
(a number zero-extended in the low 8 bytes, an f32 as its 32 bits; a v128 fills the cell), so
NaN payloads survive the crossing; globals are kept in cells of the same size. A reference is a handle:
0 for null, an i31 as its 31 bits with bit 31 set, else a tagged number the instance's
binding maps to the Python object (see `handles`).
"""

from __future__ import annotations

import ctypes
import enum
import functools
from typing import Any

from ...errors import TrapKind

__all__ = ["CELL_BYTES", "Field", "Variant", "TRAP_KINDS", "TRAP_HOST", "HOST_CALL", "MEMORY_GROW", "CALL_INDIRECT", "CALL_REF", "GLOBAL_ACCESS", "HELPER", "Helper", "TRAP_THROWN", "TRAP_THROWN_HELD", "EXCEPTION_HELPER", "ExceptionOp", "GC", "word_array", "cell_words", "cells_at"]


CELL_BYTES = 16
CELL_WORDS = CELL_BYTES // 8  # 64-bit words per cell, as Python indexes them


class Field(enum.IntEnum):
    """The context's slots."""

    MEM_BASE = 0  # address of memory 0 (a 32-bit memory never moves; a 64-bit one may, on growth)
    MEM_SIZE = 1  # its size in bytes, kept current by the Python side
    TRAP = 2  # 0, or the code of the trap that is unwinding
    STACK_LIMIT = 3  # native code traps "call stack exhausted" below this stack address (see `stack`)
    GLOBALS = 4  # address of the cells of the globals kept in native code
    HOST_CALL = 5
    MEMORY_GROW = 6
    CALL_INDIRECT = 7
    GLOBAL_ACCESS = 8
    HELPER = 9
    METER = 10  # address of the store's native meter (metered code only; see Store.native_meter)
    TABLES = 11  # address of (mirror address, size) per table: call_indirect's direct path
    TYPE_IDS = 12  # address of the runtime type id of each of the module's types
    CALL_REF = 13
    REFS = 14  # address of (mirror address, entries): what native code knows of each handle's object (handles.Mirror)
    TAGS = 15  # address of the identity of each of the instance's tags, by tag index (see `exceptions`)
    EXCEPTION = 16  # address of the exception in flight: its tag's identity, then its payload's cells
    EXCEPTION_HELPER = 17
    MEMORIES = 18  # address of (base, size in bytes) per memory, kept current by the Python side
    GC = 19  # the GC instructions' helper (see `gc`)
    ENTRY_SP = 20  # the stack pointer at the outermost entry into this instance on its thread, or 0
    POOLS = 21  # address of a pool address per type index, or 0 (see `gc.POOL_SIZE`)
    FUNCTIONS = 22  # address of the module's function slots: each defined function's address, 0 until loaded
    PROFILE = 23  # address of the store's shadow stack (profiled code only; see `Variant` and engine.shadow_stack)
    PROFILE_TAG = 24  # this instance's number on that stack, shifted to the top 32 bits of an entry
    IMPORTS = 25  # address of (entry address, context address) per imported function, or (0, 0): see `lower.c_call`
    COUNT = 26


class Variant(enum.IntFlag):
    """Which code a module is compiled to: plain code checks nothing; metered code charges fuel,
    checks for interruption and counts call depth (see Store.native_meter); profiled code keeps
    the store's shadow stack, the function index of each wasm frame, for the profiler to sample
    (see engine.shadow_stack). `False` and `True` stand for PLAIN and METERED, as `metered`
    flags did before profiling came."""

    PLAIN = 0
    METERED = 1
    PROFILED = 2

    @property
    def key(self) -> str:
        """The variant's name in the code cache: "plain", "metered", "profiled" or
        "metered+profiled" (the first two as they were before profiled code existed)."""
        parts = [name for flag, name in ((Variant.METERED, "metered"), (Variant.PROFILED, "profiled")) if self & flag]
        return "+".join(parts) or "plain"


# Trap codes native code stores in TRAP; TRAP_HOST means a Python exception is waiting.
TRAP_KINDS: dict[int, TrapKind] = {
    1: TrapKind.UNREACHABLE,
    2: TrapKind.INTEGER_DIVIDE_BY_ZERO,
    3: TrapKind.INTEGER_OVERFLOW,
    4: TrapKind.INVALID_CONVERSION,
    5: TrapKind.OUT_OF_BOUNDS_MEMORY,
    6: TrapKind.OUT_OF_BOUNDS_TABLE,
    7: TrapKind.CALL_STACK_EXHAUSTED,
    8: TrapKind.INTERRUPTED,
    9: TrapKind.OUT_OF_FUEL,
    10: TrapKind.NULL_FUNCTION_REFERENCE,
    11: TrapKind.NULL_REFERENCE,
    12: TrapKind.UNALIGNED_ATOMIC,
    13: TrapKind.UNSHARED_WAIT,
    20: TrapKind.NULL_I31_REFERENCE,
    21: TrapKind.NULL_STRUCTURE_REFERENCE,
    22: TrapKind.NULL_ARRAY_REFERENCE,
    23: TrapKind.OUT_OF_BOUNDS_ARRAY,
}
TRAP_CODES: dict[TrapKind, int] = {kind: code for code, kind in TRAP_KINDS.items()}
TRAP_HOST = 100
# A wasm exception is unwinding: thrown by native code, it is in the context's EXCEPTION cells
# only; received from Python (a host function, another instance, throw_ref), it is the binding's
# pending WasmException as well (see `exceptions`).
TRAP_THROWN = 101
TRAP_THROWN_HELD = 102

_CTX = ctypes.c_void_p
_CELLS = ctypes.c_void_p
# int host_call(ctx, function index, cells: args in, results out)
HOST_CALL = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_int32, _CELLS)
# int memory_grow(ctx, delta pages) -> old size in pages, or -1
MEMORY_GROW = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_uint32)
# int call_indirect(ctx, table, element, type index, cells)
CALL_INDIRECT = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_int32, ctypes.c_uint32, ctypes.c_int32, _CELLS)
# int call_ref(ctx, reference handle, cells)
CALL_REF = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_uint64, _CELLS)
# int global_access(ctx, global index, write, cells): read into cells[0], or write it
GLOBAL_ACCESS = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_int32, ctypes.c_int32, _CELLS)
# int helper(ctx, Helper, cells): the bulk and table operations that live in the runtime
HELPER = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_int32, _CELLS)
# int64 exception_helper(ctx, ExceptionOp, operand): the exceptions' operations that need Python
EXCEPTION_HELPER = ctypes.CFUNCTYPE(ctypes.c_int64, _CTX, ctypes.c_int32, ctypes.c_uint64)
# int gc(ctx, instruction (Op.index), immediate, immediate, cells): a GC instruction, its
# operands in the cells and its result back in the first
GC = ctypes.CFUNCTYPE(ctypes.c_int32, _CTX, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, _CELLS)


class Helper(enum.IntEnum):
    """Operations native code leaves to the runtime, with their operands in the cells."""

    MEMORY_INIT = 1  # segment, dst, src, length, memory
    DATA_DROP = 2  # segment
    TABLE_INIT = 3  # table, segment, dst, src, length
    ELEM_DROP = 4  # segment
    TABLE_COPY = 5  # dst table, src table, dst, src, length
    TABLE_SIZE = 6  # table -> size
    REF_FUNC = 7  # function index -> reference
    TABLE_GET = 8  # table, index -> reference
    TABLE_SET = 9  # table, index, reference
    TABLE_GROW = 10  # table, reference, delta -> old size or -1
    TABLE_FILL = 11  # table, index, reference, length
    MEMORY_GROW = 12  # memory, delta -> old size in pages, or -1 (every memory but a 32-bit memory 0)
    MEMORY_WAIT32 = 13  # memory, address, expected, timeout -> 0 woken, 1 not equal, 2 timed out
    MEMORY_WAIT64 = 14  # the same (checked already: aligned, shared, in bounds)
    MEMORY_NOTIFY = 15  # memory, address, count -> how many woke (checked already)
    LOAD_FUNCTION = 16  # function index: load its piece, which fills its slot
    IMPORT_FAILED = 17  # imported function index, its entry's status -> the caller's status (see `lower.c_call`)


class ExceptionOp(enum.IntEnum):
    """What native code asks the exception helper for (see `exceptions`)."""

    EXNREF = 1  # -> the handle of the exception in flight (made a WasmException if it is not one)
    THROW_REF = 2  # handle: throw the exception it refers to (null: trap) -> non-zero


@functools.lru_cache(maxsize=1024)
def word_array(words: int) -> Any:
    """The ctypes type of `words` 64-bit words (cached: ctypes holds array types only weakly,
    and without the cache each instance would make its types again, about 15 µs each)."""
    return ctypes.c_uint64 * words


def cell_words(cells: int) -> Any:
    """Room for `cells` cells, as 64-bit words."""
    return word_array(CELL_WORDS * cells)()


def cells_at(address: int, count: int) -> Any:
    """The `count` cells at `address`, as 64-bit words."""
    return word_array(CELL_WORDS * count).from_address(address)
