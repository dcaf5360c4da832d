"""The store: where instances live, with the engine that runs them and the limits they obey.

Fuel, interruption and a maximum call depth need metered code (a second compiled variant of
each module, which charges fuel and checks an interrupt flag at function entries and loop
iterations, and counts the depth of calls); a store asks for it only when created with `fuel`,
`interruptible=True` or `limits.max_call_depth`, so unlimited runs pay nothing. One fuel unit is one instruction, counted as the code enters a function or a loop
iteration (the instructions of the region it enters, whichever of them run).
"""

from __future__ import annotations

import ctypes
import math
import threading
from dataclasses import dataclass

from ..engine.base import Engine, get_engine
from ..errors import Trap, TrapKind

__all__ = ["Store", "StoreLimits"]

_NATIVE_UNLIMITED = 1 << 62  # "no limit" in the native meter's 64-bit cells
# Made once: ctypes keeps array types only while something refers to them, and making one
# again costs more than a whole small instantiation's other work.
_NATIVE_METER = ctypes.c_int64 * 4


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
    ) -> None:
        self.engine: Engine = get_engine(engine) if isinstance(engine, str) else engine
        self.limits = limits or StoreLimits()
        depth = self.limits.max_call_depth
        self.metered = fuel is not None or interruptible or depth is not None
        self._consumes_fuel = fuel is not None
        self._interruptible = interruptible
        # Shared with metered code: [fuel left, interrupt requested, call depth, maximum depth].
        self.meter: list = [fuel if fuel is not None else math.inf, False, 0, math.inf if depth is None else depth]
        self._deadline: threading.Timer | None = None
        self._native_meter: ctypes.Array[ctypes.c_int64] | None = None
        self.lock = threading.RLock()

    # -- fuel --

    @property
    def fuel(self) -> int:
        """The fuel left."""
        self._require_fuel()
        if self._native_meter is not None:
            return max(self._native_meter[0], 0)
        return max(int(self.meter[0]), 0)

    def set_fuel(self, fuel: int) -> None:
        self._require_fuel()
        if fuel < 0:
            raise ValueError("fuel must not be negative")
        self.meter[0] = fuel
        if self._native_meter is not None:
            self._native_meter[0] = min(fuel, _NATIVE_UNLIMITED)

    def add_fuel(self, fuel: int) -> None:
        self.set_fuel(self.fuel + fuel)

    def _require_fuel(self) -> None:
        if not self._consumes_fuel:
            raise ValueError("this store does not consume fuel (create it with Store(fuel=...))")

    # -- interruption --

    def interrupt(self) -> None:
        """Stop the wasm running in this store with the trap "interrupted" (from any thread)."""
        if not self._interruptible:
            raise ValueError("this store cannot be interrupted (create it with Store(interruptible=True))")
        self.meter[1] = True
        if self._native_meter is not None:
            self._native_meter[1] = 1

    def set_deadline(self, seconds: float | None) -> None:
        """Interrupt wasm running in this store `seconds` from now (None cancels)."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if seconds is not None:
            self._deadline = threading.Timer(seconds, self.interrupt)
            self._deadline.daemon = True
            self._deadline.start()

    def native_meter(self) -> "ctypes.Array[ctypes.c_int64]":
        """The meter as native code reads and writes it: fuel left, interrupt requested, call
        depth, maximum depth. Made on first use by the native engine; from then on it holds
        the store's fuel and interrupt flag."""
        if self._native_meter is None:
            fuel, interrupted, depth, maximum = self.meter
            self._native_meter = _NATIVE_METER(
                min(fuel, _NATIVE_UNLIMITED), int(interrupted), depth, min(maximum, _NATIVE_UNLIMITED)
            )
        return self._native_meter

    def meter_stop(self) -> None:
        """Called by metered code when fuel ran out, an interrupt was requested, or the call
        depth reached its maximum."""
        if self.meter[2] >= self.meter[3]:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        if self.meter[1]:
            self.meter[1] = False
            raise Trap(TrapKind.INTERRUPTED)
        self.meter[0] = 0
        raise Trap(TrapKind.OUT_OF_FUEL)
