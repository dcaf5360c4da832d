"""Typed function references on the native engine beside the Python engine: `call_ref` to a
function of the instance (its direct path), of another instance and of the host (through the
runtime), and on null; `ref.as_non_null`, `br_on_null`, `br_on_non_null`; typed references in
globals, locals, tables and parameters, crossing to and from Python."""

from __future__ import annotations

import pytest

import wasmkit

pytest.importorskip("llvmlite")

OTHER = '(module (func (export "mul") (param i32 i32) (result i32) (i32.mul (local.get 0) (local.get 1))))'

MODULE = """
(module
  (type $binary (func (param i32 i32) (result i32)))
  (import "env" "sub" (func $host_sub (type $binary)))
  (import "other" "mul" (func $other_mul (type $binary)))
  (table $t (export "table") 10 (ref null $binary))
  (elem (table $t) (i32.const 0) (ref $binary)
    (ref.func $c0) (ref.func $c1) (ref.func $c2) (ref.func $c3) (ref.func $c4)
    (ref.func $c5) (ref.func $c6) (ref.func $c7) (ref.func $c8) (ref.func $c9))
  (elem declare func $host_sub $other_mul)
  (global $fixed (export "fixed") (ref $binary) (ref.func $add))
  (func $add (type $binary) (i32.add (local.get 0) (local.get 1)))
  (func $c0 (type $binary) (i32.add (local.get 0) (i32.const 0)))
  (func $c1 (type $binary) (i32.add (local.get 0) (i32.const 100)))
  (func $c2 (type $binary) (i32.add (local.get 0) (i32.const 200)))
  (func $c3 (type $binary) (i32.add (local.get 0) (i32.const 300)))
  (func $c4 (type $binary) (i32.add (local.get 0) (i32.const 400)))
  (func $c5 (type $binary) (i32.add (local.get 0) (i32.const 500)))
  (func $c6 (type $binary) (i32.add (local.get 0) (i32.const 600)))
  (func $c7 (type $binary) (i32.add (local.get 0) (i32.const 700)))
  (func $c8 (type $binary) (i32.add (local.get 0) (i32.const 800)))
  (func $c9 (type $binary) (i32.sub (local.get 0) (local.get 1)))
  (func (export "apply") (param $f (ref null $binary)) (param i32 i32) (result i32)
    (call_ref $binary (local.get 1) (local.get 2) (local.get $f)))
  (func (export "pick") (param i32 i32 i32) (result i32)
    (call_ref $binary (local.get 1) (local.get 2) (table.get $t (local.get 0))))
  (func (export "fixed_add") (param i32 i32) (result i32)
    (call_ref $binary (local.get 0) (local.get 1) (global.get $fixed)))
  (func (export "host") (param i32 i32) (result i32)
    (call_ref $binary (local.get 0) (local.get 1) (ref.func $host_sub)))
  (func (export "other") (param i32 i32) (result i32)
    (call_ref $binary (local.get 0) (local.get 1) (ref.func $other_mul)))
  (func (export "non_null") (param (ref null $binary)) (result (ref $binary))
    (ref.as_non_null (local.get 0)))
  (func (export "is_null") (param (ref null $binary)) (result i32)
    (block $null
      (br_on_null $null (local.get 0))
      (drop)
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "call_if_present") (param (ref null $binary) i32 i32) (result i32)
    (local $f (ref $binary))
    (block $present (result (ref $binary))
      (br_on_non_null $present (local.get 0))
      (return (i32.const -1)))
    (local.set $f)
    (call_ref $binary (local.get 1) (local.get 2) (local.get $f)))
)
"""


def outcomes(engine: str) -> list[object]:
    """What each call gives on `engine`: a result, or the trap's message."""
    store = wasmkit.Store(engine)
    other = wasmkit.Instance(wasmkit.Module(OTHER), store=store)
    binary = wasmkit.FuncType((wasmkit.ValType.I32, wasmkit.ValType.I32), (wasmkit.ValType.I32,))
    sub = wasmkit.Func.host(binary, lambda a, b: a - b)
    imports = {"env": {"sub": sub}, "other": {"mul": other.exports.mul}}
    exports = wasmkit.Instance(wasmkit.Module(MODULE), imports, store=store).exports
    c9 = exports.table.get(9)
    calls = [
        lambda: [exports.pick(i, 7, 3) for i in range(10)],  # ten handles: the mirror grows
        lambda: exports.fixed_add(2, 40),
        lambda: exports.host(50, 8),
        lambda: exports.other(6, 7),
        lambda: exports.apply(exports.fixed.value, 20, 22),
        lambda: exports.apply(c9, 20, 22),
        lambda: exports.apply(other.exports.mul, 20, 22),
        lambda: exports.apply(sub, 20, 22),
        lambda: exports.apply(None, 1, 2),
        lambda: exports.non_null(c9)(9, 4),
        lambda: exports.non_null(None),
        lambda: (exports.is_null(None), exports.is_null(c9)),
        lambda: (exports.call_if_present(None, 1, 2), exports.call_if_present(c9, 1, 2)),
        lambda: exports.call_if_present(sub, 10, 2),
    ]
    found: list[object] = []
    for call in calls:
        try:
            found.append(call())
        except wasmkit.Trap as trap:
            found.append(str(trap).splitlines()[0])
    return found


EXPECTED = [
    [7, 107, 207, 307, 407, 507, 607, 707, 807, 4],
    42, 42, 42, 42, -2, 440, -2,
    "null function reference",
    5,
    "null reference",
    (1, 0), (-1, -1), 8,
]  # fmt: skip


@pytest.mark.parametrize("engine", ["python", "native"])
def test_typed_function_references_give_the_same_results_on_both_engines(engine: str) -> None:
    assert outcomes(engine) == EXPECTED


def test_call_ref_calls_the_instances_own_functions_directly() -> None:
    """Each handle of one of the instance's functions has its address in the handles'
    mirror (call_ref's direct path); others (host, other instances, null) have none."""
    from wasmkit.engine.native.handles import FUNCTION

    store = wasmkit.Store("native")
    other = wasmkit.Instance(wasmkit.Module(OTHER), store=store)
    binary = wasmkit.FuncType((wasmkit.ValType.I32, wasmkit.ValType.I32), (wasmkit.ValType.I32,))
    sub = wasmkit.Func.host(binary, lambda a, b: a - b)
    instance = wasmkit.Instance(wasmkit.Module(MODULE), {"env": {"sub": sub}, "other": {"mul": other.exports.mul}}, store=store)
    assert [instance.exports.pick(i, 1, 1) for i in range(10)][-1] == 0
    assert instance.exports.host(3, 1) == 2 and instance.exports.other(3, 2) == 6
    binding = instance.native
    mirror = binding.mirror
    held = binding.references.references  # by a handle's index (see engine.native.handles)
    own = [h for h in range(1, len(held)) if instance.funcs.defined_index(held[h]) is not None]
    assert len(own) >= 11  # $add and $c0..$c9
    assert all(mirror.get(h, FUNCTION) != 0 for h in own)
    assert all(mirror.get(h, FUNCTION) == 0 for h in range(len(held)) if h not in own)
