"""The store: where instances live, with the engine that runs them and the limits they obey.

Fuel, interruption and a maximum call depth need metered code (a second compiled variant of
each module, which charges fuel and checks an interrupt flag at function entries and loop
iterations, and counts the depth of calls); a store asks for it only when created with `fuel`,
`interruptible=True` or `limits.max_call_depth`, so unlimited runs pay nothing. One fuel unit
is one instruction, counted as the code enters a function or a loop iteration (the
instructions of the region it enters, whichever of them run).

Interruption follows wasmtime's epoch deadlines, which replaced its interrupt handles:

- `interrupt()` stops the call running in the store now. When none runs, it does nothing:
  wasmtime's interrupt handles delivered such a request to the next call, however much later
  and however unrelated (wasmtime issue #2981), and were replaced for that reason.
- `set_deadline(seconds)` is the store's deadline, as `Store::set_epoch_deadline` is: a call
  running when it passes traps, and so does every call that starts after it has passed, until
  the deadline is set again or cancelled (None). Setting it again lets calls run again. So one
  deadline can bound a piece of work made of several calls (instantiation, `_initialize`,
  `_start`), and `set_deadline(0)` stops the work in progress and whatever call comes next.

Both take effect through one flag that metered code checks; the first call to enter an idle
store sets it from the deadline alone, so that nothing from before that call reaches it.

`profiling=True` is for `wasmkit.Profiler` and the native engine: its code cannot be sampled
from Python, so a profiling store runs a third variant, which keeps a shadow stack of its wasm
frames (`engine.shadow_stack`). The Python engine's frames are Python's, sampled as they are:
it runs the same code either way.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType

from ..engine.base import Engine
from ..engine.metering import Meter
from ..engine.registry import get_engine
from ..engine.shadow_stack import ShadowStack
from ..errors import Trap, TrapKind

__all__ = ["Store", "StoreLimits", "CancellableCall"]

_NATIVE_UNLIMITED = 1 << 62  # "no limit" in the native meter's 64-bit cells
# Made once: ctypes keeps array types only while something refers to them, and making one
# again costs more than a whole small instantiation's other work.
_NATIVE_METER = ctypes.c_int64 * len(Meter)
_PROFILING_STORES = itertools.count(1)  # to tell profiling stores apart in a profile


@dataclass
class StoreLimits:
    """Resource caps for everything created in a store (None: only the spec's own limits).
    Growth past a cap is refused the way the spec allows (memory.grow and table.grow give -1)."""

    memory_bytes: int | None = None
    table_elements: int | None = None
    max_call_depth: int | None = None  # deeper wasm calls trap with "call stack exhausted"


class Store:
    """Instances created in a store share its engine, limits, fuel and interruption.

    A store may be used from several threads: each call into its wasm code holds the store's
    lock (reentrant, so host functions may call back in), so the code of one store never runs
    on two threads at once. Calls into different stores run concurrently as far as Python
    allows.
    """

    def __init__(
        self,
        engine: str | Engine = "python",
        limits: StoreLimits | None = None,
        *,
        fuel: int | None = None,
        interruptible: bool = False,
        profiling: bool = False,
    ) -> None:
        self.engine: Engine = get_engine(engine) if isinstance(engine, str) else engine
        self.limits = limits or StoreLimits()
        depth = self.limits.max_call_depth
        self.metered = fuel is not None or interruptible or depth is not None
        self._consumes_fuel = fuel is not None
        self._interruptible = interruptible
        self.profiling = profiling  # native code keeps a shadow stack for `wasmkit.Profiler`
        self._shadow_stack: ShadowStack | None = None
        # Shared with metered code, a cell per `Meter`.
        initial = {Meter.FUEL: math.inf if fuel is None else fuel, Meter.INTERRUPT: False, Meter.DEPTH: 0,
                   Meter.MAXIMUM: math.inf if depth is None else depth}  # fmt: skip
        self.meter: list = [initial[cell] for cell in Meter]
        self._deadline_timer: threading.Timer | None = None
        self._deadline: float | None = None  # time.monotonic() when it passes
        self._native_meter: ctypes.Array[ctypes.c_int64] | None = None
        self.lock = threading.RLock()
        # What a call into the store's code holds while it runs (see `call_wasm`).
        self.guard: AbstractContextManager = _InterruptibleCall(self) if interruptible else self.lock

    # -- fuel --

    @property
    def fuel(self) -> int:
        """The fuel left."""
        self._require_fuel()
        if self._native_meter is not None:
            return max(self._native_meter[Meter.FUEL], 0)
        return max(int(self.meter[Meter.FUEL]), 0)

    def set_fuel(self, fuel: int) -> None:
        self._require_fuel()
        if fuel < 0:
            raise ValueError("fuel must not be negative")
        self.meter[Meter.FUEL] = fuel
        if self._native_meter is not None:
            self._native_meter[Meter.FUEL] = min(fuel, _NATIVE_UNLIMITED)

    def add_fuel(self, fuel: int) -> None:
        self.set_fuel(self.fuel + fuel)

    def _require_fuel(self) -> None:
        if not self._consumes_fuel:
            raise ValueError("this store does not consume fuel (create it with Store(fuel=...))")

    # -- interruption --

    @property
    def interruptible(self) -> bool:
        """Whether `interrupt` and `set_deadline` work here (`Store(interruptible=True)`)."""
        return self._interruptible

    def interrupt(self) -> None:
        """Stop the wasm running in this store with the trap "interrupted" (from any thread).
        When no call runs, nothing happens (see the module's docstring)."""
        self._require_interruptible()
        self._set_interrupt(True)

    def cancellable_call(self) -> CancellableCall:
        """A guard for one call into this (interruptible) store that another thread can cancel
        (`Func.call_async` makes one per call)."""
        self._require_interruptible()
        return CancellableCall(self)

    def set_deadline(self, seconds: float | None) -> None:
        """Make the store's deadline `seconds` from now, replacing any earlier one (None:
        no deadline). Calls running when it passes and calls that start after it has passed
        trap with "interrupted"."""
        self._require_interruptible()
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        self._deadline = deadline = None if seconds is None else time.monotonic() + seconds
        if seconds is not None:
            if seconds <= 0:
                self._set_interrupt(True)
            else:
                self._deadline_timer = threading.Timer(seconds, self._deadline_reached, (deadline,))
                self._deadline_timer.daemon = True
                self._deadline_timer.start()

    def _deadline_reached(self, deadline: float) -> None:
        if self._deadline == deadline:  # not replaced while the timer was firing
            self._set_interrupt(True)

    @property
    def deadline(self) -> float | None:
        """The seconds left until the store's deadline (0 or less once it has passed), or None
        when it has none."""
        return None if self._deadline is None else self._deadline - time.monotonic()

    def deadline_passed(self) -> bool:
        """Whether the store has a deadline and it has passed."""
        return self._deadline is not None and time.monotonic() >= self._deadline

    def check_interrupt(self) -> None:
        """Trap "interrupted" if the call running in this store was asked to stop (by
        `interrupt` or its deadline), as metered code does at its checks: for host functions
        that work long between them, such as WASI's transfers and waits."""
        if not self._interruptible:
            return
        native = self._native_meter
        requested = self.meter[Meter.INTERRUPT] or (native is not None and native[Meter.INTERRUPT])
        if requested or self.deadline_passed():
            self._set_interrupt(False)
            raise Trap(TrapKind.INTERRUPTED)

    def _set_interrupt(self, requested: bool) -> None:
        self.meter[Meter.INTERRUPT] = requested
        if self._native_meter is not None:
            self._native_meter[Meter.INTERRUPT] = int(requested)

    def _require_interruptible(self) -> None:
        if not self._interruptible:
            raise ValueError("this store cannot be interrupted (create it with Store(interruptible=True))")

    def native_meter(self) -> "ctypes.Array[ctypes.c_int64]":
        """The meter as native code reads and writes it: a 64-bit cell per `Meter`. Made on
        first use by the native engine; from then on it holds the store's fuel and interrupt
        flag."""
        if self._native_meter is None:
            cells = [int(min(value, _NATIVE_UNLIMITED)) for value in self.meter]
            self._native_meter = _NATIVE_METER(*cells)
        return self._native_meter

    def shadow_stack(self) -> ShadowStack:
        """The shadow stack profiled native code keeps (see `engine.shadow_stack`): made on
        first use by the native engine."""
        if self._shadow_stack is None:
            self._shadow_stack = ShadowStack(f"native code (store {next(_PROFILING_STORES)})")
        return self._shadow_stack

    def meter_stop(self) -> None:
        """Called by metered code when fuel ran out, an interrupt was requested, or the call
        depth reached its maximum."""
        meter = self.meter
        if meter[Meter.DEPTH] >= meter[Meter.MAXIMUM]:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        if meter[Meter.INTERRUPT]:
            meter[Meter.INTERRUPT] = False
            raise Trap(TrapKind.INTERRUPTED)
        meter[Meter.FUEL] = 0
        raise Trap(TrapKind.OUT_OF_FUEL)

    def __repr__(self) -> str:
        parts = [f"engine={self.engine.name}"]
        if self._consumes_fuel:
            parts.append(f"fuel={self.fuel}")
        if self._interruptible:
            parts.append("interruptible")
        limits = self.limits
        parts += [f"{field}={value}" for field, value in vars(limits).items() if value is not None]
        return f"<Store {' '.join(parts)}>"


class _InterruptibleCall:
    """What a call into an interruptible store holds: the store's lock, and on entering the
    idle store, the interrupt flag set from the deadline alone (an `interrupt()` made while
    the store was idle, or one that came too late for the call it was meant for, is dropped)."""

    __slots__ = ("_store", "_depth")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._depth = 0  # calls into the store running (nested ones included), under the lock

    def __enter__(self) -> None:
        store = self._store
        store.lock.acquire()
        self._depth += 1
        if self._depth == 1:
            store._set_interrupt(store.deadline_passed())

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        self._store.lock.release()


class CancellableCall:
    """The guard of one call into an interruptible store that can be cancelled from another
    thread (`Func.call_async` uses it): cancelled before it enters the store, the call does
    not run (it traps "interrupted" at once); cancelled while it runs, the store is
    interrupted, which stops this call and no other, since it holds the store meanwhile."""

    __slots__ = ("_store", "_lock", "_running", "_cancelled")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._running = False
        self._cancelled = False

    def __enter__(self) -> None:
        guard = self._store.guard
        guard.__enter__()
        with self._lock:
            if not self._cancelled:
                self._running = True
                return
        guard.__exit__(None, None, None)
        raise Trap(TrapKind.INTERRUPTED)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._running = False
        self._store.guard.__exit__(kind, error, tb)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._running:
                self._store.interrupt()
