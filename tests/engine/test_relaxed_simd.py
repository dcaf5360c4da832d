"""Relaxed SIMD (WebAssembly 3.0) on both engines: the spec's relaxed_*.wast files, the result
wasmkit picks for each instruction (docs/decisions.md: wasmtime's deterministic one), which
must be the same on both engines and bit for bit wasmtime's, madd's single rounding, and the
feature switch that refuses these instructions.

The Python engine runs the spec files in tests/spec/test_execution.py with the rest of the 3.0
suite; the native engine runs them here.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import wasmkit
from tests.spec.engines import ENGINES, require_engine
from tests.support import SHARED, require_shared
from wasmkit.cli import main
from wasmkit.opcodes import ALL, WASM_2_0, Feature
from wasmkit.script.runner import ScriptRunner
from wasmkit.text import parse_script

RELAXED = [op for op in ALL if op.feature is Feature.RELAXED_SIMD]
SPEC_FILES = sorted(path.name for path in (SHARED / "spec" / "wasm-3.0").glob("*relaxed*.wast")) or ["(testsuite missing)"]


def _failures(engine: str, source: str, name: str) -> list[str]:
    outcomes = list(ScriptRunner(engine).run(parse_script(source, name, keep_going=True)))
    assert outcomes, f"{name}: no commands ran"
    return [f"{name}:{o.line}: {o.kind}: {o.detail}" for o in outcomes if not o.passed]


def test_the_table_has_the_twenty_relaxed_instructions() -> None:
    assert [op.code for op in RELAXED] == list(range(0x100, 0x114))
    assert RELAXED[0].name == "i8x16.relaxed_swizzle" and RELAXED[-1].name == "i32x4.relaxed_dot_i8x16_i7x16_add_s"
    assert RELAXED[5].encoding == bytes([0xFD, 0x85, 0x02])  # f32x4.relaxed_madd: sub-opcode 0x105 in LEB128
    assert Feature.RELAXED_SIMD not in WASM_2_0


@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_relaxed_simd_file_passes_on_the_native_engine(name: str) -> None:
    require_engine("native")
    source = require_shared("spec", "wasm-3.0", name).read_text()
    assert _failures("native", source, name) == []


# The results wasmkit picks, where the spec allows several: fused madd (one rounding), trunc as
# trunc_sat, swizzle as swizzle, the dot products signed and wrapping, laneselect bitwise.
CHOICES = """
(module
  (func (export "madd32") (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd32") (param v128 v128 v128) (result v128) (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "madd64") (param v128 v128 v128) (result v128) (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd64") (param v128 v128 v128) (result v128) (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "trunc32_s") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "trunc32_u") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func (export "trunc64_s") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
  (func (export "swizzle") (param v128 v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "dot") (param v128 v128) (result v128) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func (export "dot_add") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect") (param v128 v128 v128) (result v128) (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
)
;; x * y = 1 + 2^-11 + 2^-24, half way between two floats: the fused sum with 2^-70 is above
;; the half way point and rounds up; rounded to f64 first, the 2^-70 is lost, and the tie then
;; rounds to even, down; unfused, x * y rounds down and the sum stays there.
(assert_return (invoke "madd32" (v128.const f32x4 0x1.001p+0 1 1 1) (v128.const f32x4 0x1.001p+0 1 1 1)
                                (v128.const f32x4 0x1p-70 0 0 0))
               (v128.const f32x4 0x1.002002p+0 1 1 1))
;; the spec's example: fused 2^-37, unfused 0
(assert_return (invoke "madd32" (v128.const f32x4 0x1.000004p+0 0 0 0) (v128.const f32x4 0x1.0002p+0 0 0 0)
                                (v128.const f32x4 -0x1.000204p+0 0 0 0))
               (v128.const f32x4 0x1p-37 0 0 0))
(assert_return (invoke "nmadd32" (v128.const f32x4 0x1.001p+0 0 0 0) (v128.const f32x4 0x1.001p+0 0 0 0)
                                 (v128.const f32x4 -0x1p-70 0 0 0))
               (v128.const f32x4 -0x1.002002p+0 0 0 0))
;; (1 + 2^-30)^2 - (1 + 2^-29) = 2^-60 fused, 0 unfused
(assert_return (invoke "madd64" (v128.const f64x2 0x1.00000004p+0 0x1.fffffffffffffp+1023)
                                (v128.const f64x2 0x1.00000004p+0 2)
                                (v128.const f64x2 -0x1.00000008p+0 -0x1.fffffffffffffp+1023))
               (v128.const f64x2 0x1p-60 0x1.fffffffffffffp+1023))
(assert_return (invoke "nmadd64" (v128.const f64x2 0x1.00000004p+0 0x1.fffffffffffffp+1023)
                                 (v128.const f64x2 0x1.00000004p+0 2)
                                 (v128.const f64x2 0x1.00000008p+0 inf))
               (v128.const f64x2 -0x1p-60 inf))
(assert_return (invoke "trunc32_s" (v128.const f32x4 nan -nan 3e9 -3e9)) (v128.const i32x4 0 0 0x7fffffff 0x80000000))
(assert_return (invoke "trunc32_u" (v128.const f32x4 nan -1.5 5e9 2.5)) (v128.const i32x4 0 0 0xffffffff 2))
(assert_return (invoke "trunc64_s" (v128.const f64x2 nan -3e9)) (v128.const i32x4 0 0x80000000 0 0))
(assert_return (invoke "swizzle" (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
                                 (v128.const i8x16 0 15 16 128 255 1 0 0 0 0 0 0 0 0 0 0))
               (v128.const i8x16 1 16 0 0 0 2 1 1 1 1 1 1 1 1 1 1))
;; -128 * -128 twice is 32768: wrapped to -32768
(assert_return (invoke "dot" (v128.const i8x16 -128 -128 -128 -127 0 0 0 0 0 0 0 0 0 0 0 0)
                             (v128.const i8x16 -128 -128 -128 -128 0 0 0 0 0 0 0 0 0 0 0 0))
               (v128.const i16x8 -32768 32640 0 0 0 0 0 0))
(assert_return (invoke "dot_add" (v128.const i8x16 -128 -128 -128 -128 0 0 0 0 0 0 0 0 0 0 0 0)
                                 (v128.const i8x16 -128 -128 -128 -128 0 0 0 0 0 0 0 0 0 0 0 0)
                                 (v128.const i32x4 1 2 3 4))
               (v128.const i32x4 -65535 2 3 4))
(assert_return (invoke "laneselect" (v128.const i32x4 0x12345678 -1 0 0) (v128.const i32x4 0 0 -1 7)
                                    (v128.const i32x4 0xff00ff00 0x0f0f0f0f 0 -1))
               (v128.const i32x4 0x12005600 0x0f0f0f0f -1 0))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_gives_the_chosen_results(engine: str) -> None:
    require_engine(engine)
    assert _failures(engine, CHOICES, "choices.wast") == []


def _exports_module() -> str:
    """Each relaxed instruction as a function of i64 pairs (one pair per v128 operand) giving
    its result as an i64 pair, so that no NaN passes through a Python float at the API edge."""
    functions = []
    for op in RELAXED:
        count = len(op.params or ())
        params = " ".join(["i64 i64"] * count)
        operands = " ".join(f"(i64x2.replace_lane 1 (i64x2.splat (local.get {2 * k})) (local.get {2 * k + 1}))" for k in range(count))
        result = f"(local.get {2 * count})"
        functions.append(
            f'(func (export "{op.name}") (param {params}) (result i64 i64) (local v128) (local.set {2 * count} ({op.name} {operands}))'
            f" (i64x2.extract_lane 0 {result}) (i64x2.extract_lane 1 {result}))"
        )
    return "(module\n" + "\n".join(functions) + "\n)"


# Float lanes worth trying: signed ones and zeros, infinities, quiet and signalling NaNs with
# and without payloads, large and small values for the truncations and madd's overflow.
F32 = [0xBF80_0000, 0x0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000, 0x7FC0_0123, 0x7F80_0001,
       0xFFA0_0000, 0x3F80_0001, 0x4F00_0000, 0xCF00_0001, 0x7F7F_FFFF, 0x0000_0001]  # fmt: skip
F64 = [0xBFF0_0000_0000_0000, 0x0, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
       0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000, 0x7FF8_0000_0000_0123, 0x7FF0_0000_0000_0001,
       0xFFF4_0000_0000_0000, 0x41E0_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0x0000_0000_0000_0001]  # fmt: skip


def _vector(rng: random.Random, name: str, operand: int) -> int:
    """A random v128 operand of instruction `name`: float lanes mostly from the lists above."""
    float_input = name.startswith("f") or "_f32x4" in name or "_f64x2" in name
    if not float_input or (name.startswith("i32x4.relaxed_trunc") and operand > 0):
        return rng.getrandbits(128)
    bits, special = (32, F32) if "f32x4" in name else (64, F64)
    return sum((rng.choice(special) if rng.random() < 0.7 else rng.getrandbits(bits)) << (bits * i) for i in range(128 // bits))


def _calls() -> list[tuple[str, tuple[int, ...]]]:
    rng = random.Random(16)
    calls = []
    for op in RELAXED:
        for _ in range(150):
            vectors = [_vector(rng, op.name, k) for k in range(len(op.params or ()))]
            calls.append((op.name, tuple(_signed(v >> shift) for v in vectors for shift in (0, 64))))
    return calls


def _signed(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


@pytest.fixture(scope="module")
def wasmtime_results() -> dict[tuple[str, tuple[int, ...]], tuple[int, ...]]:
    wasmtime = pytest.importorskip("wasmtime")
    config = wasmtime.Config()
    config.wasm_relaxed_simd = True
    config.wasm_relaxed_simd_deterministic = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    exports = wasmtime.Instance(store, wasmtime.Module(engine, _exports_module()), []).exports(store)
    return {(name, args): tuple(exports[name](store, *args)) for name, args in _calls()}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_gives_wasmtimes_deterministic_results_bit_for_bit(engine: str, wasmtime_results: dict) -> None:
    require_engine(engine)
    exports = wasmkit.Instance(wasmkit.Module(_exports_module()), store=wasmkit.Store(engine)).exports
    differences = []
    for (name, args), want in wasmtime_results.items():
        got = tuple(exports[name](*args))
        if got != want:
            differences.append(f"{name}{tuple(hex(a & (1 << 64) - 1) for a in args)}: {got} != {want}")
    assert differences == []


@pytest.mark.parametrize("command", ["validate", "run", "wat2wasm"])
def test_disable_relaxed_simd_refuses_the_module(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.wat"
    source.write_text('(module\n  (func $f (export "f")\n    (drop (i16x8.relaxed_q15mulr_s (v128.const i64x2 0 0) (v128.const i64x2 0 0)))))')
    out = ["-o", str(tmp_path / "m.wasm")] if command == "wat2wasm" else []
    run = ["--invoke", "f"] if command == "run" else []
    assert main([command, *run, str(source), *out]) == 0
    capsys.readouterr()
    assert main([command, "--disable-relaxed-simd", *run, str(source), *out]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"wasmkit: error: {source}:3:")
    assert "i16x8.relaxed_q15mulr_s needs the relaxed-simd feature, disabled by --disable-relaxed-simd" in first
