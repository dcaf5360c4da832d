"""Capture limits and interruption of a WASI program's waits: what an embedder (the edge
server, say) uses to bound a program's output and stop it while it sleeps."""

from __future__ import annotations

import threading
import time

import pytest

import wasmkit
from wasmkit.runtime import Linker, Store
from wasmkit.wasi import Errno, OutputLimitError, WasiConfig, define_wasi

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
