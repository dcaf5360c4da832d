"""Streams and futures the host gives a component (the ABI's `ReadableStream` implemented by
the host): from a Python iterable, an async iterable or a value; the guest reads them
straight from Python values (see `streams` for the copies)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, cast

from .scheduler import HostCall
from .streams import Buffer, CopyResult, OnCopy, OnCopyDone
from .waitables import misuse

if TYPE_CHECKING:
    from .scheduler import Scheduler

__all__ = ["HostStream", "AsyncHostStream", "HostFuture"]


class HostStream:
    """A stream the host gives a component: its elements come from a Python iterable (bytes
    for a `stream<u8>`), as the component reads them; it ends when the iterable does."""

    __slots__ = ("elem_type", "_items", "dropped", "is_future")

    def __init__(self, items: Iterable[object]) -> None:
        self.elem_type: object = None  # set as it is lowered: the type it is read as
        self._items: Iterator[object] = iter(items)
        self.dropped = False
        self.is_future = False

    def copy(self, reading: bool, buffer: Buffer, on_copy: OnCopy, on_done: OnCopyDone) -> None:
        if not reading:
            raise misuse("the host's stream has no writable end")
        if self.dropped:
            on_done(CopyResult.DROPPED)
            return
        want = buffer.remain()
        if want == 0:
            on_done(CopyResult.COMPLETED)
            return
        got = list(itertools.islice(self._items, want))
        if not got:
            self.dropped = True
            on_done(CopyResult.DROPPED)
            return
        buffer.write(got)
        on_done(CopyResult.COMPLETED)

    def cancel(self) -> None:
        """Reads complete at once: there is never one to cancel."""

    def drop(self) -> None:
        self.dropped = True


class AsyncHostStream:
    """A stream (or, `is_future`, a future) the host gives from an async iterable: a read the
    component makes while no element is at hand waits (BLOCKED) for the next one, awaited as
    a host call of `scheduler`; cancelling the read keeps that element for the next one."""

    __slots__ = ("elem_type", "_items", "_scheduler", "_ready", "_pending", "_fetching", "_ended", "dropped", "is_future")

    def __init__(self, items: AsyncIterable[object], scheduler: Scheduler, is_future: bool = False) -> None:
        self.elem_type: object = None
        self._items: AsyncIterator[object] = aiter(items)
        self._scheduler = scheduler
        self._ready: list[object] = []
        self._pending: tuple[Buffer, OnCopyDone] | None = None
        self._fetching = False
        self._ended = False
        self.dropped = False
        self.is_future = is_future

    def copy(self, reading: bool, buffer: Buffer, on_copy: OnCopy, on_done: OnCopyDone) -> None:
        if not reading:
            raise misuse("the host's stream has no writable end")
        if self.dropped or (self._ended and not self._ready):
            on_done(CopyResult.DROPPED)
        elif buffer.remain() == 0:
            on_done(CopyResult.COMPLETED)
        elif self._ready:
            self._give(buffer, on_done)
        else:
            self._pending = (buffer, on_done)
            if not self._fetching:
                self._fetching = True
                self._scheduler.host_calls.append(HostCall(self._next(), self._arrived))

    def _give(self, buffer: Buffer, on_done: OnCopyDone) -> None:
        n = min(buffer.remain(), len(self._ready))
        buffer.write(self._ready[:n])
        del self._ready[:n]
        on_done(CopyResult.COMPLETED)

    async def _next(self) -> tuple[bool, object]:
        try:
            return True, await anext(self._items)
        except StopAsyncIteration:
            return False, None

    def _arrived(self, outcome: Callable[[], object]) -> None:
        self._fetching = False
        more, item = cast("tuple[bool, object]", outcome())
        if more:
            self._ready.append(item)
        else:
            self._ended = True
        pending, self._pending = self._pending, None
        if pending is not None:
            self.copy(True, pending[0], lambda reclaim: None, pending[1])

    def cancel(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending[1](CopyResult.CANCELLED)

    def drop(self) -> None:
        self.dropped = True


class HostFuture(HostStream):
    """A future the host gives a component, already resolved to `value`."""

    __slots__ = ()

    def __init__(self, value: object) -> None:
        super().__init__([value])
        self.is_future = True
