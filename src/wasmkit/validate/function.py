"""Type-checking of function bodies and constant expressions: the spec's appendix algorithm,
run in one pass over the encoded instructions.

The operand stack holds value types (`ValType` members, which are ints, and `RefType`s, with
0 for the unknown type of unreachable code); control frames are lists. A value whose type is
not the one expected may still be a subtype of it (`subtyping`): that is asked only when the
two differ. Instructions whose typing is fixed in the opcode
table are checked generically; each of the others has one method below, found through a table
indexed by `Op.index`. No Python object is made per instruction beyond what decoding its
immediate needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..binary.code import CATCH_ALL_REF, CATCH_REF, IMM_READER_BY_OP, block_type, iter_instructions, read_opcode, ref_func_index
from ..binary.leb128 import read_s32, read_u32
from ..errors import ValidationError
from ..opcodes import ALL, ALL_FEATURES, CASTS_TO_NULLABLE, SELECT_TYPED, SINGLE_BYTE, Feature, Imm, Op
from ..syntax.types import FieldType, FuncType, HeapType, PackedType, RefType, ValType, ValueType, ref_type
from .context import Context, LocalTypes
from .subtyping import UNKNOWN

__all__ = ["check_function", "check_const_expr", "const_expr_features"]

I32 = ValType.I32
I64 = ValType.I64
FUNCREF = ValType.FUNCREF
# What the reference to any function matches: how element segments of functions are typed.
_ANY_FUNCTION = (FUNCREF, ref_type(False, HeapType.FUNC))
_NUM_OR_VEC = frozenset(t for t in ValType if not t.is_ref) | {UNKNOWN}

# Frame kinds (the opcode that opened the frame).
BLOCK, LOOP, IF, ELSE, FUNC = 0x02, 0x03, 0x04, 0x05, -1
TRY, CATCH_FRAME, CATCH_ALL_FRAME, TRY_TABLE = 0x06, 0x07, 0x19, 0x1F
_LEGACY_SECTIONS = frozenset({TRY, CATCH_FRAME, CATCH_ALL_FRAME})
_REF_EXN = RefType(False, HeapType.EXN)  # what catch_ref and catch_all_ref pass on

# Per op (by Op.index): the parameters and results of instructions typed by the table, as lists
# of ints; None for those with a rule of their own.
_PARAMS: list[list[ValueType] | None] = [None if op.params is None else list(op.params) for op in ALL]
_RESULTS: list[list[ValueType] | None] = [None if op.results is None else list(op.results) for op in ALL]

# Instructions allowed in constant expressions (global.get also needs an immutable global),
# and those that extended-const (3.0) allows besides.
_CONST_OPS = frozenset(
    {"i32.const", "i64.const", "f32.const", "f64.const", "v128.const", "ref.null", "ref.func", "global.get", "end"}
)
_EXTENDED_CONST_OPS = frozenset({"i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"})
# GC's allocations and conversions are constant too (their feature is checked as any
# instruction's).
_GC_CONST_OPS = frozenset({
    "struct.new", "struct.new_default", "array.new", "array.new_default", "array.new_fixed", "ref.i31",
    "any.convert_extern", "extern.convert_any",
})  # fmt: skip
_ALL_CONST_OPS = _CONST_OPS | _EXTENDED_CONST_OPS | _GC_CONST_OPS
_LOCAL_GET, _LOCAL_SET, _LOCAL_TEE = 0x20, 0x21, 0x22
_I32_CONST = 0x41
_BR_IF, _CALL = 0x0D, 0x10
_EMPTY_BLOCKTYPE = 0x40
# Immediates that need checking against the context (memory, lanes, segments).
_CHECKED_IMMEDIATES = frozenset(
    {Imm.MEMARG, Imm.MEMLANE, Imm.LANE, Imm.MEMORY, Imm.MEMORY_COPY, Imm.MEMORY_INIT, Imm.DATA, Imm.ELEM, Imm.SHUFFLE}
)
_CHECKS_IMMEDIATE: list[bool] = [op.imm in _CHECKED_IMMEDIATES for op in ALL]
# Per op: the largest alignment exponent of a plain (non-atomic) load or store, else -1; for
# the fast path of `run` on a 32-bit memory 0.
_PLAIN_MEMARG: list[int] = [op.align_log2 if op.imm is Imm.MEMARG and not op.atomic else -1 for op in ALL]


StackType = ValueType | int  # a value type, or UNKNOWN


def _names(types: Sequence[StackType]) -> str:
    return "[" + " ".join("_" if t == UNKNOWN else t.text for t in types) + "]"  # type: ignore[union-attr]


def _mismatch(expected: Sequence[StackType], stack: Sequence[StackType]) -> ValidationError:
    return ValidationError(f"type mismatch: instruction requires {_names(expected)} but stack has {_names(stack)}")


def _block_type(ctx: Context, blocktype: int | RefType) -> tuple[tuple[ValueType, ...], tuple[ValueType, ...]]:
    """The (params, results) of a block type immediate."""
    if isinstance(blocktype, RefType):
        ctx.rel.check_valtype(blocktype)
    ft = block_type(blocktype, ctx.type)
    return ft.params, ft.results


def check_function(ctx: Context, func_type: FuncType, local_runs: Sequence[tuple[int, ValueType]], body: bytes) -> bool:
    """Check a function body against its type; returns whether it makes tail calls. Raises
    ValidationError with the offset of the faulty instruction within `body`; the caller adds
    the function index."""
    locals_ = LocalTypes(func_type.params, local_runs)
    unset: set[int] = set()  # the locals without a default value that are not set yet
    for count, vt in local_runs:
        ctx.rel.check_valtype(vt)
    if not all(vt.defaultable for _, vt in local_runs):
        start = len(func_type.params)
        for count, vt in local_runs:
            if not vt.defaultable:
                unset.update(range(start, start + count))
            start += count
    local_types: Sequence[ValueType] = list(locals_) if len(locals_) <= 100_000 else locals_
    checker = _Checker(ctx, local_types, func_type.results, unset)
    checker.run(body)
    return checker.tail_calls


def const_expr_features(expr: bytes, imported_globals: int) -> set[Feature]:
    """The features past 2.0 that the constant expression `expr` uses: arithmetic
    (extended-const), and reading a global the module defines itself (index `imported_globals`
    or more: the GC proposal's rule)."""
    used = set()
    for instr in iter_instructions(expr):
        if instr.op.name in _EXTENDED_CONST_OPS:
            used.add(Feature.EXTENDED_CONST)
        elif instr.op.name == "global.get" and instr.imm >= imported_globals:
            used.add(Feature.GC)
    return used


def check_const_expr(ctx: Context, expr: bytes, expected: ValueType, features: frozenset[Feature] = ALL_FEATURES) -> None:
    """Check that `expr` is a constant expression of type `expected`, as `features` allow.
    Which globals it may read is the context's to say."""
    index = ref_func_index(expr)
    if index is not None and expected in _ANY_FUNCTION and index < len(ctx.funcs) and index in ctx.refs:
        return  # a declared function's reference is a (ref func), whatever the function's type
    allowed = _ALL_CONST_OPS if Feature.EXTENDED_CONST in features else _CONST_OPS
    for instr in iter_instructions(expr):
        if instr.op.name not in allowed:
            raise ValidationError("constant expression required", offset=instr.offset)
        if instr.op.name == "global.get" and ctx.global_(instr.imm).mutable:
            raise ValidationError("constant expression required", offset=instr.offset)
    _Checker(ctx, (), (expected,), set()).run(expr)


class _BodyChecker:
    __slots__ = ("ctx", "matches", "locals", "unset", "vals", "ctrls", "tail_calls")

    def __init__(self, ctx: Context, local_types: Sequence[ValueType], results: tuple[ValueType, ...], unset: set[int]) -> None:
        self.ctx = ctx
        self.matches = ctx.rel.matches
        self.locals = local_types
        self.unset = unset
        self.vals: list[StackType] = []
        # A frame: [kind, params, results, height, unreachable, locals it set (of `unset`)]
        self.ctrls: list[list] = [[FUNC, (), results, 0, False, []]]
        self.tail_calls = False  # the body has a return_call* (the native engine asks)

    # -- the operand and control stacks --

    def pop(self, expected: StackType = UNKNOWN) -> StackType:
        vals = self.vals
        frame = self.ctrls[-1]
        if len(vals) == frame[3]:
            if frame[4]:
                return UNKNOWN
            raise _mismatch([expected], [])
        actual = vals.pop()
        if actual != expected and not self.matches(actual, expected):
            raise _mismatch([expected], [actual])
        return actual

    def pop_ref(self) -> StackType:
        """Pop a reference of any type (UNKNOWN from unreachable code)."""
        t = self.pop()
        if t != UNKNOWN and not t.is_ref:  # type: ignore[union-attr]
            raise ValidationError(f"type mismatch: instruction requires reference type but stack has {_names([t])}")
        return t

    def pop_all(self, expected: Sequence[StackType]) -> list[StackType]:
        popped = [self.pop(t) for t in reversed(expected)]
        popped.reverse()
        return popped

    def push_ctrl(self, kind: int, params: tuple[ValueType, ...], results: tuple[ValueType, ...]) -> None:
        self.ctrls.append([kind, params, results, len(self.vals), False, []])
        self.vals.extend(params)

    def pop_ctrl(self) -> list:
        """End the innermost frame: its results must be exactly what is on its part of the
        stack. An error shows that whole part, as it was before any result was taken off."""
        frame = self.ctrls[-1]
        results = frame[2]
        vals = self.vals
        height = frame[3]
        for i in range(len(results) - 1, -1, -1):
            if len(vals) == height:
                if frame[4]:
                    continue
                raise self._block_mismatch(results, vals[height:] + list(results[i + 1 :]))
            actual = vals.pop()
            if actual != results[i] and not self.matches(actual, results[i]):
                raise self._block_mismatch(results, vals[height:] + [actual] + list(results[i + 1 :]))
        if len(vals) != height:
            raise self._block_mismatch(results, vals[height:] + list(results), leftover=True)
        self.ctrls.pop()
        self.unset.update(frame[5])  # what the block set is unset again after it
        return frame

    def _block_mismatch(
        self, results: tuple[ValueType, ...], stack: list[StackType], leftover: bool = False
    ) -> ValidationError:
        # In the reference interpreter, the sections of a legacy try end as an instruction
        # does, but for values left over.
        what = "instruction" if self.ctrls[-1][0] in _LEGACY_SECTIONS and not leftover else "block"
        return ValidationError(f"type mismatch: {what} requires {_names(results)} but stack has {_names(stack)}")

    def label_types(self, depth: int) -> tuple[ValueType, ...]:
        if depth >= len(self.ctrls):
            raise ValidationError(f"unknown label {depth}")
        frame = self.ctrls[-1 - depth]
        return frame[1] if frame[0] == LOOP else frame[2]

    def unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.vals[frame[3] :]
        frame[4] = True

    def local(self, index: int) -> ValueType:
        if index >= len(self.locals):
            raise ValidationError(f"unknown local {index}")
        return self.locals[index]

    def set_local(self, index: int) -> None:
        """A local without a default value is set from here to the end of the block."""
        if index in self.unset:
            self.unset.discard(index)
            self.ctrls[-1][5].append(index)

    # -- the main loop --

    def run(self, body: bytes) -> None:
        vals = self.vals
        ctrls = self.ctrls
        local_types = self.locals
        local_count = len(local_types)
        unset = self.unset
        params_of = _PARAMS
        results_of = _RESULTS
        rules = _RULE_BY_OP
        checks_immediate = _CHECKS_IMMEDIATE
        plain_memarg = _PLAIN_MEMARG
        readers = IMM_READER_BY_OP
        single = SINGLE_BYTE
        funcs = self.ctx.funcs
        mems = self.ctx.mems
        memory0_is_32 = bool(mems) and not mems[0].is_64
        end = len(body)
        pos = at = 0
        try:
            while pos < end:
                at = pos
                byte = body[pos]
                # The most frequent instructions, inlined. Past local.get and i32.const, each
                # takes its fast path only when the stack holds exactly the types it pops
                # (no subtyping, no unreachable code); else its rule does the same, in full.
                if byte == _LOCAL_GET:
                    index, pos = read_u32(body, pos + 1)
                    if index >= local_count:
                        raise ValidationError(f"unknown local {index}")
                    if unset and index in unset:
                        raise ValidationError("uninitialized local")
                    vals.append(local_types[index])
                    continue
                if byte == _I32_CONST:
                    _, pos = read_s32(body, pos + 1)
                    vals.append(I32)
                    continue
                if byte == _LOCAL_SET or byte == _LOCAL_TEE:
                    index, pos = read_u32(body, pos + 1)
                    if index < local_count and len(vals) > ctrls[-1][3] and vals[-1] == local_types[index]:
                        if byte == _LOCAL_SET:
                            vals.pop()
                        if unset:
                            self.set_local(index)
                    elif byte == _LOCAL_SET:
                        self.local_set(index)
                    else:
                        self.local_tee(index)
                    continue
                if byte == _BR_IF:
                    label, pos = read_u32(body, pos + 1)
                    if label < len(ctrls) and len(vals) > ctrls[-1][3] and vals[-1] == I32:
                        target = ctrls[-1 - label]
                        if not (target[1] if target[0] == LOOP else target[2]):
                            vals.pop()
                            continue
                    self.br_if(label)
                    continue
                if byte == _CALL:
                    index, pos = read_u32(body, pos + 1)
                    if index < len(funcs):
                        ft = funcs[index]
                        n = len(ft.params)
                        if not n or (len(vals) - ctrls[-1][3] >= n and tuple(vals[-n:]) == ft.params):
                            if n:
                                del vals[-n:]
                            vals.extend(ft.results)
                            continue
                    self.call(index)
                    continue
                if (byte == BLOCK or byte == LOOP) and pos + 1 < end and body[pos + 1] == _EMPTY_BLOCKTYPE:
                    ctrls.append([byte, (), (), len(vals), False, []])
                    pos += 2
                    continue
                op = single[byte]
                if op is None:
                    op, pos = read_opcode(body, pos)
                else:
                    pos += 1
                index = op.index
                reader = readers[index]
                imm = None
                if reader is not None:
                    imm, pos = reader(body, pos)
                params = params_of[index]
                if params is None:
                    rules[index](self, imm)
                    if not ctrls:
                        if pos != end:
                            raise ValidationError("unexpected instructions after the end of the body")
                        return
                    continue
                if not checks_immediate[index] or (
                    memory0_is_32
                    and (natural := plain_memarg[index]) >= 0
                    and imm[2] == 0  # type: ignore[index]
                    and imm[0] <= natural  # type: ignore[index]
                    and imm[1] <= 0xFFFF_FFFF  # type: ignore[index]
                ):
                    pass  # a plain load or store on a 32-bit memory 0, in bounds: nothing to check
                elif self.check_immediate(op, imm):
                    # A 64-bit memory: the instruction's addresses are i64 (see `address_typed`).
                    params, results = self.address_typed(op, imm)
                    self.pop_params(params)
                    vals.extend(results)
                    continue
                if params:
                    n = len(params)
                    if vals[-n:] == params and len(vals) - ctrls[-1][3] >= n:
                        del vals[-n:]
                    else:
                        self.pop_params(params)
                vals.extend(results_of[index])  # type: ignore[arg-type]
            raise ValidationError("unexpected end of the body: missing end")
        except ValidationError as err:
            if err.offset is None:
                err.offset = at
            raise

    def pop_params(self, params: list[ValueType]) -> None:
        """Pop an instruction's operands when the fast path (all there, all known) does not apply."""
        vals = self.vals
        frame = self.ctrls[-1]
        height = frame[3]
        for expected in reversed(params):
            if len(vals) > height:
                actual = vals.pop()
                if actual != expected and not self.matches(actual, expected):
                    raise _mismatch(params, vals[height:] + [actual])
            elif not frame[4]:
                raise _mismatch(params, vals[height:])

    def check_immediate(self, op: Op, imm: object) -> bool:
        """The checks on the immediates of table-typed instructions. True when the instruction
        addresses a 64-bit memory, so that its operand types are not the table's."""
        ctx = self.ctx
        kind = op.imm
        if kind is Imm.MEMARG or kind is Imm.MEMLANE:
            memory = ctx.memory(imm[-1])  # type: ignore[index]
            if op.atomic:
                if imm[0] != op.align_log2:  # type: ignore[index]
                    raise ValidationError("atomic alignment must be natural")
            elif imm[0] > op.align_log2:  # type: ignore[index]
                raise ValidationError("alignment must not be larger than natural")
            if not memory.is_64 and imm[1] > 0xFFFF_FFFF:  # type: ignore[index]
                raise ValidationError("offset out of range")
            if kind is Imm.MEMLANE and imm[2] >= op.lanes:  # type: ignore[index]
                raise ValidationError("invalid lane index")
            return memory.is_64
        elif kind is Imm.LANE:
            if imm >= op.lanes:  # type: ignore[operator]
                raise ValidationError("invalid lane index")
        elif kind is Imm.MEMORY:
            return ctx.memory(imm).is_64  # type: ignore[arg-type]
        elif kind is Imm.MEMORY_COPY:
            return ctx.memory(imm[0]).is_64 | ctx.memory(imm[1]).is_64  # type: ignore[index]
        elif kind is Imm.MEMORY_INIT:
            memory = ctx.memory(imm[1])  # type: ignore[index]
            ctx.data(imm[0])  # type: ignore[index]
            return memory.is_64
        elif kind is Imm.DATA:
            ctx.data(imm)  # type: ignore[arg-type]
        elif kind is Imm.ELEM:
            ctx.elem(imm)  # type: ignore[arg-type]
        elif kind is Imm.SHUFFLE:
            if any(lane >= 32 for lane in imm):  # type: ignore[attr-defined]
                raise ValidationError("invalid lane index")
        return False

    def address_typed(self, op: Op, imm: object) -> tuple[list[ValueType], list[ValueType]]:
        """The operand and result types of a memory instruction on a 64-bit memory: those of
        the table, with its addresses, sizes and lengths i64. A copy between memories of two
        address types takes an address of each and a length of the smaller type."""
        params = list(_PARAMS[op.index])  # type: ignore[arg-type]
        results = list(_RESULTS[op.index])  # type: ignore[arg-type]
        name = op.name
        if op.imm is Imm.MEMORY_COPY:
            dst, src = (self.ctx.memory(i).address_type for i in imm)  # type: ignore[attr-defined]
            return [dst, src, I64 if dst == src == I64 else I32], results
        if name == "memory.size":
            return params, [I64]
        if name == "memory.grow":
            return [I64], [I64]
        if name == "memory.fill":
            return [I64, I32, I64], results
        params[0] = I64  # the address of a load, store or memory.init
        return params, results

    # -- the instructions with rules of their own, one method each (see _RULES) --

    def local_set(self, index: int) -> None:
        self.pop(self.local(index))
        self.set_local(index)

    def local_tee(self, index: int) -> None:
        t = self.local(index)
        self.pop(t)
        self.set_local(index)
        self.vals.append(t)

    def global_get(self, index: int) -> None:
        self.vals.append(self.ctx.global_(index).valtype)

    def global_set(self, index: int) -> None:
        gt = self.ctx.global_(index)
        if not gt.mutable:
            raise ValidationError("global is immutable")
        self.pop(gt.valtype)

    def call(self, index: int) -> None:
        ft = self.ctx.func(index)
        self.pop_all(ft.params)
        self.vals.extend(ft.results)

    def function_table(self, table_index: int) -> None:
        """call_indirect's table must hold functions."""
        tt = self.ctx.table(table_index)
        if not self.matches(tt.elem, FUNCREF):
            raise ValidationError(f"type mismatch: instruction requires table of functions but table has {tt.elem.text}")

    def call_indirect(self, imm: tuple[int, int]) -> None:
        type_index, table_index = imm
        self.function_table(table_index)
        ft = self.ctx.type(type_index)
        self.pop(self.ctx.table(table_index).address_type)
        self.pop_all(ft.params)
        self.vals.extend(ft.results)

    def call_ref(self, type_index: int) -> None:
        ft = self.ctx.type(type_index)
        self.pop(ref_type(True, type_index))
        self.pop_all(ft.params)
        self.vals.extend(ft.results)

    def return_call(self, index: int) -> None:
        self._tail_call(self.ctx.func(index))

    def return_call_indirect(self, imm: tuple[int, int]) -> None:
        type_index, table_index = imm
        self.function_table(table_index)
        callee = self.ctx.type(type_index)
        self.pop(self.ctx.table(table_index).address_type)
        self._tail_call(callee)

    def return_call_ref(self, type_index: int) -> None:
        callee = self.ctx.type(type_index)
        self.pop(ref_type(True, type_index))
        self._tail_call(callee)

    def _tail_call(self, callee: FuncType) -> None:
        """A call whose results are the caller's: they must match them; then, as after
        `return`, the rest of the block is unreachable."""
        if not self.ctx.rel.all_match(callee.results, self.ctrls[0][2]):
            raise ValidationError("type mismatch: tail call's results differ from the function's results")
        self.tail_calls = True
        self.pop_all(callee.params)
        self.unreachable()

    def throw(self, index: int) -> None:
        self.pop_all(self.ctx.tag(index).params)
        self.unreachable()

    def throw_ref(self, _: None) -> None:
        self.pop(ValType.EXNREF)
        self.unreachable()

    def try_table(self, imm: tuple[int | RefType, tuple[tuple[int, int | None, int], ...]]) -> None:
        """A block whose catch clauses branch to labels outside it (checked before it opens):
        `catch` carries the tag's payload there, `catch_all` nothing, and the `_ref` forms
        the caught exception (a `(ref exn)`) after that."""
        blocktype, clauses = imm
        params, results = _block_type(self.ctx, blocktype)
        for kind, tag, label in clauses:
            carried: tuple[ValueType, ...] = self.ctx.tag(tag).params if tag is not None else ()
            if kind == CATCH_REF or kind == CATCH_ALL_REF:
                carried += (_REF_EXN,)
            expected = self.label_types(label)
            if not self.ctx.rel.all_match(carried, expected):
                raise ValidationError(
                    f"type mismatch: catch handler carries {_names(carried)} but its label expects {_names(expected)}"
                )
        self.pop_all(params)
        self.push_ctrl(TRY_TABLE, params, results)

    def try_(self, blocktype: int) -> None:
        params, results = _block_type(self.ctx, blocktype)
        self.pop_all(params)
        self.push_ctrl(TRY, params, results)

    def catch(self, index: int) -> None:
        frame = self.ctrls[-1]
        if frame[0] != TRY and frame[0] != CATCH_FRAME:
            raise ValidationError("catch without a matching try")
        self.pop_ctrl()
        self.push_ctrl(CATCH_FRAME, self.ctx.tag(index).params, frame[2])

    def catch_all(self, _: None) -> None:
        frame = self.ctrls[-1]
        if frame[0] != TRY and frame[0] != CATCH_FRAME:
            raise ValidationError("catch_all without a matching try")
        self.pop_ctrl()
        self.push_ctrl(CATCH_ALL_FRAME, (), frame[2])

    def delegate(self, label: int) -> None:
        frame = self.ctrls[-1]
        if frame[0] != TRY:
            raise ValidationError("delegate without a matching try")
        self.pop_ctrl()
        self.label_types(label)
        self.vals.extend(frame[2])

    def rethrow(self, label: int) -> None:
        self.label_types(label)
        if self.ctrls[-1 - label][0] not in (CATCH_FRAME, CATCH_ALL_FRAME):
            raise ValidationError("invalid rethrow label")
        self.unreachable()

    def block(self, blocktype: int) -> None:
        params, results = _block_type(self.ctx, blocktype)
        self.pop_all(params)
        self.push_ctrl(BLOCK, params, results)

    def loop(self, blocktype: int) -> None:
        params, results = _block_type(self.ctx, blocktype)
        self.pop_all(params)
        self.push_ctrl(LOOP, params, results)

    def if_(self, blocktype: int) -> None:
        params, results = _block_type(self.ctx, blocktype)
        self.pop(I32)
        self.pop_all(params)
        self.push_ctrl(IF, params, results)

    def else_(self, _: None) -> None:
        frame = self.ctrls[-1]
        if frame[0] != IF:
            raise ValidationError("else without a matching if")
        self.pop_ctrl()
        self.push_ctrl(ELSE, frame[1], frame[2])

    def end(self, _: None) -> None:
        frame = self.pop_ctrl()
        if frame[0] == IF and frame[1] != frame[2]:
            # An `if` without `else` passes its parameters through the missing branch.
            raise ValidationError(f"type mismatch: block requires {_names(frame[2])} but stack has {_names(frame[1])}")
        self.vals.extend(frame[2])

    def br(self, label: int) -> None:
        self.pop_all(self.label_types(label))
        self.unreachable()

    def br_if(self, label: int) -> None:
        types = self.label_types(label)
        self.pop(I32)
        self.pop_all(types)
        self.vals.extend(types)

    def br_on_null(self, label: int) -> None:
        t = self.pop_ref()
        types = self.label_types(label)
        self.pop_all(types)
        self.vals.extend(types)
        self.vals.append(UNKNOWN if t == UNKNOWN else ref_type(False, t.heap))  # type: ignore[union-attr]

    def br_on_non_null(self, label: int) -> None:
        types = self.label_types(label)
        if not types or not types[-1].is_ref:
            raise ValidationError(f"type mismatch: instruction requires type of last label result to be a reference but label has {_names(types)}")
        t = self.pop_ref()
        self.vals.append(UNKNOWN if t == UNKNOWN else ref_type(False, t.heap))  # type: ignore[union-attr]
        self.pop_all(types)
        self.vals.extend(types[:-1])

    def ref_as_non_null(self, _: None) -> None:
        t = self.pop_ref()
        self.vals.append(UNKNOWN if t == UNKNOWN else ref_type(False, t.heap))  # type: ignore[union-attr]

    def br_table(self, imm: tuple[tuple[int, ...], int]) -> None:
        labels, default = imm
        self.pop(I32)
        arity = len(self.label_types(default))
        for label in labels:
            types = self.label_types(label)
            if len(types) != arity:
                raise ValidationError("type mismatch: br_table targets have different arities")
            self.vals.extend(self.pop_all(types))
        self.pop_all(self.label_types(default))
        self.unreachable()

    def return_(self, _: None) -> None:
        self.pop_all(self.ctrls[0][2])
        self.unreachable()

    def unreachable_(self, _: None) -> None:
        self.unreachable()

    def drop(self, _: None) -> None:
        self.pop()

    def select(self, _: None) -> None:
        self.pop(I32)
        t1 = self.pop()
        t2 = self.pop()
        if t1 not in _NUM_OR_VEC or t2 not in _NUM_OR_VEC:
            raise ValidationError("type mismatch: select requires numeric or vector operands")
        if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
            raise _mismatch([t1, t1, I32], [t2, t1, I32])
        self.vals.append(t2 if t1 == UNKNOWN else t1)

    def select_typed(self, types: tuple[ValueType, ...]) -> None:
        if len(types) != 1:
            raise ValidationError("invalid result arity")
        t = types[0]
        self.ctx.rel.check_valtype(t)
        self.pop(I32)
        self.pop(t)
        self.pop(t)
        self.vals.append(t)

    def ref_null(self, heap: HeapType | int) -> None:
        if not isinstance(heap, HeapType):
            self.ctx.defined_type(heap)
        self.vals.append(ref_type(True, heap))

    def ref_is_null(self, _: None) -> None:
        self.pop_ref()
        self.vals.append(I32)

    def ref_func(self, index: int) -> None:
        self.ctx.func(index)
        if index not in self.ctx.refs:
            raise ValidationError(f"undeclared function reference {index}")
        self.vals.append(ref_type(False, self.ctx.func_type_indices[index]))

    # Table indices, sizes and lengths have the table's address type (i64 for table64).

    def table_get(self, index: int) -> None:
        tt = self.ctx.table(index)
        self.pop(tt.address_type)
        self.vals.append(tt.elem)

    def table_set(self, index: int) -> None:
        tt = self.ctx.table(index)
        self.pop(tt.elem)
        self.pop(tt.address_type)

    def table_size(self, index: int) -> None:
        self.vals.append(self.ctx.table(index).address_type)

    def table_grow(self, index: int) -> None:
        tt = self.ctx.table(index)
        at = tt.address_type
        self.pop(at)
        self.pop(tt.elem)
        self.vals.append(at)

    def table_fill(self, index: int) -> None:
        tt = self.ctx.table(index)
        at = tt.address_type
        self.pop(at)
        self.pop(tt.elem)
        self.pop(at)

    def table_copy(self, imm: tuple[int, int]) -> None:
        dst, src = imm
        dst_type = self.ctx.table(dst)
        src_type = self.ctx.table(src)
        t1, t2 = dst_type.elem, src_type.elem
        if not self.matches(t2, t1):
            raise ValidationError(
                f"type mismatch: source element type {t2.text} does not match destination element type {t1.text}"
            )
        at1, at2 = dst_type.address_type, src_type.address_type
        self.pop_all((at1, at2, I64 if at1 == at2 == I64 else I32))

    def table_init(self, imm: tuple[int, int]) -> None:
        elem_index, table_index = imm
        tt = self.ctx.table(table_index)
        t1 = tt.elem
        t2 = self.ctx.elem(elem_index)
        if not self.matches(t2, t1):
            raise ValidationError(
                f"type mismatch: element segment's type {t2.text} does not match table's element type {t1.text}"
            )
        self.pop_all((tt.address_type, I32, I32))


class _Checker(_BodyChecker):
    """The body checker complete: with the rules of the GC instructions (struct, array, i31,
    casts, conversions), kept apart from the core ones for reading."""

    __slots__ = ()

    def push_new(self, type_index: int) -> None:
        self.vals.append(RefType(False, type_index))

    def struct_new(self, type_index: int) -> None:
        struct = self.ctx.struct_type(type_index)
        self.pop_all([field.unpacked for field in struct.fields])
        self.push_new(type_index)

    def struct_new_default(self, type_index: int) -> None:
        struct = self.ctx.struct_type(type_index)
        if not all(field.unpacked.defaultable for field in struct.fields):
            raise ValidationError("field type is not defaultable")
        self.push_new(type_index)

    def field(self, imm: tuple[int, int]) -> FieldType:
        type_index, field_index = imm
        fields = self.ctx.struct_type(type_index).fields
        if field_index >= len(fields):
            raise ValidationError(f"unknown field {field_index}")
        return fields[field_index]

    def struct_get(self, imm: tuple[int, int]) -> None:
        self.get(self.field(imm), imm[0], packed=False, what="field")

    def struct_get_packed(self, imm: tuple[int, int]) -> None:
        self.get(self.field(imm), imm[0], packed=True, what="field")

    def get(self, field: FieldType, type_index: int, packed: bool, what: str) -> None:
        """A struct.get or array.get: `packed` says whether the instruction sign- or
        zero-extends, which the field must match."""
        if isinstance(field.storage, PackedType) != packed:
            raise ValidationError(f"{what} is {'unpacked' if packed else 'packed'}")
        if what == "array":
            self.pop(I32)
        self.pop(RefType(True, type_index))
        self.vals.append(field.unpacked)

    def struct_set(self, imm: tuple[int, int]) -> None:
        field = self.field(imm)
        if not field.mutable:
            raise ValidationError("immutable field")
        self.pop(field.unpacked)
        self.pop(RefType(True, imm[0]))

    def element(self, type_index: int, mutable: bool = False) -> FieldType:
        element = self.ctx.array_type(type_index).element
        if mutable and not element.mutable:
            raise ValidationError("immutable array")
        return element

    def numeric_element(self, type_index: int, mutable: bool = False) -> FieldType:
        element = self.element(type_index, mutable)
        if element.unpacked.is_ref:
            raise ValidationError("array type is not numeric or vector")
        return element

    def element_segment_fits(self, type_index: int, elem_index: int, mutable: bool = False) -> None:
        element = self.element(type_index, mutable)
        segment_type = self.ctx.elem(elem_index)
        if not self.matches(segment_type, element.unpacked):
            raise ValidationError(
                f"type mismatch: element segment's type {segment_type.text} does not match array's field type {element.text}"
            )

    def array_new(self, type_index: int) -> None:
        element = self.element(type_index)
        self.pop(I32)
        self.pop(element.unpacked)
        self.push_new(type_index)

    def array_new_default(self, type_index: int) -> None:
        if not self.element(type_index).unpacked.defaultable:
            raise ValidationError("array type is not defaultable")
        self.pop(I32)
        self.push_new(type_index)

    def array_new_fixed(self, imm: tuple[int, int]) -> None:
        type_index, count = imm
        element = self.element(type_index)
        for _ in range(count):
            self.pop(element.unpacked)
        self.push_new(type_index)

    def array_new_data(self, imm: tuple[int, int]) -> None:
        type_index, data_index = imm
        self.numeric_element(type_index)
        self.ctx.data(data_index)
        self.pop_all((I32, I32))
        self.push_new(type_index)

    def array_new_elem(self, imm: tuple[int, int]) -> None:
        type_index, elem_index = imm
        self.element_segment_fits(type_index, elem_index)
        self.pop_all((I32, I32))
        self.push_new(type_index)

    def array_get(self, type_index: int) -> None:
        self.get(self.element(type_index), type_index, packed=False, what="array")

    def array_get_packed(self, type_index: int) -> None:
        self.get(self.element(type_index), type_index, packed=True, what="array")

    def array_set(self, type_index: int) -> None:
        element = self.element(type_index, mutable=True)
        self.pop_all((RefType(True, type_index), I32, element.unpacked))

    def array_fill(self, type_index: int) -> None:
        element = self.element(type_index, mutable=True)
        self.pop_all((RefType(True, type_index), I32, element.unpacked, I32))

    def array_copy(self, imm: tuple[int, int]) -> None:
        dst, src = imm
        dst_element = self.element(dst, mutable=True)
        src_element = self.element(src)
        if not self.ctx.rel.storage_matches(src_element.storage, dst_element.storage):
            raise ValidationError("array types do not match")
        self.pop_all((RefType(True, dst), I32, RefType(True, src), I32, I32))

    def array_init_data(self, imm: tuple[int, int]) -> None:
        type_index, data_index = imm
        self.numeric_element(type_index, mutable=True)
        self.ctx.data(data_index)
        self.pop_all((RefType(True, type_index), I32, I32, I32))

    def array_init_elem(self, imm: tuple[int, int]) -> None:
        type_index, elem_index = imm
        self.element_segment_fits(type_index, elem_index, mutable=True)
        self.pop_all((RefType(True, type_index), I32, I32, I32))

    def cast_target(self, heap: HeapType | int, nullable: bool) -> ValueType:
        """The type a ref.test or ref.cast names; its operand may be any reference of that
        type's hierarchy."""
        target = ref_type(nullable, heap)
        self.ctx.rel.check_valtype(target)
        self.pop(ref_type(True, self.ctx.rel.top(heap)))
        return target

    def ref_test(self, heap: HeapType | int) -> None:
        self.cast_target(heap, nullable=False)
        self.vals.append(I32)

    def ref_test_null(self, heap: HeapType | int) -> None:
        self.cast_target(heap, nullable=True)
        self.vals.append(I32)

    def ref_cast(self, heap: HeapType | int) -> None:
        self.vals.append(self.cast_target(heap, nullable=False))

    def ref_cast_null(self, heap: HeapType | int) -> None:
        self.vals.append(self.cast_target(heap, nullable=True))

    def cast_branch(self, imm: tuple[int, ValueType, ValueType], on_fail: bool) -> None:
        """br_on_cast (branch with the cast value) and br_on_cast_fail (branch with the
        value when the cast fails); what stays on the stack is the other outcome."""
        label, source, target = imm
        rel = self.ctx.rel
        rel.check_valtype(source)
        rel.check_valtype(target)
        if not rel.matches(target, source):
            raise ValidationError(f"type mismatch on cast: type {target.text} does not match {source.text}")
        # What a failed cast leaves: the source type, non-null if the target took the nulls.
        rest = ref_type(False, source.heap) if target.nullable else source
        sent, kept = (rest, target) if on_fail else (target, rest)
        types = self.label_types(label)
        if not types or not rel.matches(sent, types[-1]):
            raise ValidationError(f"type mismatch: instruction requires type {sent.text} but label has {_names(types)}")
        self.pop(source)
        self.pop_all(types[:-1])
        self.vals.extend(types[:-1])  # the label's types, as after br_if (not what was there)
        self.vals.append(kept)

    def br_on_cast(self, imm: tuple[int, ValueType, ValueType]) -> None:
        self.cast_branch(imm, on_fail=False)

    def br_on_cast_fail(self, imm: tuple[int, ValueType, ValueType]) -> None:
        self.cast_branch(imm, on_fail=True)

    def convert(self, source: HeapType, target: HeapType) -> None:
        """any.convert_extern and extern.convert_any keep nullability."""
        t = self.pop(ref_type(True, source))
        nullable = t != UNKNOWN and t.nullable  # type: ignore[union-attr]
        self.vals.append(ref_type(nullable, target))

    def any_convert_extern(self, _: None) -> None:
        self.convert(HeapType.EXTERN, HeapType.ANY)

    def extern_convert_any(self, _: None) -> None:
        self.convert(HeapType.ANY, HeapType.EXTERN)

    def ref_i31(self, _: None) -> None:
        self.pop(I32)
        self.vals.append(RefType(False, HeapType.I31))


# The method of _BodyChecker that types each instruction the table leaves to a rule.
_RULES = {
    "unreachable": "unreachable_", "block": "block", "loop": "loop", "if": "if_", "else": "else_",
    "end": "end", "br": "br", "br_if": "br_if", "br_table": "br_table", "return": "return_",
    "call": "call", "call_indirect": "call_indirect", "drop": "drop", "select": "select",
    "return_call": "return_call", "return_call_indirect": "return_call_indirect",
    "throw": "throw", "try_table": "try_table", "try": "try_", "catch": "catch",
    "catch_all": "catch_all", "delegate": "delegate", "rethrow": "rethrow", "throw_ref": "throw_ref",
    "local.set": "local_set", "local.tee": "local_tee", "global.get": "global_get",
    "global.set": "global_set", "table.get": "table_get", "table.set": "table_set",
    "table.size": "table_size", "table.grow": "table_grow", "table.fill": "table_fill",
    "table.copy": "table_copy", "table.init": "table_init", "ref.null": "ref_null",
    "ref.is_null": "ref_is_null", "ref.func": "ref_func", "call_ref": "call_ref",
    "return_call_ref": "return_call_ref", "ref.as_non_null": "ref_as_non_null",
    "br_on_null": "br_on_null", "br_on_non_null": "br_on_non_null",
    "struct.new": "struct_new", "struct.new_default": "struct_new_default", "struct.get": "struct_get",
    "struct.get_s": "struct_get_packed", "struct.get_u": "struct_get_packed", "struct.set": "struct_set",
    "array.new": "array_new", "array.new_default": "array_new_default", "array.new_fixed": "array_new_fixed",
    "array.new_data": "array_new_data", "array.new_elem": "array_new_elem", "array.get": "array_get",
    "array.get_s": "array_get_packed", "array.get_u": "array_get_packed", "array.set": "array_set",
    "array.fill": "array_fill", "array.copy": "array_copy", "array.init_data": "array_init_data",
    "array.init_elem": "array_init_elem", "ref.test": "ref_test", "ref.cast": "ref_cast",
    "br_on_cast": "br_on_cast", "br_on_cast_fail": "br_on_cast_fail",
    "any.convert_extern": "any_convert_extern", "extern.convert_any": "extern_convert_any",
    "ref.i31": "ref_i31",
}  # fmt: skip
# local.get has no method: the main loop handles it inline.
_RULE_BY_OP: list = [
    None
    if op.params is not None or op.name == "local.get"
    else getattr(_Checker, "select_typed" if op is SELECT_TYPED else _RULES[op.name] + ("_null" if op in CASTS_TO_NULLABLE else ""))
    for op in ALL
]
