"""The native engine beside the Python engine: the same results, traps and memory, host
functions called through its trampoline, and runaway recursion stopped by its stack check."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit.engine.base import get_engine

pytest.importorskip("llvmlite")

MODULE = """
(module
  (import "env" "twice" (func $twice (param i64) (result i64)))
  (memory (export "memory") 1 4)
  (global $counter (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $square $twice)
  (type $unary (func (param i64) (result i64)))
  (func $square (param i64) (result i64) (i64.mul (local.get 0) (local.get 0)))
  (func (export "apply") (param i32 i64) (result i64)
    (call_indirect (type $unary) (local.get 1) (local.get 0)))
  (func (export "sum") (param i32) (result i32) (local $i i32) (local $total i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
      (local.set $total (i32.add (local.get $total) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $total))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "count") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))) (global.get $counter))
  (func (export "pair") (param f32 f64) (result f64 f32) (f64.promote_f32 (local.get 0)) (f32.demote_f64 (local.get 1)))
  (func $down (export "down") (param i32) (result i32) (i32.add (call $down (local.get 0)) (i32.const 1)))
)
"""


def instantiate(engine: str) -> wasmkit.Instance:
    store = wasmkit.Store(engine)
    twice = wasmkit.Func.host(wasmkit.FuncType((wasmkit.ValType.I64,), (wasmkit.ValType.I64,)), lambda x: 2 * x)
    return wasmkit.Instance(wasmkit.Module(MODULE), {"env": {"twice": twice}}, store=store)


@pytest.mark.parametrize("engine", ["python", "native"])
def test_same_results_on_both_engines(engine: str) -> None:
    exports = instantiate(engine).exports
    assert exports.apply(0, 12) == 144 and exports.apply(1, 21) == 42
    memory = exports.memory
    memory[0:5] = bytes([1, 2, 3, 4, 250])
    assert exports.sum(5) == 260
    assert exports.grow(1) == 1 and memory.size == 2 * 65536
    memory[65536 + 10] = 7  # the grown page is reachable from Python and from wasm
    assert exports.sum(65536 + 11) == 267
    assert [exports.count() for _ in range(3)] == [1, 2, 3]
    assert exports.pair(1.5, 0.1) == (1.5, pytest.approx(0.1, rel=1e-7))
    with pytest.raises(wasmkit.Trap, match="undefined element"):
        exports.apply(5, 1)
    with pytest.raises(wasmkit.Trap, match="out of bounds memory access"):
        exports.sum(3 * 65536)
    with pytest.raises(wasmkit.Trap, match="call stack exhausted"):
        exports.down(1)
    assert exports.sum(1) == 1  # the instance is usable after a trap


def test_host_exceptions_pass_through_native_frames() -> None:
    def fail(x: int) -> int:
        raise KeyError("from the host")

    store = wasmkit.Store("native")
    failing = wasmkit.Func.host(wasmkit.FuncType((wasmkit.ValType.I64,), (wasmkit.ValType.I64,)), fail)
    exports = wasmkit.Instance(wasmkit.Module(MODULE), {"env": {"twice": failing}}, store=store).exports
    with pytest.raises(KeyError, match="from the host"):
        exports.apply(1, 1)
    assert exports.apply(0, 3) == 9


def test_what_the_native_engine_does_not_do_yet_is_a_clear_error() -> None:
    with pytest.raises(wasmkit.WasmError, match="does not meter fuel"):
        wasmkit.Instance(wasmkit.Module(MODULE.replace('(import "env" "twice" (func $twice (param i64) (result i64)))', "").replace("$square $twice", "$square")), store=wasmkit.Store("native", fuel=10))
    simd = wasmkit.Module('(module (func (export "f") (result v128) (v128.const i64x2 1 2)))')
    with pytest.raises(wasmkit.WasmError, match="does not support values of type v128"):
        wasmkit.Instance(simd, store=wasmkit.Store("native"))


def test_the_engine_is_found_by_name() -> None:
    assert get_engine("native").name == "native"
