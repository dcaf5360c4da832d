"""Mutation fuzzing of execution, on each engine: whatever a (valid) mutated module does when
run, only WasmError subclasses escape, and the process lives. Fuel bounds the runs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wasmkit
from wasmkit.errors import WasmError
from wasmkit.syntax.types import FuncType, ValType

SEEDS = [
    wasmkit.write_module(wasmkit.parse_wat(text))
    for text in (
        """(module (memory 1 2) (table 4 funcref) (elem (i32.const 0) $a $b)
          (global $g (mut i32) (i32.const 7))
          (func $a (param i32) (result i32) (i32.div_s (local.get 0) (global.get $g)))
          (func $b (param i32) (result i32) (i32.load offset=4 (local.get 0)))
          (func (export "mix") (param i32 i64 f64) (result i32)
            (i32.store (local.get 0) (i32.wrap_i64 (local.get 1)))
            (global.set $g (i32.add (global.get $g) (i32.trunc_sat_f64_s (local.get 2))))
            (call_indirect (param i32) (result i32) (local.get 0) (i32.rem_u (local.get 0) (i32.const 3))))
          (func (export "loop") (param i32) (result i32) (local i32)
            (block (loop (br_if 1 (i32.eqz (local.get 0)))
              (local.set 1 (i32.add (local.get 1) (memory.grow (i32.const 1))))
              (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
            (local.get 1)))""",
        """(module (memory 1)
          (func $f (export "f") (param i32 f32) (result f32 i32)
            (f32.sqrt (f32.div (local.get 1) (f32.convert_i32_s (local.get 0))))
            (select (local.get 0) (i32.const 9) (f32.lt (local.get 1) (f32.const 0))))
          (func (export "simd") (param i32) (result i32)
            (i32x4.extract_lane 1 (i32x4.add (v128.load (local.get 0)) (i32x4.splat (local.get 0)))))
          (func (export "rec") (param i32) (result i32)
            (if (result i32) (local.get 0) (then (call 2 (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0)))))""",
    )
]


def _value(vt: ValType) -> object:
    return {ValType.F32: 1.5, ValType.F64: -2.25, ValType.V128: 3}.get(vt, 5) if not vt.is_ref else None


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(8, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    return bytes(data)


@pytest.mark.parametrize("engine", ["python", "native"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_running_mutated_modules_raises_only_wasm_errors(engine: str, data: bytes) -> None:
    try:
        module = wasmkit.Module(data)
    except WasmError:
        return
    store = wasmkit.Store(engine, fuel=20_000, limits=wasmkit.StoreLimits(memory_bytes=4 << 20, max_call_depth=500))
    imports = []
    for _, _, declared in module.imports:
        if isinstance(declared, FuncType):
            imports.append(wasmkit.Func.host(declared, lambda *args, t=declared: tuple(_value(r) for r in t.results) if len(t.results) > 1 else (_value(t.results[0]) if t.results else None)))
        else:
            return  # the seeds import functions only; a mutation that imports more is not run
    try:
        instance = wasmkit.Instance(module, imports, store=store)
        for name in instance.exports:
            item = instance.exports[name]
            if isinstance(item, wasmkit.Func):
                try:
                    item(*[_value(t) for t in item.type.params])
                except WasmError:
                    pass
    except WasmError:
        pass
