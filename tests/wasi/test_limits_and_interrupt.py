"""Capture limits and interruption of a WASI program's waits and transfers: what an embedder
(the edge server, say) uses to bound a program's output and stop it while it sleeps or moves
a lot of data."""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import wasmkit
from tests.wasi.conftest import FakeMemory, Guest, captured_config
from wasmkit.errors import Trap, TrapKind
from wasmkit.runtime import Linker, Store
from wasmkit.wasi import Errno, OutputLimitError, WasiConfig, WasiPreview1, define_wasi
from wasmkit.wasi.memory import CHUNK

# Writes 10 bytes to stdout `count` times.
WRITER = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "0123456789")
  (func (export "write") (param $count i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 10))
    (block (loop
      (br_if 1 (i32.eqz (local.get $count)))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $count (i32.sub (local.get $count) (i32.const 1)))
      (br 0)))))"""

# Sleeps `millis` with one relative MONOTONIC clock subscription; returns poll_oneoff's errno.
SLEEPER = """(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "sleep") (param $millis i64) (result i32)
    (i32.store8 (i32.const 8) (i32.const 0))   ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))   ;; clock id: MONOTONIC
    (i64.store (i32.const 24) (i64.mul (local.get $millis) (i64.const 1000000)))
    (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))))"""


def _instance(wat: str, config: WasiConfig, store: Store | None = None):  # type: ignore[no-untyped-def]
    linker = Linker(store or Store())
    wasi = define_wasi(linker, config)
    return linker.instantiate(wasmkit.Module(wat)), wasi


def test_a_capture_within_its_limit_keeps_everything() -> None:
    config = WasiConfig()
    config.capture_stdout(max_bytes=30)
    instance, wasi = _instance(WRITER, config)
    instance.exports.write(3)
    assert wasi.captured_stdout == b"0123456789" * 3


def test_writing_past_the_limit_stops_the_program() -> None:
    config = WasiConfig()
    config.capture_stdout(max_bytes=25)
    instance, wasi = _instance(WRITER, config)
    with pytest.raises(OutputLimitError, match="stdout output exceeds its limit of 25 bytes"):
        instance.exports.write(1000)
    assert wasi.captured_stdout == b"0123456789" * 2


def test_a_sleep_lasts_its_time() -> None:
    instance, _ = _instance(SLEEPER, WasiConfig())
    started = time.monotonic()
    assert instance.exports.sleep(50) == Errno.SUCCESS
    assert time.monotonic() - started >= 0.05


def test_interrupting_wakes_a_sleeping_program() -> None:
    instance, wasi = _instance(SLEEPER, WasiConfig())
    timer = threading.Timer(0.2, wasi.interrupt)
    timer.start()
    started = time.monotonic()
    assert instance.exports.sleep(3_600_000) == Errno.INTR
    assert time.monotonic() - started < 60  # woken, not left asleep for an hour
    assert instance.exports.sleep(3_600_000) == Errno.INTR  # and every later wait too


# Writes `length` bytes from offset 65536 to stdout with one fd_write; returns its errno.
BIG_WRITER = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1040)
  (func (export "write") (param $length i32) (result i32)
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (local.get $length))
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"""

BOUND = 60.0  # seconds a stopped call may take at most (it takes a fraction of one)


def _finish(run: Callable[[], object], wasi: WasiPreview1) -> BaseException | object:
    """Run `run` on a thread; its result or exception. A call that was not stopped within
    BOUND seconds is released with `wasi.interrupt()` and the test fails."""
    outcome: list[BaseException | object] = []

    def target() -> None:
        try:
            outcome.append(run())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(BOUND)
    if thread.is_alive():
        wasi.interrupt()
        thread.join(BOUND)
        pytest.fail("the WASI call was not stopped")
    return outcome[0]


def test_a_store_deadline_stops_a_sleeping_program() -> None:
    store = Store(interruptible=True)
    instance, wasi = _instance(SLEEPER, WasiConfig(), store)
    store.set_deadline(0.2)
    result = _finish(lambda: instance.exports.sleep(3_600_000), wasi)
    assert isinstance(result, Trap) and result.kind is TrapKind.INTERRUPTED
    store.set_deadline(None)  # the store runs again once its deadline is lifted
    assert instance.exports.sleep(1) == Errno.SUCCESS


def _write_under_deadline(fifo: Path, reader: Callable[[], None], size: int, release: Callable[[], None]) -> object:
    """Run BIG_WRITER's write of `size` bytes to `fifo` (read by `reader` on a thread) under a
    0.3 s store deadline; `release` lets the reader finish afterwards."""
    os.mkfifo(fifo)
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    config = WasiConfig()
    config.stdout_file(fifo)
    store = Store(interruptible=True)
    instance, wasi = _instance(BIG_WRITER, config, store)
    try:
        store.set_deadline(0.3)
        return _finish(lambda: instance.exports.write(size), wasi)
    finally:
        release()
        wasi.close()
        thread.join(BOUND)


def test_a_store_deadline_stops_a_large_write_to_a_slow_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "stdout"
    received = []

    def slow_reader() -> None:
        with open(fifo, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                received.append(len(chunk))
                time.sleep(0.01)  # a whole 64 MiB would take over ten seconds

    result = _write_under_deadline(fifo, slow_reader, 64 << 20, lambda: None)
    assert isinstance(result, Trap) and result.kind is TrapKind.INTERRUPTED
    assert sum(received) < 64 << 20


def test_a_store_deadline_stops_a_write_to_a_reader_that_stopped_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "stdout"
    resume = threading.Event()

    def stalled_reader() -> None:
        with open(fifo, "rb", buffering=0) as pipe:
            pipe.read(4096)
            resume.wait()  # stops reading: the pipe fills and a write would block for good
            while pipe.read(65536):
                pass

    # resume.set drains the pipe, releasing a write left blocked (the code before the fix)
    result = _write_under_deadline(fifo, stalled_reader, 4 << 20, resume.set)
    assert isinstance(result, Trap) and result.kind is TrapKind.INTERRUPTED


class _StoreInterruptedAt:
    """Stands in for the calling instance's store: its interrupt is seen at the `at`-th
    check a WASI call makes (then `action` runs: trap, or interrupt the WASI state)."""

    def __init__(self, at: int, action: Callable[[], None]) -> None:
        self.checks = 0
        self._at = at
        self._action = action

    def check_interrupt(self) -> None:
        self.checks += 1
        if self.checks == self._at:
            self._action()


def _trap() -> None:
    raise Trap(TrapKind.INTERRUPTED)


def test_a_store_interrupt_stops_a_write_between_chunks(make_guest: Callable[[WasiConfig], Guest]) -> None:
    guest = make_guest(captured_config())
    guest.memory = FakeMemory(8 << 20)
    guest.wasi.interruption.store = _StoreInterruptedAt(3, _trap)  # type: ignore[assignment]
    iovs, count = guest.iovecs((1 << 20, 6 << 20))
    with pytest.raises(Trap, match="interrupted"):
        guest.call("fd_write", 1, iovs, count, guest.alloc(4))
    assert len(guest.wasi.captured_stdout) == 2 * CHUNK  # two chunks went before the third check


def test_interrupting_the_wasi_state_cuts_a_write_short(make_guest: Callable[[WasiConfig], Guest]) -> None:
    guest = make_guest(captured_config())
    guest.memory = FakeMemory(8 << 20)
    guest.wasi.interruption.store = _StoreInterruptedAt(2, guest.wasi.interrupt)  # type: ignore[assignment]
    iovs, count = guest.iovecs((1 << 20, 6 << 20))
    out = guest.alloc(4)
    assert guest.errno("fd_write", 1, iovs, count, out) == Errno.SUCCESS
    assert guest.u32(out) == CHUNK == len(guest.wasi.captured_stdout)  # a short count
    assert guest.errno("fd_write", 1, iovs, count, out) == Errno.INTR  # and nothing after


def test_a_store_interrupt_stops_a_poll_with_many_subscriptions(
    make_guest: Callable[[WasiConfig], Guest],
) -> None:
    guest = make_guest(captured_config())
    guest.memory = FakeMemory(8 << 20)
    store = _StoreInterruptedAt(2, _trap)
    guest.wasi.interruption.store = store  # type: ignore[assignment]
    count = 100_000  # a relative MONOTONIC clock of 0 each: all ready at once
    subscription = struct.pack("<QB7xI4xQQH6x", 0, 0, 1, 0, 0, 0)
    guest.memory.data[: 48 * count] = subscription * count
    retptr = 8 << 20 - 4
    with pytest.raises(Trap, match="interrupted"):
        guest.call("poll_oneoff", 0, 48 * count, count, retptr)
    assert store.checks == 2  # stopped after the first piece of subscriptions
    assert guest.u32(retptr) == 0  # no events reported


# Reads up to 16 bytes from stdin with one fd_read; returns its errno.
READER = """(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "read") (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))))"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to name a pipe")
def test_a_store_deadline_stops_a_read_from_an_idle_pipe() -> None:
    read_end, write_end = os.pipe()
    config = WasiConfig()
    config.stdin_file(f"/proc/self/fd/{read_end}")
    store = Store(interruptible=True)
    instance, wasi = _instance(READER, config, store)
    try:
        store.set_deadline(0.2)
        result = _finish(instance.exports.read, wasi)
        assert isinstance(result, Trap) and result.kind is TrapKind.INTERRUPTED
        store.set_deadline(None)
        os.write(write_end, b"line\n")  # the next read gets what arrives
        assert instance.exports.read() == Errno.SUCCESS
        assert instance.exports.memory.read(64, 5) == b"line\n"
    finally:
        os.close(write_end)  # releases a read left blocked (the code before the fix)
        wasi.close()
        os.close(read_end)
