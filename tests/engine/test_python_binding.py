"""The Python engine binds an instance without a `Func` or namespace entry per function: a
function's entry is made when code naming it first runs, its `Func` when asked for. What a
program sees is unchanged: `ref.func` and exports give the one `Func` of a function, tail calls
run through their bodies, and a function made after its first call runs its definition."""

from __future__ import annotations

import wasmkit

MODULE = """
(module
  (type $unary (func (param i32) (result i32)))
  (func $inc (export "inc") (type $unary) (i32.add (local.get 0) (i32.const 1)))
  (func $twice (type $unary) (call $inc (call $inc (local.get 0))))
  (func $count (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $count (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 1))))))
  (func (export "twice") (param i32) (result i32) (call $twice (local.get 0)))
  (func (export "count") (param i32) (result i32) (return_call $count (local.get 0) (i32.const 0)))
  (func (export "ref") (result funcref) (ref.func $twice))
  (elem declare func $twice))
"""


def test_instantiation_makes_no_func_for_functions_not_asked_for() -> None:
    inst = wasmkit.load(MODULE)
    assert [inst.funcs.made(i) is None for i in range(len(inst.funcs))] == [True] * 6


def test_functions_run_and_keep_one_func_each() -> None:
    inst = wasmkit.load(MODULE)
    assert inst.exports.twice(5) == 7
    assert inst.funcs.made(1) is None  # $twice ran, and no one asked for its Func
    twice = inst.exports.ref()
    assert twice is inst.exports.ref() is inst.funcs[1]
    assert twice(10) == 12  # made after its first call: runs its definition
    assert inst.exports.inc is inst.funcs[0]


def test_tail_calls_through_lazily_made_functions_keep_the_stack_flat() -> None:
    inst = wasmkit.load(MODULE)
    assert inst.exports.count(100_000) == 100_000
    count = inst.funcs[2]
    assert count.tail is not None  # its body, for the trampoline of a tail call of it
