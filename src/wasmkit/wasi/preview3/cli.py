"""wasi:cli@0.3.0's stdio: stdin, stdout and stderr as streams.

`write-via-stream` takes the guest's `stream<u8>` and writes what the guest writes to the
instance's stdout or stderr as it comes (each piece from the callback of the guest's write,
`StreamReader.drain`: no task of the host's to schedule), and returns a future that resolves
to ok once the guest has dropped its writable end, or to `io` when the host stream fails (the
stream is then dropped). `read-via-stream` gives stdin as a stream read piece by piece as the
guest reads (a read blocks while the host's stdin has nothing yet, as 0.2's blocking read
does), and a future that resolves once stdin ends or fails. A capture's limit
(`OutputLimitError`) ends the program as in 0.2. The environment, exit and terminal
interfaces are 0.2's (`preview2.cli`): same functions, `get-initial-cwd` being 0.2's
`initial-cwd`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...component.async_.host_streams import ByteChunks, HostPromise
from ...component.async_.values import StreamReader
from ..errno import WasiError
from ..stdio import InputStream as HostSource
from ..stdio import OutputStream as HostSink
from ..preview2.values import Err, Ok

__all__ = ["Stdio"]

_CHUNK = 65536


class Stdio:
    """The functions of wasi:cli/stdin, stdout and stderr@0.3.0 over one instance's stdio."""

    def __init__(self, stdin: HostSource, stdout: HostSink, stderr: HostSink) -> None:
        self._stdin = stdin
        self._stdout = stdout
        self._stderr = stderr

    def read_via_stream(self) -> tuple[ByteChunks, HostPromise]:
        done = HostPromise()
        return ByteChunks(self._chunks(done)), done

    def _chunks(self, done: HostPromise) -> Iterator[bytes]:
        try:
            while data := self._stdin.read(_CHUNK):
                yield data
        except (OSError, WasiError):
            done.resolve(Err("io"))
        finally:
            done.resolve(Ok(None))  # the end, or the guest dropped the stream: success

    def write_stdout(self, data: StreamReader) -> HostPromise:
        return _write_via_stream(self._stdout, data)

    def write_stderr(self, data: StreamReader) -> HostPromise:
        return _write_via_stream(self._stderr, data)


def _write_via_stream(sink: HostSink, data: StreamReader) -> HostPromise:
    done = HostPromise()

    def take(chunk: bytes | list[object]) -> bool:
        view = memoryview(chunk if isinstance(chunk, bytes) else bytes(chunk))  # type: ignore[arg-type]
        try:
            while view:
                view = view[sink.write(view) :]
        except (OSError, WasiError):
            done.resolve(Err("io"))
            return False
        return True

    data.drain(take, lambda: done.resolve(Ok(None)))
    return done
