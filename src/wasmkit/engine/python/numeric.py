"""Scalar numerics of the Python engine, bit-exact.

The representation of values is `wasmkit.runtime.values`'s (ints for i32/i64, floats for
f32/f64 with NaN payloads kept, ints for v128); its bit conversions are re-exported here for
the generated code. Python's operators give most operations directly; this module holds the ones they do not give
exactly (division by zero, signed division, rounding to f32, min/max, nearest, trapping and
saturating conversions).
"""

from __future__ import annotations

import math

from ...bits import MASK32, MASK64
from ...errors import Trap, TrapKind
from ...runtime.values import f32, f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits

__all__ = [
    "rf32",
    "f32_from_bits",
    "f32_to_bits",
    "f64_from_bits",
    "f64_to_bits",
    "f32_from_int",
    "promote",
    "fdiv",
    "fsqrt",
    "fmin",
    "fmax",
    "fceil",
    "ffloor",
    "ftrunc",
    "fnearest",
    "div_s32",
    "div_u32",
    "rem_s32",
    "rem_u32",
    "div_s64",
    "div_u64",
    "rem_s64",
    "rem_u64",
    "ctz32",
    "ctz64",
    "rotl32",
    "rotr32",
    "rotl64",
    "rotr64",
    "trunc_f_i32_s",
    "trunc_f_i32_u",
    "trunc_f_i64_s",
    "trunc_f_i64_u",
    "trunc_sat_i32_s",
    "trunc_sat_i32_u",
    "trunc_sat_i64_s",
    "trunc_sat_i64_u",
    "NAN",
]

rf32 = f32  # the name generated code uses: `f32` could be a wasm function's name there

# The NaN x86 makes for an invalid operation (0/0, sqrt(-1)): sign bit set, 0xfff8000000000000
# (as f32, 0xffc00000). Python's float("nan") is the positive one; the native engine and wasmtime
# compute with the hardware, so a NaN made here without hardware arithmetic must be this one.
NAN = f64_from_bits(0xFFF8_0000_0000_0000)
INF = float("inf")

def f32_from_int(value: int) -> float:
    """The f32 nearest to an integer, rounded once (a detour through f64 could round twice)."""
    magnitude = abs(value)
    if magnitude < 1 << 53:
        return f32(float(value))
    shift = magnitude.bit_length() - 24
    mantissa = magnitude >> shift
    rest = magnitude & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and mantissa & 1):
        mantissa += 1
    result = float(mantissa << shift)
    return -result if value < 0 else result


def promote(x: float) -> float:
    """f64.promote_f32: exact, except that a NaN comes out quiet."""
    return x if x == x else x + 0.0


def fdiv(a: float, b: float) -> float:
    """Division, with IEEE results where Python raises: 0/0 is x86's default NaN."""
    if b:
        return a / b
    if a != a or b != b:
        return a + b
    if not a:
        return NAN
    return math.copysign(INF, a) * math.copysign(1.0, b)


def fsqrt(x: float) -> float:
    """sqrt; of a negative number (math.sqrt raises), x86's default NaN."""
    if x >= 0.0 or x != x:
        return math.sqrt(x)
    return NAN


def fadd(a: float, b: float) -> float:
    """wasm add, with the NaN x86 (and so wasmtime) gives: of two NaN operands, the first,
    quieted. CPython's `+` returns either of two NaNs, depending on whether the generic or the
    specialised path of the interpreter runs it; where `a` is a NaN it is added to itself."""
    return a + b if a == a else a + a


def fmul(a: float, b: float) -> float:
    """wasm mul, with the NaN of two that x86 gives, as in `fadd`."""
    return a * b if a == a else a * a


def fmin(a: float, b: float) -> float:
    """wasm min. A NaN result is a NaN operand, quieted (sign and payload kept): `b` if both
    are NaNs, as wasmtime's x86 sequence gives."""
    if a != a or b != b:
        return fadd(b, a)
    if a == b:  # equal, or zeros of either sign: -0 is the smaller
        return a if math.copysign(1.0, a) < 0 else b
    return a if a < b else b


def fmax(a: float, b: float) -> float:
    """wasm max; a NaN result as in `fmin`."""
    if a != a or b != b:
        return fadd(b, a)
    if a == b:
        return b if math.copysign(1.0, a) < 0 else a
    return a if a > b else b


def lane_fmin(a: float, b: float) -> float:
    """min of one f32x4/f64x2 lane. wasmtime's x86 vector sequence makes every NaN lane the
    default NaN with the sign bit set, whatever the operands' NaNs."""
    if a != a or b != b:
        return NAN
    return fmin(a, b)


def lane_fmax(a: float, b: float) -> float:
    """max of one vector lane; a NaN lane is the default NaN with the sign bit of either
    operand, as wasmtime's x86 vector sequence makes it."""
    if a != a or b != b:
        return NAN if math.copysign(1.0, a) < 0 or math.copysign(1.0, b) < 0 else -NAN
    return fmax(a, b)


def _integral(x: float, rounded: int) -> float:
    """`rounded` as a float with the sign of `x` kept on zero."""
    return float(rounded) if rounded else math.copysign(0.0, x)


def fceil(x: float) -> float:
    if x != x:
        return x + x
    if math.isinf(x):
        return x
    return _integral(x, math.ceil(x))


def ffloor(x: float) -> float:
    if x != x:
        return x + x
    if math.isinf(x):
        return x
    return _integral(x, math.floor(x))


def ftrunc(x: float) -> float:
    if x != x:
        return x + x
    if math.isinf(x):
        return x
    return _integral(x, math.trunc(x))


def fnearest(x: float) -> float:
    """Round to the nearest integer, ties to even (Python's round)."""
    if x != x:
        return x + x
    if math.isinf(x):
        return x
    return _integral(x, round(x))


# -- integers --


def _trap(kind: TrapKind) -> Trap:
    return Trap(kind)


def div_u32(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return a // b


def rem_u32(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return a % b


def div_s32(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    a = (a ^ 0x8000_0000) - 0x8000_0000
    b = (b ^ 0x8000_0000) - 0x8000_0000
    if a == -0x8000_0000 and b == -1:
        raise _trap(TrapKind.INTEGER_OVERFLOW)
    quotient = abs(a) // abs(b)
    return (-quotient if (a < 0) != (b < 0) else quotient) & MASK32


def rem_s32(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    a = (a ^ 0x8000_0000) - 0x8000_0000
    b = (b ^ 0x8000_0000) - 0x8000_0000
    remainder = abs(a) % abs(b)
    return (-remainder if a < 0 else remainder) & MASK32


def div_u64(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return a // b


def rem_u64(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    return a % b


def div_s64(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    a = (a ^ 0x8000_0000_0000_0000) - 0x8000_0000_0000_0000
    b = (b ^ 0x8000_0000_0000_0000) - 0x8000_0000_0000_0000
    if a == -0x8000_0000_0000_0000 and b == -1:
        raise _trap(TrapKind.INTEGER_OVERFLOW)
    quotient = abs(a) // abs(b)
    return (-quotient if (a < 0) != (b < 0) else quotient) & MASK64


def rem_s64(a: int, b: int) -> int:
    if not b:
        raise _trap(TrapKind.INTEGER_DIVIDE_BY_ZERO)
    a = (a ^ 0x8000_0000_0000_0000) - 0x8000_0000_0000_0000
    b = (b ^ 0x8000_0000_0000_0000) - 0x8000_0000_0000_0000
    remainder = abs(a) % abs(b)
    return (-remainder if a < 0 else remainder) & MASK64


def ctz32(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 32


def ctz64(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 64


def rotl32(a: int, k: int) -> int:
    k &= 31
    return ((a << k) | (a >> (32 - k))) & MASK32


def rotr32(a: int, k: int) -> int:
    k &= 31
    return ((a >> k) | (a << (32 - k))) & MASK32


def rotl64(a: int, k: int) -> int:
    k &= 63
    return ((a << k) | (a >> (64 - k))) & MASK64


def rotr64(a: int, k: int) -> int:
    k &= 63
    return ((a >> k) | (a << (64 - k))) & MASK64


# -- float to integer --


def _trunc(x: float, low: float, high: float) -> int:
    """int(x) when low < x < high (exclusive bounds); traps otherwise."""
    if x != x:
        raise _trap(TrapKind.INVALID_CONVERSION)
    if not low < x < high:
        raise _trap(TrapKind.INTEGER_OVERFLOW)
    return int(x)


def trunc_f_i32_s(x: float) -> int:
    return _trunc(x, -2147483649.0, 2147483648.0) & MASK32


def trunc_f_i32_u(x: float) -> int:
    return _trunc(x, -1.0, 4294967296.0)


def trunc_f_i64_s(x: float) -> int:
    # -2**63 is a float, -2**63 - 1 is not: check x >= -2**63 through the strict bound below it.
    if x != x:
        raise _trap(TrapKind.INVALID_CONVERSION)
    if not -9223372036854775808.0 <= x < 9223372036854775808.0:
        raise _trap(TrapKind.INTEGER_OVERFLOW)
    return int(x) & MASK64


def trunc_f_i64_u(x: float) -> int:
    return _trunc(x, -1.0, 18446744073709551616.0)


def _saturate(x: float, low: int, high: int) -> int:
    if x != x:
        return 0
    if x <= low:
        return low
    if x >= high:
        return high
    return int(x)


def trunc_sat_i32_s(x: float) -> int:
    return _saturate(x, -0x8000_0000, 0x7FFF_FFFF) & MASK32


def trunc_sat_i32_u(x: float) -> int:
    return _saturate(x, 0, MASK32)


def trunc_sat_i64_s(x: float) -> int:
    return _saturate(x, -0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF) & MASK64


def trunc_sat_i64_u(x: float) -> int:
    return _saturate(x, 0, MASK64)
