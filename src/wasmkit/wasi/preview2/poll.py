"""wasi:io/poll: the `pollable` resource and `poll`.

A pollable is ready when its condition holds: a deadline of the host's monotonic clock has
passed, a host descriptor can be read or written without blocking, or a test function says
so (an outgoing HTTP request's answer has arrived); one with none of them (an in-memory or
closed stream, a file) is always ready. `poll` returns the indices of the ready ones, waiting
until there is one; it waits in `select` slices of `interrupt.SLICE` seconds, so that an
instance's interruption (`WasiPreview2.interrupt`, its store's interrupt or deadline) stops
the wait with the trap "interrupted".
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable, Sequence

from ...errors import Trap, TrapKind
from ..errno import WasiError
from ..interrupt import SLICE, Interruption

__all__ = ["Pollable", "poll", "MAX_POLLABLES"]

TEST_INTERVAL = 0.002  # seconds between two looks at a test function
MAX_POLLABLES = 1 << 16  # wasmtime accepts any number; a list this long is no real program's


def _fd_ready(fd: int, write: bool) -> bool:
    try:
        ready = select.select([] if write else [fd], [fd] if write else [], [], 0)
    except (OSError, ValueError):
        return True  # the read or write will report the error
    return bool(ready[0] or ready[1])


class Pollable:
    """wasi:io/poll `pollable`: at most one of `deadline` (host `time.monotonic_ns()`), a
    host descriptor `fd` (readable, or writable with `write`) and a `test` function; none
    means always ready."""

    __slots__ = ("_deadline", "_fd", "_write", "_test", "_stop")

    def __init__(
        self,
        stop: Interruption,
        *,
        deadline: int | None = None,
        fd: int | None = None,
        write: bool = False,
        test: Callable[[], bool] | None = None,
    ) -> None:
        self._stop = stop
        self._deadline = deadline
        self._fd = fd
        self._write = write
        self._test = test

    def ready(self) -> bool:
        """Whether the condition holds now (never waits)."""
        if self._deadline is not None:
            return time.monotonic_ns() >= self._deadline
        if self._fd is not None:
            return _fd_ready(self._fd, self._write)
        return self._test() if self._test is not None else True

    def block(self) -> None:
        """Wait until ready."""
        poll([self])

    def close(self) -> None:
        """Nothing to release."""


def _check(stop: Interruption) -> None:
    try:
        stop.check()
    except WasiError:
        raise Trap(TrapKind.INTERRUPTED) from None


def poll(in_: Sequence[Pollable]) -> list[int]:
    """The indices of the ready pollables of `in_`, waiting until one is ready. An empty list
    traps, as in wasmtime ("empty poll list")."""
    pollables = list(in_)
    if not pollables:
        raise Trap(TrapKind.HOST, "empty poll list")
    if len(pollables) > MAX_POLLABLES:
        raise Trap(TrapKind.HOST, f"poll list longer than {MAX_POLLABLES}")
    stop = pollables[0]._stop
    while True:
        _check(stop)
        ready = [index for index, pollable in enumerate(pollables) if pollable.ready()]
        if ready:
            return ready
        # A test function is asked again after a short wait; a deadline or descriptor wakes
        # `select` itself.
        timeout = TEST_INTERVAL if any(p._test is not None for p in pollables) else SLICE
        readers: list[int] = []
        writers: list[int] = []
        for pollable in pollables:
            if pollable._deadline is not None:
                timeout = min(timeout, max(0.0, (pollable._deadline - time.monotonic_ns()) / 1e9))
            elif pollable._fd is not None:
                (writers if pollable._write else readers).append(pollable._fd)
        if readers or writers:
            try:
                select.select(readers, writers, [], timeout)
            except (OSError, ValueError):
                pass  # the pollable's ready() says True then
        else:
            try:
                stop.sleep(timeout)
            except WasiError:
                raise Trap(TrapKind.INTERRUPTED) from None
