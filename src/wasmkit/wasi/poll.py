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

from .abi import Clockid, Eventrwflags, Eventtype, Rights, Subclockflags
from .clocks import Clocks
from .errno import Errno, WasiError
from .fdtable import FdTable, FileDescriptor, InputDescriptor, OutputDescriptor
from .interrupt import SLICE, Interruption
from .memory import CHUNK, EVENT, SUBSCRIPTION, GuestMemory
from .syscall import I32, syscall

__all__ = ["Poll"]

_MAX_WAIT = 86_400.0  # seconds per sleep; longer waits loop
# Bytes of subscriptions read per step (whole records), between two checks for interruption.
_STEP = CHUNK // SUBSCRIPTION.size * SUBSCRIPTION.size
_ABSTIME = int(Subclockflags.SUBSCRIPTION_CLOCK_ABSTIME)
_CLOCK, _FD_READ, _FD_WRITE = int(Eventtype.CLOCK), int(Eventtype.FD_READ), int(Eventtype.FD_WRITE)

# What an fd subscription found: (nbytes, flags, host fd to wait on or None when ready now).
_FdState = tuple[int, int, "int | None"]


class Poll:
    """The poll_oneoff function of one instance.

    A call reads the subscriptions twice, one at a time, straight from guest memory: once to
    check them and find what to wait for (the earliest deadline, the host descriptors to
    select on), once after the wait to write the events. What it keeps in between is bounded by
    the number of distinct descriptors, not of subscriptions, so millions of subscriptions
    cost the host no memory beyond one piece of the array."""

    def __init__(self, fds: FdTable, clocks: Clocks, stop: Interruption) -> None:
        self._fds = fds
        self._clocks = clocks
        self._stop = stop

    @staticmethod
    def _deadline(clock: int, timeout: int, flags: int, now: tuple[int, int]) -> int:
        """The monotonic time at which a clock subscription fires, given `now` as (monotonic,
        realtime) at the start of the call; INVAL for a clock that cannot be waited on or
        undefined flags."""
        if flags & ~_ABSTIME:
            raise WasiError(Errno.INVAL)
        absolute = flags & _ABSTIME
        monotonic, realtime = now
        if clock == Clockid.MONOTONIC:
            return timeout if absolute else monotonic + timeout
        if clock == Clockid.REALTIME:
            return monotonic + (max(0, timeout - realtime) if absolute else timeout)
        raise WasiError(Errno.INVAL)

    def _fd_state(self, tag: int, fd: int) -> _FdState:
        """What an fd subscription of type `tag` on `fd` finds now."""
        descriptor = self._fds.get(fd)
        if tag == _FD_READ:
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
        mem.check(subscriptions, SUBSCRIPTION.size * count)
        mem.check(events, EVENT.size * count)
        mem.check(retptr, 4)
        now = (self._clocks.now(Clockid.MONOTONIC), self._clocks.now(Clockid.REALTIME))
        # First pass: check every subscription; find the earliest deadline, whether anything
        # is ready now, and the host descriptors to wait on.
        fd_states: dict[tuple[int, int], _FdState] = {}
        earliest: int | None = None
        ready_now = False
        for piece in mem.pieces(subscriptions, SUBSCRIPTION.size * count, _STEP):
            self._stop.check()
            for _, tag, fd_or_clock, timeout, _, flags in SUBSCRIPTION.iter_unpack(piece):
                if tag == _CLOCK:
                    deadline = self._deadline(fd_or_clock, timeout, flags, now)
                    if earliest is None or deadline < earliest:
                        earliest = deadline
                elif tag == _FD_READ or tag == _FD_WRITE:
                    key = (tag, fd_or_clock)
                    state = fd_states.get(key)
                    if state is None:
                        state = fd_states[key] = self._fd_state(tag, fd_or_clock)
                        ready_now = ready_now or state[2] is None
                else:
                    raise WasiError(Errno.INVAL)
        waiting = {state[2] for state in fd_states.values() if state[2] is not None}
        readable = self._wait(earliest, ready_now, waiting)
        fired = self._clocks.now(Clockid.MONOTONIC)
        # Second pass: an event for each ready subscription, in subscription order.
        written = 0
        for piece in mem.pieces(subscriptions, SUBSCRIPTION.size * count, _STEP):
            self._stop.check()
            for userdata, tag, fd_or_clock, timeout, _, flags in SUBSCRIPTION.iter_unpack(piece):
                if tag == _CLOCK:
                    if self._deadline(fd_or_clock, timeout, flags, now) > fired:
                        continue
                    nbytes, rwflags = 0, 0
                else:
                    nbytes, rwflags, host_fd = fd_states[(tag, fd_or_clock)]
                    if host_fd is not None and host_fd not in readable:
                        continue
                mem.store(EVENT, events + written * EVENT.size, userdata, 0, tag, nbytes, rwflags)
                written += 1
        mem.set_u32(retptr, written)

    def _wait(self, earliest: int | None, ready_now: bool, waiting: set[int]) -> set[int]:
        """Block until something is ready: a subscription ready from the start, a deadline
        (`earliest`) passed, or a host fd of `waiting` readable; return the readable ones."""
        while True:
            now = self._clocks.now(Clockid.MONOTONIC)
            if ready_now or (earliest is not None and earliest <= now):
                timeout = 0.0
            elif earliest is not None:
                timeout = min(_MAX_WAIT, (earliest - now) / 1e9)
            else:
                timeout = _MAX_WAIT
            self._stop.check()
            readable = _select(waiting, min(timeout, SLICE)) if waiting else set()
            if not waiting and timeout:
                self._stop.sleep(timeout)
            if (
                ready_now
                or readable
                or (earliest is not None and earliest <= self._clocks.now(Clockid.MONOTONIC))
            ):
                return readable


def _select(fds: set[int], timeout: float) -> set[int]:
    """The host fds of `fds` readable within `timeout` seconds. A descriptor `select` cannot
    watch counts as ready: the read that follows reports its error."""
    try:
        readable, _, _ = select.select(list(fds), [], [], timeout)
    except (OSError, ValueError):
        return set(fds)
    return set(readable)
