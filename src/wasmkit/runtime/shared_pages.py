"""A memory image's large runs mapped copy-on-write into each new memory, not copied.

An instance of a big module writes its memory image (`image`) into a fresh memory each time:
for a componentize-py component's CPython, 11.5 MB a request, 8 ms. Where the system allows
it (Linux: `memfd_create`), the image's runs of at least `MIN_BYTES`, widened to whole system
pages (the bytes around a run are zero in the image as in a fresh memory), are written once
into an anonymous in-memory file, and each instance maps them over its memory's pages
privately (`mmap` with MAP_PRIVATE | MAP_FIXED at the memory's own addresses, inside its
reservation): the pages are shared with the file until the instance writes one, which the
kernel then copies for it alone. Everything else reads and writes the memory as before: the
mapping stays at the same addresses, inside the reservation the memory unmaps as a whole.

Any refusal (no `memfd_create`, a failed `mmap`) leaves the run to be copied, as before.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import weakref
from collections.abc import Sequence
from typing import Any, cast

__all__ = ["MIN_BYTES", "SharedPages"]

MIN_BYTES = 256 * 1024  # a run shorter than this is copied: a mapping costs a system call and a fault per page
_PAGE = mmap.PAGESIZE
_MAP_FIXED = 0x10  # Linux's value (Python's mmap module does not name it)


def _libc_mmap() -> Any:
    """libc's `mmap`, or None where it cannot be reached."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    function = libc.mmap
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    return function


_MMAP = _libc_mmap() if hasattr(os, "memfd_create") else None


class SharedPages:
    """One memory's large runs of an image (`runs`: (offset, bytes) in order of offset), kept
    in a file made at the first `map_into`; the runs it cannot take are given back to copy."""

    def __init__(self, runs: Sequence[tuple[int, bytes]]) -> None:
        self._runs = tuple(runs)
        self._lock = threading.Lock()
        self._made = False
        self._fd = -1
        self._blocks: tuple[tuple[int, int, int], ...] = ()  # (memory offset, length, file offset), page-aligned
        self._copied: tuple[tuple[int, bytes], ...] = self._runs  # what a memory gets by copy

    def _make(self) -> None:
        """Write the runs of at least MIN_BYTES into a new in-memory file, as whole pages."""
        self._made = True
        if _MMAP is None:
            return
        large = [(offset, data) for offset, data in self._runs if len(data) >= MIN_BYTES]
        if not large:
            return
        try:
            fd = os.memfd_create("wasmkit-image", getattr(os, "MFD_CLOEXEC", 1))
        except OSError:
            return
        blocks: list[tuple[int, int, int]] = []
        at = 0
        try:
            for offset, data in large:
                start = offset - offset % _PAGE
                length = -(-(offset + len(data) - start) // _PAGE) * _PAGE
                if blocks and start < blocks[-1][0] + blocks[-1][1]:  # a page of two runs (pages past 4 KiB)
                    raise OSError("runs share a page")
                os.ftruncate(fd, at + length)
                os.pwrite(fd, data, at + offset - start)
                blocks.append((start, length, at))
                at += length
        except OSError:
            os.close(fd)
            return
        self._fd = fd
        weakref.finalize(self, os.close, fd)
        self._blocks = tuple(blocks)
        self._copied = tuple(run for run in self._runs if len(run[1]) < MIN_BYTES)

    def map_into(self, base: int) -> Sequence[tuple[int, bytes]]:
        """Map the large runs over the fresh memory at address `base` (which holds the
        whole image); the runs left to copy. A mapping refused puts zero pages back where it
        was to go and leaves every run to copy (OSError if even that is refused)."""
        with self._lock:
            if not self._made:
                self._make()
        for offset, length, file_offset in self._blocks:
            address = base + offset
            if _map(address, length, mmap.MAP_PRIVATE | _MAP_FIXED, self._fd, file_offset) != address:
                if _map(address, length, mmap.MAP_PRIVATE | _MAP_FIXED | mmap.MAP_ANONYMOUS, -1, 0) != address:
                    raise OSError(ctypes.get_errno(), "cannot map zero pages back into a memory")
                return self._runs
        return self._copied


def _map(address: int, length: int, flags: int, fd: int, offset: int) -> int | None:
    """libc's mmap of `length` bytes at `address`, readable and writable; where it mapped."""
    if _MMAP is None:
        return None
    return cast("int | None", _MMAP(address, length, mmap.PROT_READ | mmap.PROT_WRITE, flags, fd, offset))
