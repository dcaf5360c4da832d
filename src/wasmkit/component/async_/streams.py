"""Streams and futures (CanonicalABI.md, "Stream State", "Future State" and the `stream.*`
and `future.*` built-ins).

A stream is shared state between its readable and writable ends, each a `Waitable` in some
instance's handle table. Copies are rendezvous, with no buffering in the runtime: the first
of a read and a write to arrive leaves its buffer pending (the built-in returns BLOCKED), the
second copies as many elements as both buffers allow and completes at once; the first then
has an event (`STREAM_READ`/`STREAM_WRITE`, the count above the result code). A future is a
stream of exactly one value. Dropping one end makes the other's pending or next copy end
with DROPPED. Values move as Python values: loaded from the writer's memory, stored into the
reader's (`GuestBuffer`), or given by and to the host (`HostBuffer`).

The host implements the readable side too (`host_streams`): a stream or future Python passes
in is read by the guest straight from Python values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Union, cast

from ...errors import Trap, TrapKind
from ..abi.context import Context
from ..abi.lists import ListCodec
from ..syntax import Prim
from .waitables import EventCode, Waitable, misuse

if TYPE_CHECKING:
    from ..abi.codec import Codec
    from ..abi.resources import HandleTable
    from .host_streams import AsyncHostStream, ByteChunks, HostPromise, HostStream

    Shared = Union["SharedStream", HostStream, AsyncHostStream, ByteChunks, HostPromise]  # what a stream's or future's ends share

__all__ = [
    "BLOCKED", "CopyResult", "GuestBuffer", "HostBuffer", "Buffer", "OnCopy", "OnCopyDone", "SharedStream",
    "CopyEnd", "copy", "cancel_copy", "drop_end", "new_pair",
]  # fmt: skip

BLOCKED = 0xFFFFFFFF
MAX_LENGTH = (1 << 28) - 1


class CopyResult(enum.IntEnum):
    COMPLETED = 0
    DROPPED = 1
    CANCELLED = 2


class _Copy(enum.Enum):
    IDLE = "idle"
    COPYING = "copying"
    CANCELLING = "cancelling"
    DONE = "done"


# -- buffers --


class GuestBuffer:
    """`length` elements at `ptr` in a guest's memory (`cx`), of element codec `elem` (None:
    a stream or future of nothing, whose pointer is ignored); `progress` counts those copied."""

    __slots__ = ("elem", "cx", "ptr", "length", "progress")

    def __init__(self, elem: Codec | None, cx: Context, ptr: int, length: int) -> None:
        if length > MAX_LENGTH:
            raise misuse(f"buffer too long: {length} elements (the limit is {MAX_LENGTH})")
        if elem is not None and length > 0:
            if ptr & (elem.align - 1):
                raise Trap(TrapKind.INVALID_VALUE, f"buffer pointer {ptr:#x} is not aligned to {elem.align}")
            if ptr + length * elem.size > len(cx.mem()):
                raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY, f"buffer out of bounds of memory ({length * elem.size} bytes at {ptr:#x})")
        self.elem = elem
        self.cx = cx
        self.ptr = ptr
        self.length = length
        self.progress = 0

    def remain(self) -> int:
        return self.length - self.progress

    def read(self, n: int) -> list[object]:
        elem = self.elem
        if elem is None:
            values: list[object] = [None] * n
        else:
            loaded = ListCodec(elem).load_range(self.cx, self.ptr, n)
            values = loaded if isinstance(loaded, bytes) else list(loaded)  # type: ignore[assignment,call-overload]
            self.ptr += n * elem.size
        self.progress += n
        return values

    def write(self, values: list[object] | bytes) -> None:
        """Store `values` (bytes for a `stream<u8>` may be given as `bytes`: one copy)."""
        elem = self.elem
        if isinstance(values, (bytes, bytearray, memoryview)) and elem is not None and elem.size == 1:
            self.cx.write(self.ptr, bytes(values))
            self.ptr += len(values)
        elif elem is not None:
            size = elem.size
            for i, value in enumerate(values):
                elem.store(self.cx, value, self.ptr + i * size)
            self.ptr += len(values) * size
        self.progress += len(values)


class HostBuffer:
    """The host's side of a copy: values to give (`values`), or room for `length` values
    to take (collected in `values`)."""

    __slots__ = ("values", "length", "progress")

    def __init__(self, length: int, values: list[object] | None = None) -> None:
        self.values: list[object] = values if values is not None else []
        self.length = length
        self.progress = 0

    def remain(self) -> int:
        return self.length - self.progress

    def read(self, n: int) -> list[object]:
        taken = self.values[self.progress : self.progress + n]
        self.progress += n
        return taken

    def write(self, values: list[object] | bytes) -> None:
        self.values += values
        self.progress += len(values)


Buffer = GuestBuffer | HostBuffer
OnCopyDone = Callable[[CopyResult], None]
OnCopy = Callable[[Callable[[], None]], None]  # given how to reclaim the buffer: when its event is delivered


# -- the shared state of a stream or future made by a component --


class SharedStream:
    """A stream or future (`is_future`: a stream of one value) made by `stream.new` or
    `future.new`: its element type, whether an end was dropped, and the pending read or
    write (the first to arrive), if any."""

    __slots__ = ("elem_type", "dropped", "pending", "on_copy", "on_done", "is_future")

    def __init__(self, elem_type: object, is_future: bool = False) -> None:
        self.elem_type = elem_type
        self.is_future = is_future
        self.dropped = False
        self._reset()

    def _reset(self) -> None:
        self.pending: Buffer | None = None
        self.on_copy: OnCopy | None = None
        self.on_done: OnCopyDone | None = None

    def _notify_pending(self, result: CopyResult) -> None:
        on_done = self.on_done
        self._reset()
        cast("Callable[[CopyResult], None]", on_done)(result)  # a pending copy has its callback

    def cancel(self) -> None:
        self._notify_pending(CopyResult.CANCELLED)

    def drop(self) -> None:
        if not self.dropped:
            self.dropped = True
            if self.pending is not None:
                self._notify_pending(CopyResult.DROPPED)

    def copy(self, reading: bool, buffer: Buffer, on_copy: OnCopy, on_done: OnCopyDone) -> None:
        """A read into (`reading`) or a write from `buffer`: completed against a pending
        opposite one, else left pending (a zero-length one completes the other, and waits)."""
        if self.dropped:
            on_done(CopyResult.DROPPED)
            return
        pending = self.pending
        if pending is None:
            self.pending, self.on_copy, self.on_done = buffer, on_copy, on_done
            return
        if _same_instance(buffer, pending) and not _numeric(self.elem_type):
            raise misuse("cannot read from and write to intra-component future/stream with non-numeric payload")
        if pending.remain() > 0:
            if buffer.remain() > 0:
                n = min(buffer.remain(), pending.remain())
                if reading:
                    buffer.write(pending.read(n))
                else:
                    pending.write(buffer.read(n))
                if self.is_future:
                    self._notify_pending(CopyResult.COMPLETED)
                else:  # the pending side may take more copies until it sees its event
                    cast("Callable[[Callable[[], None]], None]", self.on_copy)(self._reset)  # a pending stream copy has one
            on_done(CopyResult.COMPLETED)
        elif not reading and buffer.length == 0 and pending.length == 0:
            on_done(CopyResult.COMPLETED)
        else:
            self._notify_pending(CopyResult.COMPLETED)
            self.pending, self.on_copy, self.on_done = buffer, on_copy, on_done


_NUMBERS = frozenset({Prim.U8, Prim.U16, Prim.U32, Prim.U64, Prim.S8, Prim.S16, Prim.S32, Prim.S64, Prim.F32, Prim.F64})


def _numeric(elem_type: object) -> bool:
    """Nothing or a number: what one instance may copy to itself through a stream or future
    (the ABI traps otherwise, for now: its reads and writes could alias one memory)."""
    return elem_type is None or elem_type in _NUMBERS


def _same_instance(a: Buffer, b: Buffer) -> bool:
    return isinstance(a, GuestBuffer) and isinstance(b, GuestBuffer) and a.cx.instance is b.cx.instance


# -- the ends --


class CopyEnd(Waitable):
    """One end of a stream or future in an instance's table: its shared state and what it is doing."""

    __slots__ = ("shared", "state", "readable")

    def __init__(self, shared: Shared, readable: bool) -> None:
        super().__init__()
        self.shared = shared
        self.readable = readable
        self.state = _Copy.IDLE

    @property
    def copying(self) -> bool:
        return self.state in (_Copy.COPYING, _Copy.CANCELLING)

    def drop(self) -> None:
        if self.copying:
            raise misuse(f"cannot drop busy {'future' if self.shared.is_future else 'stream'}")
        if not self.readable and self.shared.is_future and self.state is not _Copy.DONE:
            raise misuse("cannot drop future write end without first writing a value")
        self.shared.drop()
        self.leave()


def new_pair(table: HandleTable, elem_type: object, is_future: bool) -> int:
    """`stream.new`/`future.new`: both ends' handles, readable low, writable high."""
    shared = SharedStream(elem_type, is_future)
    readable = table.add(CopyEnd(shared, True))
    writable = table.add(CopyEnd(shared, False))
    return readable | (writable << 32)


def _end(table: HandleTable, index: int, readable: bool, elem_type: object, is_future: bool) -> CopyEnd:
    found = table.get(index)
    kind = "future" if is_future else "stream"
    if not isinstance(found, CopyEnd) or found.readable != readable or found.shared.is_future != is_future:
        raise misuse(f"handle is not a {'readable' if readable else 'writable'} {kind} end")
    if found.shared.elem_type != elem_type:
        raise misuse(f"{kind} end used with the wrong element type")
    return found


def copy(table: HandleTable, index: int, reading: bool, elem_type: object, is_future: bool, buffer: GuestBuffer) -> int:
    """`stream.read`/`write`, `future.read`/`write` (async): the packed result, or BLOCKED
    and the result comes as the end's event."""
    end = _end(table, index, reading, elem_type, is_future)
    if end.state is _Copy.DONE:
        if reading:
            raise misuse("cannot read after being notified that the writable end dropped")
        raise misuse("cannot write after being notified that the readable end dropped")
    if end.state is not _Copy.IDLE:
        raise misuse("cannot have concurrent operations active on a future/stream")
    if is_future:
        code = EventCode.FUTURE_READ if reading else EventCode.FUTURE_WRITE
    else:
        code = EventCode.STREAM_READ if reading else EventCode.STREAM_WRITE

    def event(result: CopyResult) -> tuple[int, int, int]:
        if is_future:
            end.state = _Copy.DONE if result in (CopyResult.DROPPED, CopyResult.COMPLETED) else _Copy.IDLE
            return (code, index, int(result))
        end.state = _Copy.DONE if result == CopyResult.DROPPED else _Copy.IDLE
        return (code, index, int(result) | (buffer.progress << 4))

    def on_copy(reclaim: Callable[[], None]) -> None:
        def deliver() -> tuple[int, int, int]:
            reclaim()
            return event(CopyResult.COMPLETED)

        end.set_pending(deliver)

    def on_done(result: CopyResult) -> None:
        end.set_pending(lambda: event(result))

    end.state = _Copy.COPYING
    end.shared.copy(reading, buffer, on_copy, on_done)
    if not end.has_pending():
        return BLOCKED
    return end.take_pending()[2]


def cancel_copy(table: HandleTable, index: int, reading: bool, elem_type: object, is_future: bool) -> int:
    """`stream.cancel-read`/`-write`, `future.cancel-*` (synchronous): the copy's result
    (CANCELLED, or what it already had) once it is no longer pending."""
    end = _end(table, index, reading, elem_type, is_future)
    if end.state is not _Copy.COPYING:
        what = "read" if reading else "write"
        raise misuse(f"stream or future {what} cancelled when no {what} is pending")
    end.state = _Copy.CANCELLING
    if not end.has_pending():
        end.shared.cancel()
    return end.take_pending()[2]


def drop_end(table: HandleTable, index: int, readable: bool, elem_type: object, is_future: bool) -> None:
    """`stream.drop-readable`/`-writable`, `future.drop-*`."""
    end = _end(table, index, readable, elem_type, is_future)
    end.drop()
    table.remove(index)
