"""wasi:clocks/monotonic-clock and wasi:clocks/wall-clock, over preview 1's `Clocks`.

The monotonic clock counts nanoseconds from the moment the instance's WASI state was made (as
preview 1's, and wasmtime's); `subscribe-instant` and `subscribe-duration` give pollables that
become ready when it reaches the instant. The wall clock is Unix time as a `datetime`.
"""

from __future__ import annotations

import time

from ..abi import Clockid
from ..clocks import Clocks
from ..interrupt import Interruption
from .poll import Pollable
from .values import Datetime

__all__ = ["MonotonicClock", "WallClock"]


class MonotonicClock:
    """The functions of wasi:clocks/monotonic-clock for one instance."""

    def __init__(self, clocks: Clocks, stop: Interruption) -> None:
        self._clocks = clocks
        self._stop = stop

    def now(self) -> int:
        return self._clocks.now(Clockid.MONOTONIC)

    def resolution(self) -> int:
        return Clocks.resolution(Clockid.MONOTONIC)

    def subscribe_instant(self, when: int) -> Pollable:
        """Ready once `now()` reaches `when` (at once if it has)."""
        return Pollable(self._stop, deadline=time.monotonic_ns() + (when - self.now()))

    def subscribe_duration(self, when: int) -> Pollable:
        """Ready `when` nanoseconds from now."""
        return Pollable(self._stop, deadline=time.monotonic_ns() + when)


class WallClock:
    """The functions of wasi:clocks/wall-clock."""

    def __init__(self, clocks: Clocks) -> None:
        self._clocks = clocks

    def now(self) -> Datetime:
        return Datetime.from_ns(self._clocks.now(Clockid.REALTIME))

    def resolution(self) -> Datetime:
        return Datetime.from_ns(Clocks.resolution(Clockid.REALTIME))
