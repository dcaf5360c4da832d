"""Fixed-width SIMD for the Python engine: every v128 instruction as a function on ints.

A v128 is a Python int in [0, 2**128), lane 0 in the low bits. Lanes are taken apart with
`struct` and put back together; float lanes go through their bit patterns (so abs, neg and
lane moves keep NaN payloads, as the spec requires) and are rounded like scalar f32/f64.
`FUNCTIONS` maps each function's name in generated code (`v_i8x16_add`) to it, and
`simd_expression` writes the call for an instruction.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

from ...bits import MASK32
from ...errors import Trap, TrapKind
from ...opcodes import ALL, Feature, Imm, Op
from ...runtime.values import f32, f32_from_bits, f32_to_bits, f64_to_bits
from . import numeric

__all__ = ["FUNCTIONS", "simd_expression", "function_name", "CONST", "PURE_CALL", "LOAD", "STORE"]

PURE_CALL, LOAD, STORE, CONST = "pure", "load", "store", "const"

_ALL_ONES = (1 << 128) - 1
_STRUCTS = {
    (8, True): struct.Struct("<16b"),
    (8, False): struct.Struct("<16B"),
    (16, True): struct.Struct("<8h"),
    (16, False): struct.Struct("<8H"),
    (32, True): struct.Struct("<4i"),
    (32, False): struct.Struct("<4I"),
    (64, True): struct.Struct("<2q"),
    (64, False): struct.Struct("<2Q"),
}
_F64X2 = struct.Struct("<2d")
_SHAPES = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64}

FUNCTIONS: dict[str, Callable[..., object]] = {}


def _register(name: str) -> Callable[[Callable[..., object]], Callable[..., object]]:
    def add(fn: Callable[..., object]) -> Callable[..., object]:
        FUNCTIONS["v_" + name.replace(".", "_")] = fn
        return fn

    return add


# -- lanes --


def lanes(v: int, bits: int, signed: bool = False) -> tuple[int, ...]:
    return _STRUCTS[(bits, signed)].unpack(v.to_bytes(16, "little"))


def pack(values: Iterable[int], bits: int) -> int:
    mask = (1 << bits) - 1
    return int.from_bytes(_STRUCTS[(bits, False)].pack(*[x & mask for x in values]), "little")


def f32_lanes(v: int) -> list[float]:
    return [f32_from_bits(b) for b in lanes(v, 32)]


def pack_f32(values: Iterable[float]) -> int:
    return pack([f32_to_bits(x) for x in values], 32)


def f64_lanes(v: int) -> tuple[float, ...]:
    return _F64X2.unpack(v.to_bytes(16, "little"))


def pack_f64(values: Iterable[float]) -> int:
    return int.from_bytes(_F64X2.pack(*values), "little")


def _mask(flag: bool, bits: int) -> int:
    return (1 << bits) - 1 if flag else 0


def _saturate(value: int, bits: int, signed: bool) -> int:
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return low if value < low else high if value > high else value


# -- integer lanes --


def _integer_ops(bits: int) -> dict[str, Callable[..., object]]:
    """The lane-wise integer operations of the shape with lanes of width `bits`, by name."""
    count = 128 // bits

    def binary(op: Callable[[int, int], int], signed: bool = False) -> Callable[[int, int], int]:
        return lambda x, y: pack([op(p, q) for p, q in zip(lanes(x, bits, signed), lanes(y, bits, signed))], bits)

    def compare(op: Callable[[int, int], bool], signed: bool) -> Callable[[int, int], int]:
        return lambda x, y: pack([_mask(op(p, q), bits) for p, q in zip(lanes(x, bits, signed), lanes(y, bits, signed))], bits)

    ops: dict[str, Callable[..., object]] = {
        "add": binary(lambda p, q: p + q),
        "sub": binary(lambda p, q: p - q),
        "neg": lambda x: pack([-p for p in lanes(x, bits)], bits),
        "abs": lambda x: pack([abs(p) for p in lanes(x, bits, True)], bits),
        "eq": compare(lambda p, q: p == q, False),
        "ne": compare(lambda p, q: p != q, False),
        "lt_s": compare(lambda p, q: p < q, True),
        "gt_s": compare(lambda p, q: p > q, True),
        "le_s": compare(lambda p, q: p <= q, True),
        "ge_s": compare(lambda p, q: p >= q, True),
        "shl": lambda x, s: pack([p << (s % bits) for p in lanes(x, bits)], bits),
        "shr_s": lambda x, s: pack([p >> (s % bits) for p in lanes(x, bits, True)], bits),
        "shr_u": lambda x, s: pack([p >> (s % bits) for p in lanes(x, bits)], bits),
        "all_true": lambda x: int(all(lanes(x, bits))),
        "bitmask": lambda x: sum(1 << i for i, p in enumerate(lanes(x, bits, True)) if p < 0),
        "splat": lambda x: pack([x] * count, bits),
        "extract_lane": lambda x, lane: lanes(x, bits)[lane],
        "replace_lane": lambda x, value, lane: _replace(x, bits, lane, value),
    }
    if bits < 64:
        ops.update(
            {
                "lt_u": compare(lambda p, q: p < q, False),
                "gt_u": compare(lambda p, q: p > q, False),
                "le_u": compare(lambda p, q: p <= q, False),
                "ge_u": compare(lambda p, q: p >= q, False),
                "min_s": binary(min, True),
                "min_u": binary(min),
                "max_s": binary(max, True),
                "max_u": binary(max),
                "extract_lane_s": lambda x, lane: lanes(x, bits, True)[lane] & MASK32,
                "extract_lane_u": lambda x, lane: lanes(x, bits)[lane],
            }
        )
    if bits <= 16:
        ops.update(
            {
                "add_sat_s": binary(lambda p, q: _saturate(p + q, bits, True), True),
                "add_sat_u": binary(lambda p, q: _saturate(p + q, bits, False)),
                "sub_sat_s": binary(lambda p, q: _saturate(p - q, bits, True), True),
                "sub_sat_u": binary(lambda p, q: _saturate(p - q, bits, False)),
                "avgr_u": binary(lambda p, q: (p + q + 1) >> 1),
            }
        )
    if bits >= 16:
        ops["mul"] = binary(lambda p, q: p * q)
    return ops


def _define_integer_ops() -> None:
    for shape, bits in _SHAPES.items():
        for name, fn in _integer_ops(bits).items():
            FUNCTIONS[f"v_{shape}_{name}"] = fn


def _replace(v: int, bits: int, lane: int, value: int) -> int:
    mask = (1 << bits) - 1
    shift = lane * bits
    return (v & ~(mask << shift) & _ALL_ONES) | ((value & mask) << shift)


_define_integer_ops()


def _widen(bits: int, signed: bool, high: bool) -> Callable[[int], list[int]]:
    """The low or high half of the lanes of width `bits`, as values to widen."""

    def take(v: int) -> list[int]:
        values = lanes(v, bits, signed)
        half = len(values) // 2
        return list(values[half:] if high else values[:half])

    return take


def _define_widening_ops() -> None:
    for narrow, wide in (("i8x16", "i16x8"), ("i16x8", "i32x4"), ("i32x4", "i64x2")):
        bits = _SHAPES[narrow]
        for signed, suffix in ((True, "s"), (False, "u")):
            for high, part in ((False, "low"), (True, "high")):
                take = _widen(bits, signed, high)
                FUNCTIONS[f"v_{wide}_extend_{part}_{narrow}_{suffix}"] = lambda x, t=take, w=bits * 2: pack(t(x), w)
                FUNCTIONS[f"v_{wide}_extmul_{part}_{narrow}_{suffix}"] = lambda x, y, t=take, w=bits * 2: pack(
                    [p * q for p, q in zip(t(x), t(y))], w
                )
            if narrow != "i32x4":
                FUNCTIONS[f"v_{wide}_extadd_pairwise_{narrow}_{suffix}"] = lambda x, b=bits, s=signed: pack(
                    [p + q for p, q in zip(lanes(x, b, s)[::2], lanes(x, b, s)[1::2])], b * 2
                )
    for wide, narrow in (("i16x8", "i8x16"), ("i32x4", "i16x8")):
        bits = _SHAPES[narrow]
        for signed, suffix in ((True, "s"), (False, "u")):
            FUNCTIONS[f"v_{narrow}_narrow_{wide}_{suffix}"] = lambda x, y, b=bits, s=signed: pack(
                [_saturate(p, b, s) for p in lanes(x, b * 2, True) + lanes(y, b * 2, True)], b
            )


_define_widening_ops()


@_register("i8x16.popcnt")
def _popcnt(x: int) -> int:
    return pack([p.bit_count() for p in lanes(x, 8)], 8)


@_register("i8x16.shuffle")
def _shuffle(x: int, y: int, selection: tuple[int, ...]) -> int:
    source = x.to_bytes(16, "little") + y.to_bytes(16, "little")
    return int.from_bytes(bytes(source[i] for i in selection), "little")


@_register("i8x16.swizzle")
def _swizzle(x: int, selection: int) -> int:
    source = x.to_bytes(16, "little")
    return int.from_bytes(bytes(source[i] if i < 16 else 0 for i in selection.to_bytes(16, "little")), "little")


@_register("i32x4.dot_i16x8_s")
def _dot(x: int, y: int) -> int:
    products = [p * q for p, q in zip(lanes(x, 16, True), lanes(y, 16, True))]
    return pack([products[i] + products[i + 1] for i in range(0, 8, 2)], 32)


@_register("i16x8.q15mulr_sat_s")
def _q15mulr(x: int, y: int) -> int:
    return pack([_saturate((p * q + 0x4000) >> 15, 16, True) for p, q in zip(lanes(x, 16, True), lanes(y, 16, True))], 16)


# -- whole-vector bit operations --

FUNCTIONS.update(
    {
        "v_v128_not": lambda x: x ^ _ALL_ONES,
        "v_v128_and": lambda x, y: x & y,
        "v_v128_andnot": lambda x, y: x & (y ^ _ALL_ONES),
        "v_v128_or": lambda x, y: x | y,
        "v_v128_xor": lambda x, y: x ^ y,
        "v_v128_bitselect": lambda x, y, c: (x & c) | (y & (c ^ _ALL_ONES)),
        "v_v128_any_true": lambda x: int(x != 0),
    }
)


# -- float lanes --


def _float_ops(bits: int) -> dict[str, Callable[..., object]]:
    """The lane-wise float operations of f32x4 (`bits` 32) or f64x2 (64), by name."""
    unpack: Callable[[int], Sequence[float]] = f32_lanes if bits == 32 else f64_lanes
    repack: Callable[[Iterable[float]], int] = pack_f32 if bits == 32 else pack_f64
    rounding: Callable[[float], float] = f32 if bits == 32 else (lambda v: v)
    sign = 1 << (bits - 1)
    to_bits = f32_to_bits if bits == 32 else f64_to_bits

    def arith(op: Callable[[float, float], float]) -> Callable[[int, int], int]:
        return lambda x, y: repack([rounding(op(p, q)) for p, q in zip(unpack(x), unpack(y))])

    def unary(op: Callable[[float], float]) -> Callable[[int], int]:
        return lambda x: repack([rounding(op(p)) for p in unpack(x)])

    def select(take_second: Callable[[float, float], bool]) -> Callable[[int, int], int]:
        """pmin/pmax pick one operand's lane as it is, NaN payload and all."""
        return lambda x, y: pack(
            [qb if take_second(p, q) else pb for p, q, pb, qb in zip(unpack(x), unpack(y), lanes(x, bits), lanes(y, bits))],
            bits,
        )

    def compare(op: Callable[[float, float], bool]) -> Callable[[int, int], int]:
        return lambda x, y: pack([_mask(op(p, q), bits) for p, q in zip(unpack(x), unpack(y))], bits)

    return {
        "add": arith(numeric.fadd),
        "sub": arith(lambda p, q: p - q),
        "mul": arith(numeric.fmul),
        "div": arith(numeric.fdiv),
        "min": arith(numeric.lane_fmin),
        "max": arith(numeric.lane_fmax),
        "pmin": select(lambda p, q: q < p),
        "pmax": select(lambda p, q: p < q),
        "sqrt": unary(numeric.fsqrt),
        "ceil": unary(numeric.fceil),
        "floor": unary(numeric.ffloor),
        "trunc": unary(numeric.ftrunc),
        "nearest": unary(numeric.fnearest),
        # abs and neg work on the sign bit alone, keeping NaN payloads.
        "abs": lambda x: pack([p & ~sign for p in lanes(x, bits)], bits),
        "neg": lambda x: pack([p ^ sign for p in lanes(x, bits)], bits),
        "eq": compare(lambda p, q: p == q),
        "ne": compare(lambda p, q: p != q),
        "lt": compare(lambda p, q: p < q),
        "gt": compare(lambda p, q: p > q),
        "le": compare(lambda p, q: p <= q),
        "ge": compare(lambda p, q: p >= q),
        "splat": lambda x: repack([x] * (128 // bits)),
        "extract_lane": lambda x, lane: unpack(x)[lane],
        "replace_lane": lambda x, value, lane: _replace(x, bits, lane, to_bits(value)),
    }


def _define_float_ops() -> None:
    for shape, bits in (("f32x4", 32), ("f64x2", 64)):
        for name, fn in _float_ops(bits).items():
            FUNCTIONS[f"v_{shape}_{name}"] = fn


_define_float_ops()

FUNCTIONS.update(
    {
        "v_f32x4_convert_i32x4_s": lambda x: pack_f32([f32(float(p)) for p in lanes(x, 32, True)]),
        "v_f32x4_convert_i32x4_u": lambda x: pack_f32([f32(float(p)) for p in lanes(x, 32)]),
        "v_f64x2_convert_low_i32x4_s": lambda x: pack_f64([float(p) for p in lanes(x, 32, True)[:2]]),
        "v_f64x2_convert_low_i32x4_u": lambda x: pack_f64([float(p) for p in lanes(x, 32)[:2]]),
        "v_i32x4_trunc_sat_f32x4_s": lambda x: pack([numeric.trunc_sat_i32_s(p) for p in f32_lanes(x)], 32),
        "v_i32x4_trunc_sat_f32x4_u": lambda x: pack([numeric.trunc_sat_i32_u(p) for p in f32_lanes(x)], 32),
        "v_i32x4_trunc_sat_f64x2_s_zero": lambda x: pack([numeric.trunc_sat_i32_s(p) for p in f64_lanes(x)] + [0, 0], 32),
        "v_i32x4_trunc_sat_f64x2_u_zero": lambda x: pack([numeric.trunc_sat_i32_u(p) for p in f64_lanes(x)] + [0, 0], 32),
        "v_f32x4_demote_f64x2_zero": lambda x: pack_f32([f32(p) for p in f64_lanes(x)] + [0.0, 0.0]),
        "v_f64x2_promote_low_f32x4": lambda x: pack_f64([numeric.promote(p) for p in f32_lanes(x)[:2]]),
    }
)


# -- relaxed SIMD: one of the results the spec allows, wasmtime's deterministic one --

# Of f32 and f64: the significand's bits, the least normal exponent, and the first power of two
# past the largest finite value.
_PRECISION = {32: (24, -126, 128), 64: (53, -1022, 1024)}


def _round_exact(value: Fraction, bits: int) -> float:
    """The exact nonzero `value` rounded once to the float of width `bits` (to nearest, ties to
    even; overflow to infinity). Rounding to f64 first, then to f32, could round twice."""
    digits, emin, overflow = _PRECISION[bits]
    magnitude = abs(value)
    # the exponent of the leading bit (at least emin: below it, subnormal spacing)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    exponent = max(exponent, emin)
    ulp = Fraction(2) ** (exponent - digits + 1)
    quotient, remainder = divmod(magnitude, ulp)
    if remainder * 2 > ulp or (remainder * 2 == ulp and quotient % 2):
        quotient += 1
    rounded = quotient * ulp
    # `rounded` fits the target exactly: converting it rounds no more
    result = math.inf if rounded >= Fraction(2) ** overflow else float(rounded) if bits == 64 else f32(float(rounded))
    return -result if value < 0 else result


def fused_multiply_add(a: float, b: float, c: float, bits: int, negate: bool = False) -> float:
    """a * b + c (with `negate`, -(a * b) + c) rounded once to the float of width `bits`, as
    fma gives. NaNs are wasmtime's on x86: of NaN operands the first of b, a, c, quieted (and
    not negated); a NaN made from other operands (inf * 0, inf - inf), the default NaN."""
    for operand in (b, a, c):
        if operand != operand:
            return operand + operand
    if negate:
        a = -a
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        # infinities: the sum of the infinite terms (a finite product stays finite, if large)
        result = c if math.isfinite(a) and math.isfinite(b) else a * b + c
        return numeric.NAN if result != result else result
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:  # the sign of a zero sum: negative only if both terms are negative zeros
        product_sign = math.copysign(1.0, a) * math.copysign(1.0, b)
        return -0.0 if (a == 0 or b == 0) and product_sign < 0 and math.copysign(1.0, c) < 0 else 0.0
    return _round_exact(exact, bits)


def _define_relaxed_ops() -> None:
    for shape, bits, unpack, repack in (("f32x4", 32, f32_lanes, pack_f32), ("f64x2", 64, f64_lanes, pack_f64)):
        FUNCTIONS[f"v_{shape}_relaxed_madd"] = lambda x, y, z, b=bits, u=unpack, r=repack: r(
            [fused_multiply_add(p, q, s, b) for p, q, s in zip(u(x), u(y), u(z))]
        )
        FUNCTIONS[f"v_{shape}_relaxed_nmadd"] = lambda x, y, z, b=bits, u=unpack, r=repack: r(
            [fused_multiply_add(p, q, s, b, negate=True) for p, q, s in zip(u(x), u(y), u(z))]
        )
        for name in ("min", "max"):
            FUNCTIONS[f"v_{shape}_relaxed_{name}"] = FUNCTIONS[f"v_{shape}_{name}"]
    for shape in _SHAPES:
        FUNCTIONS[f"v_{shape}_relaxed_laneselect"] = FUNCTIONS["v_v128_bitselect"]
    for relaxed, deterministic in (
        ("i8x16_relaxed_swizzle", "i8x16_swizzle"),
        ("i32x4_relaxed_trunc_f32x4_s", "i32x4_trunc_sat_f32x4_s"),
        ("i32x4_relaxed_trunc_f32x4_u", "i32x4_trunc_sat_f32x4_u"),
        ("i32x4_relaxed_trunc_f64x2_s_zero", "i32x4_trunc_sat_f64x2_s_zero"),
        ("i32x4_relaxed_trunc_f64x2_u_zero", "i32x4_trunc_sat_f64x2_u_zero"),
        ("i16x8_relaxed_q15mulr_s", "i16x8_q15mulr_sat_s"),
    ):
        FUNCTIONS[f"v_{relaxed}"] = FUNCTIONS[f"v_{deterministic}"]


def _relaxed_dot16(x: int, y: int) -> list[int]:
    """The i16x8 relaxed dot product's lanes: both operands signed, each pair's sum wrapped to
    16 bits, as signed values."""
    products = [p * q for p, q in zip(lanes(x, 8, True), lanes(y, 8, True))]
    return [((products[i] + products[i + 1] + 0x8000) & 0xFFFF) - 0x8000 for i in range(0, 16, 2)]


@_register("i16x8.relaxed_dot_i8x16_i7x16_s")
def _relaxed_dot(x: int, y: int) -> int:
    return pack(_relaxed_dot16(x, y), 16)


@_register("i32x4.relaxed_dot_i8x16_i7x16_add_s")
def _relaxed_dot_add(x: int, y: int, z: int) -> int:
    sums = _relaxed_dot16(x, y)
    return pack([sums[2 * i] + sums[2 * i + 1] + c for i, c in enumerate(lanes(z, 32))], 32)


_define_relaxed_ops()


# -- memory --


def _bytes(memory: memoryview, address: int, size: int) -> bytes:
    if address + size > len(memory):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    return bytes(memory[address : address + size])


def _write(memory: memoryview, address: int, data: bytes) -> None:
    if address + len(data) > len(memory):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    memory[address : address + len(data)] = data


def function_name(op: Op) -> str:
    return "v_" + op.name.replace(".", "_")


def _memory_function(op: Op) -> Callable[..., object]:
    """The function of a SIMD load or store, made from what the instruction table says of it."""
    size = op.width
    bits = 8 * size
    if op.imm is Imm.MEMLANE:
        if op.results:
            return lambda m, a, v, lane: _replace(v, bits, lane, int.from_bytes(_bytes(m, a, size), "little"))
        return lambda m, a, v, lane: _write(m, a, lanes(v, bits)[lane].to_bytes(size, "little"))
    if op.lanes:  # each lane read is extended to twice its width
        element = bits // op.lanes
        half = struct.Struct(f"<{op.lanes}{_STRUCTS[(element, op.signed)].format[-1]}")
        return lambda m, a: pack(half.unpack(_bytes(m, a, size)), 2 * element)
    if op.name.endswith("_splat"):
        return lambda m, a: pack([int.from_bytes(_bytes(m, a, size), "little")] * (128 // bits), bits)
    if op.results:  # the whole vector, or its low lanes with the others zero
        return lambda m, a: int.from_bytes(_bytes(m, a, size), "little")
    return lambda m, a, v: _write(m, a, v.to_bytes(size, "little"))


for _op in ALL:
    if _op.feature is Feature.SIMD and _op.valtype is not None:
        FUNCTIONS[function_name(_op)] = _memory_function(_op)
del _op


def simd_expression(op: Op, imm: object, operands: list[str], memory: str = "M") -> tuple[str, str]:
    """The Python expression (or, for stores, statement) for a SIMD instruction, and what kind
    it is: CONST, PURE_CALL, LOAD or STORE. A load or store reads the memory view `memory`."""
    if op.imm is Imm.V128:
        return str(imm), CONST
    fn = function_name(op)
    args = list(operands)
    if op.imm in (Imm.MEMARG, Imm.MEMLANE):
        offset = imm[1]  # type: ignore[index]
        address = f"{args[0]} + {offset}" if offset else args[0]
        rest = args[1:]
        if op.imm is Imm.MEMLANE:
            rest.append(str(imm[2]))  # type: ignore[index]
        text = f"{fn}({memory}, {address}{''.join(', ' + a for a in rest)})"
        return text, STORE if not op.results else LOAD
    if op.imm is Imm.LANE:
        args.append(str(imm))
    elif op.imm is Imm.SHUFFLE:
        args.append(repr(tuple(imm)))  # type: ignore[arg-type]
    return f"{fn}({', '.join(args)})", PURE_CALL
