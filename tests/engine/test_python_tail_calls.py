"""Tail calls on the Python engine: chains of a million `return_call`s run in constant Python
stack (no RecursionError, no call-depth trap) and give the right results, whether the callee
is the function itself, another one, one reached through a table, a host function or a
function of another instance."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import Trap

MILLION = 1_000_000

EVEN_ODD = """(module
  (type $i64->i32 (func (param i64) (result i32)))
  (table $t 2 funcref) (elem (table $t) (i32.const 0) func $even $odd)
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  ;; the same through the table: even is element 0, odd element 1
  (func $even_i (export "even_indirect") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call_indirect $t (type $i64->i32) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $count (export "count") (param i64 i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 3))))))
  (func $swap (export "swap") (param i32 i64 i32) (result i64 i32)
    (if (result i64 i32) (i32.eqz (local.get 0)) (then (local.get 1) (local.get 2))
      (else (return_call $swap (i32.sub (local.get 0) (i32.const 1)) (local.get 1) (i32.add (local.get 2) (i32.const 1))))))
  (func (export "wrong_type") (result i32)
    (return_call_indirect $t (type $i64->i32) (i64.const 0) (i32.const 9))))
"""


@pytest.fixture(scope="module")
def exports() -> wasmkit.Instance:
    return wasmkit.Instance(wasmkit.Module(EVEN_ODD), store=wasmkit.Store("python")).exports


def test_mutual_recursion_a_million_deep(exports) -> None:
    assert exports.even(MILLION) == 1
    assert exports.odd(MILLION) == 0
    assert exports.even(7) == 0


def test_self_recursion_a_million_deep(exports) -> None:
    assert exports.count(MILLION, 5) == 5 + 3 * MILLION


def test_several_results_pass_through(exports) -> None:
    assert exports.swap(1000, -2, 0) == (-2, 1000)


def test_through_a_table(exports) -> None:
    assert exports.even_indirect(11) == 0
    assert exports.even_indirect(MILLION) == 1


def test_an_undefined_element_traps(exports) -> None:
    with pytest.raises(Trap, match="undefined element"):
        exports.wrong_type()


def test_a_host_function_as_the_callee() -> None:
    seen = []

    def host(x: int) -> int:
        seen.append(x)
        return x * 2

    text = """(module (import "env" "double" (func $double (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (return_call $double (i32.add (local.get 0) (i32.const 1)))))"""
    instance = wasmkit.load(text, {"env": {"double": host}})
    assert instance.exports.f(20) == 42 and seen == [21]


def test_a_host_function_that_raises_through_a_tail_call() -> None:
    def host(x: int) -> int:
        raise ValueError("no")

    text = """(module (import "env" "h" (func $h (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (return_call $h (local.get 0))))"""
    instance = wasmkit.load(text, {"env": {"h": host}})
    with pytest.raises(ValueError, match="no"):
        instance.exports.f(1)


def test_across_instances_a_million_deep() -> None:
    """ping (one instance) tail-calls through a shared table into pong (another), which
    tail-calls the imported ping: the whole chain stays in one trampoline."""
    store = wasmkit.Store("python")
    ping = wasmkit.Instance(
        wasmkit.Module("""(module (type $t (func (param i64) (result i64)))
          (table (export "table") 1 funcref)
          (func (export "ping") (param i64) (result i64)
            (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 100))
              (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0))))))"""),
        store=store,
    )
    pong = wasmkit.Instance(
        wasmkit.Module("""(module (import "ping" "ping" (func $ping (param i64) (result i64)))
          (import "ping" "table" (table 1 funcref))
          (elem (i32.const 0) func $pong)
          (func $pong (export "pong") (param i64) (result i64)
            (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 200))
              (else (return_call $ping (i64.sub (local.get 0) (i64.const 1)))))))"""),
        {"ping": ping.exports},
        store=store,
    )
    assert ping.exports.ping(MILLION) == 100
    assert pong.exports.pong(MILLION) == 200
    assert ping.exports.ping(MILLION + 1) == 200


def test_under_a_call_depth_limit_and_fuel() -> None:
    """Metered code counts a call's depth for its extent: a tail call ends the caller's, so a
    million of them stay within a depth limit of 10, and each is charged its fuel."""
    store = wasmkit.Store("python", wasmkit.StoreLimits(max_call_depth=10), fuel=10**9)
    exports = wasmkit.Instance(wasmkit.Module(EVEN_ODD), store=store).exports
    assert exports.even(MILLION) == 1
    assert 10**9 - store.fuel >= MILLION
    store.set_fuel(1000)
    with pytest.raises(Trap, match="fuel"):
        exports.count(MILLION, 0)


@pytest.mark.parametrize("results", ["(result i64 i64)", ""])
def test_from_loops_nested_past_cpythons_limit(results: str) -> None:
    """A tail call from a loop written as a closure (nested past CPython's 20 loops) returns
    its request through the closure's caller."""
    done = "(return (i64.const 7) (i64.const 8))" if results else "(return)"
    body = f"(if (i32.eqz (local.get 0)) (then {done})) (return_call $f (i32.sub (local.get 0) (i32.const 1)))"
    for i in range(25):
        body = f"(loop $l{i} (br_if $l{i} (i32.const 0)) {body})"
    f = wasmkit.load(f'(module (func $f (export "f") (param i32) {results} {body} (unreachable)))').exports.f
    assert f(100_000) == ((7, 8) if results else None)
