"""SIMD (v128) instructions in LLVM IR: LLVM's vector types and intrinsics.

A v128 value is an i128 on the operand stack and in locals; each instruction bitcasts it to the
vector shape it works on (<16 x i8>, <4 x float>, ...) and back, which costs nothing. Where
wasm's rule differs from the plain LLVM operation (shift counts taken modulo the lane width,
NaN results of min and max, out-of-range swizzle indices, saturating narrows) the lowering
spells the rule out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol, cast

from llvmlite import ir

from ...opcodes import ALL, BY_NAME, Feature, Imm, Op
from .irtext import Builder, Operand
from .nan import DEFAULT_NAN, first_nan_wins, lane_min_max

__all__ = ["SIMD_OPS", "FunctionLowering"]


class FunctionLowering(Protocol):
    """What a SIMD handler uses of the function being lowered (`lower._Lowering`): its
    builder, its operand stack, checked memory addresses and loads, and intrinsics. This module depends
    on that, not on lower.py, which imports this module's table."""

    builder: Builder
    stack: list[Operand]

    def address(self, offset: int, width: int, memory: int = 0) -> Operand: ...

    def load_memory(self, pointer: Operand, typ: ir.Type, memory: int) -> Operand: ...

    def intrinsic(self, name: str, result: ir.Type, args: list[Operand]) -> Operand: ...

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
I128 = ir.IntType(128)
F32 = ir.FloatType()
F64 = ir.DoubleType()

SHAPES: dict[str, tuple[ir.Type, int]] = {
    "i8x16": (I8, 16), "i16x8": (I16, 8), "i32x4": (I32, 4), "i64x2": (I64, 2), "f32x4": (F32, 4), "f64x2": (F64, 2),
}  # fmt: skip
_SUFFIX = {I8: "i8", I16: "i16", I32: "i32", I64: "i64", F32: "f32", F64: "f64"}
_BITS = {I8: 8, I16: 16, I32: 32, I64: 64, F32: 32, F64: 64}
_WIDER = {I8: I16, I16: I32, I32: I64}
_INT_OF = {F32: I32, F64: I64}

Handler = Callable[[FunctionLowering, object], None]
SIMD_OPS: dict[str, Handler] = {}


def vtype(shape: str) -> ir.VectorType:
    element, count = SHAPES[shape]
    return ir.VectorType(element, count)


def _vname(element: ir.Type, count: int) -> str:
    return f"v{count}{_SUFFIX[element]}"


class _Vec:
    """IR helpers over a lowering's builder."""

    def __init__(self, s: FunctionLowering) -> None:
        self.s = s
        self.b: Builder = s.builder

    def as_vec(self, value: Operand, shape: str) -> Operand:
        return self.b.bitcast(value, vtype(shape))

    def as_v128(self, value: Operand) -> Operand:
        return self.b.bitcast(value, I128)

    def intrinsic(self, name: str, result: ir.Type, args: list[Operand]) -> Operand:
        return self.s.intrinsic(name, result, args)

    def splat(self, scalar: Operand, count: int) -> Operand:
        vec = ir.VectorType(scalar.type, count)
        one = self.b.insert_element(ir.Constant(vec, ir.Undefined), scalar, ir.Constant(I32, 0))
        return self.b.shuffle_vector(one, ir.Constant(vec, ir.Undefined), ir.Constant(ir.VectorType(I32, count), [0] * count))

    def shuffle(self, a: Operand, b: Operand, lanes: list[int]) -> Operand:
        return self.b.shuffle_vector(a, b, ir.Constant(ir.VectorType(I32, len(lanes)), lanes))

    def half(self, vec: Operand, high: bool) -> Operand:
        count = vec.type.count
        start = count // 2 if high else 0
        return self.shuffle(vec, vec, list(range(start, start + count // 2)))

    def mask_to_lanes(self, mask: Operand, element: ir.Type) -> Operand:
        """A vector of i1 as lanes of all ones or all zeros."""
        return self.b.sext(mask, ir.VectorType(_INT_OF.get(element, element), mask.type.count))

    def const_vec(self, element: ir.Type, count: int, value: int) -> ir.Constant:
        return ir.Constant(ir.VectorType(element, count), [value] * count)


def _register(name: str) -> Callable[[Handler], Handler]:
    def add(handler: Handler) -> Handler:
        SIMD_OPS[name] = handler
        return handler

    return add


def _push(s: FunctionLowering, value: Operand) -> None:
    s.stack.append(s.builder.bitcast(value, I128) if value.type != I128 else value)


def _vector_op(name: str, shape: str, build: Callable[..., Operand]) -> None:
    """Register `name` as `build` over its operands (as many as the opcode table gives it
    parameters), each seen as a vector of `shape`."""
    arity = len(BY_NAME[name].params or ())

    def handler(s: FunctionLowering, imm: object) -> None:
        v = _Vec(s)
        operands = [v.as_vec(s.stack.pop(), shape) for _ in range(arity)]  # the top one first
        _push(s, build(v, *reversed(operands)))

    SIMD_OPS[name] = handler


def _int_compare(v: _Vec, a: Operand, b: Operand, pred: str, signed: bool, element: ir.Type) -> Operand:
    mask = v.b.icmp_signed(pred, a, b) if signed else v.b.icmp_unsigned(pred, a, b)
    return v.mask_to_lanes(mask, element)


def _float_compare(v: _Vec, a: Operand, b: Operand, pred: str, element: ir.Type) -> Operand:
    return v.mask_to_lanes(v.b.fcmp_ordered(pred, a, b), element)


def _float_arithmetic(v: _Vec, a: Operand, b: Operand, op: str) -> Operand:
    if op in ("fadd", "fmul"):
        return first_nan_wins(v.b, op, a, b)
    return getattr(v.b, op)(a, b)


def _lanewise(v: _Vec, a: Operand, b: Operand, name: str, typ: ir.Type) -> Operand:
    return v.intrinsic(name, typ, [a, b])


def _lanewise_unary(v: _Vec, a: Operand, name: str, typ: ir.Type) -> Operand:
    return v.intrinsic(name, typ, [a])


# -- constants, lanes, shuffles --


@_register("v128.const")
def _const(s: FunctionLowering, imm: object) -> None:
    s.stack.append(ir.Constant(I128, imm))


@_register("i8x16.shuffle")
def _shuffle(s: FunctionLowering, imm: object) -> None:
    v = _Vec(s)
    b = v.as_vec(s.stack.pop(), "i8x16")
    a = v.as_vec(s.stack.pop(), "i8x16")
    _push(s, v.shuffle(a, b, list(imm)))  # type: ignore[call-overload]


@_register("i8x16.swizzle")
def _swizzle(s: FunctionLowering, imm: object) -> None:
    v = _Vec(s)
    indices = v.as_vec(s.stack.pop(), "i8x16")
    a = v.as_vec(s.stack.pop(), "i8x16")
    result: Operand = ir.Constant(vtype("i8x16"), [0] * 16)
    for lane in range(16):
        index = s.builder.extract_element(indices, ir.Constant(I32, lane))
        picked = s.builder.extract_element(a, s.builder.and_(index, ir.Constant(I8, 15)))
        in_range = s.builder.icmp_unsigned("<", index, ir.Constant(I8, 16))
        value = s.builder.select(in_range, picked, ir.Constant(I8, 0))
        result = s.builder.insert_element(result, value, ir.Constant(I32, lane))
    _push(s, result)


def _define_lanes() -> None:
    for shape, (element, count) in SHAPES.items():

        def splat(s: FunctionLowering, imm: object, element: ir.Type = element, count: int = count) -> None:
            scalar = s.stack.pop()
            if element in (I8, I16):
                scalar = s.builder.trunc(scalar, element)
            _push(s, _Vec(s).splat(scalar, count))

        SIMD_OPS[f"{shape}.splat"] = splat

        def extract(s: FunctionLowering, imm: object, shape: str = shape, element: ir.Type = element, signed: bool | None = None) -> None:
            vec = _Vec(s).as_vec(s.stack.pop(), shape)
            lane = s.builder.extract_element(vec, ir.Constant(I32, imm))
            if signed is not None:
                lane = (s.builder.sext if signed else s.builder.zext)(lane, I32)
            s.stack.append(lane)

        if element in (I8, I16):
            SIMD_OPS[f"{shape}.extract_lane_s"] = functools.partial(extract, signed=True)
            SIMD_OPS[f"{shape}.extract_lane_u"] = functools.partial(extract, signed=False)
        else:
            SIMD_OPS[f"{shape}.extract_lane"] = extract

        def replace(s: FunctionLowering, imm: object, shape: str = shape, element: ir.Type = element) -> None:
            scalar = s.stack.pop()
            vec = _Vec(s).as_vec(s.stack.pop(), shape)
            if element in (I8, I16):
                scalar = s.builder.trunc(scalar, element)
            _push(s, s.builder.insert_element(vec, scalar, ir.Constant(I32, imm)))

        SIMD_OPS[f"{shape}.replace_lane"] = replace


_define_lanes()


# -- bitwise --

_vector_op("v128.and", "i64x2", lambda v, a, b: v.b.and_(a, b))
_vector_op("v128.or", "i64x2", lambda v, a, b: v.b.or_(a, b))
_vector_op("v128.xor", "i64x2", lambda v, a, b: v.b.xor(a, b))
_vector_op("v128.andnot", "i64x2", lambda v, a, b: v.b.and_(a, v.b.not_(b)))
_vector_op("v128.not", "i64x2", lambda v, a: v.b.not_(a))


@_register("v128.bitselect")
def _bitselect(s: FunctionLowering, imm: object) -> None:
    c, b, a = s.stack.pop(), s.stack.pop(), s.stack.pop()
    builder = s.builder
    _push(s, builder.or_(builder.and_(a, c), builder.and_(b, builder.not_(c))))


@_register("v128.any_true")
def _any_true(s: FunctionLowering, imm: object) -> None:
    value = s.stack.pop()
    s.stack.append(s.builder.zext(s.builder.icmp_unsigned("!=", value, ir.Constant(I128, 0)), I32))


# -- integer lanes --


def _define_integer(shape: str) -> None:
    element, count = SHAPES[shape]
    bits = _BITS[element]
    name = _vname(element, count)
    vec = vtype(shape)
    zero = ir.Constant(vec, [0] * count)
    predicates = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
    for op, pred in predicates.items():
        if op in ("eq", "ne"):
            _vector_op(f"{shape}.{op}", shape, functools.partial(_int_compare, pred=pred, signed=False, element=element))
            continue
        _vector_op(f"{shape}.{op}_s", shape, functools.partial(_int_compare, pred=pred, signed=True, element=element))
        if element is not I64:
            _vector_op(f"{shape}.{op}_u", shape, functools.partial(_int_compare, pred=pred, signed=False, element=element))
    _vector_op(f"{shape}.add", shape, lambda v, a, b: v.b.add(a, b))
    _vector_op(f"{shape}.sub", shape, lambda v, a, b: v.b.sub(a, b))
    if element is not I8:
        _vector_op(f"{shape}.mul", shape, lambda v, a, b: v.b.mul(a, b))
    _vector_op(f"{shape}.neg", shape, lambda v, a: v.b.sub(zero, a))
    _vector_op(f"{shape}.abs", shape, lambda v, a: v.intrinsic(f"llvm.abs.{name}", vec, [a, ir.Constant(I1, 0)]))

    def all_true(s: FunctionLowering, imm: object) -> None:
        v = _Vec(s)
        nonzero = s.builder.icmp_unsigned("!=", v.as_vec(s.stack.pop(), shape), zero)
        every = v.intrinsic(f"llvm.vector.reduce.and.v{count}i1", I1, [nonzero])
        s.stack.append(s.builder.zext(every, I32))

    def bitmask(s: FunctionLowering, imm: object) -> None:
        v = _Vec(s)
        negative = s.builder.icmp_signed("<", v.as_vec(s.stack.pop(), shape), zero)
        s.stack.append(s.builder.zext(s.builder.bitcast(negative, ir.IntType(count)), I32))

    SIMD_OPS[f"{shape}.all_true"] = all_true
    SIMD_OPS[f"{shape}.bitmask"] = bitmask

    def shift(s: FunctionLowering, imm: object, op: str = "") -> None:
        v = _Vec(s)
        count_value = s.builder.and_(s.stack.pop(), ir.Constant(I32, bits - 1))
        amount = s.builder.trunc(count_value, element) if bits < 32 else (
            s.builder.zext(count_value, element) if bits > 32 else count_value)
        a = v.as_vec(s.stack.pop(), shape)
        shifted = getattr(s.builder, op)(a, v.splat(amount, count))
        _push(s, shifted)

    SIMD_OPS[f"{shape}.shl"] = functools.partial(shift, op="shl")
    SIMD_OPS[f"{shape}.shr_s"] = functools.partial(shift, op="ashr")
    SIMD_OPS[f"{shape}.shr_u"] = functools.partial(shift, op="lshr")
    if element in (I8, I16):
        for op, intrinsic in (("add_sat_s", "sadd.sat"), ("add_sat_u", "uadd.sat"), ("sub_sat_s", "ssub.sat"), ("sub_sat_u", "usub.sat")):
            _vector_op(f"{shape}.{op}", shape, functools.partial(_lanewise, name=f"llvm.{intrinsic}.{name}", typ=vec))

        def avgr(v: _Vec, a: Operand, b: Operand) -> Operand:
            wide = ir.VectorType(_WIDER[element], count)
            total = v.b.add(v.b.add(v.b.zext(a, wide), v.b.zext(b, wide)), v.const_vec(_WIDER[element], count, 1))
            return v.b.trunc(v.b.lshr(total, v.const_vec(_WIDER[element], count, 1)), vec)

        _vector_op(f"{shape}.avgr_u", shape, avgr)
    if element is not I64:
        for op in ("smin", "umin", "smax", "umax"):
            wasm = {"smin": "min_s", "umin": "min_u", "smax": "max_s", "umax": "max_u"}[op]
            _vector_op(f"{shape}.{wasm}", shape, functools.partial(_lanewise, name=f"llvm.{op}.{name}", typ=vec))
    if element is I8:
        _vector_op(f"{shape}.popcnt", shape, lambda v, a: v.intrinsic(f"llvm.ctpop.{name}", vec, [a]))


for _shape in ("i8x16", "i16x8", "i32x4", "i64x2"):
    _define_integer(_shape)


# -- widening and narrowing --


def _define_widening() -> None:
    pairs = (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4"))
    for wide_shape, narrow_shape in pairs:
        wide_element, count = SHAPES[wide_shape]
        wide = ir.VectorType(wide_element, count)
        for half in ("low", "high"):
            for sign in ("s", "u"):

                def extend(v: _Vec, a: Operand, half: str = half, sign: str = sign, wide: ir.Type = wide) -> Operand:
                    part = v.half(a, half == "high")
                    return (v.b.sext if sign == "s" else v.b.zext)(part, wide)

                _vector_op(f"{wide_shape}.extend_{half}_{narrow_shape}_{sign}", narrow_shape, extend)

                def extmul(v: _Vec, a: Operand, b: Operand, f: Callable[..., Operand] = extend) -> Operand:
                    return v.b.mul(f(v, a), f(v, b))

                _vector_op(f"{wide_shape}.extmul_{half}_{narrow_shape}_{sign}", narrow_shape, extmul)
        if wide_shape != "i64x2":
            for sign in ("s", "u"):

                def pairwise(v: _Vec, a: Operand, sign: str = sign, wide: ir.Type = wide) -> Operand:
                    n = a.type.count
                    even = v.shuffle(a, a, list(range(0, n, 2)))
                    odd = v.shuffle(a, a, list(range(1, n, 2)))
                    widen = v.b.sext if sign == "s" else v.b.zext
                    return v.b.add(widen(even, wide), widen(odd, wide))

                _vector_op(f"{wide_shape}.extadd_pairwise_{narrow_shape}_{sign}", narrow_shape, pairwise)

    for narrow_shape, wide_shape in (("i8x16", "i16x8"), ("i16x8", "i32x4")):
        narrow_element, count = SHAPES[narrow_shape]
        wide_element, _ = SHAPES[wide_shape]
        bits = _BITS[narrow_element]
        for sign in ("s", "u"):
            low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sign == "s" else (0, (1 << bits) - 1)

            def narrow(
                v: _Vec, a: Operand, b: Operand, low: int = low, high: int = high,
                count: int = count, narrow_element: ir.Type = narrow_element, wide_element: ir.Type = wide_element,
            ) -> Operand:  # fmt: skip
                both = v.shuffle(a, b, list(range(count)))
                name = _vname(wide_element, count)
                clamped = v.intrinsic(f"llvm.smax.{name}", both.type, [both, v.const_vec(wide_element, count, low)])
                clamped = v.intrinsic(f"llvm.smin.{name}", both.type, [clamped, v.const_vec(wide_element, count, high)])
                return v.b.trunc(clamped, ir.VectorType(narrow_element, count))

            _vector_op(f"{narrow_shape}.narrow_{wide_shape}_{sign}", wide_shape, narrow)


_define_widening()


def _q15mulr(v: _Vec, a: Operand, b: Operand) -> Operand:
    wide = ir.VectorType(I32, 8)
    product = v.b.mul(v.b.sext(a, wide), v.b.sext(b, wide))
    rounded = v.b.ashr(v.b.add(product, v.const_vec(I32, 8, 0x4000)), v.const_vec(I32, 8, 15))
    clamped = v.intrinsic("llvm.smin.v8i32", wide, [rounded, v.const_vec(I32, 8, 0x7FFF)])
    return v.b.trunc(clamped, vtype("i16x8"))


def _dot(v: _Vec, a: Operand, b: Operand) -> Operand:
    wide = ir.VectorType(I32, 8)
    product = v.b.mul(v.b.sext(a, wide), v.b.sext(b, wide))
    return v.b.add(v.shuffle(product, product, [0, 2, 4, 6]), v.shuffle(product, product, [1, 3, 5, 7]))


_vector_op("i16x8.q15mulr_sat_s", "i16x8", _q15mulr)
_vector_op("i32x4.dot_i16x8_s", "i16x8", _dot)


# -- float lanes --


def _define_float(shape: str) -> None:
    element, count = SHAPES[shape]
    name = _vname(element, count)
    vec = vtype(shape)
    for op, pred in {"eq": "==", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}.items():
        _vector_op(f"{shape}.{op}", shape, functools.partial(_float_compare, pred=pred, element=element))
    _vector_op(f"{shape}.ne", shape, lambda v, a, b: v.mask_to_lanes(v.b.fcmp_unordered("!=", a, b), element))
    for op in ("add", "sub", "mul", "div"):
        _vector_op(f"{shape}.{op}", shape, functools.partial(_float_arithmetic, op=f"f{op}"))
    for op, intrinsic in (("abs", "fabs"), ("sqrt", "sqrt"), ("ceil", "ceil"), ("floor", "floor"), ("trunc", "trunc"), ("nearest", "roundeven")):
        _vector_op(f"{shape}.{op}", shape, functools.partial(_lanewise_unary, name=f"llvm.{intrinsic}.{name}", typ=vec))
    _vector_op(f"{shape}.neg", shape, lambda v, a: v.b.fneg(a))
    for op, intrinsic in (("min", "minimum"), ("max", "maximum")):

        def min_max(v: _Vec, a: Operand, b: Operand, i: str = intrinsic) -> Operand:
            return lane_min_max(v.b, i, a, b, v.intrinsic(f"llvm.{i}.{name}", vec, [a, b]))

        _vector_op(f"{shape}.{op}", shape, min_max)
    _vector_op(f"{shape}.pmin", shape, lambda v, a, b: v.b.select(v.b.fcmp_ordered("<", b, a), b, a))
    _vector_op(f"{shape}.pmax", shape, lambda v, a, b: v.b.select(v.b.fcmp_ordered("<", a, b), b, a))


_define_float("f32x4")
_define_float("f64x2")


def _quiet_nans(v: _Vec, value: Operand) -> Operand:
    """Each NaN lane of a float vector made quiet (its quiet bit set), every other lane as it is.

    A conversion's NaN must come out quiet, and LLVM's constant folding may keep a signalling
    one. `llvm.canonicalize` would do, but the optimizer narrows it through the shuffles around
    it (demote's zero lanes taken apart by `extend_low`) to widths such as <2 x float> that
    the x86 backend cannot legalize, and LLVM then aborts the process. Integer `or` and
    `select` on the bits legalize at any width, and the hardware gives the same bits."""
    element, count = value.type.element, value.type.count
    ints = ir.VectorType(_INT_OF[element], count)
    quiet_bit = 1 << (22 if element == F32 else 51)
    bits = v.b.bitcast(value, ints)
    quieted = v.b.or_(bits, ir.Constant(ints, [quiet_bit] * count))
    is_nan = v.b.fcmp_unordered("uno", value, value)
    return v.b.bitcast(v.b.select(is_nan, quieted, bits), value.type)


_vector_op("i32x4.trunc_sat_f32x4_s", "f32x4", lambda v, a: v.intrinsic("llvm.fptosi.sat.v4i32.v4f32", vtype("i32x4"), [a]))
_vector_op("i32x4.trunc_sat_f32x4_u", "f32x4", lambda v, a: v.intrinsic("llvm.fptoui.sat.v4i32.v4f32", vtype("i32x4"), [a]))
_vector_op("f32x4.convert_i32x4_s", "i32x4", lambda v, a: v.b.sitofp(a, vtype("f32x4")))
_vector_op("f32x4.convert_i32x4_u", "i32x4", lambda v, a: v.b.uitofp(a, vtype("f32x4")))


def _zero_extend_pair(v: _Vec, pair: Operand) -> Operand:
    """Two lanes, then two zero lanes."""
    return v.shuffle(pair, ir.Constant(pair.type, None), [0, 1, 2, 3])


_vector_op("i32x4.trunc_sat_f64x2_s_zero", "f64x2",
       lambda v, a: _zero_extend_pair(v, v.intrinsic("llvm.fptosi.sat.v2i32.v2f64", ir.VectorType(I32, 2), [a])))
_vector_op("i32x4.trunc_sat_f64x2_u_zero", "f64x2",
       lambda v, a: _zero_extend_pair(v, v.intrinsic("llvm.fptoui.sat.v2i32.v2f64", ir.VectorType(I32, 2), [a])))
_vector_op("f64x2.convert_low_i32x4_s", "i32x4", lambda v, a: v.b.sitofp(v.half(a, False), vtype("f64x2")))
_vector_op("f64x2.convert_low_i32x4_u", "i32x4", lambda v, a: v.b.uitofp(v.half(a, False), vtype("f64x2")))
_vector_op("f32x4.demote_f64x2_zero", "f64x2",
       lambda v, a: _quiet_nans(v, _zero_extend_pair(v, v.b.fptrunc(a, ir.VectorType(F32, 2)))))
_vector_op("f64x2.promote_low_f32x4", "f32x4", lambda v, a: _quiet_nans(v, v.b.fpext(v.half(a, False), vtype("f64x2"))))


# -- relaxed SIMD: the results the Python engine gives (wasmtime's deterministic ones) --


def _fused_multiply_add(v: _Vec, a: Operand, b: Operand, c: Operand, negate: bool = False) -> Operand:
    """a * b + c (with `negate`, -(a * b) + c) per lane with one rounding (`llvm.fma`). NaNs
    are wasmtime's on x86, which LLVM's choice of fma form would not keep: of NaN operands the
    first of b, a, c, quieted (and not negated); a NaN made from other operands (inf * 0,
    inf - inf), the default NaN."""
    element, count = a.type.element, a.type.count
    fused = v.intrinsic(f"llvm.fma.{_vname(element, count)}", a.type, [v.b.fneg(a) if negate else a, b, c])
    default_nan = ir.Constant(ir.VectorType(_INT_OF[element], count), [DEFAULT_NAN[element]] * count)
    result = v.b.select(v.b.fcmp_unordered("uno", fused, fused), v.b.bitcast(default_nan, a.type), fused)
    for operand in (c, a, b):  # the first NaN of b, a, c wins: it is selected last
        result = v.b.select(v.b.fcmp_unordered("uno", operand, operand), _quiet_nans(v, operand), result)
    return result


def _relaxed_dot16(v: _Vec, a: Operand, b: Operand) -> Operand:
    """i16x8.relaxed_dot_i8x16_i7x16_s: both operands signed, each pair's sum wrapped to 16 bits."""
    wide = ir.VectorType(I16, 16)
    product = v.b.mul(v.b.sext(a, wide), v.b.sext(b, wide))
    return v.b.add(v.shuffle(product, product, list(range(0, 16, 2))), v.shuffle(product, product, list(range(1, 16, 2))))


def _relaxed_dot_add(v: _Vec, a: Operand, b: Operand, c: Operand) -> Operand:
    """i32x4.relaxed_dot_i8x16_i7x16_add_s: the 16-bit sums, pairwise added in 32 bits, plus c."""
    sums = v.b.sext(_relaxed_dot16(v, a, b), ir.VectorType(I32, 8))
    pairs = v.b.add(v.shuffle(sums, sums, [0, 2, 4, 6]), v.shuffle(sums, sums, [1, 3, 5, 7]))
    return v.b.add(pairs, v.b.bitcast(c, vtype("i32x4")))


def _define_relaxed() -> None:
    for shape in ("f32x4", "f64x2"):
        _vector_op(f"{shape}.relaxed_madd", shape, _fused_multiply_add)
        _vector_op(f"{shape}.relaxed_nmadd", shape, functools.partial(_fused_multiply_add, negate=True))
        for name in ("min", "max"):
            SIMD_OPS[f"{shape}.relaxed_{name}"] = SIMD_OPS[f"{shape}.{name}"]
    for shape in ("i8x16", "i16x8", "i32x4", "i64x2"):
        SIMD_OPS[f"{shape}.relaxed_laneselect"] = SIMD_OPS["v128.bitselect"]
    for relaxed, deterministic in (
        ("i8x16.relaxed_swizzle", "i8x16.swizzle"),
        ("i32x4.relaxed_trunc_f32x4_s", "i32x4.trunc_sat_f32x4_s"),
        ("i32x4.relaxed_trunc_f32x4_u", "i32x4.trunc_sat_f32x4_u"),
        ("i32x4.relaxed_trunc_f64x2_s_zero", "i32x4.trunc_sat_f64x2_s_zero"),
        ("i32x4.relaxed_trunc_f64x2_u_zero", "i32x4.trunc_sat_f64x2_u_zero"),
        ("i16x8.relaxed_q15mulr_s", "i16x8.q15mulr_sat_s"),
    ):
        SIMD_OPS[relaxed] = SIMD_OPS[deterministic]
    _vector_op("i16x8.relaxed_dot_i8x16_i7x16_s", "i8x16", _relaxed_dot16)
    _vector_op("i32x4.relaxed_dot_i8x16_i7x16_add_s", "i8x16", _relaxed_dot_add)


_define_relaxed()


# -- memory --


def _address(s: FunctionLowering, imm: object, width: int) -> Operand:
    """The checked address of a `width`-byte access by a memarg or memlane immediate: its
    offset is second, its memory index last."""
    return s.address(cast(tuple[int, ...], imm)[1], width, _memory(imm))


def _memory(imm: object) -> int:
    """The memory index of a memarg or memlane immediate (last)."""
    return cast(tuple[int, ...], imm)[-1]


def _memory_handler(op: Op) -> Handler:
    """The lowering of a SIMD load or store, made from what the instruction table says of it."""
    width = op.width
    element = ir.IntType(8 * width)  # what a lane access, a splat or a zero-extending load reads

    def whole_load(s: FunctionLowering, imm: object) -> None:
        pointer = _address(s, imm, width)
        s.stack.append(s.load_memory(pointer, I128, _memory(imm)))

    def whole_store(s: FunctionLowering, imm: object) -> None:
        value = s.stack.pop()
        pointer = _address(s, imm, width)
        s.builder.store(value, pointer, align=1)

    def extend_load(s: FunctionLowering, imm: object) -> None:
        narrow_element = ir.IntType(8 * width // op.lanes)
        pointer = _address(s, imm, width)
        narrow = s.load_memory(pointer, ir.VectorType(narrow_element, op.lanes), _memory(imm))
        wide = ir.VectorType(_WIDER[narrow_element], op.lanes)
        _push(s, (s.builder.sext if op.signed else s.builder.zext)(narrow, wide))

    def splat_load(s: FunctionLowering, imm: object) -> None:
        pointer = _address(s, imm, width)
        _push(s, _Vec(s).splat(s.load_memory(pointer, element, _memory(imm)), 16 // width))

    def lane_load(s: FunctionLowering, imm: object) -> None:
        lane = cast(tuple[int, int, int, int], imm)[2]
        vec = s.builder.bitcast(s.stack.pop(), ir.VectorType(element, op.lanes))
        pointer = _address(s, imm, width)
        value = s.load_memory(pointer, element, _memory(imm))
        _push(s, s.builder.insert_element(vec, value, ir.Constant(I32, lane)))

    def lane_store(s: FunctionLowering, imm: object) -> None:
        lane = cast(tuple[int, int, int, int], imm)[2]
        vec = s.builder.bitcast(s.stack.pop(), ir.VectorType(element, op.lanes))
        pointer = _address(s, imm, width)
        s.builder.store(s.builder.extract_element(vec, ir.Constant(I32, lane)), pointer, align=1)

    def zero_load(s: FunctionLowering, imm: object) -> None:
        pointer = _address(s, imm, width)
        s.stack.append(s.builder.zext(s.load_memory(pointer, element, _memory(imm)), I128))

    if op.imm is Imm.MEMLANE:
        return lane_load if op.results else lane_store
    if not op.narrow:
        return whole_load if op.results else whole_store
    if op.lanes:
        return extend_load
    return splat_load if op.name.endswith("_splat") else zero_load


for _op in ALL:
    if _op.feature is Feature.SIMD and _op.valtype is not None:
        SIMD_OPS[_op.name] = _memory_handler(_op)
del _op
