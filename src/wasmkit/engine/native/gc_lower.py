"""The GC instructions in LLVM IR.

References are handles (see `handles`): `ref.eq` compares them, and the i31 instructions work
on them in place (an i31 is its bits with bit 31 set). Every instruction that looks into a
struct or an array, allocates one, or tests a type calls the runtime's GC helper (`gc`), its
operands in the cells and its result back in the first, with the instruction's `Op.index`
and immediates as arguments: the objects are the runtime's own (`runtime.heap`), shared with
the Python engine and the host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from llvmlite import ir

from ...errors import TrapKind
from ...opcodes import CASTS_TO_NULLABLE, Feature, Op
from ...syntax.types import ArrayType, HeapType, StructType, ValueType
from ...validate import ValidModule
from .handles import I31_BIT
from .irtext import Operand

__all__ = ["gc_handler", "test_flags", "CONCRETE", "NULLABLE"]

I1 = ir.IntType(1)
I32 = ir.IntType(32)
I64 = ir.IntType(64)

# The flags of a type test (the helper's second immediate), beside the heap type (its first).
NULLABLE = 1
CONCRETE = 2  # the heap type is a type index, not an abstract heap type's code


class FunctionLowering(Protocol):
    """What these handlers use of the function being lowered (`lower._Lowering`)."""

    builder: ir.IRBuilder
    stack: list[Operand]
    valid: ValidModule

    def pop_operands(self, count: int) -> list[Operand]: ...

    def trap_if(self, condition: Operand, kind: TrapKind) -> None: ...

    def gc_call(self, op: Op, first: int, second: int, args: list[Operand], result: ir.Type | None) -> Operand | None: ...

    def branch_when(self, condition: Callable[[], Operand], depth: int, name: str) -> None: ...

    def bool32(self, flag: Operand) -> Operand: ...


Handler = Callable[[FunctionLowering, object], None]


def test_flags(heap: HeapType | int, nullable: bool) -> tuple[int, int]:
    """The helper's immediates for a test against `(ref null? heap)`."""
    concrete = not isinstance(heap, HeapType)
    return int(heap), (NULLABLE if nullable else 0) | (CONCRETE if concrete else 0)


def _struct(s: FunctionLowering, type_index: int) -> StructType:
    return cast(StructType, s.valid.module.types[type_index])


def _array(s: FunctionLowering, type_index: int) -> ArrayType:
    return cast(ArrayType, s.valid.module.types[type_index])


def _ir(vt: ValueType) -> ir.Type:
    from .lower import ir_type  # lower imports this module's table

    return ir_type(vt)


def _through_runtime(op: Op) -> Handler | None:
    """The handler of an instruction the runtime carries out, by its operands and result."""
    name = op.name

    def call(s: FunctionLowering, first: int, second: int, count: int, result: ir.Type | None) -> None:
        value = s.gc_call(op, first, second, s.pop_operands(count), result)
        if value is not None:
            s.stack.append(value)

    if name in ("struct.new", "struct.new_default"):
        def handler(s: FunctionLowering, imm: object) -> None:
            count = len(_struct(s, cast(int, imm)).fields) if name == "struct.new" else 0
            call(s, cast(int, imm), 0, count, I64)
    elif name.startswith("struct.get"):
        def handler(s: FunctionLowering, imm: object) -> None:
            type_index, field = cast(tuple[int, int], imm)
            call(s, type_index, field, 1, _ir(_struct(s, type_index).fields[field].unpacked))
    elif name == "struct.set":
        def handler(s: FunctionLowering, imm: object) -> None:
            type_index, field = cast(tuple[int, int], imm)
            call(s, type_index, field, 2, None)
    elif name.startswith("array.get"):
        def handler(s: FunctionLowering, imm: object) -> None:
            call(s, cast(int, imm), 0, 2, _ir(_array(s, cast(int, imm)).element.unpacked))
    elif name == "array.new_fixed":
        def handler(s: FunctionLowering, imm: object) -> None:
            type_index, count = cast(tuple[int, int], imm)
            call(s, type_index, count, count, I64)
    else:
        # The others take their operands as the instruction table gives them (a type index
        # or a pair of indices as immediates).
        shapes = {
            "array.new": (2, I64), "array.new_default": (1, I64), "array.new_data": (2, I64),
            "array.new_elem": (2, I64), "array.set": (3, None), "array.len": (1, I32),
            "array.fill": (4, None), "array.copy": (5, None), "array.init_data": (4, None),
            "array.init_elem": (4, None), "any.convert_extern": (1, I64), "extern.convert_any": (1, I64),
        }  # fmt: skip
        if name not in shapes:
            return None
        count, result = shapes[name]

        def handler(s: FunctionLowering, imm: object) -> None:
            first, second = imm if isinstance(imm, tuple) else (cast(int, imm or 0), 0)
            call(s, first, second, count, result)

    return handler


def _ref_test(op: Op) -> Handler:
    nullable = op in CASTS_TO_NULLABLE

    def handler(s: FunctionLowering, heap: object) -> None:
        first, second = test_flags(cast("HeapType | int", heap), nullable)
        s.stack.append(cast(Operand, s.gc_call(op, first, second, s.pop_operands(1), I32)))

    return handler


def _ref_cast(op: Op) -> Handler:
    nullable = op in CASTS_TO_NULLABLE

    def handler(s: FunctionLowering, heap: object) -> None:
        first, second = test_flags(cast("HeapType | int", heap), nullable)
        s.gc_call(op, first, second, [s.stack[-1]], None)  # traps unless it is of the type

    return handler


def _br_on_cast(op: Op) -> Handler:
    fail = op.name == "br_on_cast_fail"

    def handler(s: FunctionLowering, imm: object) -> None:
        label, _, target = cast(tuple[int, ValueType, ValueType], imm)
        first, second = test_flags(target.heap, target.nullable)  # type: ignore[union-attr]
        found = cast(Operand, s.gc_call(op, first, second, [s.stack[-1]], I32))
        s.branch_when(lambda: s.builder.icmp_unsigned("==" if fail else "!=", found, ir.Constant(I32, 0)), label, op.name)

    return handler


def _ref_i31(s: FunctionLowering, imm: object) -> None:
    value = s.builder.and_(s.stack.pop(), ir.Constant(I32, 0x7FFF_FFFF))
    s.stack.append(s.builder.or_(s.builder.zext(value, I64), ir.Constant(I64, I31_BIT)))


def _i31_get(signed: bool) -> Handler:
    def handler(s: FunctionLowering, imm: object) -> None:
        reference = s.stack.pop()
        s.trap_if(s.builder.icmp_unsigned("==", reference, ir.Constant(I64, 0)), TrapKind.NULL_I31_REFERENCE)
        bits = s.builder.trunc(reference, I32)
        if signed:  # bit 30 into the sign
            s.stack.append(s.builder.ashr(s.builder.shl(bits, ir.Constant(I32, 1)), ir.Constant(I32, 1)))
        else:
            s.stack.append(s.builder.and_(bits, ir.Constant(I32, 0x7FFF_FFFF)))

    return handler


def _ref_eq(s: FunctionLowering, imm: object) -> None:
    first, second = s.pop_operands(2)
    s.stack.append(s.bool32(s.builder.icmp_unsigned("==", first, second)))


def gc_handler(op: Op) -> Handler | None:
    """How the GC instruction `op` is lowered (None if it is not one)."""
    if op.feature is not Feature.GC:
        return None
    name = op.name
    if name == "ref.i31":
        return _ref_i31
    if name in ("i31.get_s", "i31.get_u"):
        return _i31_get(name == "i31.get_s")
    if name == "ref.eq":
        return _ref_eq
    if name == "ref.test":
        return _ref_test(op)
    if name == "ref.cast":
        return _ref_cast(op)
    if name in ("br_on_cast", "br_on_cast_fail"):
        return _br_on_cast(op)
    return _through_runtime(op)
