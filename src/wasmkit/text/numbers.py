"""Numbers in the text format: IEEE bit patterns to literals and back.

Floats are handled as bit patterns throughout so that NaN payloads and signed zeros survive.
Printing uses hexadecimal floats (exact, as wasm2wat prints them); parsing accepts every literal
form of the spec and rounds decimal and hexadecimal literals correctly (to nearest, ties to
even) straight to the target precision, never through a wider type.
"""

from __future__ import annotations

import math
import re
import struct
from fractions import Fraction

__all__ = [
    "format_f32",
    "format_f64",
    "parse_f32",
    "parse_f64",
    "parse_int",
    "F32_SPEC",
    "F64_SPEC",
    "FloatSpec",
    "OutOfRange",
    "is_number",
]


class OutOfRange(ValueError):
    """A well-formed literal whose value does not fit its type."""


class FloatSpec:
    """The shape of an IEEE binary format."""

    def __init__(self, bits: int, mantissa_bits: int) -> None:
        self.bits = bits
        self.mantissa_bits = mantissa_bits
        self.exponent_bits = bits - 1 - mantissa_bits
        self.bias = (1 << (self.exponent_bits - 1)) - 1
        self.sign_bit = 1 << (bits - 1)
        self.exponent_mask = ((1 << self.exponent_bits) - 1) << mantissa_bits
        self.mantissa_mask = (1 << mantissa_bits) - 1
        self.canonical_nan = 1 << (mantissa_bits - 1)  # payload of the canonical NaN
        self.inf = self.exponent_mask


F32_SPEC = FloatSpec(32, 23)
F64_SPEC = FloatSpec(64, 52)


# -- printing --


def _format(bits: int, spec: FloatSpec) -> str:
    sign = "-" if bits & spec.sign_bit else ""
    exponent = (bits & spec.exponent_mask) >> spec.mantissa_bits
    mantissa = bits & spec.mantissa_mask
    if exponent == spec.exponent_mask >> spec.mantissa_bits:
        if mantissa == 0:
            return f"{sign}inf"
        if mantissa == spec.canonical_nan:
            return f"{sign}nan"
        return f"{sign}nan:{mantissa:#x}"
    if exponent == 0 and mantissa == 0:
        return f"{sign}0x0p+0"
    if exponent == 0:  # subnormal: normalise the leading bit into place
        shift = spec.mantissa_bits - mantissa.bit_length() + 1
        mantissa = (mantissa << shift) & spec.mantissa_mask
        exponent = 1 - shift
    value_exp = exponent - spec.bias
    # Hex digits of the fraction: pad the mantissa to a multiple of 4 bits, drop trailing zeros.
    width = (spec.mantissa_bits + 3) // 4
    frac = mantissa << (width * 4 - spec.mantissa_bits)
    digits = f"{frac:0{width}x}".rstrip("0")
    fraction = f".{digits}" if digits else ""
    return f"{sign}0x1{fraction}p{value_exp:+d}"


def format_f32(bits: int) -> str:
    return _format(bits, F32_SPEC)


def format_f64(bits: int) -> str:
    return _format(bits, F64_SPEC)


# -- parsing --

_DEC_FLOAT = re.compile(r"([0-9](?:_?[0-9])*+)(?:\.((?:[0-9](?:_?[0-9])*+)?))?(?:[eE]([+-]?[0-9](?:_?[0-9])*+))?")
_HEX_FLOAT = re.compile(
    r"0x([0-9a-fA-F](?:_?[0-9a-fA-F])*+)(?:\.((?:[0-9a-fA-F](?:_?[0-9a-fA-F])*+)?))?(?:[pP]([+-]?[0-9](?:_?[0-9])*+))?"
)
_HEX_NUM = re.compile(r"[0-9a-fA-F](?:_?[0-9a-fA-F])*+")
_DEC_NUM = re.compile(r"[0-9](?:_?[0-9])*+")

# Integer literals: a magnitude with more significant digits than these is at least 2**128,
# far outside every range the format accepts, and comes back as _HUGE_INT. Converting such a
# decimal literal exactly would cost quadratic time (CPython refuses beyond 4,300 digits).
_INT_DIGITS = {10: 40, 16: 32}
_HUGE_INT = 1 << 128

# Float literals: significant digits kept for rounding (the rest become one sticky digit), and
# the bound on the scale of what is kept, per base. Every halfway point between two floats of
# either format has fewer significant digits than kept here (at most 767 decimal or 15 hex
# digits), so a value and its truncation plus a sticky digit round alike; beyond the scale
# bound, every kept mantissa certainly overflows or underflows.
_FLOAT_DIGITS = {10: 800, 16: 40}
_SCALE_CLAMP = {10: 2_000, 16: 8_000}
_EXPONENT_DIGITS = 9  # longer written exponents are clamped before conversion


def is_number(text: str) -> bool:
    """Whether `text` has the syntax of a numeric literal (in range or not)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if body in ("inf", "nan"):
        return True
    if body.startswith("nan:0x"):
        return bool(_HEX_NUM.fullmatch(body[6:]))
    return bool(_HEX_FLOAT.fullmatch(body) or _DEC_FLOAT.fullmatch(body))


def parse_int(text: str) -> int | None:
    """An integer literal (sign, decimal or `0x` hex, `_` separators), or None if malformed.
    A magnitude of 2**128 or more may come back as 2**128 (see _INT_DIGITS)."""
    sign = 1
    body = text
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    base = 16 if body.startswith("0x") else 10
    digits = body[2:] if base == 16 else body
    if not (_HEX_NUM if base == 16 else _DEC_NUM).fullmatch(digits):
        return None
    significant = digits.replace("_", "").lstrip("0")
    if len(significant) > _INT_DIGITS[base]:
        return sign * _HUGE_INT
    return sign * int(significant or "0", base)


def _round_to_bits(value: Fraction, spec: FloatSpec) -> int | None:
    """The bit pattern nearest to the non-negative `value` (ties to even); None on overflow."""
    if value == 0:
        return 0
    mbits = spec.mantissa_bits
    min_exp = 1 - spec.bias  # exponent of the smallest normal
    # Find e with 2^e <= value < 2^(e+1).
    num, den = value.numerator, value.denominator
    e = num.bit_length() - den.bit_length()
    if Fraction(num, den) < Fraction(2) ** e:
        e -= 1
    e = max(e, min_exp)  # subnormals share the smallest normal's scale
    # Scale so that the integer part holds mbits+1 significant bits (or fewer, if subnormal).
    scaled = value * (Fraction(2) ** (mbits - e))
    integer = scaled.numerator // scaled.denominator
    rest = scaled - integer
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and integer & 1):
        integer += 1
    if integer >> (mbits + 1):  # rounding carried into a new binade
        integer >>= 1
        e += 1
    if e > spec.bias:
        return None
    if integer >> mbits:  # normal
        return ((e + spec.bias) << mbits) | (integer & spec.mantissa_mask)
    return integer  # subnormal (exponent field 0)


def _parse_float(text: str, spec: FloatSpec) -> int | None:
    sign = 0
    body = text
    if body[:1] in ("+", "-"):
        sign = spec.sign_bit if body[0] == "-" else 0
        body = body[1:]
    if body == "inf":
        return sign | spec.inf
    if body == "nan":
        return sign | spec.inf | spec.canonical_nan
    if body.startswith("nan:0x"):
        digits = body[6:]
        if not _HEX_NUM.fullmatch(digits):
            return None
        payload = int(digits.replace("_", ""), 16)
        if not 1 <= payload <= spec.mantissa_mask:
            raise OutOfRange(text)
        return sign | spec.inf | payload
    hex_match = _HEX_FLOAT.fullmatch(body)
    if not hex_match and not _DEC_FLOAT.fullmatch(body):
        return None
    clean = body.replace("_", "")
    fast = _fast_bits(clean, bool(hex_match), spec)
    if fast is not None:
        return sign | fast
    bits = _round_to_bits(_exact_value(clean, bool(hex_match)), spec)
    if bits is None:
        raise OutOfRange(text)
    return sign | bits


def _exact_value(clean: str, is_hex: bool) -> Fraction:
    """The value of a literal (without sign or `_`), as a fraction: exact, or (for literals
    with very many digits or a vast exponent) one that rounds to the same float."""
    match = (_HEX_FLOAT if is_hex else _DEC_FLOAT).fullmatch(clean)
    whole, frac, exp = match.groups()  # type: ignore[union-attr]
    base = 16 if is_hex else 10
    digits = (whole + (frac or "")).lstrip("0")
    # The value is int(digits) * base**scale (times 2**exponent for hex, 10**exponent else).
    scale = -len(frac or "")
    keep = _FLOAT_DIGITS[base]
    if len(digits) > keep:
        sticky = "1" if digits[keep:].strip("0") else "0"
        scale += len(digits) - keep - 1
        digits = digits[:keep] + sticky
    if not digits:
        return Fraction(0)
    exponent = _clamped_exponent(exp or "0")
    clamp = _SCALE_CLAMP[base]
    if is_hex:
        power = max(-clamp, min(clamp, exponent + 4 * scale))
        return Fraction(int(digits, 16)) * Fraction(2) ** power
    power = max(-clamp, min(clamp, exponent + scale))
    return Fraction(int(digits)) * Fraction(10) ** power


def _clamped_exponent(text: str) -> int:
    """A written exponent (sign and digits), clamped to a billion either way before it is
    converted, so that an exponent of thousands of digits costs nothing."""
    sign = -1 if text[0] == "-" else 1
    significant = text.lstrip("+-").lstrip("0")
    if len(significant) > _EXPONENT_DIGITS:
        return sign * 10**_EXPONENT_DIGITS
    return sign * int(significant or "0")


def _fast_bits(clean: str, is_hex: bool, spec: FloatSpec) -> int | None:
    """The bits by way of Python's correctly rounded float parsing, when that is exact: always
    for f64; for f32 unless the f64 value falls exactly halfway between two f32 values (where
    rounding twice could differ from rounding once). None means: take the exact path."""
    if len(clean) > 40:
        return None  # very long literals: the exact path bounds its work itself
    try:
        value = float.fromhex(clean) if is_hex else float(clean)
    except (ValueError, OverflowError):
        return None
    if math.isinf(value):
        return None
    if spec is F64_SPEC:
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    try:
        bits = struct.unpack("<I", struct.pack("<f", value))[0]
    except OverflowError:
        return None
    nearest = struct.unpack("<f", struct.pack("<I", bits))[0]
    if nearest != value:
        neighbour_bits = bits + 1 if abs(value) > abs(nearest) else bits - 1
        if 0 <= neighbour_bits < 0x7F800000:
            neighbour = struct.unpack("<f", struct.pack("<I", neighbour_bits))[0]
            if value == (nearest + neighbour) / 2:
                return None
    return bits


def parse_f32(text: str) -> int | None:
    """The f32 bit pattern of a float literal, or None if malformed; OutOfRange if it rounds
    to infinity (or is a NaN payload that does not fit)."""
    return _parse_float(text, F32_SPEC)


def parse_f64(text: str) -> int | None:
    """The f64 bit pattern of a float literal, or None if malformed; OutOfRange as parse_f32."""
    return _parse_float(text, F64_SPEC)
