"""The native engine beside the Python engine: the same results, traps and memory, host
functions called through its trampoline, and runaway recursion stopped by its stack check."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import wasmkit
from wasmkit.engine.tiered import TieredEngine
from tests.hostile.shapes import many_functions
from wasmkit.engine.registry import get_engine

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


METERED = """
(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "spin") (loop $forever (br $forever))))
"""


def test_fuel_is_charged_as_on_the_python_engine() -> None:
    left = {}
    for engine in ("python", "native"):
        store = wasmkit.Store(engine, fuel=100_000)
        exports = wasmkit.Instance(wasmkit.Module(METERED), store=store).exports
        assert exports.fib(12) == 144
        left[engine] = store.fuel
        with pytest.raises(wasmkit.Trap, match="out of fuel"):
            exports.fib(30)
        assert store.fuel == 0
        store.set_fuel(1000)
        assert exports.fib(5) == 5
    assert left["native"] == left["python"] < 100_000


def test_interrupt_and_call_depth() -> None:
    store = wasmkit.Store("native", wasmkit.StoreLimits(max_call_depth=50), interruptible=True)
    exports = wasmkit.Instance(wasmkit.Module(METERED), store=store).exports
    threading.Timer(0.1, store.interrupt).start()
    with pytest.raises(wasmkit.Trap, match="interrupted"):
        exports.spin()
    assert exports.fib(10) == 55  # depth 10: within the limit, and the interrupt is spent
    with pytest.raises(wasmkit.Trap, match="call stack exhausted"):
        exports.fib(60)
    assert exports.fib(10) == 55


def test_simd_values_cross_between_python_and_native_code() -> None:
    module = wasmkit.Module(
        '(module (global $g (mut v128) (v128.const i64x2 0 0))'
        ' (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))'
        ' (func (export "keep") (param v128) (result v128) (global.get $g) (global.set $g (local.get 0))))'
    )
    exports = wasmkit.Instance(module, store=wasmkit.Store("native")).exports
    a = (1 << 96) | (2 << 64) | (3 << 32) | 4
    assert exports.add(a, a) == (2 << 96) | (4 << 64) | (6 << 32) | 8
    assert exports.keep(2**128 - 1) == 0
    assert exports.keep(5) == 2**128 - 1


def test_the_engine_is_found_by_name() -> None:
    assert get_engine("native").name == "native"


def test_machine_code_is_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wasmkit.engine.native import NativeEngine
    from wasmkit.engine.native import pieces as native_pieces

    source = METERED
    first = wasmkit.Instance(wasmkit.Module(source), store=wasmkit.Store(NativeEngine(cache_dir=tmp_path)))
    assert first.exports.fib(20) == 6765
    assert len(list((tmp_path / "native").glob("*/*.o"))) == 1  # a module in one piece

    def no_lowering(*args: object) -> str:
        raise AssertionError("a cached module was lowered again")

    monkeypatch.setattr(native_pieces, "compile_piece", no_lowering)
    second = wasmkit.Instance(wasmkit.Module(source), store=wasmkit.Store(NativeEngine(cache_dir=tmp_path)))
    assert second.exports.fib(20) == 6765
    metered = wasmkit.Store(NativeEngine(cache_dir=tmp_path), fuel=10)
    with pytest.raises(AssertionError, match="lowered again"):  # another variant: not in the cache
        wasmkit.Instance(wasmkit.Module(source), store=metered)


def test_auto_tiers_to_the_native_engine_when_llvmlite_is_installed() -> None:
    """With llvmlite, "auto" is the tiered engine: the Python engine first, then the native
    engine's code (see tests/engine/test_tiered.py)."""
    engine = get_engine("auto")
    assert isinstance(engine, TieredEngine) and engine is get_engine("auto")
    assert wasmkit.Store("auto").engine.name == "auto"
    assert engine.second.name == "native"


REACHED_FROM_OUTSIDE = """
(module
  (table (export "table") 1 funcref)
  (elem (i32.const 0) $in_table)
  (global $started (mut i32) (i32.const 0))
  (global (export "held") funcref (ref.func $in_global))
  (func $in_table (result i32) (i32.const 1))
  (func $in_global (result i32) (i32.const 2))
  (func $start (global.set $started (call $internal)))
  (func $internal (result i32) (i32.const 3))
  (func (export "started") (result i32) (global.get $started))
  (start $start)
)
"""


def test_only_functions_called_from_outside_get_entries() -> None:
    """An entry (what Python calls a native function through) costs LLVM as much as a small
    function: a function only the module's code calls has none."""
    instance = wasmkit.Instance(wasmkit.Module(REACHED_FROM_OUTSIDE), store=wasmkit.Store("native"))
    assert sorted(instance.native.compiled.entered) == [0, 1, 2, 4]  # not $internal (3)
    assert instance.exports.started() == 3  # the start function ran, and called $internal
    assert instance.exports.table.get(0)() == 1
    assert instance.exports.held.value() == 2


def test_a_failure_while_compiling_in_pieces_ends_the_compile_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLVM compiles one piece on its own thread while the next is lowered: a fault in either
    reaches the caller, and the thread does not outlive the compile."""
    from wasmkit.engine.native import codegen, lower

    valid = wasmkit.Module(many_functions(2500).data).valid
    original = lower._Lowering.lower

    def fails_late(self: lower._Lowering) -> None:
        if self.index == 2200:  # in the third piece, while LLVM works on the second
            raise lower.NativeCompileError("function 2200: cannot lower it (test)")
        original(self)

    monkeypatch.setattr(lower._Lowering, "lower", fails_late)
    with pytest.raises(lower.NativeCompileError, match="function 2200"):
        list(codegen.compile_pieces(valid, frozenset(), False, codegen.FAST, codegen.pieces(valid, codegen.FAST), False))
    monkeypatch.setattr(lower._Lowering, "lower", original)

    def llvm_fails(tier: str, source: str) -> bytes:
        raise RuntimeError("LLVM refused the piece (test)")

    monkeypatch.setattr(codegen, "object_file", llvm_fails)
    with pytest.raises(RuntimeError, match="LLVM refused"):
        list(codegen.compile_pieces(valid, frozenset(), False, codegen.FAST, codegen.pieces(valid, codegen.FAST), False))
    assert not [t for t in threading.enumerate() if t.name.startswith("wasmkit-llvm")]
