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
from typing import Any, Protocol, cast

from llvmlite import ir

from ...errors import TrapKind
from ...opcodes import BY_NAME, CASTS_TO_NULLABLE, Feature, Op
from ...syntax.types import ArrayType, HeapType, StructType, ValueType
from ...validate import ValidModule
from .handles import ENTRY_WORDS, I31_BIT, INDEX_MASK, NUMBERS, TYPE
from .irtext import Operand
from .irtypes import I1, I8, I32, I64, PTR, ir_type
from .layout import Field
from .objects import ARRAY_HEADER, all_numbers, element_size, struct_layout

__all__ = ["gc_handler", "known", "test_flags", "CONCRETE", "NULLABLE"]


_NEW_DEFAULT = BY_NAME["struct.new_default"]
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

    fn: Any

    def alloca(self, typ: ir.Type, name: str = "") -> Any: ...

    def load_field(self, which: Field, typ: ir.Type = ...) -> Operand: ...

    def load_cell(self, i: int, typ: ir.Type) -> Operand: ...


Handler = Callable[[FunctionLowering, object], None]


def test_flags(heap: HeapType | int, nullable: bool) -> tuple[int, int]:
    """The helper's immediates for a test against `(ref null? heap)`."""
    concrete = not isinstance(heap, HeapType)
    return int(heap), (NULLABLE if nullable else 0) | (CONCRETE if concrete else 0)


def _struct(s: FunctionLowering, type_index: int) -> StructType:
    return cast(StructType, s.valid.module.types[type_index])


def _array(s: FunctionLowering, type_index: int) -> ArrayType:
    return cast(ArrayType, s.valid.module.types[type_index])


def known(s: FunctionLowering, slot: int, reference: Operand, typ: ir.Type) -> Operand:
    """What the handles' mirror (see `handles.Mirror`) knows of the object `reference` names,
    in `slot` of its entry: 0 if nothing, or if the entry is not this handle's (a null, an
    i31, a handle freed and its index used again)."""
    builder = s.builder
    descriptor = s.load_field(Field.REFS, PTR)
    mirror = builder.load(descriptor, typ=PTR)
    count = builder.load(builder.gep(descriptor, [ir.Constant(I64, 8)], source_etype=I8), typ=I64)
    index = builder.and_(reference, ir.Constant(I64, INDEX_MASK))
    in_range = builder.icmp_unsigned("<", index, count)
    entry = builder.gep(mirror, [builder.mul(builder.select(in_range, index, ir.Constant(I64, 0)), ir.Constant(I64, 8 * ENTRY_WORDS))], source_etype=I8)
    owner = builder.load(entry, typ=I64)
    usable = builder.and_(in_range, builder.icmp_unsigned("==", owner, reference))
    word = builder.load(builder.gep(entry, [ir.Constant(I64, 8 * slot)], source_etype=I8), typ=typ)
    return builder.select(usable, word, ir.Constant(typ, None))


def _numbers(s: FunctionLowering, reference: Operand, null: TrapKind, fast: Any, slow: Any) -> Operand:
    """Trap with `null` on a null reference, then find the native numbers of the object
    (see `objects`): branch to `fast` with their address when it has some, else to `slow`."""
    builder = s.builder
    s.trap_if(builder.icmp_unsigned("==", reference, ir.Constant(I64, 0)), null)
    address = known(s, NUMBERS, reference, PTR)
    builder.cbranch(builder.icmp_unsigned("!=", builder.ptrtoint(address, I64), ir.Constant(I64, 0)), fast, slow)
    return address


def _type_check(s: FunctionLowering, type_index: int, reference: Operand) -> tuple[Operand, Operand]:
    """For a test against defined type `type_index`: whether the object `reference` is a
    handle of is of exactly that type (by the type mirror), and whether that answers the test
    (it does when it is, or when the type is final, so that no subtype of it exists, and the
    object's type is known)."""
    builder = s.builder
    type_ids = s.load_field(Field.TYPE_IDS, PTR)
    expected = builder.load(builder.gep(type_ids, [ir.Constant(I64, 8 * type_index)], source_etype=I8), typ=I64)
    found = known(s, TYPE, reference, I64)
    exact = builder.icmp_unsigned("==", found, builder.add(expected, ir.Constant(I64, 1)))
    if getattr(s.valid.module.types[type_index], "final", False):
        return exact, builder.icmp_unsigned("!=", found, ir.Constant(I64, 0))
    return exact, exact


def _test(s: FunctionLowering, op: Op, heap: "HeapType | int", nullable: bool, reference: Operand) -> Operand:
    """ref.test's result (an i32) on `reference`: in native code when the type mirror answers
    (see `_type_check`), else by the runtime."""
    first, second = test_flags(heap, nullable)
    if isinstance(heap, HeapType):
        return cast(Operand, s.gc_call(op, first, second, [reference], I32))
    slot = s.alloca(I32, "test")
    answered = s.fn.append_basic_block(f"{op.name}_direct")
    slow = s.fn.append_basic_block(f"{op.name}_runtime")
    done = s.fn.append_basic_block(f"{op.name}_done")
    exact, decisive = _type_check(s, heap, reference)
    s.builder.cbranch(decisive, answered, slow)
    s.builder.position_at_end(answered)
    s.builder.store(s.bool32(exact), slot)
    s.builder.branch(done)
    s.builder.position_at_end(slow)
    s.builder.store(cast(Operand, s.gc_call(op, first, second, [reference], I32)), slot)
    s.builder.branch(done)
    s.builder.position_at_end(done)
    return s.builder.load(slot, typ=I32)


def _load_number(s: FunctionLowering, pointer: Operand, storage: object, result: ir.Type, signed: bool) -> Operand:
    """The number of storage type `storage` at `pointer`, as an instruction reads it."""
    size = cast(int, element_size(storage))  # type: ignore[arg-type]
    if result == I32 and size < 4:  # packed
        loaded = s.builder.load(pointer, typ=ir.IntType(8 * size), align=1)
        return (s.builder.sext if signed else s.builder.zext)(loaded, I32)
    return s.builder.load(pointer, typ=result, align=1)


def _store_number(s: FunctionLowering, pointer: Operand, storage: object, value: Operand) -> None:
    size = cast(int, element_size(storage))  # type: ignore[arg-type]
    if value.type == I32 and size < 4:  # packed
        value = s.builder.trunc(value, ir.IntType(8 * size))
    s.builder.store(value, pointer, align=1)


def _lower_direct(
    s: FunctionLowering, op: Op, imm: tuple[int, int], count: int, result: ir.Type | None, null: TrapKind,
    direct: Callable[[Operand, list[Operand]], Operand | None],
) -> None:
    """Lower an instruction on a struct or array (its first of `count` operands): `direct`
    does it in native code, given the address of the object's numbers and the operands, when
    they are native; the runtime does it otherwise (objects made by the Python engine or the
    host), with `imm` as its immediates."""
    operands = s.pop_operands(count)
    slot = s.alloca(result, "gc") if result is not None else None
    fast = s.fn.append_basic_block(f"{op.name}_direct")
    slow = s.fn.append_basic_block(f"{op.name}_runtime")
    done = s.fn.append_basic_block(f"{op.name}_done")
    address = _numbers(s, operands[0], null, fast, slow)
    s.builder.position_at_end(fast)
    value = direct(address, operands)
    if slot is not None:
        s.builder.store(value, slot)
    s.builder.branch(done)
    s.builder.position_at_end(slow)
    value = s.gc_call(op, imm[0], imm[1], operands, result)
    if slot is not None:
        s.builder.store(value, slot)
    s.builder.branch(done)
    s.builder.position_at_end(done)
    if slot is not None:
        s.stack.append(s.builder.load(slot, typ=result))


def _struct_access(op: Op, runtime: Handler) -> Handler:
    """struct.get* and struct.set: direct on a struct of numbers held natively."""
    setting = op.name == "struct.set"
    signed = op.name.endswith("_s")

    def handler(s: FunctionLowering, imm: object) -> None:
        type_index, index = cast(tuple[int, int], imm)
        fields = cast(StructType, s.valid.module.types[type_index]).fields
        layout = struct_layout(fields)
        offset = None if layout is None else layout[0][index]
        if offset is None:  # a field not held natively
            runtime(s, imm)
            return
        storage = fields[index].storage
        result = None if setting else ir_type(fields[index].unpacked)

        def direct(address: Operand, operands: list[Operand]) -> Operand | None:
            pointer = s.builder.gep(address, [ir.Constant(I64, offset)], source_etype=I8)
            if setting:
                _store_number(s, pointer, storage, operands[1])
                return None
            return _load_number(s, pointer, storage, cast(ir.Type, result), signed)

        _lower_direct(s, op, (type_index, index), 2 if setting else 1, result, TrapKind.NULL_STRUCTURE_REFERENCE, direct)

    return handler


def _array_access(op: Op, runtime: Handler) -> Handler:
    """array.get* and array.set: direct on an array of numbers held natively, after checking
    the index against the length its buffer begins with."""
    setting = op.name == "array.set"
    signed = op.name.endswith("_s")

    def handler(s: FunctionLowering, imm: object) -> None:
        type_index = cast(int, imm)
        element = cast(ArrayType, s.valid.module.types[type_index]).element
        size = element_size(element.storage)
        if size is None:
            runtime(s, imm)
            return
        result = None if setting else ir_type(element.unpacked)

        def direct(address: Operand, operands: list[Operand]) -> Operand | None:
            builder = s.builder
            length = builder.load(address, typ=I64)
            index = builder.zext(operands[1], I64)
            s.trap_if(builder.icmp_unsigned(">=", index, length), TrapKind.OUT_OF_BOUNDS_ARRAY)
            at = builder.add(builder.mul(index, ir.Constant(I64, size)), ir.Constant(I64, ARRAY_HEADER))
            pointer = builder.gep(address, [at], source_etype=I8)
            if setting:
                _store_number(s, pointer, element.storage, operands[2])
                return None
            return _load_number(s, pointer, element.storage, cast(ir.Type, result), signed)

        _lower_direct(s, op, (type_index, 0), 3 if setting else 2, result, TrapKind.NULL_ARRAY_REFERENCE, direct)

    return handler


def _array_len(op: Op) -> Handler:
    """array.len: direct on an array whose numbers are native (its buffer begins with it)."""

    def handler(s: FunctionLowering, imm: object) -> None:
        def direct(address: Operand, operands: list[Operand]) -> Operand:
            return s.builder.trunc(s.builder.load(address, typ=I64), I32)

        _lower_direct(s, op, (0, 0), 1, I32, TrapKind.NULL_ARRAY_REFERENCE, direct)

    return handler


def _allocate(s: FunctionLowering, type_index: int) -> tuple[Operand, Operand]:
    """A new zeroed struct of type `type_index`, whose fields are all numbers held natively:
    its handle and the address of its numbers. Taken from the instance's pool of them for
    the type (see `gc.POOL_SIZE`: a count, then (handle, address) pairs), or, when the pool
    is empty, from the runtime, which fills it again."""
    builder = s.builder
    handle_slot, address_slot = s.alloca(I64, "new"), s.alloca(PTR, "new")
    check = s.fn.append_basic_block("pool")
    take = s.fn.append_basic_block("pool_take")
    slow = s.fn.append_basic_block("pool_fill")
    done = s.fn.append_basic_block("new_done")
    pool = builder.load(builder.gep(s.load_field(Field.POOLS, PTR), [ir.Constant(I64, 8 * type_index)], source_etype=I8), typ=PTR)
    builder.cbranch(builder.icmp_unsigned("!=", builder.ptrtoint(pool, I64), ir.Constant(I64, 0)), check, slow)
    builder.position_at_end(check)
    count = builder.load(pool, typ=I64)
    builder.cbranch(builder.icmp_unsigned("!=", count, ir.Constant(I64, 0)), take, slow)
    builder.position_at_end(take)
    left = builder.sub(count, ir.Constant(I64, 1))
    builder.store(left, pool)
    pair = builder.gep(pool, [builder.add(builder.mul(left, ir.Constant(I64, 16)), ir.Constant(I64, 8))], source_etype=I8)
    builder.store(builder.load(pair, typ=I64), handle_slot)
    builder.store(builder.load(builder.gep(pair, [ir.Constant(I64, 8)], source_etype=I8), typ=PTR), address_slot)
    builder.branch(done)
    builder.position_at_end(slow)
    builder.store(cast(Operand, s.gc_call(_NEW_DEFAULT, type_index, 0, [], I64)), handle_slot)
    builder.store(s.load_cell(1, PTR), address_slot)
    builder.branch(done)
    builder.position_at_end(done)
    return builder.load(handle_slot, typ=I64), builder.load(address_slot, typ=PTR)


def _through_runtime(op: Op) -> Handler | None:
    """The handler of an instruction the runtime carries out, by its operands and result."""
    name = op.name

    def call(s: FunctionLowering, first: int, second: int, count: int, result: ir.Type | None) -> None:
        value = s.gc_call(op, first, second, s.pop_operands(count), result)
        if value is not None:
            s.stack.append(value)

    if name == "struct.new":
        def handler(s: FunctionLowering, imm: object) -> None:
            fields = _struct(s, cast(int, imm)).fields
            layout = struct_layout(fields)
            if layout is None or not all_numbers(fields):
                call(s, cast(int, imm), 0, len(fields), I64)
                return
            # Numbers held natively: made zeroed by the runtime, which gives their address
            # back too, and filled in here.
            values = s.pop_operands(len(fields))
            reference, address = _allocate(s, cast(int, imm))
            s.stack.append(reference)
            for field, offset, value in zip(fields, layout[0], values):
                at = ir.Constant(I64, cast(int, offset))
                _store_number(s, s.builder.gep(address, [at], source_etype=I8), field.storage, value)
    elif name == "struct.new_default":
        def handler(s: FunctionLowering, imm: object) -> None:
            if not all_numbers(_struct(s, cast(int, imm)).fields):
                call(s, cast(int, imm), 0, 0, I64)
            else:
                s.stack.append(_allocate(s, cast(int, imm))[0])
    elif name.startswith("struct.get"):
        def handler(s: FunctionLowering, imm: object) -> None:
            type_index, field = cast(tuple[int, int], imm)
            call(s, type_index, field, 1, ir_type(_struct(s, type_index).fields[field].unpacked))
    elif name == "struct.set":
        def handler(s: FunctionLowering, imm: object) -> None:
            type_index, field = cast(tuple[int, int], imm)
            call(s, type_index, field, 2, None)
    elif name.startswith("array.get"):
        def handler(s: FunctionLowering, imm: object) -> None:
            call(s, cast(int, imm), 0, 2, ir_type(_array(s, cast(int, imm)).element.unpacked))
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
        s.stack.append(_test(s, op, cast("HeapType | int", heap), nullable, s.stack.pop()))

    return handler


def _ref_cast(op: Op) -> Handler:
    nullable = op in CASTS_TO_NULLABLE

    def handler(s: FunctionLowering, heap: object) -> None:
        first, second = test_flags(cast("HeapType | int", heap), nullable)
        if isinstance(heap, HeapType):
            s.gc_call(op, first, second, [s.stack[-1]], None)  # traps unless it is of the type
            return
        # An object of exactly the type passes in native code; the runtime checks the rest.
        passed = s.fn.append_basic_block("ref.cast_done")
        slow = s.fn.append_basic_block("ref.cast_runtime")
        exact, _ = _type_check(s, cast(int, heap), s.stack[-1])
        s.builder.cbranch(exact, passed, slow)
        s.builder.position_at_end(slow)
        s.gc_call(op, first, second, [s.stack[-1]], None)
        s.builder.branch(passed)
        s.builder.position_at_end(passed)

    return handler


def _br_on_cast(op: Op) -> Handler:
    fail = op.name == "br_on_cast_fail"

    def handler(s: FunctionLowering, imm: object) -> None:
        label, _, target = cast(tuple[int, ValueType, ValueType], imm)
        found = _test(s, op, target.heap, target.nullable, s.stack[-1])
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
    if name == "array.len":
        return _array_len(op)
    runtime = _through_runtime(op)
    if runtime is not None and (name.startswith("struct.get") or name == "struct.set"):
        return _struct_access(op, runtime)
    if runtime is not None and (name.startswith("array.get") or name == "array.set"):
        return _array_access(op, runtime)
    return runtime
