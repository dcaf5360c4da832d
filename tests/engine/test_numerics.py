"""Numeric corners, bit-exact: each instruction run through the public API on small modules."""

from __future__ import annotations

import struct

import pytest

import wasmkit
from wasmkit import Trap

NAN_F32 = 0x7FC00000


def run(signature: str, body: str, *args: object) -> object:
    """Run `(func (export "f") SIGNATURE BODY)` with `args`."""
    module = wasmkit.Module(f'(module (memory 1) (func (export "f") {signature} {body}))')
    return wasmkit.Instance(module).exports.f(*args)


def f32_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def u32(value: int) -> int:
    return value & 0xFFFF_FFFF


# -- integers --


@pytest.mark.parametrize(
    "op, a, b, expected",
    [
        ("i32.add", 0x7FFFFFFF, 1, -0x80000000),
        ("i32.sub", -0x80000000, 1, 0x7FFFFFFF),
        ("i32.mul", 0x10000, 0x10000, 0),
        ("i32.div_s", -7, 2, -3),
        ("i32.rem_s", -7, 2, -1),
        ("i32.rem_s", -0x80000000, -1, 0),
        ("i32.div_u", -1, 2, 0x7FFFFFFF),
        ("i32.rem_u", -1, 10, 5),
        ("i32.shr_s", -16, 2, -4),
        ("i32.shr_u", -16, 2, 0x3FFFFFFC),
        ("i32.shl", 1, 33, 2),
        ("i32.rotl", -0x7FFFFFFF, 1, 3),
        ("i32.rotr", 3, 1, -0x7FFFFFFF),
        ("i32.lt_s", -1, 0, 1),
        ("i32.lt_u", -1, 0, 0),
    ],
)
def test_i32_binary(op: str, a: int, b: int, expected: int) -> None:
    assert run("(param i32 i32) (result i32)", f"({op} (local.get 0) (local.get 1))", a, b) == expected


@pytest.mark.parametrize(
    "op, a, b, expected",
    [
        ("i64.add", 0x7FFFFFFFFFFFFFFF, 1, -0x8000000000000000),
        ("i64.mul", 0x100000000, 0x100000000, 0),
        ("i64.div_s", -7, 2, -3),
        ("i64.rem_s", -0x8000000000000000, -1, 0),
        ("i64.shr_s", -16, 66, -4),
        ("i64.rotl", 1, 65, 2),
    ],
)
def test_i64_binary(op: str, a: int, b: int, expected: int) -> None:
    assert run("(param i64 i64) (result i64)", f"({op} (local.get 0) (local.get 1))", a, b) == expected


@pytest.mark.parametrize(
    "op, a, b, message",
    [
        ("i32.div_s", 1, 0, "integer divide by zero"),
        ("i32.div_u", 1, 0, "integer divide by zero"),
        ("i32.rem_s", 1, 0, "integer divide by zero"),
        ("i32.rem_u", 1, 0, "integer divide by zero"),
        ("i32.div_s", -0x80000000, -1, "integer overflow"),
    ],
)
def test_integer_division_traps(op: str, a: int, b: int, message: str) -> None:
    with pytest.raises(Trap) as info:
        run("(param i32 i32) (result i32)", f"({op} (local.get 0) (local.get 1))", a, b)
    assert info.value.message == message


def test_bit_counts() -> None:
    assert run("(param i32) (result i32)", "(i32.clz (local.get 0))", 0) == 32
    assert run("(param i32) (result i32)", "(i32.ctz (local.get 0))", 0x80000000 - 2**32) == 31
    assert run("(param i64) (result i64)", "(i64.popcnt (local.get 0))", -1) == 64
    assert run("(param i32) (result i32)", "(i32.extend8_s (local.get 0))", 0x80) == -128
    assert run("(param i64) (result i64)", "(i64.extend32_s (local.get 0))", 0x80000000) == -0x80000000


# -- float to integer --


@pytest.mark.parametrize(
    "op, value, expected",
    [
        ("i32.trunc_f64_s", 2147483647.9, 2147483647),
        ("i32.trunc_f64_s", -2147483648.9, -2147483648),
        ("i32.trunc_f64_u", 4294967295.9, -1),
        ("i32.trunc_f64_u", -0.9, 0),
        ("i64.trunc_f64_s", -9223372036854775808.0, -9223372036854775808),
    ],
)
def test_trapping_truncation_at_the_edges(op: str, value: float, expected: int) -> None:
    result = "i64" if op.startswith("i64") else "i32"
    assert run(f"(param f64) (result {result})", f"({op} (local.get 0))", value) == expected


@pytest.mark.parametrize(
    "op, value, message",
    [
        ("i32.trunc_f64_s", 2147483648.0, "integer overflow"),
        ("i32.trunc_f64_s", -2147483649.0, "integer overflow"),
        ("i32.trunc_f64_u", -1.0, "integer overflow"),
        ("i32.trunc_f64_s", float("inf"), "integer overflow"),
        ("i32.trunc_f64_s", float("nan"), "invalid conversion to integer"),
        ("i64.trunc_f64_u", 18446744073709551616.0, "integer overflow"),
    ],
)
def test_trapping_truncation_traps(op: str, value: float, message: str) -> None:
    result = "i64" if op.startswith("i64") else "i32"
    with pytest.raises(Trap) as info:
        run(f"(param f64) (result {result})", f"({op} (local.get 0))", value)
    assert info.value.message == message


@pytest.mark.parametrize(
    "value, expected",
    [(float("nan"), 0), (float("inf"), 0x7FFFFFFF), (float("-inf"), -0x80000000), (-1.5, -1), (3e9, 0x7FFFFFFF)],
)
def test_saturating_truncation(value: float, expected: int) -> None:
    assert run("(param f64) (result i32)", "(i32.trunc_sat_f64_s (local.get 0))", value) == expected


# -- f32 rounding --


def test_f32_results_are_rounded_to_single_precision() -> None:
    assert run("(param f32 f32) (result f32)", "(f32.add (local.get 0) (local.get 1))", 16777216.0, 1.0) == 16777216.0
    assert run("(param f32 f32) (result f32)", "(f32.div (local.get 0) (local.get 1))", 1.0, 3.0) == struct.unpack(
        "<f", struct.pack("<f", 1 / 3)
    )[0]
    assert run("(param f32 f32) (result f32)", "(f32.mul (local.get 0) (local.get 1))", 3e38, 10.0) == float("inf")


def test_f32_convert_i64_rounds_once() -> None:
    # Rounding to f64 first (to 9007199791611904) and then to f32 would give 9007199254740992.
    assert run("(param i64) (result f32)", "(f32.convert_i64_s (local.get 0))", 9007199791611905) == 9007200328482816.0
    assert run("(param i64) (result f32)", "(f32.convert_i64_u (local.get 0))", -1) == 18446744073709551616.0


# -- NaN, zeros, rounding modes --


def bits_of(expr: str) -> int:
    return u32(run("(result i32)", f"(i32.reinterpret_f32 {expr})"))  # type: ignore[arg-type]


def test_nan_results_are_canonical_or_arithmetic() -> None:
    assert bits_of("(f32.div (f32.const 0) (f32.const 0))") & 0x7FFFFFFF == NAN_F32
    result = bits_of("(f32.add (f32.const nan:0x200000) (f32.const 1))")
    assert result & 0x7FC00000 == 0x7FC00000  # arithmetic: quiet bit set
    assert bits_of("(f32.min (f32.const nan) (f32.const 1))") & 0x7FFFFFFF == NAN_F32


def test_min_max_order_zeros() -> None:
    assert bits_of("(f32.min (f32.const 0) (f32.const -0))") == 0x80000000
    assert bits_of("(f32.max (f32.const -0) (f32.const 0))") == 0


@pytest.mark.parametrize("value, expected", [(2.5, 2.0), (3.5, 4.0), (-0.5, -0.0), (-2.5, -2.0), (1e30, 1e30)])
def test_nearest_ties_to_even(value: float, expected: float) -> None:
    result = run("(param f64) (result f64)", "(f64.nearest (local.get 0))", value)
    assert struct.pack("<d", result) == struct.pack("<d", expected)  # type: ignore[arg-type]


def test_ceil_and_trunc_keep_the_sign_of_zero() -> None:
    assert struct.pack("<d", run("(param f64) (result f64)", "(f64.ceil (local.get 0))", -0.5)) == struct.pack("<d", -0.0)  # type: ignore[arg-type]
    assert struct.pack("<d", run("(param f64) (result f64)", "(f64.trunc (local.get 0))", -0.5)) == struct.pack("<d", -0.0)  # type: ignore[arg-type]


def test_copysign_and_neg_keep_nan_payloads() -> None:
    assert bits_of("(f32.copysign (f32.const nan:0x200001) (f32.const -1))") == 0xFFA00001
    assert bits_of("(f32.neg (f32.const nan:0x200001))") == 0xFFA00001
    assert bits_of("(f32.abs (f32.const -nan:0x1))") == 0x7F800001


@pytest.mark.parametrize("bits", [0x7FA00001, 0xFF800001, 0x7F800000, 0x00000001])
def test_signalling_nans_survive_reinterpret_locals_and_memory(bits: int) -> None:
    body = """
        (local f32)
        (local.set 1 (f32.reinterpret_i32 (local.get 0)))
        (f32.store (i32.const 8) (local.get 1))
        (f32.store (i32.const 13) (f32.load (i32.const 8)))
        (i32.reinterpret_f32 (f32.load (i32.const 13)))
    """
    assert u32(run("(param i32) (result i32)", body, bits - (1 << 32) if bits >= 1 << 31 else bits)) == bits  # type: ignore[arg-type]


def test_f64_payloads_survive_promotion_as_quiet_nans() -> None:
    result = run("(result i64)", "(i64.reinterpret_f64 (f64.promote_f32 (f32.const nan:0x200001)))")
    assert result & 0x7FF8000000000000 == 0x7FF8000000000000  # type: ignore[operator]


# -- SIMD --


def test_simd_lanes_wrap_and_saturate() -> None:
    body = "(i8x16.extract_lane_s 0 (i8x16.add_sat_s (v128.const i8x16 127 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0) (v128.const i8x16 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)))"
    assert run("(result i32)", body) == 127
    body = "(i16x8.extract_lane_u 7 (i16x8.add (v128.const i16x8 0 0 0 0 0 0 0 65535) (v128.const i16x8 0 0 0 0 0 0 0 2)))"
    assert run("(result i32)", body) == 1
    body = "(i32x4.extract_lane 3 (i32x4.mul (v128.const i32x4 0 0 0 0x10000) (v128.const i32x4 0 0 0 0x10000)))"
    assert run("(result i32)", body) == 0


def test_simd_float_lanes() -> None:
    body = "(f32x4.extract_lane 1 (f32x4.div (v128.const f32x4 1 1 1 1) (v128.const f32x4 3 3 3 3)))"
    assert run("(result f32)", body) == struct.unpack("<f", struct.pack("<f", 1 / 3))[0]
    body = "(i64x2.extract_lane 0 (f64x2.pmin (v128.const f64x2 nan:0x1 0) (v128.const f64x2 1 0)))"
    assert run("(result i64)", body) == 0x7FF0000000000001
    assert run("(param v128) (result v128)", "(i8x16.swizzle (local.get 0) (v128.const i8x16 15 16 0 0 0 0 0 0 0 0 0 0 0 0 0 0))", bytes(range(16))) == 15


def test_a_load_whose_value_is_dropped_still_traps() -> None:
    # Found by the differential test: the Python engine once skipped such a load.
    module = wasmkit.Module('(module (memory 1) (func (export "f") (param i32) local.get 0 i64.load16_u offset=4 unreachable))')
    for engine in ("python", "native"):
        with pytest.raises(wasmkit.Trap, match="out of bounds memory access"):
            wasmkit.Instance(module, store=wasmkit.Store(engine)).exports.f(0xFFFF_FFFF)
