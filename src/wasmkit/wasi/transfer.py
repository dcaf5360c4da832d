"""Moving bytes between a guest's buffers and files or streams (fd_read, fd_write, fd_pread,
fd_pwrite), at a host cost that does not grow with what the guest asks for.

An iovec array is `iovs_len` records of (buf u32, buf_len u32):

    iovs -> | buf | buf_len | buf | buf_len | ... |      8 bytes each

As in wasmtime, a call transfers through the first iovec that is not empty only (the caller,
wasi-libc or Rust's std, loops over short counts), and any `iovs_len` is accepted: there is no
IOV_MAX, the array only has to lie in memory (FAULT otherwise, checked before anything is read).
The array is scanned a piece at a time for the first non-zero `buf_len`, in C (a guest's 16
million empty iovecs cost a few milliseconds and no host memory); no list of iovecs is made.

One call moves at most `MAX_TRANSFER` bytes, in steps of `memory.CHUNK` bytes straight between
the guest's memory and the file or stream (no copy of the whole buffer), checking between steps
whether the call should stop (`interrupt.Interruption`): then it returns the short count of
what it moved, or fails with INTR (or traps, for a store's interrupt) if it moved nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .interrupt import Interruption
from .memory import CHUNK, IOVEC, GuestMemory

__all__ = ["MAX_TRANSFER", "first_buffer", "read_in", "write_out"]

MAX_TRANSFER = 64 * 1024 * 1024
_SCAN = 64 * 1024  # bytes of an iovec array looked at per step (a multiple of IOVEC.size)
_NONZERO = re.compile(rb"[^\0]")

Bytes = bytes | bytearray | memoryview


def first_buffer(mem: GuestMemory, iovs: int, iovs_len: int) -> tuple[int, int]:
    """(pointer, length) of the first non-empty iovec, capped at MAX_TRANSFER; (0, 0) if all
    are empty. The whole array and the chosen buffer must lie in memory (FAULT)."""
    for piece in mem.pieces(iovs, IOVEC.size * iovs_len, _SCAN):
        # The buf_len fields of this piece, side by side: the first non-zero byte among
        # them belongs to the first non-empty iovec.
        lengths = memoryview(piece).cast("I")[1::2].tobytes()
        found = _NONZERO.search(lengths)
        if found is not None:
            ptr, length = IOVEC.unpack_from(piece, found.start() // 4 * IOVEC.size)
            mem.check(ptr, length)
            return ptr, min(length, MAX_TRANSFER)
    return 0, 0


def write_out(
    mem: GuestMemory,
    ptr: int,
    length: int,
    put: Callable[[Bytes, int], int],
    stop: Interruption,
    step: int = CHUNK,
) -> int:
    """Hand `[ptr, ptr + length)` to `put(piece, done)` `step` bytes at a time (`done`: the
    bytes already written); return the count written. A short count from `put` ends it."""
    done = 0
    for piece in mem.pieces(ptr, length, step):
        if _stopping(stop, done):
            break
        written = put(piece, done)
        done += written
        if written < len(piece):
            break
    return done


def read_in(
    mem: GuestMemory, ptr: int, length: int, get: Callable[[int, int], Bytes], stop: Interruption
) -> int:
    """Fill `[ptr, ptr + length)` with `get(size, done)` a chunk at a time (`done`: the bytes
    already read); return the count read. A short result from `get` (end of file) ends it."""
    mem.check(ptr, length)
    done = 0
    while done < length:
        if _stopping(stop, done):
            break
        size = min(CHUNK, length - done)
        data = get(size, done)
        mem.write(ptr + done, data)
        done += len(data)
        if len(data) < size:
            break
    return done


def _stopping(stop: Interruption, done: int) -> bool:
    """Whether to end a transfer now: INTR if nothing moved yet, a short count otherwise."""
    if done:
        return stop.requested()
    stop.check()
    return False
