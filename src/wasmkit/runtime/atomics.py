"""What makes a memory's atomic instructions atomic across Python threads, and its waits and
notifications (the threads proposal), for any engine.

Each memory has one `AtomicSync`. Its lock is taken by the atomic read-modify-writes, the
atomic stores, a wait's comparison and a notify, and nothing else: ordinary loads and stores
never touch it, so they cost what they did. The GIL alone does not make a read-modify-write
atomic (a thread switch can fall between its load and its store); one lock per memory does,
and an atomic load needs none (one `struct` call reads the value whole under the GIL). A wait
compares and enqueues under the lock, so that a notify made after the value changed cannot be
missed; it then sleeps outside the lock, in slices (`SLICE`), so that between slices the
store's interrupt or deadline stops it with the trap "interrupted", and Ctrl-C (delivered to a
wasm thread between Python instructions) stops it too, however long its timeout.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from ..bits import SIGN64

__all__ = ["AtomicSync", "SLICE", "WOKEN", "NOT_EQUAL", "TIMED_OUT"]

SLICE = 0.05  # seconds a waiter sleeps between looks at its store's interrupt
# What memory.atomic.wait32/64 return.
WOKEN, NOT_EQUAL, TIMED_OUT = 0, 1, 2


class _Waiter:
    """One thread waiting at one address."""

    __slots__ = ("event",)

    def __init__(self) -> None:
        self.event = threading.Event()


class AtomicSync:
    """A memory's lock for atomic instructions and its queues of waiters, one FIFO queue per
    address (as the spec orders notifications)."""

    __slots__ = ("lock", "_queues", "machine")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._queues: dict[int, deque[_Waiter]] = {}
        # Once native code runs on the memory: its atomic operations as machine code, by
        # (kind, width), which the Python engine's atomic instructions then use instead of the
        # lock alone, so that both engines' accesses are atomic against each other (see
        # engine.native.atomics). None until then.
        self.machine: dict[tuple[str, int], Callable[[int, int, int], int]] | None = None

    def use_machine_code(self, operations: dict[tuple[str, int], Callable[[int, int, int], int]]) -> None:
        """From now on, atomic instructions run `operations` (native code is bound to the
        memory). Set under the lock, which the Python engine's read-modify-writes and stores
        hold while they choose how to access: none of them is half done when it changes."""
        with self.lock:
            self.machine = operations

    def wait(self, address: int, unchanged: Callable[[], bool], timeout_ns: int, check: Callable[[], None]) -> int:
        """Block the calling thread at `address` while `unchanged()` (the comparison with the
        expected value, made under the lock) holds, until notified (WOKEN), or `timeout_ns`
        nanoseconds have passed (TIMED_OUT; an i64 that is negative, as the unsigned bits of
        one: no timeout); NOT_EQUAL at once if the value differs. `check()` runs between
        slices of the sleep and stops it by raising (the store's interrupt)."""
        with self.lock:
            if not unchanged():
                return NOT_EQUAL
            waiter = _Waiter()
            self._queues.setdefault(address, deque()).append(waiter)
        infinite = timeout_ns & SIGN64
        deadline = None if infinite else time.monotonic() + timeout_ns / 1e9
        try:
            while True:
                left = SLICE if deadline is None else min(deadline - time.monotonic(), SLICE)
                if left <= 0 or waiter.event.wait(left):
                    break
                check()
        finally:
            still_queued = self._dequeue(address, waiter)
        return TIMED_OUT if still_queued else WOKEN

    def notify(self, address: int, count: int) -> int:
        """Wake up to `count` threads waiting at `address`, oldest first; return how many."""
        with self.lock:
            queue = self._queues.get(address)
            woken = 0
            while queue and woken < count:
                queue.popleft().event.set()
                woken += 1
            if queue is not None and not queue:
                del self._queues[address]
        return woken

    def waiting(self, address: int) -> int:
        """How many threads wait at `address` now (for tests and diagnostics)."""
        with self.lock:
            return len(self._queues.get(address, ()))

    def _dequeue(self, address: int, waiter: _Waiter) -> bool:
        """Take `waiter` off its queue if a notify has not; whether it was still there."""
        with self.lock:
            queue = self._queues.get(address)
            if queue is None or waiter not in queue:
                return False
            queue.remove(waiter)
            if not queue:
                del self._queues[address]
            return True
