"""wasi:io/streams: `input-stream` and `output-stream`, and the `stream-error` they fail with.

Streams over host sources (stdin, a file, given bytes) and sinks (stdout/stderr, a file, a
capture buffer) reuse preview 1's stdio streams and the filesystem protocol's files. A failure
of the host call is `last-operation-failed` carrying an `error` (with its errno), and the
stream is closed from then on; the end of input is `closed`. Both are raised as
`Err(stream_error)`, the ABI's way for a host function to return a result's error.

Non-blocking calls never wait: `read` on a terminal or pipe with nothing pending returns no
bytes, `check-write` on a full pipe permits 0 bytes; `subscribe` gives a pollable that becomes
ready when they would make progress. Files and memory are always ready. Writes themselves are
synchronous (the host call completes before `write` returns), so `flush` has nothing to wait
for. `check-write` permits at most `WRITE_BUDGET` bytes; a write of more traps, as does a
`blocking-write-and-flush` of more than 4096 bytes (the WIT's precondition, wasmtime's trap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ...errors import Trap, TrapKind
from ..errno import Errno, WasiError
from ..fs import File
from ..interrupt import Interruption
from ..stdio import InputStream as HostSource
from ..stdio import OutputStream as HostSink
from .error import IoError
from .poll import Pollable, _fd_ready
from .values import Err, case

__all__ = [
    "BLOCKING_WRITE_LIMIT",
    "MAX_READ",
    "WRITE_BUDGET",
    "FileInputStream",
    "FileOutputStream",
    "HostInputStream",
    "HostOutputStream",
    "InputStream",
    "OutputStream",
    "closed",
]

MAX_READ = 1 << 20  # one read gives at most this many bytes, whatever length is asked
WRITE_BUDGET = 1 << 20  # what check-write permits when a stream is ready (wasmtime's for stdio)
BLOCKING_WRITE_LIMIT = 4096  # blocking-write-and-flush's precondition

_T = TypeVar("_T")


def closed() -> Err:
    """The `closed` stream error."""
    return Err(case("closed"))


def _failed(exc: WasiError) -> Err:
    return Err(case("last-operation-failed", IoError(f"{exc.errno.name.lower()}", exc.errno)))


def _interrupted(stop: Interruption, wait: Callable[[], _T]) -> _T:
    """Run a wait that `stop` may end: an interruption traps, as the program was stopped."""
    try:
        return wait()
    except WasiError:
        if stop.requested():
            raise Trap(TrapKind.INTERRUPTED) from None
        raise


class _Stream:
    __slots__ = ("_closed", "_stop")

    def __init__(self, stop: Interruption) -> None:
        self._closed = False
        self._stop = stop

    def _guard(self, call: Callable[[], _T]) -> _T:
        """Run a host call: a failure closes the stream and raises last-operation-failed."""
        if self._closed:
            raise closed()
        try:
            return call()
        except WasiError as exc:
            if self._stop.requested():
                raise Trap(TrapKind.INTERRUPTED) from None
            self._closed = True
            raise _failed(exc) from None

    def close(self) -> None:
        """Dropping a stream leaves its source open (stdio, a descriptor's file)."""
        self._closed = True


class InputStream(_Stream):
    """wasi:io/streams `input-stream`. Subclasses give `_read(size, blocking)`: the bytes
    read (empty when none are ready and not `blocking`), None at the end; and `_pollable`."""

    __slots__ = ()

    def _read(self, size: int, blocking: bool) -> bytes | None:
        raise NotImplementedError

    def _pollable(self) -> Pollable:
        raise NotImplementedError

    def _take(self, length: int, blocking: bool) -> bytes:
        if length == 0:
            if self._closed:
                raise closed()
            return b""
        data = self._guard(lambda: self._read(min(length, MAX_READ), blocking))
        if data is None:
            self._closed = True
            raise closed()
        return data

    def read(self, length: int) -> bytes:
        """Up to `length` bytes that are ready now (possibly none); Err(closed) at the end."""
        return self._take(length, False)

    def blocking_read(self, length: int) -> bytes:
        """Up to `length` bytes, waiting for at least one; Err(closed) at the end."""
        return self._take(length, True)

    def skip(self, length: int) -> int:
        return len(self._take(length, False))

    def blocking_skip(self, length: int) -> int:
        return len(self._take(length, True))

    def subscribe(self) -> Pollable:
        """Ready when a read would give bytes or the end."""
        if self._closed:
            return Pollable(self._stop)
        return self._pollable()


class HostInputStream(InputStream):
    """Input from a preview 1 stdio source: this process's stdin, a host file, given bytes."""

    __slots__ = ("_source",)

    def __init__(self, source: HostSource, stop: Interruption) -> None:
        super().__init__(stop)
        self._source = source

    def _read(self, size: int, blocking: bool) -> bytes | None:
        fd = self._source.poll_fd()
        if fd is not None:
            if blocking:
                _interrupted(self._stop, lambda: self._stop.wait_ready(fd))
            elif not _fd_ready(fd, False):
                return b""
        data = self._source.read(size)
        return data or None

    def _pollable(self) -> Pollable:
        return Pollable(self._stop, fd=self._source.poll_fd())


class FileInputStream(InputStream):
    """Input from a file from `offset` on (a descriptor's `read-via-stream`)."""

    __slots__ = ("_file", "_offset")

    def __init__(self, file: File, offset: int, stop: Interruption) -> None:
        super().__init__(stop)
        self._file = file
        self._offset = offset

    def _read(self, size: int, blocking: bool) -> bytes | None:
        data = self._file.read(size, self._offset)
        self._offset += len(data)
        return data or None

    def _pollable(self) -> Pollable:
        return Pollable(self._stop)


class OutputStream(_Stream):
    """wasi:io/streams `output-stream`. Subclasses give `_write(data)` (all of it) and may
    give `_poll_fd()`, a host descriptor whose writability says whether a write would wait."""

    __slots__ = ()

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        raise NotImplementedError

    def _poll_fd(self) -> int | None:
        return None

    def check_write(self) -> int:
        """How many bytes a `write` may take now: WRITE_BUDGET when ready, else 0."""
        if self._closed:
            raise closed()
        fd = self._poll_fd()
        return WRITE_BUDGET if fd is None or _fd_ready(fd, True) else 0

    def write(self, contents: bytes | bytearray | memoryview) -> None:
        if len(contents) > WRITE_BUDGET:
            raise Trap(TrapKind.HOST, f"write of {len(contents)} bytes exceeds the permit of check-write")
        self._guard(lambda: self._write(contents))

    def blocking_write_and_flush(self, contents: bytes | bytearray | memoryview) -> None:
        if len(contents) > BLOCKING_WRITE_LIMIT:
            raise Trap(TrapKind.HOST, f"Buffer too large for blocking-write-and-flush (expected at most {BLOCKING_WRITE_LIMIT})")
        self._wait_writable()
        self._guard(lambda: self._write(contents))

    def flush(self) -> None:
        """Writes are synchronous: nothing is pending."""
        if self._closed:
            raise closed()

    def blocking_flush(self) -> None:
        self.flush()

    def write_zeroes(self, length: int) -> None:
        self.write(bytes(min(length, WRITE_BUDGET + 1)))

    def blocking_write_zeroes_and_flush(self, length: int) -> None:
        self.blocking_write_and_flush(bytes(min(length, BLOCKING_WRITE_LIMIT + 1)))

    def splice(self, src: InputStream, length: int) -> int:
        """Move up to `length` bytes that `src` has ready now into this stream; their count."""
        permit = min(length, self.check_write())
        data = src.read(permit)
        self.write(data)
        return len(data)

    def blocking_splice(self, src: InputStream, length: int) -> int:
        self._wait_writable()
        data = src.blocking_read(min(length, WRITE_BUDGET))
        self.write(data)
        return len(data)

    def subscribe(self) -> Pollable:
        """Ready when `check-write` would permit bytes (or fail)."""
        fd = None if self._closed else self._poll_fd()
        return Pollable(self._stop, fd=fd, write=True)

    def _wait_writable(self) -> None:
        if self._closed:
            raise closed()
        fd = self._poll_fd()
        if fd is not None:
            _interrupted(self._stop, lambda: self._stop.wait_ready(fd, write=True))


class HostOutputStream(OutputStream):
    """Output to a preview 1 stdio sink: stdout/stderr, a host file, a capture buffer (whose
    limit, when passed, ends the program with `OutputLimitError`, as in preview 1)."""

    __slots__ = ("_sink",)

    def __init__(self, sink: HostSink, stop: Interruption) -> None:
        super().__init__(stop)
        self._sink = sink

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        self._sink.write(data)

    def _poll_fd(self) -> int | None:
        return self._sink.poll_fd()


class FileOutputStream(OutputStream):
    """Output to a file from `offset` on, or at its end when `offset` is None (append)."""

    __slots__ = ("_file", "_offset")

    def __init__(self, file: File, offset: int | None, stop: Interruption) -> None:
        super().__init__(stop)
        self._file = file
        self._offset = offset

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = self._file.write(view, self._offset)
            if written <= 0:
                raise WasiError(Errno.IO)
            if self._offset is not None:
                self._offset += written
            view = view[written:]

