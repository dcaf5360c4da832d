"""poll_oneoff: wait for clocks and for file descriptors to become ready.

    poll_oneoff(in: *subscription, out: *event, nsubscriptions: size, retptr: *size) -> errno

Each subscription (48 bytes, see `wasmkit.wasi.memory`) is a clock (MONOTONIC or REALTIME,
relative or absolute with `subscription_clock_abstime`) or an fd to wait on for reading or
writing. The call returns as soon as one is ready, writing one 32-byte event per ready
subscription, in subscription order, and their count at `retptr`:

- regular files are always ready (fd_read reports the bytes left before end of file, with
  `fd_readwrite_hangup` when none are); stdout and stderr are always ready to write;
- stdin given as bytes is always ready; stdin read from a host descriptor (this process's
  stdin, a pipe or a terminal) is waited for with `select`;
- a clock is ready when its deadline has passed; with nothing else ready the call sleeps until
  the earliest deadline.

A wait ends early with INTR once the instance's WASI state is interrupted (see
`WasiPreview1.interrupt`), so that a program stopped from another thread is not left asleep.

As in wasmtime: no subscriptions is INVAL, a bad or unsuitable fd fails the whole call with
BADF, and clock events carry `nbytes` 0; other clock ids are INVAL.
"""

from __future__ import annotations

import select
import threading

from .abi import Clockid, Eventrwflags, Eventtype, Rights, Subclockflags, decode
from .clocks import Clocks
from .errno import Errno, WasiError
from .fdtable import FdTable, FileDescriptor, InputDescriptor, OutputDescriptor
from .memory import EVENT, SUBSCRIPTION, GuestMemory
from .syscall import I32, syscall

__all__ = ["Poll"]

_MAX_WAIT = 86_400.0  # seconds per sleep; longer waits loop
_SELECT_SLICE = 0.05  # seconds per select, so that an interruption is seen promptly


class Poll:
    """The poll_oneoff function of one instance."""

    def __init__(self, fds: FdTable, clocks: Clocks, interrupted: threading.Event) -> None:
        self._fds = fds
        self._clocks = clocks
        self._interrupted = interrupted

    def _deadline(self, clock_value: int, timeout: int, flags: int, now: int) -> int:
        """The monotonic time at which a clock subscription fires."""
        clock = decode(Clockid, clock_value)
        absolute = Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME in decode(Subclockflags, flags)
        if clock is Clockid.MONOTONIC:
            return timeout if absolute else now + timeout
        if clock is Clockid.REALTIME:
            return now + (max(0, timeout - self._clocks.now(Clockid.REALTIME)) if absolute else timeout)
        raise WasiError(Errno.INVAL)

    def _event(self, kind: Eventtype, fd: int) -> tuple[int, int, int | None]:
        """For an fd subscription: (nbytes, flags, host fd to wait on or None when ready)."""
        descriptor = self._fds.get(fd)
        if kind is Eventtype.FD_READ:
            descriptor.require_io(Rights.FD_READ)
            if isinstance(descriptor, FileDescriptor):
                left = max(0, descriptor.file.stat().size - descriptor.position)
                return left, 0 if left else Eventrwflags.FD_READWRITE_HANGUP, None
            if isinstance(descriptor, InputDescriptor):
                pending = descriptor.stream.pending()
                return (
                    pending,
                    0 if pending else Eventrwflags.FD_READWRITE_HANGUP,
                    descriptor.stream.poll_fd(),
                )
        else:
            descriptor.require_io(Rights.FD_WRITE)
            if isinstance(descriptor, (FileDescriptor, OutputDescriptor)):
                return 1, 0, None
        raise WasiError(Errno.BADF)

    @syscall(I32, I32, I32, I32)
    def poll_oneoff(self, mem: GuestMemory, subscriptions: int, events: int, count: int, retptr: int) -> None:
        if count == 0:
            raise WasiError(Errno.INVAL)
        records = mem.unpack_array(SUBSCRIPTION, subscriptions, count)
        mem.check(events, EVENT.size * count)
        mem.check(retptr, 4)
        now = self._clocks.now(Clockid.MONOTONIC)
        deadlines: dict[int, int] = {}
        fd_events: dict[int, tuple[int, int]] = {}
        waiting: dict[int, int] = {}  # subscription index -> host fd not known to be ready
        for index, (_, tag, fd_or_clock, timeout, _, flags) in enumerate(records):
            kind = decode(Eventtype, tag)
            if kind is Eventtype.CLOCK:
                deadlines[index] = self._deadline(fd_or_clock, timeout, flags, now)
                continue
            nbytes, rwflags, host_fd = self._event(kind, fd_or_clock)
            fd_events[index] = (nbytes, rwflags)
            if host_fd is not None:
                waiting[index] = host_fd
        ready = self._wait(deadlines, set(fd_events) - set(waiting), waiting)
        written = 0
        for index in sorted(ready):
            userdata, tag = records[index][0], records[index][1]
            nbytes, rwflags = fd_events.get(index, (0, 0))
            mem.store(EVENT, events + written * EVENT.size, userdata, 0, tag, nbytes, rwflags)
            written += 1
        mem.set_u32(retptr, written)

    def _wait(self, deadlines: dict[int, int], ready: set[int], waiting: dict[int, int]) -> set[int]:
        """Block until something is ready; return the ready subscription indices."""
        while True:
            now = self._clocks.now(Clockid.MONOTONIC)
            fired = {index for index, deadline in deadlines.items() if deadline <= now}
            if ready or fired:
                timeout = 0.0
            elif deadlines:
                timeout = min(_MAX_WAIT, (min(deadlines.values()) - now) / 1e9)
            else:
                timeout = _MAX_WAIT
            if self._interrupted.is_set():
                raise WasiError(Errno.INTR)
            readable = _select(waiting, min(timeout, _SELECT_SLICE)) if waiting else set()
            if not waiting and timeout:
                self._interrupted.wait(timeout)
            found = (
                ready
                | readable
                | {i for i, d in deadlines.items() if d <= self._clocks.now(Clockid.MONOTONIC)}
            )
            if found:
                return found


def _select(waiting: dict[int, int], timeout: float) -> set[int]:
    """The subscriptions whose host fd is readable within `timeout` seconds. A descriptor
    `select` cannot watch counts as ready: the read that follows reports its error."""
    try:
        readable, _, _ = select.select(list(set(waiting.values())), [], [], timeout)
    except (OSError, ValueError):
        return set(waiting)
    return {index for index, fd in waiting.items() if fd in readable}
