"""The `auto` engine: an instance answers on the Python engine at once and moves to the native
engine's code when it is compiled, between calls, with its state: the results never show
which tier gave them."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import pytest

import wasmkit
from wasmkit.engine.tiered import TieredModule
from wasmkit.runtime import Module

pytest.importorskip("llvmlite")

COUNTER = """(module
  (global $count (mut i32) (i32.const 0))
  (memory (export "memory") 1)
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "next") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $count))
    (global.get $count))
  (func (export "fib") (param i32) (result i32) (call $fib (local.get 0))))"""


def _tiered(module: Module, store: wasmkit.Store) -> TieredModule:
    compiled = module.compiled(store.engine, store.metered)
    assert isinstance(compiled, TieredModule)
    return compiled


@pytest.fixture
def native_code_held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The native compile of each module starts only once the test sets this event, so that
    instances begin on the Python engine however warm the code cache is (from the cache, the
    native code is ready before the first call)."""
    go = threading.Event()
    original = TieredModule.__init__

    def held(self: TieredModule, first: object, compile_second: Callable[[], object]) -> None:
        def when_released() -> object:
            go.wait(60)
            return compile_second()

        original(self, first, when_released)  # type: ignore[arg-type]

    monkeypatch.setattr(TieredModule, "__init__", held)
    return go


def test_an_instance_moves_to_native_code_with_its_state(native_code_held: threading.Event) -> None:
    store = wasmkit.Store("auto")
    module = Module(COUNTER)
    instance = wasmkit.Instance(module, store=store)
    tiers = _tiered(module, store)
    assert [instance.exports.next() for _ in range(3)] == [1, 2, 3]
    assert not tiers.runs_natively(instance)
    native_code_held.set()
    assert tiers.wait(60) and tiers.refused is None
    assert tiers.runs_natively(instance)
    # The global the Python engine kept to itself came along; the memory is the same object.
    assert [instance.exports.next() for _ in range(3)] == [4, 5, 6]
    assert instance.exports.memory.read(0, 4) == (6).to_bytes(4, "little")
    assert instance.exports.fib(20) == 6765
    # Instances made now start on the native code.
    later = wasmkit.Instance(module, store=store)
    assert tiers.runs_natively(later) and later.exports.next() == 1


def _python_engine_frames() -> int:
    """How many frames of code the Python engine generated are running now."""
    frame, count = sys._getframe(), 0
    while frame is not None:
        count += frame.f_code.co_filename.startswith("<wasm:")
        frame = frame.f_back
    return count


def test_an_importing_instance_reaches_the_code_its_import_runs_now(native_code_held: threading.Event) -> None:
    """B calls A's function through its import: once A has moved, B's calls must reach A's
    native code (and A's state there), not the Python code B was bound to first. A host
    function that A calls tells which code called it: the Python engine's has frames."""
    seen: list[int] = []
    store = wasmkit.Store("auto")
    a_module = Module(
        '(module (import "host" "probe" (func $probe)) (global $count (mut i32) (i32.const 0))'
        ' (func (export "next") (result i32) (call $probe)'
        " (global.set $count (i32.add (global.get $count) (i32.const 1))) (global.get $count)))"
    )
    a = wasmkit.Instance(a_module, {"host": {"probe": lambda: seen.append(_python_engine_frames())}}, store=store)
    b_module = Module('(module (import "a" "next" (func $next (result i32))) (func (export "twice") (result i32) (drop (call $next)) (call $next)))')
    b = wasmkit.Instance(b_module, {"a": {"next": a.exports.next}}, store=store)
    assert b.exports.twice() == 2
    assert seen and all(seen)  # both on the Python engine so far
    native_code_held.set()
    for tiers in (_tiered(a_module, store), _tiered(b_module, store)):
        assert tiers.wait(60) and tiers.refused is None
    seen.clear()
    assert a.exports.next() == 3
    assert b.exports.twice() == 5
    assert a.exports.next() == 6
    assert seen == [0, 0, 0, 0]  # native code all the way


def test_a_call_in_progress_finishes_on_the_tier_it_started_on(native_code_held: threading.Event) -> None:
    """The move waits for the store's calls to end: a host function holds a call open until
    the native code is ready; the instance moves only after it returns."""
    store = wasmkit.Store("auto")
    module = Module(
        '(module (import "host" "wait" (func $wait)) (global $g (mut i32) (i32.const 0))'
        ' (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1)))'
        " (call $wait) (global.set $g (i32.add (global.get $g) (i32.const 10))) (global.get $g)))"
    )
    tiers: list[TieredModule] = []

    def wait() -> None:
        tier = tiers[0]
        if not native_code_held.is_set():
            native_code_held.set()
            deadline = time.monotonic() + 60
            while tier.second is None and tier.refused is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert tier.second is not None, "the native code never came"
            assert not tier.wait(0.5), "the instance moved while a call ran in its store"
            assert not tier.runs_natively(instance)

    instance = wasmkit.Instance(module, {"host": {"wait": wait}}, store=store)
    tiers.append(_tiered(module, store))
    assert instance.exports.bump() == 11
    assert tiers[0].wait(60) and tiers[0].runs_natively(instance)
    assert instance.exports.bump() == 22


def test_a_module_the_native_engine_refuses_stays_on_the_python_engine() -> None:
    shared = '(module (memory (export "m") i64 1 1 shared) (func (export "add") (result i32) (i32.atomic.rmw.add (i64.const 0) (i32.const 5))))'
    store = wasmkit.Store("auto")
    module = Module(shared)
    instance = wasmkit.Instance(module, store=store)
    tiers = _tiered(module, store)
    assert tiers.wait(60)
    assert tiers.refused is not None and "shared 64-bit memor" in str(tiers.refused)
    assert not tiers.runs_natively(instance)
    assert [instance.exports.add(), instance.exports.add()] == [0, 5]


def test_metered_stores_run_one_tier() -> None:
    store = wasmkit.Store("auto", fuel=10_000_000)
    instance = wasmkit.Instance(Module(COUNTER), store=store)
    assert not isinstance(instance.module.compiled(store.engine, True), TieredModule)
    assert instance.exports.fib(15) == 610
    assert store.fuel < 10_000_000
