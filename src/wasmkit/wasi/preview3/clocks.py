"""wasi:clocks@0.3.0: the monotonic clock (with `wait-for` and `wait-until`, async functions
that sleep on the event loop the component's tasks are driven by) and the system clock.

The clocks are 0.2's (`preview2.clocks`, over preview 1's `Clocks`): the monotonic clock
counts nanoseconds from the moment the instance's WASI state was made, the system clock is
Unix time. A wait looks at the instance's stop requests every `SLICE` (a store's interrupt
or deadline traps it, as it traps a 0.2 poll).
"""

from __future__ import annotations

import asyncio

from ..interrupt import SLICE, Interruption
from ..preview2.clocks import MonotonicClock as MonotonicClock2
from ..preview2.clocks import WallClock
from ..preview2.values import Datetime

__all__ = ["MonotonicClock", "SystemClock", "sleep"]


async def sleep(stop: Interruption, nanoseconds: int) -> None:
    """Wait `nanoseconds` on the running event loop, ending as `stop.check` does once a
    stop is requested."""
    loop = asyncio.get_running_loop()
    end = loop.time() + max(0, nanoseconds) / 1e9
    stop.check()
    while (left := end - loop.time()) > 0:
        await asyncio.sleep(min(left, SLICE))
        stop.check()


class MonotonicClock:
    """The functions of wasi:clocks/monotonic-clock@0.3.0 for one instance."""

    def __init__(self, clock: MonotonicClock2, stop: Interruption) -> None:
        self._clock = clock
        self._stop = stop

    def now(self) -> int:
        return self._clock.now()

    def get_resolution(self) -> int:
        return self._clock.resolution()

    async def wait_until(self, when: int) -> None:
        await sleep(self._stop, when - self._clock.now())

    async def wait_for(self, how_long: int) -> None:
        await sleep(self._stop, how_long)


class SystemClock:
    """The functions of wasi:clocks/system-clock@0.3.0: `instant` has the fields of 0.2's
    `datetime` (seconds, nanoseconds), and `get-resolution` is a duration in nanoseconds."""

    def __init__(self, clock: WallClock) -> None:
        self._clock = clock

    def now(self) -> Datetime:
        return self._clock.now()

    def get_resolution(self) -> int:
        return self._clock.resolution().to_ns()
