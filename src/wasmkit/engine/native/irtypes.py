"""The LLVM types of wasm values on the native engine, in one table, and the error for what it
cannot compile: what the lowering of instructions (`lower`) and of GC (`gc_lower`) share."""

from __future__ import annotations

from llvmlite import ir

from ...errors import WasmError
from ...syntax.types import ValType, ValueType

__all__ = ["I1", "I8", "I16", "I32", "I64", "I128", "F32", "F64", "PTR", "VOID", "NativeCompileError", "ir_type"]

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
I128 = ir.IntType(128)  # a v128 value, whatever its lanes
F32 = ir.FloatType()
F64 = ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()

# References are i64 handles (see `layout`).
_IR_TYPES: dict[ValueType, ir.Type] = {
    ValType.I32: I32, ValType.I64: I64, ValType.F32: F32, ValType.F64: F64,
    ValType.FUNCREF: I64, ValType.EXTERNREF: I64, ValType.V128: I128,
    ValType.NULLFUNCREF: I64, ValType.NULLEXTERNREF: I64,
    ValType.EXNREF: I64, ValType.NULLEXNREF: I64,
}  # fmt: skip


class NativeCompileError(WasmError):
    """What the native engine cannot compile (yet): the message names the function and the
    instruction or type."""


def ir_type(vt: ValueType) -> ir.Type:
    found = _IR_TYPES.get(vt)
    if found is None:
        # Any other reference, `(ref null? $t)`, `(ref func)`, `anyref`, ...: a handle like
        # funcref (see `handles`).
        if vt.is_ref:
            return I64
        raise NativeCompileError(f"the native engine does not support values of type {vt.text} yet")
    return found
