"""The NaNs the native engine makes, bit for bit those of wasmtime and the Python engine.

The spec lets an operation on NaNs return any of several NaNs; wasmkit's engines agree with
each other and with wasmtime on x86 (DESIGN.md section 4), which returns the first NaN operand,
quieted. LLVM keeps IEEE results but not NaN payloads, so the lowerings that choose among NaNs
are written here, for scalars and vectors alike.
"""

from __future__ import annotations

import platform
from typing import cast

from llvmlite import ir

from .irtext import Builder, Operand

X86_64 = platform.machine().lower() in ("x86_64", "amd64")

# The NaN x86 makes for an invalid operation (0/0, inf - inf), by float type: the sign bit set.
DEFAULT_NAN = {ir.FloatType(): 0xFFC0_0000, ir.DoubleType(): 0xFFF8_0000_0000_0000}


def first_nan_wins(builder: Builder, op: str, a: Operand, b: Operand) -> Operand:
    """The commutative `op` ("fadd" or "fmul") of scalars or vectors `a` and `b`, giving `a`,
    quieted, if both are NaNs, as x86 does. LLVM swaps the operands of a commutative operation
    at will (to fold a load, to save a register copy), so on x86-64 the operation is one
    instruction of inline assembly, which it cannot swap. Elsewhere the hardware has other NaN
    rules anyway, and this is the plain operation.

    The cost: LLVM neither folds nor auto-vectorises these operations (matmul, which it
    vectorised, runs 25% slower). A select on `a`'s NaN-ness keeps both, but adds four
    instructions to the dependency chain of every addition (nbody ran 2.6 times slower), and
    a branch taken only for a NaN result was as slow."""
    if not X86_64:
        return getattr(builder, op)(a, b)
    typ = a.type
    element = typ.element if isinstance(typ, ir.VectorType) else typ
    suffix = ("p" if isinstance(typ, ir.VectorType) else "s") + ("s" if element == ir.FloatType() else "d")
    mnemonic = ("add" if op == "fadd" else "mul") + suffix
    # AT&T order: `addsd $2, $0` adds operand 2 into operand 0, which is tied to the result.
    instruction = ir.InlineAsm(ir.FunctionType(typ, [typ, typ]), f"{mnemonic} $2, $0", "=x,0,x")
    return builder.call(instruction, [a, b])


def nan_through_sum(builder: Builder, a: Operand, b: Operand, result: Operand) -> Operand:
    """`result` (of `llvm.minimum`/`maximum`), except where `a` or `b` is a NaN: those
    intrinsics pass a NaN through as it is, wasm wants it quiet, so the NaN then comes from
    the sum `b + a`, which is `b` quieted where both are NaNs, as wasmtime's x86 min and max
    sequences give."""
    either_nan = builder.fcmp_unordered("uno", a, b)
    return builder.select(either_nan, first_nan_wins(builder, "fadd", b, a), result)


def lane_min_max(builder: Builder, op: str, a: Operand, b: Operand, result: Operand) -> Operand:
    """`result` (of `llvm.minimum`/`maximum` on f32x4 or f64x2), except in NaN lanes, which
    are wasmtime's: its x86 vector sequences build them from sign bits alone, the default NaN
    with the sign bit set for min ("minimum"), and for max with the sign bit of either
    operand."""
    vector = cast(ir.VectorType, a.type)
    width = 32 if vector.element == ir.FloatType() else 64
    integers = ir.VectorType(ir.IntType(width), vector.count)
    sign_bit = 1 << (width - 1)
    default_nan = DEFAULT_NAN[vector.element]
    bits: Operand = ir.Constant(integers, [default_nan] * vector.count)
    if op == "maximum":
        either = builder.or_(builder.bitcast(a, integers), builder.bitcast(b, integers))
        sign = builder.and_(either, ir.Constant(integers, [sign_bit] * vector.count))
        bits = builder.or_(sign, ir.Constant(integers, [default_nan & ~sign_bit] * vector.count))
    either_nan = builder.fcmp_unordered("uno", a, b)
    return builder.select(either_nan, builder.bitcast(bits, vector), result)
