"""Linear memory: one buffer that both engines, WASI and Python code share.

The buffer is an anonymous mmap reserved at the memory's maximum size (4 GiB when it has none),
or, for a 32-bit memory where guard regions are on, the 8 GiB any access can reach, accessible
up to the memory's size only (see `guard_pages`).
Reserving costs address space only; pages are committed by the kernel as they are touched, so
growing never moves the base address (which the native engine relies on) and never copies.
A 64-bit memory (memory64) may be declared up to 2^48 pages, more than any machine can reserve:
it reserves 4 GiB at most at first (or its minimum, when larger), and growth past what is
reserved moves it to a larger reservation (copying it; the listeners hear of it, and native
code takes the new base after every call, as it takes the size). A minimum past 4 GiB that the system cannot reserve is a ValueError at creation (the
module asks too much; a smaller reservation refused is the host out of memory: OSError, as
before), and a growth it cannot reserve is refused (-1); never a crash.
Typed views sized to the current memory give the Python engine bounds-checked access: an index
past the end is an IndexError that the call boundary turns into a trap. Views are renewed on
growth, and every instance using the memory is told through its listeners.

A shared memory (threads proposal) may be used by instances in several stores, running on
several Python threads at once: its atomic instructions, and its growth, go through its
`sync` (see `atomics`).
"""

from __future__ import annotations

import ctypes
import mmap
import weakref
from collections.abc import Callable

from ..syntax.types import MAX_PAGES, MAX_PAGES_64, PAGE_SIZE, Limits, MemoryType
from . import guard_pages
from .atomics import AtomicSync

__all__ = ["Memory"]

_FIRST_RESERVATION_64 = MAX_PAGES  # pages a 64-bit memory reserves at first (4 GiB), at most


def _reserve(pages: int) -> mmap.mmap:
    """An anonymous mapping of `pages` pages (at least one); OSError or OverflowError when the
    system refuses it."""
    return mmap.mmap(-1, max(pages, 1) * PAGE_SIZE)


class Memory:
    """A linear memory instance."""

    def __init__(self, memory_type: MemoryType, max_bytes: int | None = None) -> None:
        limits = memory_type.limits
        self.type = memory_type
        bound = MAX_PAGES_64 if memory_type.is_64 else MAX_PAGES
        maximum = bound if limits.max is None else limits.max
        if limits.min > bound or maximum > bound:
            raise ValueError(f"memory of {limits.min} pages exceeds the limit of {bound} pages")
        if max_bytes is not None:
            maximum = min(maximum, max_bytes // PAGE_SIZE)
            if limits.min > maximum:
                raise ValueError(f"memory of {limits.min} pages exceeds the limit of {max_bytes} bytes")
        self._max_pages = maximum
        # What is reserved: the maximum, or for a 64-bit memory 4 GiB at most (see the module's
        # doc); for a 32-bit memory with guard regions, the span any access can reach.
        reserved = min(maximum, max(limits.min, _FIRST_RESERVATION_64)) if memory_type.is_64 else maximum
        self.guarded = not memory_type.is_64 and guard_pages.enabled()
        try:
            self._map = guard_pages.reserve() if self.guarded else _reserve(reserved)
        except (OSError, OverflowError) as err:
            if reserved <= _FIRST_RESERVATION_64:
                raise  # what any memory needs: the host is out of memory (a server answers 503)
            # A 64-bit memory whose minimum is past 4 GiB asks for more than the host has.
            raise ValueError(f"memory of {limits.min} pages cannot be reserved: {err}") from None
        self._reserved = max(reserved, 1)
        self._pages = limits.min
        self._listeners: list[Callable[[Memory], None]] = []
        self._owners: list[object] = []  # who added each listener (None: for good)
        self._pinned: ctypes.c_char | None = None  # holds the mapping exported to native code
        self.sync = AtomicSync()  # atomic instructions, waits and notifications (see `atomics`)
        if self.guarded:  # listed for the fault handler until the mapping goes
            guard_pages.protect(self.address, 0, self.size, accessible=True)
            weakref.finalize(self, guard_pages.unregister, guard_pages.register(self.address))
        self._renew_views()

    # -- size --

    @property
    def pages(self) -> int:
        return self._pages

    @property
    def size(self) -> int:
        """The size in bytes."""
        return self._pages * PAGE_SIZE

    data_len = size

    @property
    def limits(self) -> Limits:
        return self.type.limits

    @property
    def shared(self) -> bool:
        """Whether this is a shared memory (threads): instances in other stores and on other
        threads may import it."""
        return self.type.shared

    @property
    def address(self) -> int:
        """The address of byte 0 in this process (for native code). A 32-bit memory's never
        changes (it is reserved at its maximum and grows in place); a 64-bit memory's changes
        when growth moves it (see the module's doc), which its listeners are told of."""
        if self._pinned is None:
            self._pinned = ctypes.c_char.from_buffer(self._map)
        return ctypes.addressof(self._pinned)

    def grow(self, delta: int) -> int:
        """Grow by `delta` pages; return the old size in pages, or -1 if refused (past the
        maximum). A negative `delta` is a ValueError: memories never shrink."""
        if delta < 0:
            raise ValueError(f"a memory grows by a number of pages >= 0, not {delta}")
        if not self.type.shared:
            return self._grow(delta)
        with self.sync.lock:  # two threads growing at once each get their own old size
            return self._grow(delta)

    def _grow(self, delta: int) -> int:
        old = self._pages
        if old + delta > self._max_pages:
            return -1
        if old + delta > self._reserved and not self._move(old + delta):
            return -1
        if self.guarded:  # accessible before native code may see the new size
            try:
                guard_pages.protect(self.address, old * PAGE_SIZE, (old + delta) * PAGE_SIZE, accessible=True)
            except OSError:
                return -1
        if delta:
            self._pages = old + delta
            self._renew_views()
            for listener in self._listeners:
                listener(self)
        return old

    def _move(self, pages: int) -> bool:
        """Move a 64-bit memory to a reservation of at least `pages` pages (twice the current
        one, when the maximum allows); False if the system refuses it."""
        reserved = min(self._max_pages, max(pages, 2 * self._reserved))
        try:
            new = _reserve(reserved)
        except (OSError, OverflowError):
            return False
        with memoryview(new) as target, memoryview(self._map) as source:
            target[: self.size] = source[: self.size]  # copied in place, not through bytes
        self._map = new
        self._reserved = reserved
        self._pinned = None  # the old mapping's address is no longer the memory's
        return True

    # -- access for Python code (and WASI) --

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes at `offset`; IndexError if any of them is out of bounds."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise IndexError(f"memory read of {length} bytes at {offset} is out of bounds")
        return bytes(self._map[offset : offset + length])

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Write `data` at `offset`; IndexError (and nothing written) if it does not fit."""
        length = len(data)
        if offset < 0 or offset + length > self.size:
            raise IndexError(f"memory write of {length} bytes at {offset} is out of bounds")
        self._map[offset : offset + length] = bytes(data)

    def fill(self, offset: int, value: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise IndexError(f"memory fill of {length} bytes at {offset} is out of bounds")
        if length:
            ctypes.memset(self.address + offset, value & 0xFF, length)  # in place, no copy

    def copy_within(self, dst: int, src: int, length: int) -> None:
        if min(dst, src, length) < 0 or max(dst, src) + length > self.size:
            raise IndexError(f"memory copy of {length} bytes from {src} to {dst} is out of bounds")
        self._map.move(dst, src, length)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: int | slice) -> int | bytes:
        """`memory[i]` is a byte; `memory[a:b]` the bytes in that range (IndexError past the end)."""
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            if step != 1 or (key.stop is not None and key.stop > self.size):
                raise IndexError("memory slices must be contiguous and within the memory")
            return self.read(start, max(stop - start, 0))
        return self.views[0][key]

    def __setitem__(self, key: int | slice, value: int | bytes) -> None:
        """`memory[i] = byte`, or `memory[a:b] = data` with `len(data) == b - a`."""
        if isinstance(key, slice):
            if isinstance(value, int):
                raise TypeError("memory[a:b] takes bytes, not an int")
            start, stop, step = key.indices(self.size)
            data = bytes(value)
            if step != 1 or len(data) != stop - start:
                raise ValueError("a memory slice assignment must keep the length")
            self.write(start, data)
        elif isinstance(value, int):
            self.views[0][key] = value
        else:
            raise TypeError("memory[i] takes an int byte")

    @property
    def view(self) -> memoryview:
        """A byte view of the current memory (renewed by growth: do not keep it)."""
        return self.views[0]

    def typed(self, fmt: str) -> memoryview:
        """A view of the current memory as `struct` format `fmt` items ("i" for int32, "Q" for
        uint64, "d" for float64, ...), in the machine's byte order (little-endian here).
        ValueError for a format that is not one native item."""
        try:
            return self.views[0].cast(fmt)  # type: ignore[call-overload]  # any struct format, checked here
        except (ValueError, TypeError) as err:
            raise ValueError(f"memory.typed takes one native struct format item such as 'i', 'Q' or 'd', not {fmt!r}: {err}") from None

    def __repr__(self) -> str:
        maximum = "" if self.type.limits.max is None else f" max={self.type.limits.max}"
        bits = " i64" if self.type.is_64 else ""
        shared = " shared" if self.type.shared else ""
        return f"<Memory{bits} pages={self._pages}{maximum}{shared} size={self.size}>"

    # -- for engines --

    def add_listener(self, listener: Callable[["Memory"], None], owner: object = None) -> None:
        """Call `listener(memory)` after every growth (engines renew their views there), until
        `remove_listeners(owner)`, if an owner is given."""
        self._listeners.append(listener)
        self._owners.append(owner)

    def remove_listeners(self, owner: object) -> None:
        """Stop calling the listeners `owner` added: an instance that is done with a memory
        that outlives it (a wasi-threads thread's instance and the program's shared memory)."""
        kept = [(o, listener) for o, listener in zip(self._owners, self._listeners) if o is not owner]
        self._owners = [o for o, _ in kept]
        self._listeners = [listener for _, listener in kept]

    def _renew_views(self) -> None:
        base = memoryview(self._map)[: self.size]
        # Byte, 16-, 32- and 64-bit unsigned, f32 and f64 views, each sized to the memory.
        self.views = (
            base,
            base.cast("H"),
            base.cast("I"),
            base.cast("Q"),
            base.cast("f"),
            base.cast("d"),
        )
