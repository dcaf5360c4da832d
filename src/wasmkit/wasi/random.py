"""random_get: fill a guest buffer with bytes from the host's CSPRNG (`os.urandom`).

    random_get(buf: *u8, buf_len: size) -> errno

The buffer is bounds-checked first (FAULT), then filled in chunks of 64 KiB, so a large
request never holds more than one chunk in host memory at a time, and can be stopped between
chunks (INTR, or a trap for the store's interrupt; see `wasmkit.wasi.interrupt`).
"""

from __future__ import annotations

import os

from .interrupt import Interruption
from .memory import GuestMemory
from .syscall import I32, syscall

__all__ = ["Random"]

_CHUNK = 64 * 1024


class Random:
    """The random_get function."""

    def __init__(self, stop: Interruption) -> None:
        self._stop = stop

    @syscall(I32, I32)
    def random_get(self, mem: GuestMemory, buf: int, buf_len: int) -> None:
        mem.check(buf, buf_len)
        for start in range(buf, buf + buf_len, _CHUNK):
            self._stop.check()
            mem.write(start, os.urandom(min(_CHUNK, buf + buf_len - start)))
