"""Python values entering the store: every way in converts the same way (DESIGN.md §3)."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import FuncType, GlobalType, Limits, TableType, ValType
from wasmkit.compat import wasmtime as w
from wasmkit.runtime.values import f32

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64

READER = """
(module
  (import "env" "g32" (global $g32 (mut i32)))
  (import "env" "g64" (global $g64 (mut i64)))
  (import "env" "gf" (global $gf (mut f32)))
  (func (export "g32") (result i32) (global.get $g32))
  (func (export "g64") (result i64) (global.get $g64))
  (func (export "gf") (result f32) (global.get $gf)))
"""


@pytest.mark.parametrize("engine", ["python", "native"])
def test_global_constructor_takes_python_values(engine: str) -> None:
    if engine == "native":
        pytest.importorskip("llvmlite")
    g32 = wasmkit.Global(GlobalType(I32, True), -1)
    g64 = wasmkit.Global(GlobalType(I64, True), -1)
    gf = wasmkit.Global(GlobalType(F32, True), 0.1)
    assert (g32.value, g64.value, gf.value) == (-1, -1, f32(0.1))
    exports = wasmkit.load(READER, {"env": {"g32": g32, "g64": g64, "gf": gf}}, engine=engine).exports
    assert (exports.g32(), exports.g64(), exports.gf()) == (-1, -1, f32(0.1))


def test_unsigned_ints_are_accepted_and_read_back_signed() -> None:
    assert wasmkit.Global(GlobalType(I32), 0xFFFF_FFFF).value == -1
    assert wasmkit.Global(GlobalType(I64), 2**63).value == -(2**63)


@pytest.mark.parametrize(
    ("valtype", "value", "error"),
    [(I32, 2**32, ValueError), (I32, -(2**31) - 1, ValueError), (I64, 2**64, ValueError), (I32, 1.5, TypeError), (F64, "1", TypeError)],
)
def test_values_that_do_not_fit_are_refused_everywhere(valtype: ValType, value: object, error: type) -> None:
    with pytest.raises(error):
        wasmkit.Global(GlobalType(valtype, True), value)
    glob = wasmkit.Global(GlobalType(valtype, True), 0)
    with pytest.raises(error):
        glob.value = value


def test_setting_a_global_converts() -> None:
    glob = wasmkit.Global(GlobalType(F32, True), 0.0)
    glob.value = 0.1
    assert glob.value == f32(0.1)


def test_tables_take_only_references_of_their_type() -> None:
    table = wasmkit.Table(TableType(Limits(1, None), ValType.FUNCREF))
    with pytest.raises(TypeError, match="funcref"):
        table.set(0, 5)
    with pytest.raises(TypeError, match="funcref"):
        table.grow(1, "not a function")
    with pytest.raises(TypeError, match="funcref"):
        wasmkit.Table(TableType(Limits(1, None), ValType.FUNCREF), init=object())
    assert table.size == 1 and table.get(0) is None
    host = wasmkit.Func.host(FuncType((), ()), lambda: None)
    table.set(0, host)
    assert table.get(0) is host
    anything = object()
    externs = wasmkit.Table(TableType(Limits(1, None), ValType.EXTERNREF), init=anything)
    assert externs.get(0) is anything


def test_host_function_results_convert() -> None:
    exports = wasmkit.load(
        '(module (import "env" "f" (func $f (result i32 f32))) (func (export "g") (result i32 f32) (call $f)))',
        {"env": {"f": lambda: (0xFFFF_FFFF, 0.1)}},
    ).exports
    assert exports.g() == (-1, f32(0.1))


def test_compat_layer_converts_like_wasmtime_py() -> None:
    store = w.Store()
    glob = w.Global(store, w.GlobalType(w.ValType.i32(), True), 0xFFFF_FFFF)
    assert glob.value(store) == -1
    table = w.Table(store, w.TableType(w.ValType.funcref(), w.Limits(1, None)), None)
    with pytest.raises(TypeError):
        table.set(store, 0, 7)
