"""clock_res_get, clock_time_get: the four witx clocks.

    clock_res_get(id: clockid u32, retptr: *timestamp) -> errno
    clock_time_get(id: clockid u32, precision: timestamp u64, retptr: *timestamp) -> errno

The result is a u64 count of nanoseconds stored at `retptr`. REALTIME is Unix time;
MONOTONIC counts from the moment the instance's WASI state was made, as wasmtime's does;
PROCESS_CPUTIME_ID and THREAD_CPUTIME_ID are this process's and thread's CPU time (wasmtime
refuses those with BADF; the witx says a supported clock must work, so wasmkit supports them).
`precision` is a hint and is ignored. An id outside the enum is INVAL.
"""

from __future__ import annotations

import time
from typing import Literal

from .abi import Clockid, decode
from .memory import GuestMemory
from .syscall import I32, I64, syscall

__all__ = ["Clocks"]

_HOST_CLOCK_INFO: dict[Clockid, Literal["time", "monotonic", "process_time", "thread_time"]] = {
    Clockid.REALTIME: "time",
    Clockid.MONOTONIC: "monotonic",
    Clockid.PROCESS_CPUTIME_ID: "process_time",
    Clockid.THREAD_CPUTIME_ID: "thread_time",
}


class Clocks:
    """The clocks of one instance."""

    def __init__(self) -> None:
        self._monotonic_origin = time.monotonic_ns()

    def now(self, clock: Clockid) -> int:
        """The current time of `clock` in nanoseconds."""
        if clock is Clockid.REALTIME:
            return time.time_ns()
        if clock is Clockid.MONOTONIC:
            return time.monotonic_ns() - self._monotonic_origin
        if clock is Clockid.PROCESS_CPUTIME_ID:
            return time.process_time_ns()
        return time.thread_time_ns()

    @staticmethod
    def resolution(clock: Clockid) -> int:
        """The resolution of `clock` in nanoseconds (at least 1, as the witx requires)."""
        seconds = time.get_clock_info(_HOST_CLOCK_INFO[clock]).resolution
        return max(1, round(seconds * 1_000_000_000))

    @syscall(I32, I32)
    def clock_res_get(self, mem: GuestMemory, clock: int, retptr: int) -> None:
        mem.set_u64(retptr, self.resolution(decode(Clockid, clock)))

    @syscall(I32, I64, I32)
    def clock_time_get(self, mem: GuestMemory, clock: int, precision: int, retptr: int) -> None:
        mem.set_u64(retptr, self.now(decode(Clockid, clock)))
