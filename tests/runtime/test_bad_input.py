"""Hostile modules: traps, runaway loops and recursion, huge memories and tables. Each gives a
Trap or a clean refusal, the Python process stays intact and the next call works."""

from __future__ import annotations

import signal
import time

import pytest

import wasmkit
from wasmkit import LinkError, Trap, TrapKind

WAT = """
(module
  (memory 1 2)
  (table 1 funcref)
  (func $forever (export "forever") (loop (br 0)))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $runaway (export "runaway") (result i32) (call $runaway))
  (func (export "oob") (result i32) (i32.load (i32.const 70000)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "ok") (result i32) (i32.const 42))
)
"""


@pytest.fixture()
def exports() -> wasmkit.runtime.Exports:
    return wasmkit.Instance(wasmkit.Module(WAT)).exports


def test_a_trap_leaves_the_instance_usable(exports) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Trap) as info:
        exports.oob()
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    assert exports.ok() == 42


def test_runaway_recursion_is_call_stack_exhausted(exports) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    with pytest.raises(Trap) as info:
        exports.runaway()
    assert info.value.message == "call stack exhausted"
    assert time.perf_counter() - start < 10
    assert exports.ok() == 42


def test_deep_but_finite_recursion_works(exports) -> None:  # type: ignore[no-untyped-def]
    assert exports.down(20_000) == 20_000


def test_an_endless_loop_can_be_interrupted_and_the_instance_still_works(exports) -> None:  # type: ignore[no-untyped-def]
    class Stop(Exception):
        pass

    def stop(signum, frame):  # type: ignore[no-untyped-def]
        raise Stop

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(Stop):
            exports.forever()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert exports.ok() == 42


def test_memory_grows_to_its_maximum_and_no_further(exports) -> None:  # type: ignore[no-untyped-def]
    assert exports.grow(1) == 1
    assert exports.grow(1) == -1
    assert exports.grow(0xFFFF_FFFF - (1 << 32)) == -1
    assert exports.ok() == 42


def test_memory_without_maximum_stops_at_4_gib() -> None:
    exports = wasmkit.Instance(wasmkit.Module('(module (memory 0) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))')).exports
    assert exports.grow(65537) == -1
    assert exports.grow(1) == 0


def test_store_memory_cap_refuses_growth() -> None:
    store = wasmkit.Store(limits=wasmkit.StoreLimits(memory_bytes=2 * 65536))
    module = wasmkit.Module('(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))')
    exports = wasmkit.Instance(module, store=store).exports
    assert exports.grow(1) == 1
    assert exports.grow(1) == -1


def test_a_4_gib_table_is_refused_cleanly() -> None:
    with pytest.raises(LinkError, match="table"):
        wasmkit.Instance(wasmkit.Module("(module (table 0xFFFFFFFF funcref))"))


def test_table_growth_past_the_limit_returns_minus_one(exports) -> None:  # type: ignore[no-untyped-def]
    assert exports.grow_table(-1) == -1
    assert exports.grow_table(10) == 1
    assert exports.ok() == 42


def test_a_host_exception_travels_through_wasm_and_leaves_the_instance_usable() -> None:
    calls = []

    def host(x: int) -> int:
        calls.append(x)
        if x < 0:
            raise ValueError("negative")
        return x * 2

    module = wasmkit.Module(
        '(module (import "env" "h" (func $h (param i32) (result i32)))'
        ' (func (export "f") (param i32) (result i32) (call $h (local.get 0))))'
    )
    func_type = wasmkit.FuncType((wasmkit.ValType.I32,), (wasmkit.ValType.I32,))
    instance = wasmkit.Instance(module, {"env": {"h": wasmkit.Func.host(func_type, host)}})
    with pytest.raises(ValueError, match="negative") as info:
        instance.exports.f(-1)
    assert any("wasm backtrace" in note for note in getattr(info.value, "__notes__", []))
    assert instance.exports.f(21) == 42


def test_deep_nesting_runs_or_is_a_clean_error() -> None:
    # Past what CPython allows in one function (100 indented blocks, 20 nested loops): the
    # Python engine writes such code flat or as closures where it can, and otherwise refuses
    # the function with a WasmError, never a SyntaxError or RecursionError.
    depth = 120
    ifs = "(if (local.get 0) (then " * depth + "(local.set 0 (i32.add (local.get 0) (i32.const 1)))" + "))" * depth
    loops = "(loop " * depth + "(br_if 0 (i32.eqz (local.get 0)))" + ")" * depth
    wat = f'(module (func (export "f") (param i32) (result i32) {ifs} {loops} (local.get 0)))'
    instance = wasmkit.Instance(wasmkit.Module(wat))
    try:
        result = instance.exports.f(1)
    except wasmkit.WasmError as err:
        assert "nested too deeply for the Python engine" in str(err)
    else:
        assert result == 2
