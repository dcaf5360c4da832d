"""Streams and futures the host gives a component (the ABI's `ReadableStream` implemented by
the host): from a Python iterable, an async iterable, chunks of bytes, a value or a value to
come (`HostPromise`); the guest reads them straight from Python values (see `streams` for the
copies). And `drain`, the host reading a stream a component gave it as the component writes,
from callbacks (for a host function that returns at once, as `wasi:cli/stdout`'s
`write-via-stream` does)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, cast

from .scheduler import HostCall
from .streams import Buffer, CopyResult, HostBuffer, OnCopy, OnCopyDone
from .waitables import misuse

if TYPE_CHECKING:
    from .scheduler import Scheduler
    from .streams import Shared

__all__ = ["HostStream", "AsyncHostStream", "HostFuture", "ByteChunks", "HostPromise", "HOST_SHARED", "drain"]


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


class ByteChunks:
    """A `stream<u8>` the host gives from an iterator of `bytes` chunks (a file read piece by
    piece, a request's body): each read takes as much of the current chunk as fits, with one
    copy into guest memory; the next chunk is fetched only when a read needs it."""

    __slots__ = ("elem_type", "_chunks", "_chunk", "dropped", "is_future")

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.elem_type: object = None
        self._chunks: Iterator[bytes] = iter(chunks)
        self._chunk = memoryview(b"")
        self.dropped = False
        self.is_future = False

    def copy(self, reading: bool, buffer: Buffer, on_copy: OnCopy, on_done: OnCopyDone) -> None:
        if not reading:
            raise misuse("the host's stream has no writable end")
        want = buffer.remain()
        while not self.dropped and want and not self._chunk:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.dropped = True
            else:
                self._chunk = memoryview(chunk)
        if self.dropped:
            on_done(CopyResult.DROPPED)
            return
        n = min(want, len(self._chunk))
        if n:
            buffer.write(bytes(self._chunk[:n]))
            self._chunk = self._chunk[n:]
        on_done(CopyResult.COMPLETED)

    def cancel(self) -> None:
        """Reads complete at once: there is never one to cancel."""

    def drop(self) -> None:
        self.dropped = True
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class HostPromise:
    """A future the host gives whose value comes later: `resolve(value)` gives it to the
    read the component has pending (its event) or makes next."""

    __slots__ = ("elem_type", "_value", "_resolved", "_pending", "dropped", "is_future")

    def __init__(self) -> None:
        self.elem_type: object = None
        self._value: object = None
        self._resolved = False
        self._pending: tuple[Buffer, OnCopyDone] | None = None
        self.dropped = False
        self.is_future = True

    @property
    def resolved(self) -> bool:
        return self._resolved

    def resolve(self, value: object) -> None:
        """Give the future its value (a second one is ignored)."""
        if self._resolved:
            return
        self._value, self._resolved = value, True
        pending, self._pending = self._pending, None
        if pending is not None:
            self.copy(True, pending[0], lambda reclaim: None, pending[1])

    def copy(self, reading: bool, buffer: Buffer, on_copy: OnCopy, on_done: OnCopyDone) -> None:
        if not reading:
            raise misuse("the host's future has no writable end")
        if self.dropped:
            on_done(CopyResult.DROPPED)
        elif not self._resolved:
            self._pending = (buffer, on_done)
        else:
            buffer.write([self._value])
            self.dropped = True  # a future gives its value once
            on_done(CopyResult.COMPLETED)

    def cancel(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending[1](CopyResult.CANCELLED)

    def drop(self) -> None:
        self.dropped = True


HOST_SHARED = (HostStream, AsyncHostStream, ByteChunks, HostPromise)  # what the host may give as a stream's or future's state


def drain(shared: Shared, take: Callable[[list[object]], bool], end: Callable[[], None], size: int = 65536) -> None:
    """Read the stream `shared` (a component's, given to the host) as its writer writes:
    `take(values)` gets each piece (up to `size` elements, as the guest writes them) and
    says whether to go on; False drops the readable end. `end()` is called once the writer
    has dropped its end. Each read is made from the callback of the one before (in a loop
    while they complete at once), so the guest's writes are taken as they come, with no task
    of the host's to drive: a host task would run only once the scheduler ran out of guest
    steps and another host call finished."""

    def read() -> None:
        while True:
            buffer = HostBuffer(size)
            outcome: list[CopyResult] = []
            waiting = [False]

            def done(result: CopyResult, buffer: HostBuffer = buffer, outcome: list[CopyResult] = outcome, waiting: list[bool] = waiting) -> None:
                outcome.append(result)
                if waiting[0] and handle(buffer, result):
                    read()

            def copied(reclaim: Callable[[], None], done: OnCopyDone = done) -> None:
                reclaim()  # the host takes what it got at once
                done(CopyResult.COMPLETED)

            shared.copy(True, buffer, copied, done)
            if not outcome:
                waiting[0] = True
                return
            if not handle(buffer, outcome[0]):
                return

    def handle(buffer: HostBuffer, result: CopyResult) -> bool:
        if buffer.values and not take(buffer.values):
            shared.drop()
            return False
        if result == CopyResult.DROPPED:
            end()
            return False
        return True

    read()
