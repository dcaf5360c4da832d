"""The streams behind file descriptors 0, 1 and 2.

Input comes from a host file descriptor (this process's stdin, or a host file) or from given
bytes; output goes to a host file descriptor (this process's stdout/stderr, or a host file) or
into an in-memory capture buffer. Host input is read with one `read(2)` per call, so a terminal
delivers each line as it is typed and a pipe whatever has arrived, as wasmtime's stdin does;
one call reads at most 64 KiB, wasmtime's limit too.
"""

from __future__ import annotations

import os
import select
import stat
from typing import Protocol

from ..errors import WasmError
from .config import StdioKind, StdioSpec
from .errno import WasiError, errno_from_oserror

__all__ = [
    "BytesInput",
    "CaptureOutput",
    "HostInput",
    "HostOutput",
    "InputStream",
    "OutputLimitError",
    "OutputStream",
    "open_input",
    "open_output",
]

MAX_STREAM_READ = 64 * 1024


class InputStream(Protocol):
    def read(self, size: int) -> bytes:
        """Up to `size` bytes (at least one, blocking until some arrive); empty at end of input."""
        ...

    def isatty(self) -> bool: ...

    def poll_fd(self) -> int | None:
        """A host descriptor whose readability `select` can wait for; None if always ready."""
        ...

    def pending(self) -> int:
        """How many bytes can be read now, as far as known (1 when unknown)."""
        ...

    def close(self) -> None: ...


class OutputStream(Protocol):
    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write all of `data` (possibly a view of guest memory, valid during the call only);
        return its length."""
        ...

    def poll_fd(self) -> int | None:
        """A host descriptor a write may block on (a pipe, socket or terminal), whose
        writability `select` can wait for; None if writes never wait for a reader."""
        ...

    def isatty(self) -> bool: ...

    def close(self) -> None: ...


def _wasi_error(exc: OSError) -> WasiError:
    return WasiError(errno_from_oserror(exc))


class _HostStream:
    """A host file descriptor; `owned` ones are closed with the stream."""

    __slots__ = ("_fd", "_owned")

    def __init__(self, fd: int, owned: bool) -> None:
        self._fd = fd
        self._owned = owned

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def close(self) -> None:
        if self._owned and self._fd >= 0:
            os.close(self._fd)
        self._fd = -1


class HostInput(_HostStream):
    """Input from a host file descriptor."""

    __slots__ = ()

    def read(self, size: int) -> bytes:
        try:
            while True:
                try:
                    return os.read(self._fd, min(size, MAX_STREAM_READ))
                except BlockingIOError:
                    # Someone made the host descriptor non-blocking; the guest asked to block.
                    select.select([self._fd], [], [])
        except OSError as exc:
            raise _wasi_error(exc) from None

    def poll_fd(self) -> int | None:
        return self._fd

    def pending(self) -> int:
        return 1


class BytesInput:
    """Input from given bytes, then end of file."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, size: int) -> bytes:
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk

    def isatty(self) -> bool:
        return False

    def poll_fd(self) -> int | None:
        return None

    def pending(self) -> int:
        return len(self._data) - self._pos

    def close(self) -> None:
        """Nothing to release."""


class HostOutput(_HostStream):
    """Output to a host file descriptor."""

    __slots__ = ("_waits",)

    def __init__(self, fd: int, owned: bool) -> None:
        super().__init__(fd, owned)
        try:
            self._waits = not stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            self._waits = False  # a closed stdout: writes report the error

    def poll_fd(self) -> int | None:
        return self._fd if self._waits else None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        try:
            while view:
                try:
                    view = view[os.write(self._fd, view) :]
                except BlockingIOError:
                    select.select([], [self._fd], [])  # as for reads: the guest asked to block
        except OSError as exc:
            raise _wasi_error(exc) from None
        return len(data)


class OutputLimitError(WasmError):
    """A program wrote more to a captured stream than its limit allows. Raised from the WASI
    call, it ends the program the way a trap does (no errno the guest could ignore)."""

    def __init__(self, stream: str, limit: int) -> None:
        super().__init__(f"{stream} output exceeds its limit of {limit} bytes")
        self.stream = stream
        self.limit = limit


class CaptureOutput:
    """Output collected in memory, up to `limit` bytes (None: no limit); `data` is everything
    written so far."""

    __slots__ = ("_buffer", "_limit", "_name")

    def __init__(self, limit: int | None = None, name: str = "output") -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._name = name

    @property
    def data(self) -> bytes:
        return bytes(self._buffer)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._limit is not None and len(self._buffer) + len(data) > self._limit:
            raise OutputLimitError(self._name, self._limit)
        self._buffer += data
        return len(data)

    def isatty(self) -> bool:
        return False

    def poll_fd(self) -> int | None:
        return None

    def close(self) -> None:
        """The buffer stays readable after the program ends."""


def open_input(spec: StdioSpec) -> InputStream:
    """The stdin stream `spec` describes (an embedder's setting: OSError if a file is missing)."""
    if spec.kind is StdioKind.BYTES:
        return BytesInput(spec.data)
    if spec.kind is StdioKind.FILE:
        return HostInput(os.open(spec.path, os.O_RDONLY | os.O_CLOEXEC), owned=True)
    if spec.kind is StdioKind.INHERIT:
        return HostInput(0, owned=False)
    raise ValueError(f"stdin cannot be {spec.kind.value}")


def open_output(spec: StdioSpec, inherited_fd: int) -> OutputStream:
    """The stdout or stderr stream `spec` describes; INHERIT uses host fd `inherited_fd`."""
    if spec.kind is StdioKind.CAPTURE:
        return CaptureOutput(spec.limit, "stdout" if inherited_fd == 1 else "stderr")
    if spec.kind is StdioKind.FILE:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
        return HostOutput(os.open(spec.path, flags, 0o666), owned=True)
    if spec.kind is StdioKind.INHERIT:
        return HostOutput(inherited_fd, owned=False)
    raise ValueError(f"an output stream cannot be {spec.kind.value}")
