"""Imports that are another instance's native functions, called at their entries once linked
(engine/native/lower.py `call_import`, module.py `link_import`): the same values, traps,
host exceptions, wasm exceptions, memory growth and fuel as through the runtime, and a
runaway recursion behind one stopped by the thread's stack limit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

import wasmkit
from wasmkit import Tag, ValType, WasmException

pytest.importorskip("llvmlite")

CALLEE = """
(module
  (import "host" "tag" (tag $t (param i32)))
  (import "host" "fail" (func $fail (param i32) (result i32)))
  (import "host" "memory" (memory 1 4))
  (func (export "mix") (param i32 i64 f32 f64 v128) (result f64 v128 i32)
    (f64.add (f64.convert_i64_s (local.get 1)) (f64.promote_f32 (local.get 2)))
    (i32x4.add (local.get 4) (i32x4.splat (local.get 0)))
    (i32.wrap_i64 (i64.reinterpret_f64 (local.get 3))))
  (func (export "boom") (param i32) (result i32) (if (local.get 0) (then unreachable)) (i32.const 7))
  (func (export "fail") (param i32) (result i32) (call $fail (local.get 0)))
  (func (export "throw") (param i32) (throw $t (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "far") (param i32) (result i32) (i32.load (local.get 0)))
  (func $spin (export "spin") (param i32) (result i32)
    (loop $l (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br $l)) (local.get 0)))
"""

CALLER = """
(module
  (import "host" "tag" (tag $t (param i32)))
  (import "host" "memory" (memory 1 4))
  (import "callee" "mix" (func $mix (param i32 i64 f32 f64 v128) (result f64 v128 i32)))
  (import "callee" "boom" (func $boom (param i32) (result i32)))
  (import "callee" "fail" (func $fail (param i32) (result i32)))
  (import "callee" "throw" (func $throw (param i32)))
  (import "callee" "grow" (func $grow (param i32) (result i32)))
  (import "callee" "far" (func $far (param i32) (result i32)))
  (import "callee" "spin" (func $spin (param i32) (result i32)))
  (func (export "mix") (param i32 i64 f32 f64 v128) (result f64 v128 i32)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "boom") (param i32) (result i32) (call $boom (local.get 0)))
  (func (export "fail") (param i32) (result i32) (call $fail (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $t $h) (call $throw (local.get 0)))
      (i32.const -1)))
  (func (export "throw") (param i32) (call $throw (local.get 0)))
  (func (export "grow_then_load") (result i32 i32)
    (drop (call $grow (i32.const 1)))
    (memory.size)
    (i32.store (i32.const 65536) (i32.const 42))
    (i32.load (i32.const 65536)))
  (func (export "far") (param i32) (result i32) (call $far (local.get 0)))
  (func (export "spin") (result i32) (call $spin (i32.const 0))))
"""

V = (4 << 96) | (3 << 64) | (2 << 32) | 1


def pair(engine: str = "native", fuel: int | None = None) -> tuple[Any, Any, Tag]:
    """The callee and the caller in one store, sharing a memory and a tag from the host."""
    store = wasmkit.Store(engine, fuel=fuel)  # type: ignore[arg-type]
    tag = Tag([ValType.I32], name="t")

    def fail(x: int) -> int:
        if x:
            raise ValueError(f"host says no to {x}")
        return 0

    fail_type = wasmkit.FuncType((ValType.I32,), (ValType.I32,))
    memory = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1, 4)))
    host = {"tag": tag, "fail": wasmkit.Func.host(fail_type, fail), "memory": memory}
    callee = wasmkit.Instance(wasmkit.Module(CALLEE), {"host": host}, store=store)
    imports = {"host": {"tag": tag, "memory": memory}, "callee": callee.exports}
    caller = wasmkit.Instance(wasmkit.Module(CALLER), imports, store=store)
    return callee, caller, tag


def test_calls_give_what_the_python_engine_gives() -> None:
    callee, caller, _ = pair()
    _, reference, _ = pair("python")
    args = (-5, 1 << 40, 1.5, -0.0, V)
    for _ in range(3):  # the first through the runtime, which links it; then direct
        assert caller.exports.mix(*args) == reference.exports.mix(*args)
    assert caller.exports.boom(0) == 7
    linked = caller.native.linked
    assert len(linked) == 2 and set(linked.values()) == {callee.native}  # `mix` and `boom`, to the callee


def test_a_trap_in_the_callee_is_the_callers_and_both_run_after() -> None:
    callee, caller, _ = pair()
    assert caller.exports.boom(0) == 7  # links it
    for _ in range(2):
        with pytest.raises(wasmkit.Trap, match="unreachable"):
            caller.exports.boom(1)
        assert caller.exports.boom(0) == 7 and callee.exports.boom(0) == 7


def test_a_host_exception_under_the_callee_reaches_python() -> None:
    _, caller, _ = pair()
    assert caller.exports.fail(0) == 0
    with pytest.raises(ValueError, match="host says no to 3"):
        caller.exports.fail(3)
    assert caller.exports.fail(0) == 0


def test_a_wasm_exception_from_the_callee_is_caught_by_the_caller_or_reaches_python() -> None:
    _, caller, tag = pair()
    assert [caller.exports.catch(n) for n in (5, 6, -7)] == [5, 6, -7]
    with pytest.raises(WasmException) as raised:
        caller.exports.throw(9)
    assert raised.value.tag is tag and raised.value.payload == (9,)
    assert caller.exports.catch(1) == 1


def test_memory_the_callee_grows_is_the_callers_at_once() -> None:
    _, caller, _ = pair()
    assert caller.exports.far(0) == 0  # links `far`; `grow` is linked by its first call below
    assert caller.exports.grow_then_load() == (2, 42)
    assert caller.exports.grow_then_load() == (3, 42)
    with pytest.raises(wasmkit.Trap, match="out of bounds memory access"):
        caller.exports.far(3 * 65536)  # past the memory, in the callee


def test_fuel_runs_out_in_the_callee() -> None:
    callee, caller, _ = pair(fuel=100_000)
    with pytest.raises(wasmkit.Trap, match="out of fuel"):
        caller.exports.spin()
    store = caller.store
    store.set_fuel(50_000)
    with pytest.raises(wasmkit.Trap, match="out of fuel"):
        caller.exports.spin()  # linked now
    assert store.fuel == 0


def test_imports_of_another_store_or_of_references_are_not_linked() -> None:
    callee_source = (
        '(module (func (export "id") (param funcref) (result funcref) (local.get 0))'
        ' (func (export "one") (result i32) (i32.const 1)))'
    )
    caller_source = (
        '(module (import "c" "id" (func $id (param funcref) (result funcref)))'
        ' (import "c" "one" (func $one (result i32)))'
        ' (func (export "one") (result i32) (call $one))'
        ' (func (export "null") (result i32) (ref.is_null (call $id (ref.null func)))))'
    )
    store = wasmkit.Store("native")
    callee = wasmkit.Instance(wasmkit.Module(callee_source), store=store)
    here = wasmkit.Instance(wasmkit.Module(caller_source), {"c": callee.exports}, store=store)
    elsewhere = wasmkit.Instance(wasmkit.Module(caller_source), {"c": callee.exports}, store=wasmkit.Store("native"))
    for _ in range(2):
        assert here.exports.one() == 1 and here.exports.null() == 1
        assert elsewhere.exports.one() == 1 and elsewhere.exports.null() == 1
    assert list(here.native.linked) == [1]  # `one`, not `id` (its references are handles of one binding)
    assert elsewhere.native.linked == {}  # another store's


RUNAWAY = """
import wasmkit
store = wasmkit.Store("native")
callee = wasmkit.Instance(wasmkit.Module('''
(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))))
'''), store=store)
caller = wasmkit.Instance(wasmkit.Module('''
(module
  (import "callee" "down" (func $down (param i32) (result i32)))
  (func (export "down") (param i32) (result i32) (call $down (local.get 0))))
'''), {"callee": callee.exports}, store=store)
print(caller.exports.down(0))  # through the runtime: links it
try:
    caller.exports.down(1)  # never reaches 0: recurses until the limit
except wasmkit.Trap as trap:
    print(trap)
print(caller.exports.down(0))
"""


def test_a_runaway_recursion_in_the_callee_is_stopped_at_the_limit() -> None:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(RUNAWAY)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["0", "call stack exhausted", "0"]
