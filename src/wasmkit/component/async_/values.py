"""`stream<T>` and `future<T>` values across the boundary (CanonicalABI.md, `lift_stream`,
`lower_stream` and the future's): an i32 handle to a readable end, which moves with the value.

On the Python side a readable end a component gives is a `StreamReader` or a
`FutureReader`. Reading one copies straight out of the writer's pending buffer; while no
write is pending, the instantiation's scheduler steps the component's tasks until one is
(or, if none can make progress, a deadlock trap). Both read synchronously (`read()`,
iteration, `get()`) or from asyncio code (`async for`, `await`), the event loop getting a
turn between steps. A `stream<u8>` gives `bytes`, any other stream lists of values.

Python gives a stream as any iterable of its elements (bytes for a `stream<u8>`), an async
iterable of them (an async generator: the component's reads wait for its elements) or a
reader it got; a future as its value (already resolved), an awaitable of it, or a reader.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from ...runtime.call import call_wasm
from ..abi.codec import Codec
from ..abi.handles import IndexCodec
from ..abi.scalars import IntCodec
from .host_streams import HOST_SHARED, AsyncHostStream, HostFuture, HostStream, drain
from .streams import CopyEnd, CopyResult, HostBuffer
from .scheduler import Scheduler
from .waitables import misuse

if TYPE_CHECKING:
    from ..abi.context import Context
    from .streams import Shared

__all__ = ["AsyncValueCodec", "StreamReader", "FutureReader"]

_READ_SIZE = 65536  # elements a reader asks for at once by default


class _Reader:
    """A readable end held by the host: its shared state and the scheduler of its writer."""

    __slots__ = ("_shared", "_scheduler", "_guard", "_closed")

    def __init__(self, shared: Shared, scheduler: Scheduler, guard: AbstractContextManager[object]) -> None:
        self._shared = shared
        self._scheduler = scheduler
        self._guard = guard  # the store's: core code runs holding it
        self._closed = False

    def _give(self) -> Shared:
        """The shared state, for a handle made of it (the reader is closed after)."""
        if self._closed:
            raise ValueError("the stream or future was read to its end, closed or given away")
        self._closed = True
        return self._shared

    def _start(self, count: int) -> tuple[HostBuffer, list[CopyResult]]:
        if self._closed:
            raise ValueError("the stream or future was read to its end, closed or given away")
        buffer, outcome = HostBuffer(count), []

        def on_copy(reclaim: Callable[[], None]) -> None:
            reclaim()  # the host takes what it got at once
            outcome.append(CopyResult.COMPLETED)

        self._shared.copy(True, buffer, on_copy, outcome.append)
        return buffer, outcome

    def _sync(self, count: int) -> tuple[list[object], CopyResult]:
        buffer, outcome = self._start(count)
        if not outcome:
            call_wasm(self._scheduler.run_until, (lambda: bool(outcome),), self._guard)
        return buffer.values, outcome[0]

    async def _async(self, count: int) -> tuple[list[object], CopyResult]:
        buffer, outcome = self._start(count)
        if not outcome:
            await self._scheduler.run_until_async(lambda: bool(outcome), self._guard)
        return buffer.values, outcome[0]

    def close(self) -> None:
        """Drop the readable end: the writer's copies end with DROPPED."""
        if not self._closed:
            self._closed = True
            self._shared.drop()


class StreamReader(_Reader):
    """The readable end of a `stream<T>` a component gave (see the module's doc)."""

    __slots__ = ("_as_bytes", "_ended")

    def __init__(self, shared: Shared, scheduler: Scheduler, guard: AbstractContextManager[object], as_bytes: bool) -> None:
        super().__init__(shared, scheduler, guard)
        self._as_bytes = as_bytes
        self._ended = False

    def _chunk(self, got: tuple[list[object], CopyResult]) -> bytes | list[object] | None:
        values, result = got
        if result == CopyResult.DROPPED and not values:
            self._ended = True
            self.close()
            return None
        return bytes(values) if self._as_bytes else values  # type: ignore[arg-type]

    def read(self, max_count: int = _READ_SIZE) -> bytes | list[object] | None:
        """Up to `max_count` elements (at least one), as the writer gives them; None at the
        end (and after it)."""
        while not self._ended:
            chunk = self._chunk(self._sync(max_count))
            if chunk is None or len(chunk):
                return chunk
        return None

    async def read_async(self, max_count: int = _READ_SIZE) -> bytes | list[object] | None:
        while not self._ended:
            chunk = self._chunk(await self._async(max_count))
            if chunk is None or len(chunk):
                return chunk
        return None

    def drain(self, take: Callable[[bytes | list[object]], bool], end: Callable[[], None]) -> None:
        """Take the stream over from a host function: `take(chunk)` gets each piece as the
        writer writes it (bytes for a `stream<u8>`) and says whether to go on, `end()` is
        called at its end (`host_streams.drain`). The reader is closed for other uses."""
        as_bytes = self._as_bytes

        def taken(values: list[object]) -> bool:
            return take(bytes(values) if as_bytes else values)  # type: ignore[arg-type]

        drain(self._give(), taken, end)

    def read_all(self) -> bytes | list[object]:
        """Every element up to the end."""
        parts = list(self)
        return b"".join(parts) if self._as_bytes else [v for part in parts for v in part]  # type: ignore[arg-type]

    def __iter__(self) -> StreamReader:
        return self

    def __next__(self) -> bytes | list[object]:
        chunk = self.read()
        if chunk is None:
            raise StopIteration
        return chunk

    def __aiter__(self) -> StreamReader:
        return self

    async def __anext__(self) -> bytes | list[object]:
        chunk = await self.read_async()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def __repr__(self) -> str:
        return f"<stream reader{' closed' if self._closed else ''}>"


class FutureReader(_Reader):
    """The readable end of a `future<T>` a component gave: `get()` or `await` its value."""

    __slots__ = ()

    def _value(self, got: tuple[list[object], CopyResult]) -> object:
        values, result = got
        self._closed = True
        if result != CopyResult.COMPLETED or not values:
            raise misuse("the future's writer was dropped without a value")
        return values[0]

    def get(self) -> object:
        return self._value(self._sync(1))

    def __await__(self) -> Generator[Any, None, object]:
        return self._get_async().__await__()

    async def _get_async(self) -> object:
        return self._value(await self._async(1))

    def __repr__(self) -> str:
        return f"<future reader{' closed' if self._closed else ''}>"


def _driver(cx: Context) -> tuple[Scheduler, AbstractContextManager[object]]:
    """The scheduler that runs the tasks of `cx`'s instance, and the store's guard."""
    state = getattr(cx.instance, "async_state", None)
    return (state.scheduler if state is not None else Scheduler()), (state.guard if state is not None else nullcontext())


async def _one(awaitable: Awaitable[object]) -> AsyncIterator[object]:
    """An awaitable's value as an async iterable of it, for a future the host gives."""
    yield await awaitable


class AsyncValueCodec(IndexCodec):
    """`stream<T>` or `future<T>` (`is_future`) of element type `elem` (None: of nothing)."""

    __slots__ = ("elem", "elem_codec", "is_future")

    def __init__(self, elem: object, elem_codec: Codec | None, is_future: bool) -> None:
        inner = "" if elem_codec is None else f"<{elem_codec.name}>"
        super().__init__(("future" if is_future else "stream") + inner)
        self.elem = elem
        self.elem_codec = elem_codec
        self.is_future = is_future

    def _lift(self, cx: Context, index: int) -> object:
        table = cx.table()
        end = table.get(index)
        if not isinstance(end, CopyEnd) or not end.readable or end.shared.is_future != self.is_future:
            raise misuse(f"handle is not a readable {'future' if self.is_future else 'stream'} end")
        if end.shared.elem_type != self.elem:
            raise misuse(f"{self.name} end of the wrong element type")
        if end.copying or end.wset is not None:
            raise misuse(f"cannot give away a {self.name} end that is busy or in a waitable set")
        table.remove(index)
        if self.is_future:
            return FutureReader(end.shared, *_driver(cx))
        codec = self.elem_codec
        return StreamReader(end.shared, *_driver(cx), isinstance(codec, IntCodec) and codec.bits == 8 and not codec.signed)

    def _lower(self, cx: Context, value: object) -> int:
        shared: Shared
        if isinstance(value, HOST_SHARED) and value.is_future == self.is_future:
            shared = value
        elif isinstance(value, (StreamReader, FutureReader)):
            if isinstance(value, FutureReader) != self.is_future:
                raise self.mismatch(value)
            shared = value._give()
        elif self.is_future and inspect.isawaitable(value):
            shared = AsyncHostStream(_one(value), _driver(cx)[0], is_future=True)
        elif self.is_future:
            shared = HostFuture(value)
        elif hasattr(value, "__aiter__"):
            shared = AsyncHostStream(value, _driver(cx)[0])
        else:
            try:
                shared = HostStream(value)  # type: ignore[arg-type]
            except TypeError:
                raise self.mismatch(value) from None
        if isinstance(shared, HOST_SHARED):
            shared.elem_type = self.elem
        elif shared.elem_type != self.elem:
            raise TypeError(f"expected a {self.name}, got one of another element type")
        return cx.table().add(CopyEnd(shared, True))
