"""Shared number globals in native cells (engine/native/global_cells.py): native code reads and
writes them in place, and every holder of the `Global` (other instances, on either engine,
and the host) sees each change at once, NaN payloads and v128 bits included."""

from __future__ import annotations

import math
import struct

import pytest

import wasmkit
from wasmkit.engine.native.global_cells import CellGlobal
from wasmkit.syntax.types import GlobalType, ValType

pytest.importorskip("llvmlite")

OWNER = """
(module
  (global $sp (export "sp") (mut i32) (i32.const 1024))
  (global $f (export "f") (mut f64) (f64.const 1.5))
  (global $v (export "v") (mut v128) (v128.const i64x2 1 2))
  (func (export "push") (param i32) (result i32)
    (global.set $sp (i32.sub (global.get $sp) (local.get 0))) (global.get $sp))
  (func (export "f_bits") (result i64) (i64.reinterpret_f64 (global.get $f)))
  (func (export "v_high") (result i64) (i64x2.extract_lane 1 (global.get $v))))
"""

USER = """
(module
  (import "owner" "sp" (global $sp (mut i32)))
  (import "owner" "f" (global $f (mut f64)))
  (import "owner" "v" (global $v (mut v128)))
  (func (export "pop") (param i32) (result i32)
    (global.set $sp (i32.add (global.get $sp) (local.get 0))) (global.get $sp))
  (func (export "set_f_bits") (param i64) (global.set $f (f64.reinterpret_i64 (local.get 0))))
  (func (export "set_v") (param i64 i64)
    (global.set $v (i64x2.replace_lane 1 (i64x2.splat (local.get 0)) (local.get 1)))))
"""

NAN_BITS = 0x7FF4_0000_0000_0001  # a signalling NaN with a payload: its bits must survive


def link(owner_engine: str, user_engine: str) -> tuple[wasmkit.Instance, wasmkit.Instance]:
    owner = wasmkit.Instance(wasmkit.Module(OWNER), store=wasmkit.Store(owner_engine))
    imports = {"owner": {name: getattr(owner.exports, name) for name in ("sp", "f", "v")}}
    return owner, wasmkit.Instance(wasmkit.Module(USER), imports, store=wasmkit.Store(user_engine))


@pytest.mark.parametrize("engines", [("native", "native"), ("native", "python"), ("python", "native")])
def test_both_instances_and_the_host_see_each_change(engines: tuple[str, str]) -> None:
    owner, user = link(*engines)
    sp = owner.exports.sp
    assert owner.exports.push(16) == 1008
    assert user.exports.pop(4) == 1012 and sp.value == 1012
    assert owner.exports.push(12) == 1000
    sp.value = -8  # the host's write, as every instance reads it: 0xFFFF_FFF8
    assert user.exports.pop(8) == 0 and owner.exports.push(0) == 0 and sp.value == 0

    user.exports.set_f_bits(NAN_BITS)
    assert owner.exports.f_bits() == NAN_BITS
    assert math.isnan(owner.exports.f.value)
    assert struct.pack("<d", owner.exports.f.value) == struct.pack("<Q", NAN_BITS)
    owner.exports.f.value = -0.0
    assert owner.exports.f_bits() == -(1 << 63)  # i64 results are signed

    user.exports.set_v(5, -1)
    assert owner.exports.v_high() == -1
    assert owner.exports.v.value == (0xFFFF_FFFF_FFFF_FFFF << 64) | 5


def test_a_host_global_shared_by_two_native_instances() -> None:
    sp = wasmkit.Global(GlobalType(ValType.I32, True), 64)
    f = wasmkit.Global(GlobalType(ValType.F64, True), 0.0)
    v = wasmkit.Global(GlobalType(ValType.V128, True), 0)
    imports = {"owner": {"sp": sp, "f": f, "v": v}}
    first = wasmkit.Instance(wasmkit.Module(USER), imports, store=wasmkit.Store("native"))
    second = wasmkit.Instance(wasmkit.Module(USER), imports, store=wasmkit.Store("native"))
    assert all(isinstance(glob, CellGlobal) for glob in (sp, f, v))  # native code reaches them in place
    assert first.exports.pop(1) == 65 and second.exports.pop(1) == 66 and sp.value == 66
    assert repr(sp) == "<Global mut i32 = 66>"
    with pytest.raises(wasmkit.WasmError):
        wasmkit.Global(GlobalType(ValType.I32), 0).value = 1  # an immutable one stays so


class Counted(wasmkit.Global):
    """A user's subclass of Global, with attributes of its own (a __dict__)."""

    def __init__(self, value: int) -> None:
        super().__init__(GlobalType(ValType.I32, True), value)
        self.label = "sp"


def test_a_users_subclass_of_global_keeps_its_class_and_attributes() -> None:
    sp = Counted(64)
    v = wasmkit.Global(GlobalType(ValType.V128, True), 0)
    f = wasmkit.Global(GlobalType(ValType.F64, True), 0.0)
    user = wasmkit.Instance(wasmkit.Module(USER), {"owner": {"sp": sp, "f": f, "v": v}}, store=wasmkit.Store("native"))
    assert user.exports.pop(2) == 66 and sp.value == 66
    assert isinstance(sp, Counted) and sp.label == "sp" and type(sp).__name__ == "Counted"
    sp.value = 1
    assert user.exports.pop(1) == 2
