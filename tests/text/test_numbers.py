"""Numeric literals: exact rounding straight to the target precision, NaN payloads, ranges."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wasmkit.text.numbers import OutOfRange, format_f32, format_f64, parse_f32, parse_f64, parse_int


def f32_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def f64_bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


@pytest.mark.parametrize(
    "text, bits",
    [
        ("0", 0),
        ("-0", 0x80000000),
        ("1.5", 0x3FC00000),
        ("0x1p-149", 0x00000001),
        ("0x1p-150", 0x00000000),  # exactly half the smallest subnormal: ties to even (zero)
        ("0x1.8p-149", 0x00000002),  # one and a half: ties to even (two)
        ("0x1.fffffep127", 0x7F7FFFFF),
        ("0x1.fffffefffffffp127", 0x7F7FFFFF),  # just below the halfway point to infinity
        ("1e-46", 0),
        ("inf", 0x7F800000),
        ("-nan", 0xFFC00000),
        ("nan:0x1", 0x7F800001),
        ("+nan:0x7f_ffff", 0x7FFFFFFF),
        ("1_000.000_1", f32_bits(1000.0001)),
        # Decimal literals whose rounding through f64 first would be wrong (double rounding):
        ("1.00000005960464477539062499", 0x3F800000),
        ("1.000000059604644775390625000000001", 0x3F800001),
    ],
)
def test_f32_literals(text: str, bits: int) -> None:
    assert parse_f32(text) == bits


@pytest.mark.parametrize("text", ["0x1p128", "1e39", "0x1.ffffffp127", "nan:0x0", "nan:0x800000"])
def test_f32_out_of_range(text: str) -> None:
    with pytest.raises(OutOfRange):
        parse_f32(text)


@pytest.mark.parametrize("text", ["", ".5", "1.e", "0x", "0xg", "1x", "nan:0x", "infinity", "1__0"])
def test_malformed_literals(text: str) -> None:
    assert parse_f64(text) is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_f64_decimal_literals_round_like_python(value: float) -> None:
    assert parse_f64(repr(value)) == f64_bits(value)


@given(st.integers(0, 0xFFFF_FFFF))
def test_f32_print_then_parse_is_exact(bits: int) -> None:
    assert parse_f32(format_f32(bits)) == bits


@given(st.integers(0, 0xFFFF_FFFF_FFFF_FFFF))
def test_f64_print_then_parse_is_exact(bits: int) -> None:
    assert parse_f64(format_f64(bits)) == bits


@pytest.mark.parametrize(
    "text, value",
    [("0", 0), ("-1", -1), ("+7", 7), ("0xFF", 255), ("1_000", 1000), ("-0x8000_0000", -(2**31))],
)
def test_integer_literals(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", "-", "0x", "1_", "_1", "1__2", "0x_1", "1.0", "--1"])
def test_malformed_integers(text: str) -> None:
    assert parse_int(text) is None


@given(st.from_regex(r"[0-9]{1,25}(\.[0-9]{0,25})?(e-?[0-9]{1,2})?", fullmatch=True))
def test_f32_fast_path_agrees_with_exact_rounding(text: str) -> None:

    from wasmkit.text.numbers import F32_SPEC, _exact_value, _round_to_bits

    try:
        bits = parse_f32(text)
    except OutOfRange:
        assert _round_to_bits(_exact_value(text, False), F32_SPEC) is None
        return
    assert bits == _round_to_bits(_exact_value(text, False), F32_SPEC)


def test_f32_halfway_literals_take_the_exact_path() -> None:
    # 1 + 2^-24 is exactly halfway between two f32 values; a hair above must round up.
    assert parse_f32("1.000000059604644775390625") == 0x3F800000
    assert parse_f32("1.0000000596046447753906250001") == 0x3F800001
