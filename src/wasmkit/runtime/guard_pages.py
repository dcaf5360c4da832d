"""Guard regions: what lets native code access a 32-bit linear memory without a bounds check.

A 32-bit memory access reaches at most 2^32 - 1 (the address) + 2^32 - 1 (the offset) + 16
(the widest access) bytes past the memory's start. When guard regions are on, every 32-bit
memory reserves that whole span (RESERVATION) of address space, readable and writable only
up to its current size, inaccessible (PROT_NONE) beyond: an access out of bounds always lands
in the inaccessible part and faults, never on anything else. The native engine then leaves
out the explicit check, and turns the fault into the same `Trap` the check would have raised
(engine.native.faults): its fault handler takes a fault only at an address inside a
reservation listed here (`RANGES`), and only while native code entered from Python is on the
thread's stack; any other fault goes on to the handler that was there before.

Guard regions are on where the system gives them cheaply and safely: Linux on x86-64, an
address space of at least MIN_ADDRESS_SPACE (`ulimit -v`: the span is 8 GiB per memory, which
a limit of a few GiB could not hold), overcommit not set to "never" (the reservation is made with
MAP_NORESERVE, which that mode ignores), and $WASMKIT_GUARD_PAGES not "off". Otherwise
memories reserve what they did before (their maximum) and native code checks every access.
The answer is taken once per process: every memory and every piece of machine code in it
agree, and it is part of the native code cache's key.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import os
import platform
import resource
import sys
import threading

__all__ = ["CAPACITY", "MIN_ADDRESS_SPACE", "RANGES", "RESERVATION", "enabled", "protect", "register", "reserve", "unregister"]

RESERVATION = (8 << 30) + (64 << 10)  # 2 * (2^32 - 1) + 16, rounded up to a page of wasm
MIN_ADDRESS_SPACE = 32 << 30  # under a lower `ulimit -v`, memories reserve only their maximum
CAPACITY = 16384  # reservations listed at once: 16,384 * 8 GiB is the whole user address space

# (start, end) per listed reservation, zero when free: read by the native fault handler (whose
# scan needs no lock: a pair is filled start first, and emptied end first).
RANGES = (ctypes.c_uint64 * (2 * CAPACITY))()
_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)  # Linux's value; Python names it from 3.13
_free = list(range(CAPACITY - 1, -1, -1))
_lock = threading.Lock()


@functools.cache
def enabled() -> bool:
    """Whether 32-bit memories get guard regions in this process (see the module's doc)."""
    if os.environ.get("WASMKIT_GUARD_PAGES", "on") == "off":
        return False
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return False
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit != resource.RLIM_INFINITY and limit < MIN_ADDRESS_SPACE:
        return False
    try:
        with open("/proc/sys/vm/overcommit_memory") as setting:
            return setting.read().strip() != "2"
    except OSError:
        return False


def reserve() -> mmap.mmap:
    """A RESERVATION-byte mapping, all of it inaccessible (`protect` opens its start); OSError
    when the system refuses it."""
    mapping = mmap.mmap(-1, RESERVATION, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE)
    protect(ctypes.addressof(ctypes.c_char.from_buffer(mapping)), 0, RESERVATION, accessible=False)
    return mapping


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def protect(base: int, start: int, end: int, *, accessible: bool) -> None:
    """Make bytes [start, end) of the reservation at `base` readable and writable, or
    inaccessible; OSError if the system refuses (out of memory)."""
    if end <= start:
        return
    prot = mmap.PROT_READ | mmap.PROT_WRITE if accessible else 0  # PROT_NONE
    if _libc.mprotect(base + start, end - start, prot) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def register(base: int) -> int:
    """List the reservation at `base` for the fault handler; its slot, for `unregister`.
    MemoryError when CAPACITY reservations are listed already."""
    with _lock:
        if not _free:
            raise MemoryError(f"more than {CAPACITY} guarded linear memories at once")
        slot = _free.pop()
        RANGES[2 * slot] = base
        RANGES[2 * slot + 1] = base + RESERVATION
    return slot


def unregister(slot: int) -> None:
    """Take the reservation in `slot` off the list (before it is unmapped)."""
    with _lock:
        RANGES[2 * slot + 1] = 0
        RANGES[2 * slot] = 0
        _free.append(slot)
