"""Bounds-checked access to the calling instance's linear memory, and the witx struct layouts.

The engine hands every WASI function the instance's memory: an object with `size` (bytes) and
`read(offset, length) -> bytes` / `write(offset, data)`, both raising IndexError for any byte out
of bounds, and optionally `view`, a byte memoryview of the whole memory (the runtime's `Memory`
has one), through which WASI then reads and writes in place, without copies. `GuestMemory`
wraps it so that a wild pointer or length becomes `WasiError(FAULT)`, checked before anything
is read or allocated; no IndexError ever reaches the guest's engine. Large areas are reached a
piece of at most `CHUNK` bytes at a time, so that no call costs the host memory in proportion
to what the guest asks for.

Struct layouts (little endian, offsets in bytes, `..` is padding):

    iovec / ciovec (8)      0 buf u32 | 4 buf_len u32
    fdstat (24)             0 fs_filetype u8 | 1 .. | 2 fs_flags u16 | 4 .... |
                            8 fs_rights_base u64 | 16 fs_rights_inheriting u64
    filestat (64)           0 dev u64 | 8 ino u64 | 16 filetype u8 | 17 ....... | 24 nlink u64 |
                            32 size u64 | 40 atim u64 | 48 mtim u64 | 56 ctim u64
    dirent (24) + name      0 d_next u64 | 8 d_ino u64 | 16 d_namlen u32 | 20 d_type u8 | 21 ...
    prestat (8)             0 tag u8 | 1 ... | 4 pr_name_len u32
    subscription (48)       0 userdata u64 | 8 tag u8 | 9 ....... | 16 union:
                              clock:       16 id u32 | 20 .... | 24 timeout u64 |
                                           32 precision u64 | 40 flags u16 | 42 ......
                              fd_read/fd_write: 16 file_descriptor u32
    event (32)              0 userdata u64 | 8 error u16 | 10 type u8 | 11 ..... |
                            16 nbytes u64 | 24 flags u16 | 26 ......

Records written back to the guest leave their padding bytes as they were, as wasmtime does;
directory entries and prestat (a union) are the exceptions, written whole with zero padding,
again as wasmtime does.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Protocol

from .errno import Errno, WasiError

__all__ = [
    "CHUNK",
    "DIRENT",
    "EVENT",
    "FDSTAT",
    "FILESTAT",
    "IOVEC",
    "PRESTAT",
    "SUBSCRIPTION",
    "GuestMemory",
    "LinearMemory",
    "Record",
]


class Record:
    """A witx record written back to the guest: each field at its offset, the padding
    between them left as it was (as wasmtime writes records, field by field). Fields that
    follow each other with no padding between are packed as one."""

    __slots__ = ("_count", "_runs", "size")

    def __init__(self, size: int, fields: str) -> None:
        """`fields` is `offset:code` pairs, e.g. "0:B 2:H 8:Q" (struct codes, little endian)."""
        self.size = size
        runs: list[tuple[int, str, int]] = []  # (offset, codes, field count) of adjacent fields
        for item in fields.split():
            offset, code = item.split(":")
            start = int(offset)
            if runs and runs[-1][0] + struct.calcsize("<" + runs[-1][1]) == start:
                first, codes, count = runs.pop()
                runs.append((first, codes + code, count + 1))
            else:
                runs.append((start, code, 1))
        self._runs = [(offset, struct.Struct("<" + codes), count) for offset, codes, count in runs]
        self._count = sum(count for _, _, count in runs)

    def pack_into(self, buffer: bytearray | memoryview, at: int, *values: int) -> None:
        """Write `values` (one per field, in order) into `buffer` at offset `at`."""
        if len(values) != self._count:
            raise ValueError("wrong number of record fields")
        used = 0
        for offset, run, count in self._runs:
            run.pack_into(buffer, at + offset, *values[used : used + count])
            used += count


IOVEC = struct.Struct("<II")
DIRENT = struct.Struct("<QQIB3x")
PRESTAT = struct.Struct("<BxxxI")
# userdata, tag, then the union read as clock fields; for fd subscriptions `id` is the fd.
SUBSCRIPTION = struct.Struct("<QB7xI4xQQH6x")
FDSTAT = Record(24, "0:B 2:H 8:Q 16:Q")
FILESTAT = Record(64, "0:Q 8:Q 16:B 24:Q 32:Q 40:Q 48:Q 56:Q")
EVENT = Record(32, "0:Q 8:H 10:B 16:Q 24:H")

CHUNK = 1 << 20  # bytes per piece of a large area: the host memory and latency of one step

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class LinearMemory(Protocol):
    """What the engine passes as `memory` to a WASI function. An object that also has `view`
    (a writable byte memoryview of exactly its current `size` bytes, as the runtime's `Memory`
    has) is read and written through it, without copies."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes: ...

    def write(self, offset: int, data: bytes) -> None: ...


class GuestMemory:
    """A guest's linear memory seen through WASI: every access is bounds-checked first and
    fails with `WasiError(FAULT)`; strings are decoded as UTF-8 or fail with `ILSEQ`.

    Large areas (a transfer's buffer, an array of iovecs or subscriptions) are reached a
    piece of at most `CHUNK` bytes at a time (`pieces`), so that what a call costs
    the host does not grow with what the guest asks for, and so that the call can stop
    between pieces."""

    __slots__ = ("_memory", "_view")

    def __init__(self, memory: LinearMemory) -> None:
        self._memory = memory
        self._view: memoryview | None = getattr(memory, "view", None)

    def check(self, ptr: int, length: int) -> None:
        """Fail with FAULT unless `[ptr, ptr + length)` lies inside the memory."""
        if ptr < 0 or length < 0 or ptr + length > self._memory.size:
            raise WasiError(Errno.FAULT)

    def read(self, ptr: int, length: int) -> bytes:
        """A copy of `length` bytes at `ptr` (for small things: records, strings)."""
        self.check(ptr, length)
        if self._view is not None:
            return bytes(self._view[ptr : ptr + length])
        try:
            return self._memory.read(ptr, length)
        except IndexError:
            raise WasiError(Errno.FAULT) from None

    def write(self, ptr: int, data: bytes | bytearray | memoryview) -> None:
        self.check(ptr, len(data))
        if self._view is not None:
            self._view[ptr : ptr + len(data)] = data
            return
        try:
            self._memory.write(ptr, bytes(data))
        except IndexError:
            raise WasiError(Errno.FAULT) from None

    def pieces(self, ptr: int, length: int, step: int = CHUNK) -> Iterator[bytes | memoryview]:
        """The bytes `[ptr, ptr + length)`, `step` bytes at a time (the last piece may be
        shorter): views of the memory itself when it offers them (valid until the guest runs
        again), copies otherwise. The whole range is bounds-checked first."""
        self.check(ptr, length)
        for start in range(ptr, ptr + length, step):
            end = min(start + step, ptr + length)
            if self._view is not None:
                yield self._view[start:end]
            else:
                yield self.read(start, end - start)

    def u32(self, ptr: int) -> int:
        return int(_U32.unpack(self.read(ptr, 4))[0])

    def set_u32(self, ptr: int, value: int) -> None:
        self.write(ptr, _U32.pack(value))

    def set_u64(self, ptr: int, value: int) -> None:
        self.write(ptr, _U64.pack(value))

    def unpack(self, layout: struct.Struct, ptr: int) -> tuple[int, ...]:
        return layout.unpack(self.read(ptr, layout.size))

    def store(self, layout: Record, ptr: int, *fields: int) -> None:
        """Write a record's fields, leaving its padding bytes as they were."""
        self.check(ptr, layout.size)
        if self._view is not None:
            layout.pack_into(self._view, ptr, *fields)
            return
        record = bytearray(self.read(ptr, layout.size))
        layout.pack_into(record, 0, *fields)
        self.write(ptr, record)

    def string(self, ptr: int, length: int) -> str:
        """A UTF-8 string the guest passed as (pointer, length)."""
        data = self.read(ptr, length)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise WasiError(Errno.ILSEQ) from None
