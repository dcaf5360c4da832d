"""Tail calls on the native engine beside the Python engine: return_call, return_call_indirect
and return_call_ref run in constant stack (`musttail` calls under LLVM's `tailcc` convention),
to the module's own functions and through the runtime to the host's, metered or not; callees
with more parameters or results than registers hold get right results; calls with arguments
on the stack (v128 ones among them) neither crash nor pass wrong values."""

from __future__ import annotations

import pytest

import wasmkit

pytest.importorskip("llvmlite")

MODULE = """
(module
  (type $count (func (param i64 i64) (result i64)))
  (import "env" "done" (func $done (param i64 i64) (result i64)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $even $odd)
  (elem declare func $down_ref)
  ;; Mutual recursion through the table: even/odd, as deep as the argument.
  (func $even (type $count)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_indirect $t (type $count)
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1)) (i32.const 1)))))
  (func $odd (type $count)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.sub (i64.const 0) (local.get 1)))
      (else (return_call_indirect $t (type $count)
        (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1)) (i32.const 0)))))
  (func (export "parity") (param i64) (result i64) (return_call $even (local.get 0) (i64.const 0)))
  ;; Counting down by return_call, ending in the host's function (a tail call through the runtime).
  (func $down (export "down") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (return_call $done (local.get 0) (local.get 1)))
      (else (return_call $down (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2))))))
  ;; The same through a reference, with a different signature from its caller's.
  (func $down_ref (param i64 i64 i32) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call_ref $down3 (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 3))
        (local.get 2) (ref.func $down_ref)))))
  (type $down3 (func (param i64 i64 i32) (result i64)))
  (func (export "down_ref") (param i64) (result i64)
    (return_call $down_ref (local.get 0) (i64.const 0) (i32.const 7)))
  ;; More parameters than registers hold: the callee's take more stack than its caller's.
  (func $wide (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 f64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.add (local.get 1) (i64.trunc_f64_s (local.get 11))))
      (else (return_call $wide (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (local.get 10))
        (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8)
        (local.get 9) (local.get 10) (local.get 11)))))
  (func (export "narrow") (param i64) (result i64)
    (return_call $wide (local.get 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0)
      (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 2) (f64.const 100)))
  ;; As many arguments as registers hold (x86-64): five integers besides the context, eight floats.
  (func $mix (param i64 i64 i64 i64 i64 f64 f64 f64 f64 f64 f64 f64 f64) (result f64)
    (if (result f64) (i64.eqz (local.get 0)) (then (f64.add (f64.convert_i64_s (local.get 4)) (local.get 12)))
      (else (return_call $mix (i64.sub (local.get 0) (i64.const 1)) (local.get 1) (local.get 2) (local.get 3)
        (i64.add (local.get 4) (i64.const 1)) (local.get 5) (local.get 6) (local.get 7) (local.get 8) (local.get 9)
        (local.get 10) (local.get 11) (f64.add (local.get 12) (f64.const 0.5))))))
  (func (export "mix") (param i64) (result f64)
    (return_call $mix (local.get 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0)
      (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 1)))
  ;; More results than registers hold: returned through memory.
  (func $many (export "many") (param i64) (result i64 i64 i64 i64 i64 f64 i32)
    (if (i64.eqz (local.get 0))
      (then (return (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5) (f64.const 6.5) (i32.const 7))))
    (return_call $many (i64.sub (local.get 0) (i64.const 1))))
)
"""

DEEP = 300_000  # deeper than the native stack budget (2 MiB) or Python allows without tail calls


def exports(engine: str, **store_options: object) -> wasmkit.Instance:
    store = wasmkit.Store(engine, **store_options)  # type: ignore[arg-type]
    i64 = wasmkit.ValType.I64
    done = wasmkit.Func.host(wasmkit.FuncType((i64, i64), (i64,)), lambda n, total: total + 1000)
    return wasmkit.Instance(wasmkit.Module(MODULE), {"env": {"done": done}}, store=store).exports


@pytest.mark.parametrize("engine", ["python", "native"])
def test_tail_calls_run_in_constant_stack(engine: str) -> None:
    run = exports(engine)
    assert run.parity(DEEP) == DEEP and run.parity(DEEP + 1) == -(DEEP + 1)
    assert run.down(DEEP, 0) == 2 * DEEP + 1000  # the last tail call is the host's
    assert run.down_ref(DEEP) == 3 * DEEP
    assert run.narrow(3) == 106
    assert run.mix(DEEP) == 1.5 * DEEP + 1
    assert run.many(1000) == (1, 2, 3, 4, 5, 6.5, 7)


@pytest.mark.parametrize("call", ["narrow", "many"])
def test_tail_calls_beyond_registers_are_bounded_by_the_stack_check(call: str) -> None:
    """Where arguments or results do not all pass in registers, LLVM does not guarantee a
    tail call: on the native engine deep recursion of those may trap, as any other does,
    and never crashes."""
    expected = {"narrow": 2 * DEEP + 100, "many": (1, 2, 3, 4, 5, 6.5, 7)}[call]
    assert getattr(exports("python"), call)(DEEP) == expected
    try:
        assert getattr(exports("native"), call)(DEEP) == expected  # made a tail call after all
    except wasmkit.Trap as trap:
        assert str(trap).startswith("call stack exhausted")


@pytest.mark.parametrize("engine", ["python", "native"])
def test_tail_calls_do_not_count_against_the_call_depth(engine: str) -> None:
    run = exports(engine, limits=wasmkit.StoreLimits(max_call_depth=50), fuel=10**9)
    assert run.parity(10_000) == 10_000 and run.down(10_000, 0) == 21_000 and run.down_ref(10_000) == 30_000


def test_only_a_module_with_tail_calls_gets_the_tail_calling_convention() -> None:
    """Validation notes whether any function makes a tail call; only then do the module's
    functions take `tailcc`, so that the code of every other module stays as it was."""
    from wasmkit.engine.base import shared_globals
    from tests.support import native_ir

    plain = wasmkit.Module('(module (func (export "f") (result i32) (i32.const 1)))').valid
    tail = wasmkit.Module(MODULE).valid
    assert not plain.tail_calls and tail.tail_calls
    assert "tailcc" not in native_ir(plain, shared_globals(plain))
    ir = native_ir(tail, shared_globals(tail))
    assert "define internal tailcc i64" in ir and "musttail call tailcc i64" in ir


# Calls that crashed the process on the native engine (3.0 wasm-smith campaign, seed 21), in
# a module with tail calls (every function `tailcc`): a v128 argument that goes on the stack
# after an odd number of 8-byte ones (LLVM laid it out 16-byte aligned and the callee popped
# less than its caller pushed), and a tail call from a function with arguments on the stack
# to one with fewer (a `musttail` jump that left the difference on the stack). Each function
# returns what it received, so that a wrongly passed argument shows as well.
STACK_ARGUMENTS = """
(module
  (type $s (struct (field f64)))
  (type $none (func (result i64)))
  (table $t 1 funcref)
  (elem (table $t) (i32.const 0) func $answer)
  (elem declare func $answer)
  (func $answer (result i64) (i64.const 42))
  (func $sum (param v128 v128) (result i64)
    (i64.add (i64x2.extract_lane 0 (local.get 0)) (i64x2.extract_lane 1 (local.get 1))))
  (func (export "v128_after_five") (param i64 i64 i64 i64 i64 v128 i64) (result i64)
    (i64.add (i64.add (i64x2.extract_lane 0 (local.get 5)) (i64x2.extract_lane 1 (local.get 5)))
      (i64.add (local.get 6) (local.get 4))))
  (func (export "smith_391") (param v128 i32 i32 f64 i32 v128 i64 i64 (ref null $s)) (result i64)
    (i64.add (i64x2.extract_lane 1 (local.get 0))
      (i64.add (i64x2.extract_lane 0 (local.get 5)) (i64.add (local.get 7) (i64.extend_i32_u (local.get 4))))))
  (func (export "v128_returned") (param i64 i64 i64 i64 i64 v128 i64) (result v128) (local.get 5))
  (func (export "to_fewer") (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (return_call $answer))
  (func (export "to_fewer_ref") (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (return_call_ref $none (ref.func $answer)))
  (func (export "to_fewer_indirect") (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
    (return_call_indirect $t (type $none) (i32.const 0)))
  (func (export "smith_1434") (param v128 v128 v128 f32 v128 v128) (result i64)
    (return_call $sum (local.get 4) (local.get 5)))
)
"""

V1 = (7 << 64) | 5  # lanes 5 and 7
V2 = (11 << 64) | 3
STACK_CALLS = {
    "v128_after_five": ([1, 2, 3, 4, 100, V1, 1000], 1112),
    "smith_391": ([V1, 2, 3, 4.0, 9, V2, 8, 20, None], 39),
    "v128_returned": ([1, 2, 3, 4, 5, V2, 6], V2),
    "to_fewer": (list(range(10)), 42),
    "to_fewer_ref": (list(range(10)), 42),
    "to_fewer_indirect": (list(range(10)), 42),
    "smith_1434": ([V1, V2, V1, 1.5, V2, V1], 3 + 7),
}

RUN_STACK_CALLS = """
import json, sys
import wasmkit
from tests.engine.test_native_tail_calls import STACK_ARGUMENTS, STACK_CALLS
exports = wasmkit.Instance(wasmkit.Module(STACK_ARGUMENTS), store=wasmkit.Store(sys.argv[1])).exports
print(json.dumps({name: exports[name](*args) for name, (args, _) in STACK_CALLS.items()}))
"""


def test_arguments_on_the_stack_under_tailcc_pass_and_return_right() -> None:
    """Run in a new process, so that a crash fails the test instead of ending pytest."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root), os.environ.get("PYTHONPATH", "")])}
    outcomes = {}
    for engine in ("python", "native"):
        result = subprocess.run([sys.executable, "-c", RUN_STACK_CALLS, engine], capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, (engine, result.returncode, result.stderr[-2000:])
        outcomes[engine] = json.loads(result.stdout)
    assert outcomes["native"] == outcomes["python"] == {name: expected for name, (_, expected) in STACK_CALLS.items()}


def test_musttail_only_between_functions_whose_arguments_all_pass_in_registers() -> None:
    """A tail call from a function with arguments on the stack is a `tail` call, which LLVM
    makes by moving the return address, not a `musttail` one, which jumps without (LLVM 22);
    v128 arguments pass as two i64 halves."""
    import re

    from wasmkit.engine.base import shared_globals
    from tests.support import native_ir

    valid = wasmkit.Module(STACK_ARGUMENTS).valid
    ir = native_ir(valid, shared_globals(valid))
    v128_after_five = re.search(r'define internal tailcc i64 @"f2"\(([^)]*)\)', ir)
    assert v128_after_five is not None and "i128" not in v128_after_five.group(1)
    assert v128_after_five.group(1).count("i64") == 8  # five, the v128's two halves, one
    assert "musttail" not in ir and "tail call tailcc i64" in ir
