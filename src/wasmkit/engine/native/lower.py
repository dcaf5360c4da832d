"""Wasm function bodies to LLVM IR.

Each wasm function becomes `@f<index>(ptr ctx, params...)` returning its result (a struct for
several). Locals and the values a branch carries live in allocas that LLVM's mem2reg turns
into SSA registers; the operand stack is a compile-time list of IR values, so it costs
nothing at run time. Structured control becomes basic blocks: a branch stores its values in
the target's slots and jumps.

A trap stores its code in the context and returns at once; after every call the caller
checks the context and returns too, so that a trap unwinds the native frames by ordinary
returns back to Python, which raises it. A wasm exception unwinds the same way under a code of
its own, except that inside a try_table (or a legacy try's body) the check goes to the frame's
handler, which compares the exception's tag with its clauses' (see `exceptions`); code without
exception instructions is written exactly as it would be without them. A memory access is
bounds-checked against the memory's current size, except a plain load or store of a 32-bit
memory where guard regions are on: one out of bounds then faults in the memory's guard region,
which `faults` turns into the same trap. Each function checks the stack pointer on
entry against the thread's limit (see `stack`), so that runaway recursion traps before the
native stack runs out.

Each defined function also gets `@entry<index>(ptr ctx, ptr cells) -> i32`, through which
Python calls it: arguments and results in 16-byte cells as bit patterns (see `layout`), the
trap code as the result.

The IR is written as text by `irtext`, which offers the part of llvmlite's IR builder used
here and writes the same text several times faster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from llvmlite import ir

from ...bits import MASK64
from ...binary.code import CATCH_ALL_REF, CATCH_REF, Instr, block_type, iter_instructions
from ...errors import TrapKind, WasmError
from ...opcodes import ALL, Feature, Imm, Op
from ...runtime import guard_pages
from ...syntax.types import FuncType, HeapType, RefType, ValType, ValueType
from ...validate import ValidModule
from ..metering import Meter, branched_loops, fuel_counts
from .nan import X86_64, first_nan_wins, nan_through_sum
from .simd import SIMD_OPS
from .gc_lower import gc_handler, known
from .global_cells import in_cell
from .handles import FUNCTION
from .debuginfo import DebugLocations
from .irtext import Block, Builder, Function, LocatedBuilder, Module, Operand, Slot
from .irtypes import F32, F64, I1, I8, I16, I32, I64, I128, PTR, VOID, NativeCompileError, ir_type
from ..shadow_stack import FRAMES as SHADOW_FRAMES
from .layout import CELL_BYTES, TRAP_CODES, TRAP_THROWN, ExceptionOp, Field, Helper, Variant
from .stack import BUDGET

__all__ = ["NativeCompileError", "addresses_symbol", "entered_from_python", "handles", "lower_piece"]

def return_type(results: tuple[ValueType, ...]) -> ir.Type:
    if not results:
        return VOID
    if len(results) == 1:
        return ir_type(results[0])
    return ir.LiteralStructType([ir_type(vt) for vt in results])


def function_type(func_type: FuncType) -> ir.FunctionType:
    """A defined function's LLVM type: the context, then its parameters as `pass_arguments`
    passes them."""
    params = [half for vt in func_type.params for half in ((I64, I64) if ir_type(vt) == I128 else (ir_type(vt),))]
    return ir.FunctionType(return_type(func_type.results), [PTR, *params])


# A v128 argument passes as two i64, its low half first, never as one i128: LLVM 22 on
# x86-64 lays out an i128 that goes on the stack with 16-byte alignment, and under `tailcc`
# (callee pops) the caller then reserves more stack than the callee pops, so that the caller
# returns through a wrong address (a 3.0 wasm-smith module crashed the process). Arguments of
# at most 8 bytes are laid out alike by both sides.
_HALF = ir.Constant(I128, 64)


def pass_arguments(builder: Builder, args: list[Operand]) -> list[Operand]:
    """Call arguments as `function_type` takes them: each v128 split into two i64."""
    passed: list[Operand] = []
    for arg in args:
        if arg.type == I128:
            passed += [builder.trunc(arg, I64), builder.trunc(builder.lshr(arg, _HALF), I64)]
        else:
            passed.append(arg)
    return passed


def received_parameters(builder: Builder, function: Function, func_type: FuncType) -> list[Operand]:
    """The parameters of `function` (a defined function of type `func_type`) as values, each
    v128 joined from its two halves (see `pass_arguments`)."""
    halves = iter(function.args[1:])
    params: list[Operand] = []
    for vt in func_type.params:
        arg = next(halves)
        if ir_type(vt) == I128:
            high = builder.shl(builder.zext(next(halves), I128), _HALF)
            arg = builder.or_(builder.zext(arg, I128), high)
        params.append(arg)
    return params


@dataclass
class _Frame:
    kind: str  # "block", "loop", "if", "func"
    params: list[ir.Type]
    results: list[ir.Type]
    slots: list[Slot]  # where branches leave their values (loop: params, else results)
    target: Block  # where a branch to this frame goes
    end: Block  # what follows the frame
    height: int  # operand stack height below the params
    else_block: Block | None = None
    else_args: list[Operand] = field(default_factory=list)
    end_slots: list[Slot] = field(default_factory=list)  # a loop's results at its end
    reached: bool = False  # the end has a predecessor
    # Exceptions: where one unwinding in the frame's code goes while the frame catches them
    # (a try_table; a legacy try in its body); a legacy try's handler, written at its end,
    # its catch sections (tag, None for catch_all; first block), and the slot of the
    # exception caught when a `rethrow` names the try.
    handler: Block | None = None
    legacy_handler: Block | None = None
    catches: list[tuple[int | None, Block]] = field(default_factory=list)
    caught: Slot | None = None

    @property
    def branch_types(self) -> list[ir.Type]:
        return self.params if self.kind == "loop" else self.results


@dataclass
class _Memory0:
    """How a function reaches memory 0: its base address and its size in bytes as the context
    last gave them (see `_Lowering.reload_memory_size`). The other memories are read from the
    context's MEMORIES array at each access (see `_Lowering.memory_word`)."""

    size: Slot
    # A 32-bit memory's base, loaded once: it never moves. A 64-bit memory moves when it grows
    # past what it reserved, so its base is in a slot, reloaded after calls like the size.
    base: Operand | None = None
    base_slot: Slot | None = None


class _Lowering:
    """Lowers one function body into its LLVM function."""

    def __init__(self, module: "_ModuleLowering", index: int) -> None:
        self.m = module
        self.valid = module.valid
        self.index = index
        self.func_type = self.valid.func_types[index]
        self.body = self.valid.module.funcs[index - self.valid.imported_func_count]
        self.fn = module.function(index)
        # The stack slots go in a block of their own, which then jumps to the body.
        self.allocas = Builder(self.fn.append_basic_block("slots"), self.fn)
        self.locations = module.locations
        if self.locations is None:
            self.builder = Builder(self.fn.append_basic_block("body"), self.fn)
        else:  # every instruction tagged with the wasm instruction it comes from (see `debuginfo`)
            self.builder = LocatedBuilder(self.fn.append_basic_block("body"), self.fn)
            self.builder.location = self.locations.mark(index, self.body.body_offset)
        self.ctx = self.fn.args[0]
        self.stack: list[Operand] = []
        self.frames: list[_Frame] = []
        self.dead = False  # the code being read is unreachable
        self.dead_depth = 0  # blocks opened inside unreachable code
        self.cells: Slot | None = None
        self.cell_count = 1
        self.local_types = [*self.func_type.params, *self.body.local_types()]
        self.trap_block = self.fn.append_basic_block("trap")
        self.offset = 0  # of the instruction being lowered
        self.instrs = list(iter_instructions(self.body.body))
        self.metered = module.metered
        self.repeating_loops = branched_loops(self.instrs)
        self.fuel = fuel_counts(self.instrs, self.repeating_loops) if self.metered else {}
        self.meter_stop_block: Block | None = None
        self.trap_blocks: dict[TrapKind, Block] = {}
        self.memory0: _Memory0 | None = None
        self.memory_table: Operand | None = None  # the address of the memories' (base, size) pairs
        self.entry_depth: Operand | None = None  # metered: the call depth to restore on return
        self.shadow_stack: Operand | None = None  # profiled: the store's shadow stack
        self.shadow_depth: Operand | None = None  # profiled: its depth to restore on return
        self.active_handlers = 0  # frames whose `handler` is set (see `unwind_target`)
        self.in_tail = False  # lowering a tail call made as a call and a return: no handler applies
        self.rethrown: frozenset[int] | None = None  # the legacy trys a rethrow names, by offset

    # -- helpers --

    def alloca(self, typ: ir.Type, name: str = "") -> Slot:
        """A stack slot, in the entry block where mem2reg promotes it to registers."""
        return self.allocas.alloca(typ, name=name)

    def load_slot(self, slot: Slot) -> Operand:
        return self.builder.load(slot, typ=slot.allocated_type)

    def field_ptr(self, which: Field) -> Operand:
        return field_pointer(self.builder, self.ctx, which)

    def load_field(self, which: Field, typ: ir.Type = I64) -> Operand:
        return self.builder.load(self.field_ptr(which), typ=typ)

    def trap_if(self, condition: Operand, kind: TrapKind) -> None:
        """Trap with `kind` when `condition` (an i1) holds."""
        cont = self.fn.append_basic_block()
        self.builder.cbranch(condition, self.trap_kind_block(kind), cont)
        self.builder.position_at_end(cont)

    def trap_kind_block(self, kind: TrapKind) -> Block:
        """The function's one block that traps with `kind` (made on first use)."""
        block = self.trap_blocks.get(kind)
        if block is None:
            here = self.builder.block
            block = self.trap_blocks[kind] = self.fn.append_basic_block(f"trap_{kind.name.lower()}")
            self.builder.position_at_end(block)
            self.builder.store(ir.Constant(I64, TRAP_CODES[kind]), self.field_ptr(Field.TRAP))
            self.builder.branch(self.trap_block)
            self.builder.position_at_end(here)
        return block

    def check_trap(self) -> None:
        """After a call: return at once if a trap or exception is unwinding (or, in the code of
        a handler, go to it)."""
        pending = self.load_field(Field.TRAP)
        cont = self.fn.append_basic_block()
        self.builder.cbranch(self.builder.icmp_unsigned("!=", pending, ir.Constant(I64, 0)), self.unwind_target(), cont)
        self.builder.position_at_end(cont)

    def intrinsic(self, name: str, result: ir.Type, args: list[Operand]) -> Operand:
        return self.builder.call(self.m.intrinsic(name, result, [a.type for a in args]), args)

    def store_cell(self, i: int, value: Operand) -> None:
        store_cell(self.builder, self.cells_ptr(), i, value)

    def load_cell(self, i: int, typ: ir.Type) -> Operand:
        return load_cell(self.builder, self.cells_ptr(), i, typ)

    def cells_ptr(self) -> Slot:
        if self.cells is None:
            self.cells = self.alloca(ir.ArrayType(I128, 1), "cells")  # resized in finish()
        return self.cells

    def need_cells(self, count: int) -> None:
        self.cell_count = max(self.cell_count, count)
        self.cells_ptr()

    def call_helper(self, which: Field, signature: ir.FunctionType, args: list[Operand]) -> Operand:
        """Call the runtime helper whose address is in context field `which`."""
        target = _Callee(self.load_field(which, PTR), signature)
        status = self.builder.call(target, [self.ctx, *args])
        self.reload_memory_size()
        return status

    def reload_memory_size(self) -> None:
        """After a call (which may have grown memory): take memory 0's size (and a 64-bit
        memory 0's base) from the context again. Between calls they stay in slots of their
        own, registers once promoted: from the context they would be loaded again after every
        store, which LLVM cannot tell apart from a store to the context."""
        memory = self.memory0
        if memory is not None:
            self.builder.store(self.load_field(Field.MEM_SIZE), memory.size)
            if memory.base_slot is not None:
                self.builder.store(self.load_field(Field.MEM_BASE, PTR), memory.base_slot)

    def memory_word(self, index: int, word: int, typ: ir.Type) -> Operand:
        """Memory `index`'s base (word 0) or size (word 1) in the context's MEMORIES array, for
        a memory other than memory 0. Read at each access rather than kept in slots reloaded
        after every call: the code stays in proportion to the wasm code, whatever the number of
        memories (up to 100), at two loads per access of a memory other than memory 0."""
        pointer = self.builder.gep(cast(Operand, self.memory_table), [ir.Constant(I64, 16 * index + 8 * word)], source_etype=I8)
        if self.valid.memory_types[index].shared:  # another thread may grow it at any moment
            return self.builder.load_atomic(pointer, typ, "monotonic", 8)
        return self.builder.load(pointer, typ=typ)

    def is_wide(self, memory: int) -> bool:
        """Whether `memory` takes 64-bit addresses (memory64)."""
        return self.valid.memory_types[memory].is_64

    # -- driving --

    def lower(self) -> None:
        builder = self.builder
        if self.m.profiled:  # first, so that every way out (the trap block too) pops the frame
            self.enter_profiled()
        # The stack check, first of all: trap before the native stack runs out. The stack
        # pointer is taken below this function's frame, which so lies above the limit when
        # the check passes, and is not touched when it fails.
        sp = builder.ptrtoint(self.intrinsic("llvm.stacksave.p0", PTR, []), I64)
        self.trap_if(builder.icmp_unsigned("<", sp, self.load_field(Field.STACK_LIMIT)), TrapKind.CALL_STACK_EXHAUSTED)
        self.locals = [self.alloca(ir_type(vt), f"l{i}") for i, vt in enumerate(self.local_types)]
        for i, arg in enumerate(received_parameters(builder, self.fn, self.func_type)):
            builder.store(arg, self.locals[i])
        for i in range(len(self.func_type.params), len(self.local_types)):
            builder.store(ir.Constant(ir_type(self.local_types[i]), 0), self.locals[i])
        if self.valid.memory_types:  # memory 0's base and current size
            wide = self.is_wide(0)
            base = None if wide else self.load_field(Field.MEM_BASE, PTR)
            base_slot = self.alloca(PTR, "memory_base") if wide else None
            self.memory0 = _Memory0(self.alloca(I64, "memory_size"), base, base_slot)
            self.reload_memory_size()
        if len(self.valid.memory_types) > 1:  # the others' are in an array
            self.memory_table = self.load_field(Field.MEMORIES, PTR)  # which never moves
        depth = self.entry_depth = self.enter_metered() if self.metered else None
        results = [ir_type(vt) for vt in self.func_type.results]
        ret_block = self.fn.append_basic_block("return")
        slots = [self.alloca(t, "ret") for t in results]
        self.frames.append(_Frame("func", [], results, slots, ret_block, ret_block, 0, end_slots=slots))
        locations = self.locations
        for instr in self.instrs:
            self.offset = instr.offset
            if locations is not None:
                cast(LocatedBuilder, builder).location = locations.mark(self.index, self.body.body_offset + instr.offset)
            try:
                self.step(instr)
            except NativeCompileError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
                raise NativeCompileError(
                    f"function {self.index}, offset {instr.offset:#x}: cannot lower {instr.op.name}: {err}"
                ) from None
        # The return block and the trap block.
        builder.position_at_end(ret_block)
        values = [self.load_slot(slot) for slot in slots]
        if depth is not None:
            builder.store(depth, self.meter_cell(Meter.DEPTH))
        self.leave_profiled()
        self._return(values)
        builder.position_at_end(self.trap_block)
        self.leave_profiled()
        ret = self.fn.function_type.return_type
        if ret == VOID:
            builder.ret_void()
        else:
            builder.ret(ir.Constant(ret, None))
        if self.cells is not None:
            self.cells.allocated_type = ir.ArrayType(I128, self.cell_count)
        self.allocas.branch(self.fn.basic_blocks[1])

    # -- profiling: the shadow stack (see engine.shadow_stack) --

    def enter_profiled(self) -> None:
        """Push this frame on the store's shadow stack: the instance's number (its context's
        PROFILE_TAG) and the function's index in one word, the next entry (the last one again
        past the stack's capacity, so that nothing is written out of it), then the depth. The
        stores are atomic (monotonic, plain moves on x86) so that LLVM keeps each where it is:
        the sampling thread reads them as they happen, and a push and its pop in a function
        that calls nothing would otherwise be one dead store apart. (Storing the context's
        address instead of a number let it escape, and LLVM then reloaded the context's
        fields after every store: recursive fib ran 1.36 times as long, against 1.0.)"""
        builder = self.builder
        stack = self.shadow_stack = self.load_field(Field.PROFILE, PTR)
        depth = self.shadow_depth = builder.load_atomic(stack, I64, "monotonic", 8)
        at = self.intrinsic("llvm.umin.i64", I64, [depth, ir.Constant(I64, SHADOW_FRAMES - 1)])
        entry = builder.gep(stack, [builder.add(builder.shl(at, ir.Constant(I64, 3)), ir.Constant(I64, 8))], source_etype=I8)
        frame = builder.or_(self.load_field(Field.PROFILE_TAG), ir.Constant(I64, self.index))
        builder.store_atomic(frame, entry, "monotonic", 8)
        builder.store_atomic(builder.add(depth, ir.Constant(I64, 1)), stack, "monotonic", 8)

    def leave_profiled(self) -> None:
        """Pop this frame off the shadow stack (profiled code; nothing otherwise)."""
        if self.shadow_depth is not None:
            self.builder.store_atomic(self.shadow_depth, cast(Operand, self.shadow_stack), "monotonic", 8)

    # -- metering: fuel, interruption, call depth (see Store.native_meter) --

    def meter_cell(self, cell: Meter) -> Operand:
        """The address of a cell of the store's native meter."""
        return self.builder.gep(self.load_field(Field.METER, PTR), [ir.Constant(I64, 8 * cell)], source_etype=I8)

    def enter_metered(self) -> Operand:
        """Count the call against the maximum depth and charge the function's fuel; returns
        the depth to restore on return."""
        depth = self.builder.load(self.meter_cell(Meter.DEPTH), typ=I64)
        deeper = self.builder.add(depth, ir.Constant(I64, 1))
        maximum = self.builder.load(self.meter_cell(Meter.MAXIMUM), typ=I64)
        self.trap_if(self.builder.icmp_signed(">", deeper, maximum), TrapKind.CALL_STACK_EXHAUSTED)
        self.builder.store(deeper, self.meter_cell(Meter.DEPTH))
        self.charge(self.fuel.get(None, 0))
        return depth

    def charge(self, count: int) -> None:
        """Take `count` units of fuel; stop when it runs out or an interrupt is requested."""
        fuel = self.meter_cell(Meter.FUEL)
        left = self.builder.sub(self.builder.load(fuel, typ=I64), ir.Constant(I64, count))
        self.builder.store(left, fuel)
        interrupted = self.builder.load(self.meter_cell(Meter.INTERRUPT), typ=I64)
        stop = self.builder.or_(
            self.builder.icmp_signed("<", left, ir.Constant(I64, 0)),
            self.builder.icmp_unsigned("!=", interrupted, ir.Constant(I64, 0)),
        )
        cont = self.fn.append_basic_block()
        self.builder.cbranch(stop, self.stop_block(), cont)
        self.builder.position_at_end(cont)

    def stop_block(self) -> Block:
        """Where metered code goes to trap: "interrupted" (clearing the request) if one was
        made, else "out of fuel" (leaving none)."""
        if self.meter_stop_block is None:
            here = self.builder.block
            self.meter_stop_block = block = self.fn.append_basic_block("meter_stop")
            interrupted_block = self.fn.append_basic_block("interrupted")
            fuel_block = self.fn.append_basic_block("out_of_fuel")
            self.builder.position_at_end(block)
            interrupted = self.builder.load(self.meter_cell(Meter.INTERRUPT), typ=I64)
            self.builder.cbranch(self.builder.icmp_unsigned("!=", interrupted, ir.Constant(I64, 0)), interrupted_block, fuel_block)
            for target, cell, kind in ((interrupted_block, Meter.INTERRUPT, TrapKind.INTERRUPTED),
                                       (fuel_block, Meter.FUEL, TrapKind.OUT_OF_FUEL)):  # fmt: skip
                self.builder.position_at_end(target)
                self.builder.store(ir.Constant(I64, 0), self.meter_cell(cell))
                self.builder.store(ir.Constant(I64, TRAP_CODES[kind]), self.field_ptr(Field.TRAP))
                self.builder.branch(self.trap_block)
            self.builder.position_at_end(here)
        return self.meter_stop_block

    def _return(self, values: list[Operand]) -> None:
        if not values:
            self.builder.ret_void()
        elif len(values) == 1:
            self.builder.ret(values[0])
        else:
            agg: Operand = ir.Constant(self.fn.function_type.return_type, None)
            for i, value in enumerate(values):
                agg = self.builder.insert_value(agg, value, i)
            self.builder.ret(agg)

    def step(self, instr: Instr) -> None:
        name = instr.op.name
        if self.dead:
            if name in ("block", "loop", "if", "try_table", "try"):
                self.dead_depth += 1
                return
            if name == "end" or name == "delegate":
                if self.dead_depth:
                    self.dead_depth -= 1
                    return
                self.end() if name == "end" else self.c_delegate(cast(int, instr.imm))
                return
            if name == "else" and not self.dead_depth:
                self.else_()
            if (name == "catch" or name == "catch_all") and not self.dead_depth:
                self.c_catch(cast("int | None", instr.imm))
            return
        handler = _DISPATCH[instr.op.index]
        if handler is None:
            feature = instr.op.feature.value
            raise NativeCompileError(f"function {self.index}: the native engine does not support {name} ({feature}) yet")
        handler(self, instr.imm)

    # -- control --

    def block_signature(self, blocktype: int) -> tuple[list[ir.Type], list[ir.Type]]:
        ft = block_type(blocktype, self.valid.module.func_type)
        return [ir_type(vt) for vt in ft.params], [ir_type(vt) for vt in ft.results]

    def open(self, kind: str, blocktype: int) -> _Frame:
        params, results = self.block_signature(blocktype)
        height = len(self.stack) - len(params)
        end = self.fn.append_basic_block(f"{kind}_end")
        if kind == "loop":
            header = self.fn.append_basic_block("loop")
            slots = [self.alloca(t, "lp") for t in params]
            frame = _Frame(kind, params, results, slots, header, end, height)
            self.store_branch(frame, self.stack[height:])
            self.builder.branch(header)
            self.builder.position_at_end(header)
            if self.metered and self.offset in self.repeating_loops:
                self.charge(self.fuel.get(self.offset, 0))
            self.stack[height:] = [self.load_slot(slot) for slot in slots]
            # A loop's results leave by falling through to its end.
            frame.end_slots = [self.alloca(t, "lr") for t in results]
        else:
            slots = [self.alloca(t, "br") for t in results]
            frame = _Frame(kind, params, results, slots, end, end, height, end_slots=slots)
        self.frames.append(frame)
        return frame

    def store_branch(self, frame: _Frame, values: list[Operand]) -> None:
        for slot, value in zip(frame.slots, values):
            self.builder.store(value, slot)

    def branch_to(self, depth: int) -> None:
        """Store the values the frame `depth` levels out takes, and jump there."""
        frame = self.frames[-1 - depth]
        count = len(frame.branch_types)
        self.store_branch(frame, self.top(count))
        if frame.kind != "loop":
            frame.reached = True
        self.builder.branch(frame.target)

    def become_dead(self) -> None:
        self.dead = True
        self.dead_depth = 0

    def c_block(self, imm: int) -> None:
        self.open("block", imm)

    def c_loop(self, imm: int) -> None:
        self.open("loop", imm)

    def c_if(self, imm: int) -> None:
        condition = self.stack.pop()
        frame = self.open("if", imm)
        then = self.fn.append_basic_block("then")
        frame.else_block = self.fn.append_basic_block("else")
        frame.else_args = self.stack[frame.height :]
        self.builder.cbranch(self.builder.icmp_unsigned("!=", condition, ir.Constant(I32, 0)), then, frame.else_block)
        self.builder.position_at_end(then)

    def else_(self, imm: object = None) -> None:
        frame = self.frames[-1]
        if not self.dead:
            self.fall_through(frame)
        self.dead = False
        self.builder.position_at_end(cast(Block, frame.else_block))  # validated: `else` ends an `if`
        frame.else_block = None
        self.stack[frame.height :] = frame.else_args

    def fall_through(self, frame: _Frame) -> None:
        """The end of a frame reached by running off its last instruction."""
        count = len(frame.results)
        values = self.top(count)
        for slot, value in zip(frame.end_slots, values):
            self.builder.store(value, slot)
        frame.reached = True
        self.builder.branch(frame.end)

    def end(self, imm: object = None) -> None:
        frame = self.frames[-1]
        if frame.legacy_handler is not None:
            self.finish_try(frame)
        else:
            self.leave_handler(frame)
        if not self.dead:
            self.fall_through(frame)
        if frame.else_block is not None:  # an `if` without `else`: its params pass through
            self.builder.position_at_end(frame.else_block)
            self.stack[frame.height :] = frame.else_args
            self.dead = False
            self.fall_through(frame)
        self.frames.pop()
        del self.stack[frame.height :]
        self.builder.position_at_end(frame.end)
        if frame.kind == "func":
            return
        if not frame.reached:
            self.builder.unreachable()
            self.dead = bool(self.frames)
            self.dead_depth = 0
            return
        self.dead = False
        self.stack.extend(self.load_slot(slot) for slot in frame.end_slots)

    def c_br(self, depth: int) -> None:
        self.branch_to(depth)
        self.become_dead()

    def c_br_if(self, depth: int) -> None:
        condition = self.stack.pop()
        self.branch_when(lambda: self.builder.icmp_unsigned("!=", condition, ir.Constant(I32, 0)), depth, "br_if")

    def branch_when(self, condition: Callable[[], Operand], depth: int, name: str) -> None:
        """Branch `depth` levels out, with the values on top of the stack, when `condition`
        (emitting an i1, once the blocks are made) holds."""
        taken = self.fn.append_basic_block(name)
        cont = self.fn.append_basic_block()
        self.builder.cbranch(condition(), taken, cont)
        self.builder.position_at_end(taken)
        self.branch_to(depth)
        self.builder.position_at_end(cont)

    def c_br_table(self, imm: tuple[tuple[int, ...], int]) -> None:
        labels, default = imm
        index = self.stack.pop()
        current = self.builder.block
        targets: dict[int, Block] = {}
        for depth in {*labels, default}:
            block = self.fn.append_basic_block(f"br_table_{depth}")
            self.builder.position_at_end(block)
            self.branch_to(depth)
            targets[depth] = block
        self.builder.position_at_end(current)
        switch = self.builder.switch(index, targets[default])
        for i, depth in enumerate(labels):
            if depth != default:
                switch.add_case(ir.Constant(I32, i), targets[depth])
        self.become_dead()

    def c_return(self, imm: object = None) -> None:
        self.branch_to(len(self.frames) - 1)
        self.become_dead()

    def c_unreachable(self, imm: object = None) -> None:
        self.builder.store(ir.Constant(I64, TRAP_CODES[TrapKind.UNREACHABLE]), self.field_ptr(Field.TRAP))
        self.builder.branch(self.trap_block)
        self.become_dead()

    def c_nop(self, imm: object = None) -> None:
        pass

    def c_drop(self, imm: object = None) -> None:
        self.stack.pop()

    def c_select(self, imm: object = None) -> None:
        a, b, condition = self.pop_operands(3)
        self.stack.append(self.builder.select(self.builder.icmp_unsigned("!=", condition, ir.Constant(I32, 0)), a, b))

    def c_local_get(self, index: int) -> None:
        self.stack.append(self.load_slot(self.locals[index]))

    def c_local_set(self, index: int) -> None:
        self.builder.store(self.stack.pop(), self.locals[index])

    def c_local_tee(self, index: int) -> None:
        self.builder.store(self.stack[-1], self.locals[index])

    def c_global_get(self, index: int) -> None:
        typ = ir_type(self.valid.global_types[index].valtype)
        if index in self.m.shared_globals and in_cell(self.valid.global_types[index].valtype):
            self.stack.append(self.builder.load(self.shared_cell(index), typ=typ))
            return
        if index in self.m.shared_globals:
            self.need_cells(1)
            status = self.call_helper(Field.GLOBAL_ACCESS, self.m.global_access_type,
                                      [ir.Constant(I32, index), ir.Constant(I32, 0), self.cells_ptr()])
            self.after_helper(status)
            self.stack.append(self.load_cell(0, typ))
            return
        self.stack.append(self.builder.load(self.global_cell(index), typ=typ))

    def c_global_set(self, index: int) -> None:
        value = self.stack.pop()
        if index in self.m.shared_globals and in_cell(self.valid.global_types[index].valtype):
            self.builder.store(value, self.shared_cell(index))
            return
        if index in self.m.shared_globals:
            self.need_cells(1)
            self.store_cell(0, value)
            status = self.call_helper(Field.GLOBAL_ACCESS, self.m.global_access_type,
                                      [ir.Constant(I32, index), ir.Constant(I32, 1), self.cells_ptr()])
            self.after_helper(status)
            return
        self.builder.store(value, self.global_cell(index))

    def global_cell(self, index: int) -> Operand:
        base = self.load_field(Field.GLOBALS, PTR)
        return self.builder.gep(base, [ir.Constant(I64, CELL_BYTES * index)], source_etype=I8)

    def shared_cell(self, index: int) -> Operand:
        """Where shared number global `index` is: its global cell holds the address of the
        cell its `Global` keeps it in (see `global_cells`)."""
        return self.builder.load(self.global_cell(index), typ=PTR)

    def after_helper(self, status: Operand) -> None:
        cont = self.fn.append_basic_block()
        self.builder.cbranch(self.builder.icmp_unsigned("!=", status, ir.Constant(I32, 0)), self.unwind_target(), cont)
        self.builder.position_at_end(cont)

    def c_call(self, index: int) -> None:
        callee_type = self.valid.func_types[index]
        args = self.pop_operands(len(callee_type.params))
        if index < self.valid.imported_func_count:
            self.stack.extend(self.through_cells(callee_type, args, lambda cells: self.call_import(index, cells)))
            return
        # "notail": recursion must stay recursion (its stack check is what stops a runaway).
        result = self.builder.call(
            self.callee(index), [self.ctx, *pass_arguments(self.builder, args)], tail="notail", convention=self.m.convention)
        self.reload_memory_size()
        self.check_trap()
        self.push_results(result, callee_type)

    def call_import(self, index: int, cells: Operand) -> Operand:
        """Call imported function `index` with its arguments in `cells`; its status. An import
        that is another instance's native function (of numbers only) is called at its entry,
        with that instance's context, once the binding has put both in the instance's import
        slots (see `module._Binding.link_import`); any other, and that one until then, through
        the runtime (`HOST_CALL`). A direct call that fails hands the callee's trap or exception
        to the runtime (`Helper.IMPORT_FAILED`), which makes it this instance's."""
        builder = self.builder
        self.need_cells(2)  # a failure's index and status
        status = self.alloca(I32, "import_status")
        slot = builder.gep(self.load_field(Field.IMPORTS, PTR), [ir.Constant(I64, 16 * index)], source_etype=I8)
        entry = builder.load(slot, typ=PTR)
        direct, through_runtime, failed, done = (self.fn.append_basic_block() for _ in range(4))
        builder.cbranch(builder.icmp_unsigned("!=", builder.ptrtoint(entry, I64), ir.Constant(I64, 0)), direct, through_runtime)
        builder.position_at_end(direct)
        callee_ctx = builder.load(builder.gep(slot, [ir.Constant(I64, 8)], source_etype=I8), typ=PTR)
        limit = builder.gep(callee_ctx, [ir.Constant(I64, 8 * Field.STACK_LIMIT)], source_etype=I8)
        builder.store(self.load_field(Field.STACK_LIMIT), limit)  # the thread's limit (see `stack`)
        entered = builder.call(_Callee(entry, self.m.entry_type), [callee_ctx, cells])
        self.reload_memory_size()
        builder.store(entered, status)
        builder.cbranch(builder.icmp_unsigned("==", entered, ir.Constant(I32, 0)), done, failed)
        builder.position_at_end(failed)
        self.store_cell(0, ir.Constant(I32, index))
        self.store_cell(1, entered)
        builder.store(self.call_helper(Field.HELPER, self.m.helper_type, [ir.Constant(I32, Helper.IMPORT_FAILED), cells]), status)
        builder.branch(done)
        builder.position_at_end(through_runtime)
        builder.store(self.call_helper(Field.HOST_CALL, self.m.host_call_type, [ir.Constant(I32, index), cells]), status)
        builder.branch(done)
        builder.position_at_end(done)
        return builder.load(status, typ=I32)

    def callee(self, index: int) -> "Function | _Callee":
        """Defined function `index` as a call's target: its LLVM function when the piece being
        lowered holds it, else its address in the module's function slots (see
        `_ModuleLowering.piece`), which the runtime fills, loading the function's piece, when
        the call finds it empty."""
        run = self.m.run
        if run is None or index in run:
            return self.m.function(index)
        builder = self.builder
        slots = self.load_field(Field.FUNCTIONS, PTR)
        slot = builder.gep(slots, [ir.Constant(I64, 8 * (index - self.valid.imported_func_count))], source_etype=I8)
        empty = builder.icmp_unsigned("==", builder.ptrtoint(builder.load(slot, typ=PTR), I64), ir.Constant(I64, 0))
        load = self.fn.append_basic_block("load_function")
        ready = self.fn.append_basic_block()
        builder.cbranch(empty, load, ready)
        builder.position_at_end(load)
        self.helper(Helper.LOAD_FUNCTION, [ir.Constant(I32, index)])
        builder.branch(ready)
        builder.position_at_end(ready)
        return _Callee(builder.load(slot, typ=PTR), function_type(self.valid.func_types[index]))

    def c_call_indirect(self, imm: tuple[int, int], tail: bool = False) -> None:
        type_index, table = imm
        callee_type = self.valid.module.func_type(type_index)
        element = self.stack.pop()
        args = self.pop_operands(len(callee_type.params))
        # The runtime takes a 32-bit element index: a 64-bit one past 2^32 - 1 is out of any
        # table's range (see `runtime.table`) as 2^32 - 1 is.
        runtime_element = element if element.type == I32 else self.builder.trunc(
            self.intrinsic("llvm.umin.i64", I64, [element, ir.Constant(I64, 0xFFFFFFFF)]), I32)

        def direct_target(fast: Block, slow: Block) -> Operand:
            # The direct path: the table's mirror (see `module`) holds a function of this
            # instance, with the expected type, at this element.
            builder = self.builder
            descriptor = builder.gep(self.load_field(Field.TABLES, PTR), [ir.Constant(I64, 16 * table)], source_etype=I8)
            mirror = builder.load(descriptor, typ=PTR)
            size = builder.load(builder.gep(descriptor, [ir.Constant(I64, 8)], source_etype=I8), typ=I64)
            index = self.widen(element)
            in_range = builder.icmp_unsigned("<", index, size)
            safe_index = builder.select(in_range, index, ir.Constant(I64, 0))
            entry = builder.gep(mirror, [builder.mul(safe_index, ir.Constant(I64, 16))], source_etype=I8)
            checkable = self.fn.append_basic_block()
            builder.cbranch(in_range, checkable, slow)
            builder.position_at_end(checkable)
            target = builder.load(entry, typ=PTR)
            found_type = builder.load(builder.gep(entry, [ir.Constant(I64, 8)], source_etype=I8), typ=I64)
            type_ids = self.load_field(Field.TYPE_IDS, PTR)
            expected = builder.load(builder.gep(type_ids, [ir.Constant(I64, 8 * type_index)], source_etype=I8), typ=I64)
            direct = builder.and_(
                builder.icmp_unsigned("!=", builder.ptrtoint(target, I64), ir.Constant(I64, 0)),
                builder.icmp_unsigned("==", found_type, expected),
            )
            builder.cbranch(direct, fast, slow)
            return target

        name = "return_call_indirect" if tail else "call_indirect"
        self.indirect_call(name, callee_type, args, direct_target, lambda cells: self.call_helper(
            Field.CALL_INDIRECT, self.m.call_indirect_type,
            [ir.Constant(I32, table), runtime_element, ir.Constant(I32, type_index), cells]), tail)

    def c_return_call_indirect(self, imm: tuple[int, int]) -> None:
        self.c_call_indirect(imm, tail=True)

    def c_return_call(self, index: int) -> None:
        callee_type = self.valid.func_types[index]
        if index < self.valid.imported_func_count:  # the host's: a call, then return
            self.in_tail = True
            self.c_call(index)
            self.in_tail = False
            self.c_return()
            return
        args = self.pop_operands(len(callee_type.params))
        self.tail_call(self.callee(index), callee_type, args)

    def tail_call(self, callee: "Function | _Callee", callee_type: FuncType, args: list[Operand]) -> None:
        """Return what `callee` returns, calling it in place of this function: its frame
        replaces this one, so that tail recursion runs in constant stack. The module's
        functions all have LLVM's `tailcc` convention, under which `musttail` calls between
        functions of different types are allowed, when the arguments and results of both the
        callee and this function all pass in registers (see `_in_registers`). Otherwise the
        call is only marked `tail`: LLVM makes it one where it still can after optimising,
        else it is an ordinary call, whose depth the stack check bounds. (`musttail` there
        aborts the process on results returned through memory, passes wrong arguments when
        the callee takes more of them on the stack than the caller, and, when the caller
        takes some on the stack and the callee fewer, jumps to the callee without moving the
        return address, so that the callee pops less than the caller's caller pushed and
        that one returns through a wrong address: seen with LLVM 22.)"""
        if self.entry_depth is not None:
            self.builder.store(self.entry_depth, self.meter_cell(Meter.DEPTH))
        self.leave_profiled()  # the callee's frame takes this one's place
        marker = "musttail" if _in_registers(callee_type) and _in_registers(self.func_type) else "tail"
        result = self.builder.call(callee, [self.ctx, *pass_arguments(self.builder, args)], tail=marker, convention=self.m.convention)
        if callee_type.results:
            self.builder.ret(result)
        else:
            self.builder.ret_void()
        self.become_dead()

    def c_call_ref(self, type_index: int, tail: bool = False) -> None:
        callee_type = self.valid.module.func_type(type_index)
        reference = self.stack.pop()
        args = self.pop_operands(len(callee_type.params))
        self.trap_if(self.builder.icmp_unsigned("==", reference, ir.Constant(I64, 0)), TrapKind.NULL_FUNCTION_REFERENCE)

        def direct_target(fast: Block, slow: Block) -> Operand:
            # The direct path: the handles' mirror (see `handles.Mirror`) holds the address of
            # a function of this instance for this handle. Validation has checked its type: a
            # subtype of the expected one, which native code calls the same way.
            target = known(self, FUNCTION, reference, PTR)
            self.builder.cbranch(self.builder.icmp_unsigned("!=", self.builder.ptrtoint(target, I64), ir.Constant(I64, 0)), fast, slow)
            return target

        self.indirect_call("return_call_ref" if tail else "call_ref", callee_type, args, direct_target, lambda cells: self.call_helper(
            Field.CALL_REF, self.m.call_ref_type, [reference, cells]), tail)

    def c_return_call_ref(self, type_index: int) -> None:
        self.c_call_ref(type_index, tail=True)

    def indirect_call(
        self, name: str, callee_type: FuncType, args: list[Operand],
        direct_target: Callable[[Block, Block], Operand], runtime_call: Callable[[Operand], Operand],
        tail: bool = False,
    ) -> None:
        """A call of a function found at run time (call_indirect, call_ref): straight to its
        code when `direct_target` finds it (it ends by branching to the direct block or the
        runtime one, and gives the target), else through the runtime with `runtime_call`.
        A `tail` call returns its results: the direct one in place of this function (see
        `tail_call`), the one through the runtime (a function of the host or of another
        instance) after it."""
        builder = self.builder
        slots = [] if tail else [self.alloca(ir_type(vt), "ci") for vt in callee_type.results]
        fast = self.fn.append_basic_block(f"{name}_direct")
        slow = self.fn.append_basic_block(f"{name}_runtime")
        done = None if tail else self.fn.append_basic_block(f"{name}_done")
        target = direct_target(fast, slow)
        builder.position_at_end(fast)
        if done is None:
            self.tail_call(_Callee(target, function_type(callee_type)), callee_type, args)
            builder.position_at_end(slow)
            self.in_tail = True
            self.stack.extend(self.through_cells(callee_type, args, runtime_call))
            self.in_tail = False
            self.dead = False
            self.c_return()
            return
        result = builder.call(
            _Callee(target, function_type(callee_type)), [self.ctx, *pass_arguments(builder, args)],
            tail="notail", convention=self.m.convention)
        self.reload_memory_size()
        self.check_trap()
        for slot, value in zip(slots, split_results(builder, result, len(callee_type.results))):
            builder.store(value, slot)
        builder.branch(done)
        builder.position_at_end(slow)
        results = self.through_cells(callee_type, args, runtime_call)
        for slot, value in zip(slots, results):
            builder.store(value, slot)
        builder.branch(done)
        builder.position_at_end(done)
        self.stack.extend(self.load_slot(slot) for slot in slots)

    # -- exceptions (see `exceptions`) --

    def unwind_target(self, within: int | None = None) -> Block:
        """Where an exception or trap unwinding here goes: the dispatch of the innermost frame
        that catches (among the outermost `within` frames), else out of the function."""
        if self.active_handlers and not self.in_tail:
            for frame in reversed(self.frames[:within]):
                if frame.handler is not None:
                    return frame.handler
        return self.trap_block

    def leave_handler(self, frame: _Frame) -> None:
        """The frame's code catches no more (a try_table's end, a legacy try's first catch)."""
        if frame.handler is not None:
            frame.handler = None
            self.active_handlers -= 1

    def tag_identity(self, tag: int) -> Operand:
        tags = self.load_field(Field.TAGS, PTR)
        return self.builder.load(self.builder.gep(tags, [ir.Constant(I64, 8 * tag)], source_etype=I8), typ=I64)

    def exception_helper(self, op: ExceptionOp, operand: Operand) -> Operand:
        return self.call_helper(Field.EXCEPTION_HELPER, self.m.exception_helper_type, [ir.Constant(I32, op), operand])

    def unwind(self) -> None:
        """An exception is in flight: go to the handler, or return."""
        self.builder.branch(self.unwind_target())
        self.become_dead()

    def c_throw(self, tag: int) -> None:
        """The tag's identity and the payload into the exception cells, and unwind."""
        values = self.pop_operands(len(self.valid.tag_types[tag].params))
        cells = self.load_field(Field.EXCEPTION, PTR)
        self.builder.store(self.tag_identity(tag), cells)
        for i, value in enumerate(values):
            store_cell(self.builder, cells, 1 + i, value)
        self.builder.store(ir.Constant(I64, TRAP_THROWN), self.field_ptr(Field.TRAP))
        self.unwind()

    def c_throw_ref(self, imm: object = None) -> None:
        self.exception_helper(ExceptionOp.THROW_REF, self.stack.pop())
        self.unwind()

    def c_rethrow(self, label: int) -> None:
        caught = cast(Slot, self.frames[-1 - label].caught)  # made: `rethrown` names the try
        self.exception_helper(ExceptionOp.THROW_REF, self.load_slot(caught))
        self.unwind()

    def dispatch(self, handler: Block, tags: list[int | None], targets: list[Block], outer: Block) -> None:
        """Write `handler`: a trap goes on unwinding; an exception goes to the target of the
        first clause whose tag (None: any) is its tag, else to `outer`."""
        builder = self.builder
        here = builder.block
        builder.position_at_end(handler)
        status = self.load_field(Field.TRAP)
        thrown = builder.icmp_unsigned("<", builder.sub(status, ir.Constant(I64, TRAP_THROWN)), ir.Constant(I64, 2))
        matching = self.fn.append_basic_block("thrown")
        builder.cbranch(thrown, matching, self.trap_block)
        builder.position_at_end(matching)
        identity: Operand | None = None
        for tag, target in zip(tags, targets):
            if tag is None:
                builder.branch(target)
                break
            if identity is None:
                identity = builder.load(self.load_field(Field.EXCEPTION, PTR), typ=I64)
            other = self.fn.append_basic_block()
            builder.cbranch(builder.icmp_unsigned("==", identity, self.tag_identity(tag)), target, other)
            builder.position_at_end(other)
        else:
            builder.branch(outer)
        builder.position_at_end(here)

    def take_exception(self, tag: int | None, ref: bool) -> list[Operand]:
        """At the start of a clause that caught an exception: its payload (and, with `ref`, its
        exnref); the exception stops unwinding."""
        builder = self.builder
        values: list[Operand] = []
        if tag is not None:
            cells = self.load_field(Field.EXCEPTION, PTR)
            params = self.valid.tag_types[tag].params
            values = [load_cell(builder, cells, 1 + i, ir_type(vt)) for i, vt in enumerate(params)]
        if ref:
            values.append(self.exception_helper(ExceptionOp.EXNREF, ir.Constant(I64, 0)))
        builder.store(ir.Constant(I64, 0), self.field_ptr(Field.TRAP))
        if self.entry_depth is not None:  # the frames unwound did not count themselves out
            builder.store(builder.add(self.entry_depth, ir.Constant(I64, 1)), self.meter_cell(Meter.DEPTH))
        return values

    def c_try_table(self, imm: tuple[int, tuple[tuple[int, int | None, int], ...]]) -> None:
        """A block whose code's exceptions go to its handler: each clause a branch, with the
        payload (and exnref), to a label counted from outside the try_table."""
        blocktype, clauses = imm
        handler = self.fn.append_basic_block("try_table_handler")
        targets = []
        here = self.builder.block
        for kind, tag, label in clauses:
            block = self.fn.append_basic_block("catch")
            targets.append(block)
            self.builder.position_at_end(block)
            values = self.take_exception(tag, kind == CATCH_REF or kind == CATCH_ALL_REF)
            frame = self.frames[-1 - label]
            self.store_branch(frame, values)
            if frame.kind != "loop":
                frame.reached = True
            self.builder.branch(frame.target)
        self.builder.position_at_end(here)
        self.dispatch(handler, [tag for _, tag, _ in clauses], targets, self.unwind_target())
        self.open("try_table", blocktype).handler = handler
        self.active_handlers += 1

    def c_try(self, blocktype: int) -> None:
        """A legacy try: a block whose body's exceptions go to its handler, written at its end
        once its catch sections are known."""
        if self.rethrown is None:
            self.rethrown = _rethrow_targets(self.instrs)
        offset = self.offset
        frame = self.open("try", blocktype)
        frame.handler = frame.legacy_handler = self.fn.append_basic_block("try_handler")
        self.active_handlers += 1
        if offset in self.rethrown:
            frame.caught = self.alloca(I64, "caught")

    def c_catch(self, tag: int | None) -> None:
        """Start a catch (tag None: catch_all) section of a legacy try, from the payload."""
        frame = self.frames[-1]
        if not self.dead:
            self.fall_through(frame)
        self.dead = False
        self.leave_handler(frame)
        block = self.fn.append_basic_block("catch")
        frame.catches.append((tag, block))
        self.builder.position_at_end(block)
        del self.stack[frame.height :]
        values = self.take_exception(tag, frame.caught is not None)
        if frame.caught is not None:
            self.builder.store(values.pop(), frame.caught)
        self.stack.extend(values)

    def finish_try(self, frame: _Frame) -> None:
        """At a legacy try's end: its handler, to its catch sections or on outwards."""
        self.leave_handler(frame)
        tags = [tag for tag, _ in frame.catches]
        blocks = [block for _, block in frame.catches]
        self.dispatch(cast(Block, frame.legacy_handler), tags, blocks, self.unwind_target())
        frame.legacy_handler = None

    def c_delegate(self, label: int) -> None:
        """End a legacy try whose body's exceptions go to the handler of the frame `label`
        levels outside it (or further out), or to the caller."""
        frame = self.frames[-1]
        self.leave_handler(frame)
        target = self.unwind_target(within=len(self.frames) - 1 - label)
        here = self.builder.block
        self.builder.position_at_end(cast(Block, frame.legacy_handler))
        self.builder.branch(target)
        self.builder.position_at_end(here)
        frame.legacy_handler = None
        self.end()

    # -- typed references --

    def c_ref_as_non_null(self, imm: object = None) -> None:
        self.trap_if(self.builder.icmp_unsigned("==", self.stack[-1], ir.Constant(I64, 0)), TrapKind.NULL_REFERENCE)

    def c_br_on_null(self, depth: int) -> None:
        """Branch (without the reference) when it is null; else go on with it."""
        reference = self.stack.pop()
        self.branch_when(lambda: self.builder.icmp_unsigned("==", reference, ir.Constant(I64, 0)), depth, "br_on_null")
        self.stack.append(reference)

    def c_br_on_non_null(self, depth: int) -> None:
        """Branch (with the reference) when it is not null; else go on without it."""
        self.branch_when(lambda: self.builder.icmp_unsigned("!=", self.stack[-1], ir.Constant(I64, 0)), depth, "br_on_non_null")
        self.stack.pop()

    def through_cells(
        self, callee_type: FuncType, args: list[Operand], call: Callable[[Operand], Operand]
    ) -> list[Operand]:
        """Call a runtime helper with `args` in the cells; the results come back there."""
        self.need_cells(max(len(callee_type.params), len(callee_type.results), 1))
        for i, arg in enumerate(args):
            self.store_cell(i, arg)
        status = call(self.cells_ptr())
        self.after_helper(status)
        return [self.load_cell(i, ir_type(vt)) for i, vt in enumerate(callee_type.results)]

    def top(self, count: int) -> list[Operand]:
        """The top `count` operands, in the order they were pushed (left on the stack)."""
        return self.stack[len(self.stack) - count :] if count else []

    def pop_operands(self, count: int) -> list[Operand]:
        """The top `count` operands, taken off the stack, in the order they were pushed."""
        operands = self.top(count)
        del self.stack[len(self.stack) - count :]
        return operands

    def push_results(self, result: Operand, callee_type: FuncType) -> None:
        self.stack.extend(split_results(self.builder, result, len(callee_type.results)))

    # -- memory --

    def address(self, offset: int, width: int, memory: int = 0, check: Callable[[Operand], None] | None = None) -> Operand:
        """The native address of a `width`-byte access at (popped address + offset) in
        `memory`, checked (see `effective_address`)."""
        effective = self.effective_address(offset, width, memory, check)
        return self.builder.gep(self.memory_base(memory), [effective], source_etype=I8)

    def effective_address(self, offset: int, width: int, memory: int = 0, check: Callable[[Operand], None] | None = None) -> Operand:
        """The i64 offset in `memory` of a `width`-byte access at (popped address + offset),
        checked against the memory's size after `check` (an atomic access's alignment) has
        seen it. A 32-bit address plus the offset and width cannot wrap in 64 bits; a 64-bit
        one is added with saturation, so that an access past 2^64 traps too."""
        if self.is_wide(memory):
            base = self.stack.pop()
            end = self.intrinsic("llvm.uadd.sat.i64", I64, [base, ir.Constant(I64, min(offset + width, MASK64))])
        else:
            base = self.builder.zext(self.stack.pop(), I64)
            end = self.builder.add(base, ir.Constant(I64, offset + width))
        effective = self.builder.add(base, ir.Constant(I64, offset)) if offset else base
        if check is not None:
            check(effective)
        if check is None and self.unchecked(memory):
            return effective  # out of bounds is in the memory's guard region (see `faults`)
        self.trap_if(self.builder.icmp_unsigned(">", end, self.current_memory_size(memory)), TrapKind.OUT_OF_BOUNDS_MEMORY)
        return effective

    def unchecked(self, memory: int) -> bool:
        """Whether a plain access to `memory` leaves its bounds to the guard region."""
        return self.m.guarded and not self.is_wide(memory)

    def load_memory(self, pointer: Operand, typ: ir.Type, memory: int) -> Operand:
        """A plain load from `memory` at `pointer` (an `address`). One whose bounds are left
        to the guard region is kept where wasm has it (`Builder.keep`): LLVM would remove it
        when its value goes unused (left on the stack at a branch or a trap, stored in a
        local never read, dropped), or sink it into the branch that uses it, and with it the
        trap that wasm requires of an access out of bounds."""
        loaded = self.builder.load(pointer, typ=typ, align=1)
        if self.unchecked(memory):
            self.builder.keep(loaded)
        return loaded

    def memory_base(self, memory: int) -> Operand:
        """The memory's base address (see `_Memory0` and `memory_word`)."""
        if memory:
            return self.memory_word(memory, 0, PTR)
        memory0 = cast(_Memory0, self.memory0)
        return memory0.base if memory0.base is not None else self.builder.load(cast(Slot, memory0.base_slot), typ=PTR)

    def current_memory_size(self, memory: int = 0) -> Operand:
        """The memory's size in bytes (see `reload_memory_size` and `memory_word`). Validation
        lets memory instructions reach here only for a memory the module has."""
        if memory:
            return self.memory_word(memory, 1, I64)
        if self.valid.memory_types[0].shared:  # another thread may grow it at any moment
            return self.builder.load_atomic(self.field_ptr(Field.MEM_SIZE), I64, "monotonic", 8)
        return self.builder.load(cast(_Memory0, self.memory0).size, typ=I64)

    def memory_access(self, op: Op, memarg: tuple[int, int, int]) -> None:
        """A scalar load or store, as the instruction table describes it."""
        _, offset, memory = memarg
        value_type = ir_type(cast(ValType, op.valtype))
        access_type = ir.IntType(8 * op.width) if op.narrow else value_type
        if op.results:
            pointer = self.address(offset, op.width, memory)
            loaded = self.load_memory(pointer, access_type, memory)
            if op.narrow:
                loaded = (self.builder.sext if op.signed else self.builder.zext)(loaded, value_type)
            self.stack.append(loaded)
        else:
            value = self.stack.pop()
            pointer = self.address(offset, op.width, memory)
            if op.narrow:
                value = self.builder.trunc(value, access_type)
            self.builder.store(value, pointer, align=1)

    # -- threads: atomic accesses (seq_cst, as the proposal's), wait and notify --

    def aligned(self, width: int) -> Callable[[Operand], None]:
        """The check an atomic access makes of its effective address before its bounds."""

        def check(effective: Operand) -> None:
            if width > 1:
                misaligned = self.builder.and_(effective, ir.Constant(I64, width - 1))
                self.trap_if(self.builder.icmp_unsigned("!=", misaligned, ir.Constant(I64, 0)), TrapKind.UNALIGNED_ATOMIC)

        return check

    def atomic_access(self, op: Op, memarg: tuple[int, int, int], kind: str) -> None:
        """An atomic load, store, read-modify-write (`kind`: add, sub, and, or, xor, xchg) or
        compare-exchange, as one LLVM atomic instruction of the access width; a narrow one
        truncates its operands and zero-extends its result."""
        _, offset, memory = memarg
        value_type = ir_type(cast(ValType, op.valtype))
        access_type = ir.IntType(8 * op.width)
        operands = self.pop_operands(len(op.params or ()) - 1)
        pointer = self.address(offset, op.width, memory, self.aligned(op.width))
        builder = self.builder
        narrowed = [builder.trunc(v, access_type) if op.narrow else v for v in operands]
        if kind.startswith("store"):
            builder.store_atomic(narrowed[0], pointer, "seq_cst", op.width)
            return
        if kind.startswith("load"):
            result = builder.load_atomic(pointer, access_type, "seq_cst", op.width)
        elif kind == "cmpxchg":
            result = builder.extract_value(builder.cmpxchg(pointer, narrowed[0], narrowed[1], "seq_cst"), 0)
        else:
            result = builder.atomicrmw(kind, pointer, narrowed[0], "seq_cst")
        self.stack.append(builder.zext(result, value_type) if op.narrow else result)

    def atomic_wait(self, op: Op, memarg: tuple[int, int, int]) -> None:
        """memory.atomic.wait32/64: checked here (alignment, a shared memory, bounds, in the
        reference interpreter's order), then the runtime's wait, where Python-engine and native
        threads wait alike and the store's interrupt reaches."""
        _, offset, memory = memarg
        expected, timeout = self.pop_operands(2)
        aligned = self.aligned(op.width)
        shared = self.valid.memory_types[memory].shared

        def check(effective: Operand) -> None:
            aligned(effective)
            if not shared:
                self.trap_if(ir.Constant(I1, 1), TrapKind.UNSHARED_WAIT)

        effective = self.effective_address(offset, op.width, memory, check)
        which = Helper.MEMORY_WAIT32 if op.width == 4 else Helper.MEMORY_WAIT64
        (result,) = self.helper(which, [ir.Constant(I32, memory), effective, expected, timeout], results=1)
        self.stack.append(self.builder.trunc(result, I32))

    def atomic_notify(self, memarg: tuple[int, int, int]) -> None:
        """memory.atomic.notify: checked here; on an unshared memory no one waits (0)."""
        _, offset, memory = memarg
        (count,) = self.pop_operands(1)
        effective = self.effective_address(offset, 4, memory, self.aligned(4))
        if not self.valid.memory_types[memory].shared:
            self.stack.append(ir.Constant(I32, 0))
            return
        (woken,) = self.helper(Helper.MEMORY_NOTIFY, [ir.Constant(I32, memory), effective, count], results=1)
        self.stack.append(self.builder.trunc(woken, I32))

    def c_atomic_fence(self, imm: object = None) -> None:
        self.builder.fence("seq_cst")

    def c_memory_size(self, memory: int) -> None:
        pages = self.builder.lshr(self.current_memory_size(memory), ir.Constant(I64, 16))
        self.stack.append(pages if self.is_wide(memory) else self.builder.trunc(pages, I32))

    def c_memory_grow(self, memory: int) -> None:
        delta = self.stack.pop()
        if memory == 0 and not self.is_wide(0):  # the common case, through a helper of its own
            self.stack.append(self.call_helper(Field.MEMORY_GROW, self.m.memory_grow_type, [delta]))
            return
        (old,) = self.helper(Helper.MEMORY_GROW, [ir.Constant(I32, memory), delta], results=1)
        self.stack.append(old if self.is_wide(memory) else self.builder.trunc(old, I32))

    def range_check(self, start: Operand, length: Operand, memory: int = 0) -> Operand:
        """(start + length <= memory size) or trap; returns the native address of start. With
        a 64-bit operand (a length may be 32-bit where the start is not, in a copy between
        memories) the sum is taken with saturation, so that one past 2^64 traps too."""
        start64 = self.widen(start)
        length64 = self.widen(length)
        if start.type == I64 or length.type == I64:
            end = self.intrinsic("llvm.uadd.sat.i64", I64, [start64, length64])
        else:
            end = self.builder.add(start64, length64)
        self.trap_if(self.builder.icmp_unsigned(">", end, self.current_memory_size(memory)), TrapKind.OUT_OF_BOUNDS_MEMORY)
        return self.builder.gep(self.memory_base(memory), [start64], source_etype=I8)

    def widen(self, value: Operand) -> Operand:
        """An address or length of a 32-bit memory or table zero-extended to 64 bits; a 64-bit
        one as it is."""
        return value if value.type == I64 else self.builder.zext(value, I64)

    def c_memory_fill(self, memory: int) -> None:
        dst_index, value, length = self.pop_operands(3)
        dst = self.range_check(dst_index, length, memory)
        self.intrinsic("llvm.memset.p0.i64", VOID, [dst, self.builder.trunc(value, I8), self.widen(length), ir.Constant(I1, 0)])

    def c_memory_copy(self, imm: tuple[int, int]) -> None:
        dst_memory, src_memory = imm
        dst_index, src_index, length = self.pop_operands(3)
        src = self.range_check(src_index, length, src_memory)
        dst = self.range_check(dst_index, length, dst_memory)
        self.intrinsic("llvm.memmove.p0.p0.i64", VOID, [dst, src, self.widen(length), ir.Constant(I1, 0)])

    def helper(self, which: Helper, args: list[Operand], results: int = 0) -> list[Operand]:
        """Call a runtime helper with `args`; its results come back as i64 cells."""
        self.need_cells(max(len(args), results, 1))
        for i, arg in enumerate(args):
            self.store_cell(i, arg)
        status = self.call_helper(Field.HELPER, self.m.helper_type, [ir.Constant(I32, which), self.cells_ptr()])
        self.after_helper(status)
        return [self.load_cell(i, I64) for i in range(results)]

    def c_memory_init(self, imm: tuple[int, int]) -> None:
        segment, memory = imm
        dst, src, length = self.pop_operands(3)
        self.helper(Helper.MEMORY_INIT, [ir.Constant(I32, segment), dst, src, length, ir.Constant(I32, memory)])

    def c_data_drop(self, segment: int) -> None:
        self.helper(Helper.DATA_DROP, [ir.Constant(I32, segment)])

    def c_table_init(self, imm: tuple[int, int]) -> None:
        segment, table = imm
        dst, src, length = self.pop_operands(3)
        self.helper(Helper.TABLE_INIT, [ir.Constant(I32, table), ir.Constant(I32, segment), dst, src, length])

    def c_elem_drop(self, segment: int) -> None:
        self.helper(Helper.ELEM_DROP, [ir.Constant(I32, segment)])

    def c_table_copy(self, imm: tuple[int, int]) -> None:
        dst_table, src_table = imm
        dst, src, length = self.pop_operands(3)
        self.helper(Helper.TABLE_COPY, [ir.Constant(I32, dst_table), ir.Constant(I32, src_table), dst, src, length])

    def c_table_size(self, table: int) -> None:
        (size,) = self.helper(Helper.TABLE_SIZE, [ir.Constant(I32, table)], results=1)
        self.stack.append(self.table_index(table, size))

    def table_index(self, table: int, value: Operand) -> Operand:
        """An i64 a helper gives back as a size or index of `table`: an i32 for a 32-bit table."""
        return value if self.valid.table_types[table].is_64 else self.builder.trunc(value, I32)

    def c_table_get(self, table: int) -> None:
        index = self.stack.pop()
        self.stack.extend(self.helper(Helper.TABLE_GET, [ir.Constant(I32, table), index], results=1))

    def c_table_set(self, table: int) -> None:
        index, value = self.pop_operands(2)
        self.helper(Helper.TABLE_SET, [ir.Constant(I32, table), index, value])

    def c_table_grow(self, table: int) -> None:
        value, delta = self.pop_operands(2)
        (old,) = self.helper(Helper.TABLE_GROW, [ir.Constant(I32, table), value, delta], results=1)
        self.stack.append(self.table_index(table, old))

    def c_table_fill(self, table: int) -> None:
        index, value, length = self.pop_operands(3)
        self.helper(Helper.TABLE_FILL, [ir.Constant(I32, table), index, value, length])

    def c_ref_null(self, imm: object) -> None:
        self.stack.append(ir.Constant(I64, 0))

    def c_ref_is_null(self, imm: object = None) -> None:
        reference = self.stack.pop()
        self.stack.append(self.bool32(self.builder.icmp_unsigned("==", reference, ir.Constant(I64, 0))))

    def c_ref_func(self, index: int) -> None:
        self.stack.extend(self.helper(Helper.REF_FUNC, [ir.Constant(I32, index)], results=1))

    def gc_call(self, op: Op, first: int, second: int, args: list[Operand], result: ir.Type | None) -> Operand | None:
        """Have the runtime carry out GC instruction `op` (see `gc_lower`) on `args`; its
        result, of type `result`, if it has one."""
        self.need_cells(max(len(args), 2))  # struct.new_default gives back two (see `gc`)
        for i, arg in enumerate(args):
            self.store_cell(i, arg)
        status = self.call_helper(Field.GC, self.m.gc_type, [
            ir.Constant(I32, op.index), ir.Constant(I32, first), ir.Constant(I32, second), self.cells_ptr()])
        self.after_helper(status)
        return None if result is None else self.load_cell(0, result)

    # -- numeric helpers --

    def divide(self, a: Operand, b: Operand, op: str) -> Operand:
        zero = ir.Constant(a.type, 0)
        self.trap_if(self.builder.icmp_unsigned("==", b, zero), TrapKind.INTEGER_DIVIDE_BY_ZERO)
        bits = a.type.width
        minimum = ir.Constant(a.type, 1 << (bits - 1))
        minus_one = ir.Constant(a.type, (1 << bits) - 1)
        if op == "div_s":
            overflow = self.builder.and_(
                self.builder.icmp_unsigned("==", a, minimum), self.builder.icmp_unsigned("==", b, minus_one)
            )
            self.trap_if(overflow, TrapKind.INTEGER_OVERFLOW)
            return self.builder.sdiv(a, b)
        if op == "rem_s":
            safe = self.builder.select(self.builder.icmp_unsigned("==", b, minus_one), ir.Constant(a.type, 1), b)
            return self.builder.srem(a, safe)
        if op == "div_u":
            return self.builder.udiv(a, b)
        return self.builder.urem(a, b)

    def shift(self, a: Operand, b: Operand, op: str) -> Operand:
        count = self.builder.and_(b, ir.Constant(a.type, a.type.width - 1))
        if op == "shl":
            return self.builder.shl(a, count)
        if op == "shr_s":
            return self.builder.ashr(a, count)
        if op == "shr_u":
            return self.builder.lshr(a, count)
        name = "llvm.fshl" if op == "rotl" else "llvm.fshr"
        return self.intrinsic(f"{name}.i{a.type.width}", a.type, [a, a, b])

    def truncate(self, x: Operand, target: ir.Type, signed: bool) -> Operand:
        """Trapping float-to-int: NaN is an invalid conversion, out of range an overflow."""
        self.trap_if(self.builder.fcmp_unordered("uno", x, x), TrapKind.INVALID_CONVERSION)
        wide = x if x.type == F64 else self.builder.fpext(x, F64)
        whole = self.intrinsic("llvm.trunc.f64", F64, [wide])
        bits = target.width
        low, high = (-(2.0 ** (bits - 1)), 2.0 ** (bits - 1)) if signed else (0.0, 2.0**bits)
        in_range = self.builder.and_(
            self.builder.fcmp_ordered(">=", whole, ir.Constant(F64, low)),
            self.builder.fcmp_ordered("<", whole, ir.Constant(F64, high)),
        )
        self.trap_if(self.builder.not_(in_range), TrapKind.INTEGER_OVERFLOW)
        return (self.builder.fptosi if signed else self.builder.fptoui)(x, target)

    def saturate(self, x: Operand, target: ir.Type, signed: bool) -> Operand:
        name = "llvm.fptosi.sat" if signed else "llvm.fptoui.sat"
        source = "f32" if x.type == F32 else "f64"
        return self.intrinsic(f"{name}.i{target.width}.{source}", target, [x])

    def float_unary(self, name: str, x: Operand) -> Operand:
        suffix = "f32" if x.type == F32 else "f64"
        return self.intrinsic(f"llvm.{name}.{suffix}", x.type, [x])

    def float_binary(self, name: str, a: Operand, b: Operand) -> Operand:
        suffix = "f32" if a.type == F32 else "f64"
        return self.intrinsic(f"llvm.{name}.{suffix}", a.type, [a, b])

    def min_max(self, name: str, a: Operand, b: Operand) -> Operand:
        return nan_through_sum(self.builder, a, b, self.float_binary(name, a, b))

    def arithmetic(self, op: str, a: Operand, b: Operand) -> Operand:
        """An IEEE operation. With a constant operand LLVM folds identities such as x - 0.0
        to x, which would let a signalling NaN through unquieted: the result is then
        canonicalised (a no-op for anything but a NaN). On x86-64 addition and multiplication
        are instructions LLVM does not see into (nan.first_nan_wins): nothing is folded."""
        if op in ("fadd", "fmul") and X86_64:
            return first_nan_wins(self.builder, op, a, b)
        result = getattr(self.builder, op)(a, b)
        if isinstance(a, ir.Constant) or isinstance(b, ir.Constant):
            return self.float_unary("canonicalize", result)
        return result

    def bool32(self, flag: Operand) -> Operand:
        return self.builder.zext(flag, I32)


def _rethrow_targets(instrs: list[Instr]) -> frozenset[int]:
    """The offsets of the legacy trys that a `rethrow` names: those keep the exception they
    catch (as an exnref)."""
    opened = [-1]  # the function's own label
    targets = set()
    for instr in instrs:
        name = instr.op.name
        if name in ("block", "loop", "if", "try_table", "try"):
            opened.append(instr.offset)
        elif name == "end" or name == "delegate":
            opened.pop()
        elif name == "rethrow":
            targets.add(opened[-1 - cast(int, instr.imm)])
    return frozenset(targets)


def _in_registers(func_type: FuncType) -> bool:
    """Whether a call of this type passes its arguments (and the context) and returns its
    results in registers on the targets LLVM runs wasm on here: x86-64 has six for integers
    and pointers (a v128, an i128, takes two), eight for floats, and two for results;
    AArch64 more of each."""
    integers = 1  # the context
    floats = 0
    for vt in func_type.params:
        typ = ir_type(vt)
        if typ == F32 or typ == F64:
            floats += 1
        else:
            integers += 2 if typ == I128 else 1
    results = func_type.results
    return integers <= 6 and floats <= 8 and (len(results) <= 1 or (len(results) == 2 and ValType.V128 not in results))


class _Callee:
    """A function pointer to call: `Builder.call` needs the function type of an opaque pointer
    beside it."""

    def __init__(self, pointer: Operand, signature: ir.FunctionType) -> None:
        self.pointer = pointer
        self.function_type = signature
        self.type = PTR

    def get_reference(self) -> str:
        return str(self.pointer.get_reference())


# -- the instruction tables --

_CONTROL: dict[str, Callable[..., None]] = {
    "block": _Lowering.c_block,
    "loop": _Lowering.c_loop,
    "if": _Lowering.c_if,
    "else": _Lowering.else_,
    "end": _Lowering.end,
    "br": _Lowering.c_br,
    "br_if": _Lowering.c_br_if,
    "br_table": _Lowering.c_br_table,
    "return": _Lowering.c_return,
    "unreachable": _Lowering.c_unreachable,
    "nop": _Lowering.c_nop,
    "drop": _Lowering.c_drop,
    "select": _Lowering.c_select,
    "local.get": _Lowering.c_local_get,
    "local.set": _Lowering.c_local_set,
    "local.tee": _Lowering.c_local_tee,
    "global.get": _Lowering.c_global_get,
    "global.set": _Lowering.c_global_set,
    "call": _Lowering.c_call,
    "call_indirect": _Lowering.c_call_indirect,
    "call_ref": _Lowering.c_call_ref,
    "return_call": _Lowering.c_return_call,
    "return_call_indirect": _Lowering.c_return_call_indirect,
    "return_call_ref": _Lowering.c_return_call_ref,
    "ref.as_non_null": _Lowering.c_ref_as_non_null,
    "br_on_null": _Lowering.c_br_on_null,
    "br_on_non_null": _Lowering.c_br_on_non_null,
    "memory.size": _Lowering.c_memory_size,
    "memory.grow": _Lowering.c_memory_grow,
    "memory.fill": _Lowering.c_memory_fill,
    "memory.copy": _Lowering.c_memory_copy,
    "memory.init": _Lowering.c_memory_init,
    "data.drop": _Lowering.c_data_drop,
    "table.init": _Lowering.c_table_init,
    "elem.drop": _Lowering.c_elem_drop,
    "table.copy": _Lowering.c_table_copy,
    "table.size": _Lowering.c_table_size,
    "table.get": _Lowering.c_table_get,
    "table.set": _Lowering.c_table_set,
    "table.grow": _Lowering.c_table_grow,
    "table.fill": _Lowering.c_table_fill,
    "ref.null": _Lowering.c_ref_null,
    "ref.is_null": _Lowering.c_ref_is_null,
    "ref.func": _Lowering.c_ref_func,
    "throw": _Lowering.c_throw,
    "throw_ref": _Lowering.c_throw_ref,
    "try_table": _Lowering.c_try_table,
    "try": _Lowering.c_try,
    "catch": _Lowering.c_catch,
    "catch_all": _Lowering.c_catch,
    "delegate": _Lowering.c_delegate,
    "rethrow": _Lowering.c_rethrow,
    "atomic.fence": _Lowering.c_atomic_fence,
}

def _numeric_table() -> dict[str, Callable[..., Operand]]:
    """How each numeric instruction lowers: a function of the lowering and the instruction's
    operands (as many as the opcode table gives it parameters) to its result."""
    table: dict[str, Callable[..., Operand]] = {}
    icmp = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
    for prefix, typ, vt in (("i32", I32, ValType.I32), ("i64", I64, ValType.I64)):
        bits = typ.width
        table[f"{prefix}.eqz"] = lambda s, a, t=typ: s.bool32(s.builder.icmp_unsigned("==", a, ir.Constant(t, 0)))
        for op, pred in icmp.items():
            if op in ("eq", "ne"):
                table[f"{prefix}.{op}"] = lambda s, a, b, p=pred: s.bool32(s.builder.icmp_unsigned(p, a, b))
            else:
                table[f"{prefix}.{op}_s"] = lambda s, a, b, p=pred: s.bool32(s.builder.icmp_signed(p, a, b))
                table[f"{prefix}.{op}_u"] = lambda s, a, b, p=pred: s.bool32(s.builder.icmp_unsigned(p, a, b))
        table[f"{prefix}.clz"] = lambda s, a, n=bits: s.intrinsic(f"llvm.ctlz.i{n}", a.type, [a, ir.Constant(I1, 0)])
        table[f"{prefix}.ctz"] = lambda s, a, n=bits: s.intrinsic(f"llvm.cttz.i{n}", a.type, [a, ir.Constant(I1, 0)])
        table[f"{prefix}.popcnt"] = lambda s, a, n=bits: s.intrinsic(f"llvm.ctpop.i{n}", a.type, [a])
        table[f"{prefix}.add"] = lambda s, a, b: s.builder.add(a, b)
        table[f"{prefix}.sub"] = lambda s, a, b: s.builder.sub(a, b)
        table[f"{prefix}.mul"] = lambda s, a, b: s.builder.mul(a, b)
        table[f"{prefix}.and"] = lambda s, a, b: s.builder.and_(a, b)
        table[f"{prefix}.or"] = lambda s, a, b: s.builder.or_(a, b)
        table[f"{prefix}.xor"] = lambda s, a, b: s.builder.xor(a, b)
        for op in ("div_s", "div_u", "rem_s", "rem_u"):
            table[f"{prefix}.{op}"] = lambda s, a, b, o=op: s.divide(a, b, o)
        for op in ("shl", "shr_s", "shr_u", "rotl", "rotr"):
            table[f"{prefix}.{op}"] = lambda s, a, b, o=op: s.shift(a, b, o)
    fcmp = {"eq": "==", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}
    for prefix, typ in (("f32", F32), ("f64", F64)):
        for op, pred in fcmp.items():
            table[f"{prefix}.{op}"] = lambda s, a, b, p=pred: s.bool32(s.builder.fcmp_ordered(p, a, b))
        table[f"{prefix}.ne"] = lambda s, a, b: s.bool32(s.builder.fcmp_unordered("!=", a, b))
        for op, intrinsic in (("abs", "fabs"), ("ceil", "ceil"), ("floor", "floor"), ("trunc", "trunc"),
                              ("nearest", "roundeven"), ("sqrt", "sqrt")):  # fmt: skip
            table[f"{prefix}.{op}"] = lambda s, a, i=intrinsic: s.float_unary(i, a)
        table[f"{prefix}.neg"] = lambda s, a: s.builder.fneg(a)
        for op in ("add", "sub", "mul", "div"):
            table[f"{prefix}.{op}"] = lambda s, a, b, o=op: s.arithmetic(f"f{o}", a, b)
        table[f"{prefix}.min"] = lambda s, a, b: s.min_max("minimum", a, b)
        table[f"{prefix}.max"] = lambda s, a, b: s.min_max("maximum", a, b)
        table[f"{prefix}.copysign"] = lambda s, a, b: s.float_binary("copysign", a, b)
    b = lambda s: s.builder  # noqa: E731
    table.update({
        "i32.wrap_i64": lambda s, a: b(s).trunc(a, I32),
        "i64.extend_i32_s": lambda s, a: b(s).sext(a, I64),
        "i64.extend_i32_u": lambda s, a: b(s).zext(a, I64),
        "i32.extend8_s": lambda s, a: b(s).sext(b(s).trunc(a, I8), I32),
        "i32.extend16_s": lambda s, a: b(s).sext(b(s).trunc(a, I16), I32),
        "i64.extend8_s": lambda s, a: b(s).sext(b(s).trunc(a, I8), I64),
        "i64.extend16_s": lambda s, a: b(s).sext(b(s).trunc(a, I16), I64),
        "i64.extend32_s": lambda s, a: b(s).sext(b(s).trunc(a, I32), I64),
        # Canonicalised: LLVM folds demote(promote(x)) to x, which keeps a signalling NaN.
        "f32.demote_f64": lambda s, a: s.float_unary("canonicalize", b(s).fptrunc(a, F32)),
        "f64.promote_f32": lambda s, a: s.float_unary("canonicalize", b(s).fpext(a, F64)),
        "i32.reinterpret_f32": lambda s, a: b(s).bitcast(a, I32),
        "i64.reinterpret_f64": lambda s, a: b(s).bitcast(a, I64),
        "f32.reinterpret_i32": lambda s, a: b(s).bitcast(a, F32),
        "f64.reinterpret_i64": lambda s, a: b(s).bitcast(a, F64),
    })  # fmt: skip
    for target, ttyp in (("i32", I32), ("i64", I64)):
        for source in ("f32", "f64"):
            for sign in ("s", "u"):
                signed = sign == "s"
                table[f"{target}.trunc_{source}_{sign}"] = lambda s, a, t=ttyp, g=signed: s.truncate(a, t, g)
                table[f"{target}.trunc_sat_{source}_{sign}"] = lambda s, a, t=ttyp, g=signed: s.saturate(a, t, g)
    for target, ttyp in (("f32", F32), ("f64", F64)):
        for source in ("i32", "i64"):
            table[f"{target}.convert_{source}_s"] = lambda s, a, t=ttyp: s.builder.sitofp(a, t)
            table[f"{target}.convert_{source}_u"] = lambda s, a, t=ttyp: s.builder.uitofp(a, t)
    return table


_SIMPLE = _numeric_table()


def _constant(kind: str) -> Callable[[_Lowering, object], None]:
    def push(self: _Lowering, value: object) -> None:
        if kind == "i32":
            self.stack.append(ir.Constant(I32, value))
        elif kind == "i64":
            self.stack.append(ir.Constant(I64, value))
        elif kind == "f32":
            self.stack.append(ir.Constant(I32, value).bitcast(F32))
        else:
            self.stack.append(ir.Constant(I64, value).bitcast(F64))

    return push


for _kind in ("i32", "i64", "f32", "f64"):
    _CONTROL[f"{_kind}.const"] = _constant(_kind)


def _numeric(op: Op, emit: Callable[..., Operand]) -> Callable[[_Lowering, object], None]:
    """The handler of a numeric instruction: `emit` over as many operands as `op` has
    parameters."""
    arity = len(op.params or ())

    def handler(self: _Lowering, imm: object) -> None:
        self.stack.append(emit(self, *self.pop_operands(arity)))

    return handler


def _memory(op: Op) -> Callable[[_Lowering, object], None]:
    """The handler of a scalar load or store."""

    def handler(self: _Lowering, imm: object) -> None:
        self.memory_access(op, cast(tuple[int, int, int], imm))

    return handler


def _atomic(op: Op) -> Callable[[_Lowering, object], None]:
    """The handler of an atomic memory instruction (threads), by the kind its name gives."""
    name = op.name
    if name == "memory.atomic.notify":
        return lambda self, imm: self.atomic_notify(cast(tuple[int, int, int], imm))
    if name.startswith("memory.atomic.wait"):
        return lambda self, imm: self.atomic_wait(op, cast(tuple[int, int, int], imm))
    kind = name.split(".")[-1].removesuffix("_u")  # load8, store, add, cmpxchg, ...
    return lambda self, imm: self.atomic_access(op, cast(tuple[int, int, int], imm), kind)


def _handler(op: Op) -> Callable[[_Lowering, object], None] | None:
    """How `op` is lowered, or None where the engine cannot lower it."""
    found = _CONTROL.get(op.name) or SIMD_OPS.get(op.name) or gc_handler(op)
    if found is not None:
        return found
    emit = _SIMPLE.get(op.name)
    if emit is not None:
        return _numeric(op, emit)
    if op.imm is Imm.MEMARG and op.feature is Feature.THREADS:
        return _atomic(op)
    if op.valtype is not None and op.imm is Imm.MEMARG:
        return _memory(op)
    return None


# Per instruction (by Op.index), how it is lowered: found once, here, for every instruction.
_DISPATCH = [_handler(op) for op in ALL]


def handles(op: Op) -> bool:
    """Whether the native engine lowers `op`."""
    return _DISPATCH[op.index] is not None


class _ModuleLowering:
    """The LLVM modules of a wasm module's pieces (see `codegen.pieces`), one at a time, so that
    the IR of a large module never sits in memory whole. A module in one piece calls its
    functions directly; a module in several calls the functions of other pieces through the
    module's function slots, so that each piece is compiled and loaded on its own, when one of
    its functions is first called (see `module`)."""

    def __init__(self, valid: ValidModule, shared_globals: frozenset[int], variant: Variant, locations: DebugLocations | None = None) -> None:
        self.valid = valid
        self.locations = locations
        self.shared_globals = shared_globals
        self.metered = bool(variant & Variant.METERED)
        self.profiled = bool(variant & Variant.PROFILED)
        self.guarded = guard_pages.enabled()  # 32-bit memories fault past their size
        self.host_call_type = ir.FunctionType(I32, [PTR, I32, PTR])
        self.memory_grow_type = ir.FunctionType(I32, [PTR, I32])
        self.call_indirect_type = ir.FunctionType(I32, [PTR, I32, I32, I32, PTR])
        self.call_ref_type = ir.FunctionType(I32, [PTR, I64, PTR])
        # With tail calls, every function has LLVM's `tailcc` convention, under which tail
        # calls between functions of different types are possible (see `tail_call`).
        self.convention = "tailcc" if valid.tail_calls else ""
        self.global_access_type = ir.FunctionType(I32, [PTR, I32, I32, PTR])
        self.helper_type = ir.FunctionType(I32, [PTR, I32, PTR])
        self.entry_type = ir.FunctionType(I32, [PTR, PTR])  # an entry's: (context, cells) -> status
        self.exception_helper_type = ir.FunctionType(I64, [PTR, I32, I64])
        self.gc_type = ir.FunctionType(I32, [PTR, I32, I32, I32, PTR])
        self.run: range | None = None  # the piece's functions; None: the whole module
        self._start_piece()

    def _start_piece(self) -> None:
        self.module = Module(name="wasm")
        self._intrinsics: dict[str, Function] = {}
        self.functions: dict[int, Function] = {}

    def function(self, index: int) -> Function:
        """Defined function `index`, of the piece being lowered. Internal: other pieces and
        Python reach it through its address, in the piece's table of addresses."""
        found = self.functions.get(index)
        if found is None:
            found = Function(self.module, function_type(self.valid.func_types[index]), f"f{index}")
            found.linkage = "internal"
            found.calling_convention = self.convention
            self.functions[index] = found
        return found

    def intrinsic(self, name: str, result: ir.Type, args: list[ir.Type]) -> Function:
        found = self._intrinsics.get(name)
        if found is None:
            found = self._intrinsics[name] = Function(self.module, ir.FunctionType(result, args), name)
        return found

    def piece(self, run: range, whole: bool) -> str:
        """The IR (text) of the piece defining the functions of `run` (`whole`: every defined
        function, called directly), the entries of those entered from Python, and the table
        of their addresses, `addresses_symbol(run)`."""
        self._start_piece()
        self.run = None if whole else run
        entered = entered_from_python(self.valid)
        entries = []
        for index in run:
            _Lowering(self, index).lower()
            if index in entered:
                entries.append(self._entry(index))
        addresses = ", ".join(f"ptr {self.function(index).ref}" for index in run)
        self.module.add(f'@"{addresses_symbol(run)}" = constant [{len(run)} x ptr] [{addresses}]\n')
        text = str(self.module) + "\n".join(entries)
        self._start_piece()
        return text

    def _entry(self, index: int) -> str:
        """`i32 entry<index>(ptr ctx, ptr cells)`: the function, called from Python, as IR
        text (written out directly: through llvmlite's builder, entries took half the time
        of lowering a module of small functions)."""
        self.intrinsic("llvm.stacksave.p0", PTR, [])
        func_type = self.valid.func_types[index]
        lines = [
            f'define i32 @"entry{index}"(ptr %ctx, ptr %cells) {{',
            # The stack limit: the thread's (see `stack`), raised to BUDGET below here if higher.
            '  %sp = call ptr @"llvm.stacksave.p0"()',
            "  %spi = ptrtoint ptr %sp to i64",
            f"  %lp = getelementptr i8, ptr %ctx, i64 {8 * Field.STACK_LIMIT}",
            "  %given = load i64, ptr %lp",
            f"  %budgeted = sub i64 %spi, {BUDGET}",
            "  %higher = icmp ugt i64 %budgeted, %given",
            "  %limit = select i1 %higher, i64 %budgeted, i64 %given",
            "  store i64 %limit, ptr %lp",
            # The outermost entry into this instance on the thread records its stack pointer,
            # where the native stack to scan for references begins (see `roots`).
            f"  %ep = getelementptr i8, ptr %ctx, i64 {8 * Field.ENTRY_SP}",
            "  %outer = load i64, ptr %ep",
            "  %first = icmp eq i64 %outer, 0",
            "  %esp = select i1 %first, i64 %spi, i64 %outer",
            "  store i64 %esp, ptr %ep",
        ]
        args = []
        for i, vt in enumerate(func_type.params):
            lines += [f"  %ap{i} = getelementptr i8, ptr %cells, i64 {CELL_BYTES * i}", f"  %a{i} = load {ir_type(vt)}, ptr %ap{i}"]
            if ir_type(vt) == I128:  # in two halves (see `pass_arguments`)
                lines += [f"  %a{i}h = lshr i128 %a{i}, 64", f"  %a{i}lo = trunc i128 %a{i} to i64", f"  %a{i}hi = trunc i128 %a{i}h to i64"]
                args += [f"i64 %a{i}lo", f"i64 %a{i}hi"]
            else:
                args.append(f"{ir_type(vt)} %a{i}")
        results = func_type.results
        cc = f"{self.convention} " if self.convention else ""
        call = f'call {cc}{return_type(results)} @"f{index}"(ptr %ctx{"".join(", " + a for a in args)})'
        lines.append(f"  %r = {call}" if results else f"  {call}")
        for i, vt in enumerate(results):
            value = "%r" if len(results) == 1 else f"%r{i}"
            if len(results) > 1:
                lines.append(f"  %r{i} = extractvalue {return_type(results)} %r, {i}")
            # As `store_cell` stores it: zero-extended to 64 bits, an f32 as its bits.
            typ = ir_type(vt)
            stored = f"{typ} {value}"
            if typ == F32:
                lines += [f"  %b{i} = bitcast float {value} to i32", f"  %w{i} = zext i32 %b{i} to i64"]
                stored = f"i64 %w{i}"
            elif typ == F64 or typ == I32:
                lines.append(f"  %w{i} = {'bitcast double' if typ == F64 else 'zext i32'} {value} to i64")
                stored = f"i64 %w{i}"
            lines += [f"  %rp{i} = getelementptr i8, ptr %cells, i64 {CELL_BYTES * i}", f"  store {stored}, ptr %rp{i}"]
        lines += [
            f"  %tp = getelementptr i8, ptr %ctx, i64 {8 * Field.TRAP}",
            "  %trap = load i64, ptr %tp",
            "  %status = trunc i64 %trap to i32",
            "  ret i32 %status",
            "}",
            "",
        ]
        return "\n".join(lines)


# Each field's offset in the context, made once: a constant keeps its text once written.
_FIELD_OFFSETS = {which: ir.Constant(I64, 8 * which) for which in Field}


def field_pointer(builder: Builder, ctx: Operand, which: Field) -> Operand:
    """The address of a field of the instance context."""
    return builder.gep(ctx, [_FIELD_OFFSETS[which]], source_etype=I8)


def split_results(builder: Builder, result: Operand, count: int) -> list[Operand]:
    """A call's results as values: none, the one, or each member of the returned struct."""
    if count == 1:
        return [result]
    return [builder.extract_value(result, i) for i in range(count)]


def store_cell(builder: Builder, cells: Operand, i: int, value: Operand) -> None:
    """Store a value in cell `i` as Python reads it: a number zero-extended to 64 bits (an
    f32 as its bits), a v128 as 128 bits."""
    typ = value.type
    if typ == F32:
        value = builder.zext(builder.bitcast(value, I32), I64)
    elif typ == F64:
        value = builder.bitcast(value, I64)
    elif typ == I32:
        value = builder.zext(value, I64)
    builder.store(value, builder.gep(cells, [ir.Constant(I64, CELL_BYTES * i)], source_etype=I8))


def load_cell(builder: Builder, cells: Operand, i: int, typ: ir.Type) -> Operand:
    """The value of type `typ` in cell `i`."""
    pointer = builder.gep(cells, [ir.Constant(I64, CELL_BYTES * i)], source_etype=I8)
    return builder.load(pointer, typ=typ)


def addresses_symbol(run: range) -> str:
    """The name of the table of the addresses of a piece's functions, in index order."""
    return f"functions{run.start}"


def lower_piece(
    valid: ValidModule, shared_globals: frozenset[int], variant: Variant, run: range, whole: bool, locations: DebugLocations | None = None
) -> str:
    """The LLVM IR (text) of the piece of `valid` defining the functions of `run` (`whole`:
    all of them, calling each other directly; else calling those of other pieces through the
    context's function slots), the entries of those entered from Python and the table of
    their addresses (see `addresses_symbol`), in `variant` (plain, metered, profiled: see
    `layout.Variant`). Raises `NativeCompileError` for what the native engine does not
    support. With `locations`, each instruction is tagged with the wasm instruction it comes
    from (`DebugLocations.attach` then completes the text)."""
    return _ModuleLowering(valid, shared_globals, variant, locations).piece(run, whole)

def entered_from_python(valid: ValidModule) -> frozenset[int]:
    """The defined functions that get an entry, for Python to call: the start function and
    those a reference can name (exported, in tables, `ref.func`); every other function is
    called only by the module's own code. Entries for all took 60% of LLVM's time on a module
    of many small functions."""
    first = valid.imported_func_count
    start = valid.module.start
    called = valid.func_refs | ({start} if start is not None else frozenset())
    return frozenset(index for index in called if index >= first)
