"""NaN bits: the Python engine, the native engine and wasmtime must make the same NaNs.

The spec lets arithmetic make a NaN of either sign, but wasmkit's engines must agree bit for bit
(DESIGN.md section 4), and wasmtime, the reference, gives x86's default NaN (sign bit set) for a
fresh NaN and the first NaN operand, quieted, otherwise. Every function here takes and returns
raw bits, so that no NaN passes through a Python float at the API edge.
"""

from __future__ import annotations

import itertools

import pytest

import wasmkit

wasmtime = pytest.importorskip("wasmtime")
pytest.importorskip("llvmlite")

F64 = [0xBFF0_0000_0000_0000, 0x0, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
       0x3FF8_0000_0000_0000, 0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000, 0x7FF8_0000_0000_0123,
       0x7FF0_0000_0000_0001, 0xFFF4_0000_0000_0000]  # fmt: skip
F32 = [0xBF80_0000, 0x0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x3FC0_0000, 0x7FC0_0000, 0xFFC0_0000,
       0x7FC0_0123, 0x7F80_0001, 0xFFA0_0000]  # fmt: skip

UNARY = ["sqrt", "ceil", "floor", "trunc", "nearest", "abs", "neg"]
BINARY = ["add", "sub", "mul", "div", "min", "max", "copysign"]
SIMD_UNARY = ["sqrt", "ceil", "floor", "trunc", "nearest", "abs", "neg"]
SIMD_BINARY = ["add", "sub", "mul", "div", "min", "max", "pmin", "pmax"]


def _functions() -> list[str]:
    out = []
    for f, i in (("f32", "i32"), ("f64", "i64")):
        v = f"({f}.reinterpret_{i} (local.get 0))"
        w = f"({f}.reinterpret_{i} (local.get 1))"
        for op in UNARY:
            out.append(f'(func (export "{f}.{op}") (param {i}) (result {i}) ({i}.reinterpret_{f} ({f}.{op} {v})))')
        for op in BINARY:
            out.append(f'(func (export "{f}.{op}") (param {i} {i}) (result {i}) ({i}.reinterpret_{f} ({f}.{op} {v} {w})))')
        shape = "f32x4" if f == "f32" else "f64x2"
        ishape = "i32x4" if f == "f32" else "i64x2"
        # lane 0 holds (a, b), lane 1 (b, a): results from two lanes come back as two scalars
        x = f"({shape}.replace_lane 1 ({shape}.splat {v}) {w})"
        y = f"({shape}.replace_lane 1 ({shape}.splat {w}) {v})"
        lanes = "(local.set 2 {0}) ({1}.extract_lane 0 (local.get 2)) ({1}.extract_lane 1 (local.get 2))"
        for op in SIMD_UNARY:
            body = lanes.format(f"({shape}.{op} {x})", ishape)
            out.append(f'(func (export "{shape}.{op}") (param {i} {i}) (result {i} {i}) (local v128) {body})')
        for op in SIMD_BINARY:
            body = lanes.format(f"({shape}.{op} {x} {y})", ishape)
            out.append(f'(func (export "{shape}.{op}") (param {i} {i}) (result {i} {i}) (local v128) {body})')
    out += [
        '(func (export "demote") (param i64) (result i32) (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))',
        '(func (export "promote") (param i32) (result i64) (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (local.get 0)))))',
        '(func (export "demote_zero") (param i64 i64) (result i32 i32) (local v128)'
        " (local.set 2 (f32x4.demote_f64x2_zero (f64x2.replace_lane 1 (f64x2.splat (f64.reinterpret_i64 (local.get 0)))"
        " (f64.reinterpret_i64 (local.get 1))))) (i32x4.extract_lane 0 (local.get 2)) (i32x4.extract_lane 1 (local.get 2)))",
        '(func (export "promote_low") (param i32 i32) (result i64 i64) (local v128)'
        " (local.set 2 (f64x2.promote_low_f32x4 (f32x4.replace_lane 1 (f32x4.splat (f32.reinterpret_i32 (local.get 0)))"
        " (f32.reinterpret_i32 (local.get 1))))) (i64x2.extract_lane 0 (local.get 2)) (i64x2.extract_lane 1 (local.get 2)))",
        # the wasm-smith case: a NaN's bits fed into a conversion and a trapping truncation
        '(func (export "sqrt_chain") (param i64) (result i32)'
        " (i32.reinterpret_f32 (f32.convert_i64_s (i64.reinterpret_f64 (f64.sqrt (f64.reinterpret_i64 (local.get 0)))))))",
        '(func (export "div_chain") (param i32 i32) (result i64)'
        " (i64.trunc_sat_f32_u (f32.convert_i32_s (i32.reinterpret_f32"
        " (f32.div (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))))",
    ]
    return out


MODULE = "(module\n" + "\n".join(_functions()) + "\n)"


def _calls() -> list[tuple[str, tuple[int, ...]]]:
    calls: list[tuple[str, tuple[int, ...]]] = []
    for f, values in (("f32", F32), ("f64", F64)):
        shape = "f32x4" if f == "f32" else "f64x2"
        calls += [(f"{f}.{op}", (a,)) for op in UNARY for a in values]
        calls += [(f"{f}.{op}", p) for op in BINARY for p in itertools.product(values, repeat=2)]
        calls += [(f"{shape}.{op}", p) for op in SIMD_UNARY for p in zip(values, reversed(values))]
        calls += [(f"{shape}.{op}", p) for op in SIMD_BINARY for p in itertools.product(values, repeat=2)]
    calls += [("demote", (a,)) for a in F64] + [("promote", (a,)) for a in F32]
    calls += [("demote_zero", p) for p in zip(F64, reversed(F64))] + [("promote_low", p) for p in zip(F32, reversed(F32))]
    calls += [("sqrt_chain", (a,)) for a in F64] + [("div_chain", p) for p in itertools.product(F32, repeat=2)]
    return calls


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _bits(name: str, results: object) -> tuple[int, ...]:
    """Results as unsigned bits (wasmkit and wasmtime both give signed ints)."""
    values = results if isinstance(results, (tuple, list)) else (results,)
    narrow = name.startswith(("f32", "demote", "sqrt_chain"))
    return tuple(v & (0xFFFF_FFFF if narrow else 0xFFFF_FFFF_FFFF_FFFF) for v in values)  # type: ignore[operator]


def _arguments(name: str, args: tuple[int, ...]) -> list[int]:
    wide = name.startswith(("f64", "demote", "sqrt_chain"))
    return [_signed(a, 64 if wide else 32) for a in args]


def _run_wasmkit(engine: str) -> dict[tuple[str, tuple[int, ...]], tuple[int, ...]]:
    exports = wasmkit.Instance(wasmkit.Module(MODULE), store=wasmkit.Store(engine)).exports
    return {(name, args): _bits(name, exports[name](*_arguments(name, args))) for name, args in _calls()}


def _run_wasmtime() -> dict[tuple[str, tuple[int, ...]], tuple[int, ...]]:
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, MODULE), [])
    exports = instance.exports(store)
    return {(name, args): _bits(name, exports[name](store, *_arguments(name, args))) for name, args in _calls()}


@pytest.fixture(scope="module")
def reference() -> dict[tuple[str, tuple[int, ...]], tuple[int, ...]]:
    return _run_wasmtime()


def _is_nan(name: str, bits: int) -> bool:
    """Whether `bits`, an argument of the scalar or lane operation `name`, is a NaN."""
    if name.startswith("f32"):
        return bits & 0x7F80_0000 == 0x7F80_0000 and bool(bits & 0x7F_FFFF)
    return bits & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000 and bool(bits & 0xF_FFFF_FFFF_FFFF)


def _differences(got: dict, want: dict, skip: object = lambda name, args: False) -> list[str]:
    return [f"{name}{tuple(hex(a) for a in args)}: {[hex(v) for v in got[name, args]]} != {[hex(v) for v in want[name, args]]}"
            for name, args in want if got[name, args] != want[name, args] and not skip(name, args)]  # fmt: skip


def _min_max_of_nan(name: str, args: tuple[int, ...]) -> bool:
    """wasmtime's x86 min/max sequence picks its own NaN; wasmkit takes `a + b` (decisions.md)."""
    return name.endswith((".min", ".max")) and any(_is_nan(name, a) for a in args)


@pytest.mark.parametrize("engine", ["python", "native"])
def test_engine_makes_wasmtimes_nans(engine: str, reference: dict) -> None:
    assert _differences(_run_wasmkit(engine), reference) == []


def test_python_engine_makes_the_native_engines_nans() -> None:
    assert _differences(_run_wasmkit("python"), _run_wasmkit("native")) == []


def test_sqrt_of_minus_one_is_the_negative_default_nan() -> None:
    for engine in ("python", "native"):
        exports = wasmkit.Instance(wasmkit.Module(MODULE), store=wasmkit.Store(engine)).exports
        assert exports["f64.sqrt"](_signed(0xBFF0_0000_0000_0000, 64)) & (2**64 - 1) == 0xFFF8_0000_0000_0000
        assert exports["f32.div"](0, 0) & 0xFFFF_FFFF == 0xFFC0_0000


NAN_PAIRS = '''(module (memory 1)
  (func (export "f32.add") (param f32 f32) (result i32) (i32.reinterpret_f32 (f32.add (local.get 0) (local.get 1))))
  (func (export "f64.mul") (param f64 f64) (result i64) (i64.reinterpret_f64 (f64.mul (local.get 0) (local.get 1))))
  (func (export "exprs") (param f32 f32) (result i32)
    (i32.reinterpret_f32 (f32.add (f32.neg (local.get 0)) (f32.abs (local.get 1)))))
  (func (export "constants") (result i32)
    (i32.reinterpret_f32 (f32.mul (f32.const -nan:0x7effff) (f32.const nan:0x7fffbf))))
  (func (export "trapping_second") (param f32) (result i32)
    (i32.reinterpret_f32 (f32.add (local.get 0) (f32.load (i32.const 65536))))))'''

FIRST, SECOND = 0xFFFE_FFFF, 0x7FFF_FFBF  # two quiet NaNs of opposite sign and unlike payloads


@pytest.mark.parametrize("engine", ["python", "native"])
def test_the_first_of_two_nans_on_every_call(engine: str) -> None:
    """CPython's float `+` gives either of two NaNs, depending on whether its generic or its
    specialised path runs, which changes after a few calls: the answer must not."""
    exports = wasmkit.Instance(wasmkit.Module(NAN_PAIRS), store=wasmkit.Store(engine)).exports
    first, second = (wasmkit.runtime.values.f32_from_bits(bits) for bits in (FIRST, SECOND))
    wide = [wasmkit.runtime.values.f64_from_bits(bits) for bits in (0xFFF8_0000_0000_0123, 0x7FF8_0000_0000_0456)]
    for _ in range(20):
        assert exports["f32.add"](first, second) & 0xFFFF_FFFF == FIRST
        assert exports["f32.add"](second, first) & 0xFFFF_FFFF == SECOND
        assert exports["f64.mul"](*wide) & (2**64 - 1) == 0xFFF8_0000_0000_0123
        assert exports["exprs"](first, second) & 0xFFFF_FFFF == FIRST ^ 0x8000_0000
        assert exports["constants"]() & 0xFFFF_FFFF == FIRST
        with pytest.raises(wasmkit.Trap):
            exports["trapping_second"](first)
