"""WASI 0.2 wasi:io and wasi:clocks: stream reads and writes, their blocking and readiness
(on real pipes), flush and splice, poll with timers, and the traps the WIT requires."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from wasmkit.errors import Trap, TrapKind
from wasmkit.runtime.store import Store
from wasmkit.wasi import OutputLimitError, WasiConfig
from wasmkit.wasi.interrupt import Interruption
from wasmkit.wasi.preview2 import Err, IoError, host_imports, poll
from wasmkit.wasi.preview2.streams import BLOCKING_WRITE_LIMIT, WRITE_BUDGET, HostInputStream, HostOutputStream
from wasmkit.wasi.stdio import HostInput, HostOutput


def _error(call, *args) -> object:  # type: ignore[no-untyped-def]
    with pytest.raises(Err) as caught:
        call(*args)
    return caught.value.value


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        try:
            os.close(fd)
        except OSError:
            pass


def test_stdin_bytes_read_skip_and_end() -> None:
    config = WasiConfig()
    config.stdin_bytes(b"hello world")
    stdin = host_imports(config)["wasi:cli/stdin@0.2.0"]["get-stdin"]()
    assert stdin.read(0) == b""
    assert stdin.read(5) == b"hello"
    assert stdin.skip(1) == 1
    assert stdin.subscribe().ready()
    assert stdin.blocking_read(100) == b"world"
    assert _error(stdin.read, 1).wit_case == "closed"
    assert _error(stdin.blocking_skip, 1).wit_case == "closed"
    assert _error(stdin.read, 0).wit_case == "closed"


def test_pipe_input_is_non_blocking_until_data_arrives(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    stream = HostInputStream(HostInput(read_fd, owned=False), Interruption())
    pollable = stream.subscribe()
    assert not pollable.ready()
    assert stream.read(10) == b""  # nothing yet: no bytes, no wait
    os.write(write_fd, b"abc")
    assert pollable.ready()
    assert poll([pollable]) == [0]
    assert stream.read(10) == b"abc"
    timer = threading.Timer(0.05, lambda: os.write(write_fd, b"late"))
    timer.start()
    assert stream.blocking_read(10) == b"late"  # waits for the writer
    timer.join()
    os.close(write_fd)
    assert _error(stream.blocking_read, 10).wit_case == "closed"


def test_blocking_read_is_interrupted(pipe: tuple[int, int]) -> None:
    stop = Interruption()
    stream = HostInputStream(HostInput(pipe[0], owned=False), stop)
    threading.Timer(0.05, stop.set).start()
    with pytest.raises(Trap) as caught:
        stream.blocking_read(10)
    assert caught.value.kind is TrapKind.INTERRUPTED


def test_output_check_write_write_flush() -> None:
    config = WasiConfig()
    config.capture_stdout()
    config.capture_stderr(max_bytes=8)
    imports = host_imports(config)
    stdout = imports["wasi:cli/stdout@0.2.0"]["get-stdout"]()
    assert stdout.check_write() == WRITE_BUDGET
    stdout.write(b"one ")
    stdout.flush()
    stdout.blocking_write_and_flush(b"two ")
    stdout.write_zeroes(2)
    stdout.blocking_write_zeroes_and_flush(1)
    stdout.blocking_flush()
    assert stdout.subscribe().ready()
    # A second handle writes to the same stdout.
    imports["wasi:cli/stdout@0.2.0"]["get-stdout"]().write(b"!")
    assert imports.wasi.captured_stdout == b"one two \0\0\0!"
    with pytest.raises(Trap, match="^Buffer too large for blocking-write-and-flush \\(expected at most 4096\\)$"):
        stdout.blocking_write_and_flush(bytes(BLOCKING_WRITE_LIMIT + 1))
    with pytest.raises(Trap, match="check-write"):
        stdout.write(bytes(WRITE_BUDGET + 1))
    stderr = imports["wasi:cli/stderr@0.2.0"]["get-stderr"]()
    with pytest.raises(OutputLimitError):
        stderr.write(b"123456789")
    stdout.close()
    assert _error(stdout.check_write).wit_case == "closed"


def test_full_pipe_permits_nothing_until_drained(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.set_blocking(write_fd, False)
    try:
        while True:
            os.write(write_fd, bytes(65536))
    except BlockingIOError:
        pass
    os.set_blocking(write_fd, True)
    stream = HostOutputStream(HostOutput(write_fd, owned=False), Interruption())
    pollable = stream.subscribe()
    assert stream.check_write() == 0
    assert not pollable.ready()
    while os.read(read_fd, 1 << 20):  # drain
        if pollable.ready():
            break
    assert pollable.ready()
    assert stream.check_write() == WRITE_BUDGET


def test_write_failure_is_last_operation_failed_then_closed(pipe: tuple[int, int]) -> None:
    read_fd, write_fd = pipe
    os.close(read_fd)
    stream = HostOutputStream(HostOutput(write_fd, owned=False), Interruption())
    failure = _error(stream.write, b"x")
    assert failure.wit_case == "last-operation-failed"
    assert isinstance(failure.value, IoError)
    assert failure.value.to_debug_string() == "pipe"
    code = host_imports(WasiConfig())["wasi:filesystem/types@0.2.0"]["filesystem-error-code"]
    assert code(failure.value) == "pipe"
    assert _error(stream.write, b"x").wit_case == "closed"


def test_splice() -> None:
    config = WasiConfig()
    config.stdin_bytes(b"abcdef")
    config.capture_stdout()
    imports = host_imports(config)
    stdin = imports["wasi:cli/stdin@0.2.0"]["get-stdin"]()
    stdout = imports["wasi:cli/stdout@0.2.0"]["get-stdout"]()
    assert stdout.splice(stdin, 4) == 4
    assert stdout.blocking_splice(stdin, 100) == 2
    assert _error(stdout.splice, stdin, 1).wit_case == "closed"
    assert imports.wasi.captured_stdout == b"abcdef"


def test_clocks_and_timers() -> None:
    imports = host_imports(WasiConfig())
    monotonic = imports["wasi:clocks/monotonic-clock@0.2.0"]
    wall = imports["wasi:clocks/wall-clock@0.2.0"]
    start = monotonic["now"]()
    assert monotonic["resolution"]() >= 1
    assert monotonic["now"]() >= start
    now = wall["now"]()
    assert abs(now.seconds - time.time()) < 5 and 0 <= now.nanoseconds < 1_000_000_000
    assert wall["resolution"]().seconds == 0
    soon = monotonic["subscribe-duration"](20_000_000)  # 20 ms
    past = monotonic["subscribe-instant"](start)
    later = monotonic["subscribe-instant"](start + 3_600_000_000_000)
    assert past.ready() and not later.ready()
    ready = poll([later, soon, past])
    assert 2 in ready and 0 not in ready  # the past instant is ready, the hour-away one not
    soon.block()
    assert soon.ready()
    assert poll([later, soon]) == [1]
    assert monotonic["now"]() - start >= 20_000_000


def test_poll_traps_on_an_empty_list_and_is_interrupted() -> None:
    imports = host_imports(WasiConfig())
    with pytest.raises(Trap, match="empty poll list"):
        imports["wasi:io/poll@0.2.0"]["poll"]([])
    never = imports["wasi:clocks/monotonic-clock@0.2.0"]["subscribe-duration"](3_600_000_000_000)
    threading.Timer(0.05, imports.wasi.interrupt).start()
    with pytest.raises(Trap) as caught:
        never.block()
    assert caught.value.kind is TrapKind.INTERRUPTED


def test_the_stores_deadline_stops_a_wait() -> None:
    store = Store(interruptible=True)
    imports = host_imports(WasiConfig(), store)
    never = imports["wasi:clocks/monotonic-clock@0.2.0"]["subscribe-duration"](3_600_000_000_000)
    store.set_deadline(0.05)
    with pytest.raises(Trap) as caught:
        never.block()
    assert caught.value.kind is TrapKind.INTERRUPTED
