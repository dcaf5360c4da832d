"""LLVM IR written as text, directly: the part of llvmlite's IR builder (`llvmlite.ir`) that the
native engine's lowering uses, with the same method names and arguments.

llvmlite's builder makes an object for every instruction, registers every value's name in a
name scope, and formats each instruction when the module is turned into text: on a module of
many small functions that took twice as long as LLVM's own work. Here each instruction is
formatted once, when it is built, into a line of its block; a value is only its type and
its reference (`%".7"`). The text is llvmlite's, character for character (the same names,
numbered in the same order), so that the two can be compared.

llvmlite's types (`ir.IntType(32)`, ...) and constants (`ir.Constant`, with their constant
expressions such as `.bitcast`) stay what values are typed and made of: a constant is an
operand like any other, with a `type` and a `get_reference()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llvmlite import ir

__all__ = ["Value", "Slot", "Switch", "Block", "Function", "Module", "Builder", "LocatedBuilder", "Operand"]

PTR = ir.PointerType()
_I1 = ir.IntType(1)

# What `icmp` and `fcmp` call llvmlite's comparison operators.
_CMP = {">": "gt", "<": "lt", "==": "eq", "!=": "ne", ">=": "ge", "<=": "le"}
_ICMP_SIGNED = {op: (name if op in ("==", "!=") else "s" + name) for op, name in _CMP.items()}
_ICMP_UNSIGNED = {op: (name if op in ("==", "!=") else "u" + name) for op, name in _CMP.items()}
_FCMP_ORDERED = {op: "o" + name for op, name in _CMP.items()}
_FCMP_UNORDERED = {op: "u" + name for op, name in _CMP.items()}

# Anything with a `type` and a `get_reference()`: a `Value` or an `ir.Constant` (llvmlite is
# untyped, so this is Any to the type checker).
Operand = Any


class Value:
    """The result of an instruction (or a function's argument): its type and how it is named."""

    __slots__ = ("type", "ref")

    def __init__(self, typ: ir.Type, ref: str) -> None:
        self.type = typ
        self.ref = ref

    def get_reference(self) -> str:
        return self.ref


class Slot(Value):
    """An `alloca`: a pointer to a stack slot whose type may be changed until the function is
    written out (the cells that calls pass through grow to the most any call needs)."""

    __slots__ = ("allocated_type",)

    def __init__(self, allocated_type: ir.Type, ref: str) -> None:
        super().__init__(PTR, ref)
        self.allocated_type = allocated_type

    def line(self) -> str:
        return f"  {self.ref} = alloca {self.allocated_type}\n"


class Block:
    """A basic block: its label and its instructions, each a line of text (an alloca or a switch
    stays an object until written out)."""

    __slots__ = ("name", "ref", "lines")

    def __init__(self, name: str) -> None:
        self.name = name
        self.ref = f'%"{name}"'
        self.lines: list[str | Slot | Switch] = []

    def get_reference(self) -> str:
        return self.ref

    def text(self) -> str:
        body = "".join(line if isinstance(line, str) else line.line() for line in self.lines)
        return f"{self.name}:\n{body}"


class Function:
    """A function of a `Module`: defined once it has blocks, else declared. Names within it are
    numbered as llvmlite numbers them: each unnamed value, block or instruction takes the next
    `.N`, a repeated name gets `.1`, `.2`, ... appended."""

    def __init__(self, module: Module, ftype: ir.FunctionType, name: str) -> None:
        self.function_type = ftype
        self.name = name
        self.ref = f'@"{name}"'
        self.type = PTR
        self.linkage = ""
        self.calling_convention = ""  # "" is the C one
        self.blocks: list[Block] = []
        self._counter = 0
        self._repeats: dict[str, int] = {}
        self.args = tuple(Value(t, self.fresh()) for t in ftype.args)
        self._counter += 1  # llvmlite's return value takes a number too
        module.add(self)

    @property
    def basic_blocks(self) -> list[Block]:
        return self.blocks

    def get_reference(self) -> str:
        return self.ref

    def fresh(self) -> str:
        """The reference of the next unnamed value."""
        self._counter += 1
        return f'%".{self._counter}"'

    def unique(self, name: str) -> str:
        """`name`, or `name.N` if it was used before."""
        if not name:
            self._counter += 1
            return f".{self._counter}"
        seen = self._repeats.get(name)
        if seen is None:
            self._repeats[name] = 0
            return name
        self._repeats[name] = seen + 1
        return f"{name}.{seen + 1}"

    def append_basic_block(self, name: str = "") -> Block:
        block = Block(self.unique(name))
        self.blocks.append(block)
        return block

    def text(self) -> str:
        ftype = self.function_type
        args = ", ".join(f"{a.type} {a.ref}" for a in self.args)
        head = " ".join(
            x for x in ("define" if self.blocks else "declare", self.linkage, self.calling_convention, str(ftype.return_type)) if x
        )
        prototype = f"{head} {self.ref}({args})\n"
        if not self.blocks:
            return prototype
        return prototype + "{\n" + "".join(block.text() for block in self.blocks) + "}\n"


class Module:
    """An LLVM module: its functions (and any other global, as text) in the order they were
    made."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.globals: list[Function | str] = []

    def add(self, item: Function | str) -> None:
        self.globals.append(item)

    def __str__(self) -> str:
        # llvmlite's header: no target (LLVM compiles for the target machine it is given).
        header = [f'; ModuleID = "{self.name}"', 'target triple = "unknown-unknown-unknown"', 'target datalayout = ""', ""]
        return "\n".join(header + [g if isinstance(g, str) else g.text() for g in self.globals])


def _args(values: Sequence[Operand]) -> str:
    return ", ".join(f"{v.type} {v.get_reference()}" for v in values)


class Builder:
    """Appends instructions to the end of a block (llvmlite's `IRBuilder`, positioned at the
    end of a block, never elsewhere). Each method returns the instruction's value."""

    def __init__(self, block: Block, function: Function) -> None:
        self.block = block
        self.function = function
        self._lines = block.lines

    def position_at_end(self, block: Block) -> None:
        self.block = block
        self._lines = block.lines

    # -- emitting --

    def _value(self, typ: ir.Type, text: str) -> Value:
        fn = self.function
        fn._counter += 1
        ref = f'%".{fn._counter}"'
        self._lines.append(f"  {ref} = {text}\n")
        return Value(typ, ref)

    def _void(self, text: str) -> None:
        self.function._counter += 1
        self._lines.append(f"  {text}\n")

    # -- memory --

    def alloca(self, typ: ir.Type, name: str = "") -> Slot:
        slot = Slot(typ, f'%"{self.function.unique(name)}"')
        self._lines.append(slot)
        return slot

    def load(self, ptr: Operand, typ: ir.Type, align: int | None = None) -> Value:
        tail = f", align {align}" if align is not None else ""
        return self._value(typ, f"load {typ}, {ptr.type} {ptr.get_reference()}{tail}")

    def keep(self, value: Operand) -> None:
        """An empty instruction with a side effect that takes `value` (in a general register,
        or a vector one for floats and vectors): the instruction making it then stays where
        it is, neither removed when the value goes unused nor moved past this point. It
        says it writes only memory the module cannot reach, so accesses around it are
        optimised as ever (declared touching no memory at all, LLVM's fast code generator
        drops it, and the load with it)."""
        if isinstance(value.type, ir.IntType) and value.type.width > 64:  # a v128: in a vector register
            value = self.bitcast(value, ir.VectorType(ir.IntType(64), value.type.width // 64))
        elif isinstance(value.type, ir.VectorType) and (bits := value.type.count * value.type.element.width) <= 64:
            # a narrow vector (the 64 bits a v128.load8x8_s reads) has no vector register class
            value = self.bitcast(value, ir.IntType(bits))
        constraint = "r" if isinstance(value.type, ir.IntType) else "x"
        self._void(f'call void asm sideeffect "", "{constraint}"({value.type} {value.get_reference()}) nounwind memory(inaccessiblemem: write)')

    def store(self, value: Operand, ptr: Operand, align: int | None = None) -> None:
        tail = f", align {align}" if align is not None else ""
        self._void(f"store {value.type} {value.get_reference()}, {ptr.type} {ptr.get_reference()}{tail}")

    def load_atomic(self, ptr: Operand, typ: ir.Type, ordering: str, align: int) -> Value:
        """An atomic load (`ordering`: "seq_cst", "monotonic", ...); `align` must be the size."""
        return self._value(typ, f"load atomic {typ}, {ptr.type} {ptr.get_reference()} {ordering}, align {align}")

    def store_atomic(self, value: Operand, ptr: Operand, ordering: str, align: int) -> None:
        self._void(f"store atomic {value.type} {value.get_reference()}, {ptr.type} {ptr.get_reference()} {ordering}, align {align}")

    def atomicrmw(self, op: str, ptr: Operand, value: Operand, ordering: str) -> Value:
        """`op` ("add", "xchg", ...) on the value at `ptr`; the old value."""
        return self._value(value.type, f"atomicrmw {op} {ptr.type} {ptr.get_reference()}, {_args((value,))} {ordering}")

    def cmpxchg(self, ptr: Operand, expected: Operand, replacement: Operand, ordering: str) -> Value:
        """Compare-exchange: the { old value, whether it was swapped } pair."""
        typ = ir.LiteralStructType([expected.type, ir.IntType(1)])
        return self._value(typ, f"cmpxchg {ptr.type} {ptr.get_reference()}, {_args((expected, replacement))} {ordering} {ordering}")

    def fence(self, ordering: str) -> None:
        self._void(f"fence {ordering}")

    def gep(self, ptr: Operand, indices: Sequence[Operand], source_etype: ir.Type) -> Value:
        return self._value(PTR, f"getelementptr {source_etype}, {ptr.type} {ptr.get_reference()}, {_args(indices)}")

    # -- arithmetic --

    def _binary(self, op: str, a: Operand, b: Operand) -> Value:
        typ = a.type
        return self._value(typ, f"{op} {typ} {a.get_reference()}, {b.get_reference()}")

    def add(self, a: Operand, b: Operand) -> Value:
        return self._binary("add", a, b)

    def sub(self, a: Operand, b: Operand) -> Value:
        return self._binary("sub", a, b)

    def mul(self, a: Operand, b: Operand) -> Value:
        return self._binary("mul", a, b)

    def sdiv(self, a: Operand, b: Operand) -> Value:
        return self._binary("sdiv", a, b)

    def udiv(self, a: Operand, b: Operand) -> Value:
        return self._binary("udiv", a, b)

    def srem(self, a: Operand, b: Operand) -> Value:
        return self._binary("srem", a, b)

    def urem(self, a: Operand, b: Operand) -> Value:
        return self._binary("urem", a, b)

    def and_(self, a: Operand, b: Operand) -> Value:
        return self._binary("and", a, b)

    def or_(self, a: Operand, b: Operand) -> Value:
        return self._binary("or", a, b)

    def xor(self, a: Operand, b: Operand) -> Value:
        return self._binary("xor", a, b)

    def shl(self, a: Operand, b: Operand) -> Value:
        return self._binary("shl", a, b)

    def ashr(self, a: Operand, b: Operand) -> Value:
        return self._binary("ashr", a, b)

    def lshr(self, a: Operand, b: Operand) -> Value:
        return self._binary("lshr", a, b)

    def fadd(self, a: Operand, b: Operand) -> Value:
        return self._binary("fadd", a, b)

    def fsub(self, a: Operand, b: Operand) -> Value:
        return self._binary("fsub", a, b)

    def fmul(self, a: Operand, b: Operand) -> Value:
        return self._binary("fmul", a, b)

    def fdiv(self, a: Operand, b: Operand) -> Value:
        return self._binary("fdiv", a, b)

    def not_(self, a: Operand) -> Value:
        """All bits flipped: `xor` with all ones, as llvmlite writes it."""
        typ = a.type
        ones = ir.Constant(typ, (-1,) * typ.count) if isinstance(typ, ir.VectorType) else ir.Constant(typ, -1)
        return self._binary("xor", a, ones)

    def fneg(self, a: Operand) -> Value:
        typ = a.type
        return self._value(typ, f"fneg {typ} {a.get_reference()}")

    # -- comparisons and select --

    def _compare(self, op: str, predicate: str, a: Operand, b: Operand) -> Value:
        typ = a.type
        result = ir.VectorType(_I1, typ.count) if isinstance(typ, ir.VectorType) else _I1
        return self._value(result, f"{op} {predicate} {typ} {a.get_reference()}, {b.get_reference()}")

    def icmp_signed(self, op: str, a: Operand, b: Operand) -> Value:
        return self._compare("icmp", _ICMP_SIGNED[op], a, b)

    def icmp_unsigned(self, op: str, a: Operand, b: Operand) -> Value:
        return self._compare("icmp", _ICMP_UNSIGNED[op], a, b)

    def fcmp_ordered(self, op: str, a: Operand, b: Operand) -> Value:
        return self._compare("fcmp", _FCMP_ORDERED.get(op, op), a, b)

    def fcmp_unordered(self, op: str, a: Operand, b: Operand) -> Value:
        return self._compare("fcmp", _FCMP_UNORDERED.get(op, op), a, b)

    def select(self, condition: Operand, a: Operand, b: Operand) -> Value:
        return self._value(a.type, f"select  {condition.type} {condition.get_reference()}, {_args((a, b))}")

    # -- conversions --

    def _cast(self, op: str, value: Operand, typ: ir.Type) -> Value:
        return self._value(typ, f"{op} {value.type} {value.get_reference()} to {typ}")

    def trunc(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("trunc", value, typ)

    def zext(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("zext", value, typ)

    def sext(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("sext", value, typ)

    def fptrunc(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("fptrunc", value, typ)

    def fpext(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("fpext", value, typ)

    def bitcast(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("bitcast", value, typ)

    def ptrtoint(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("ptrtoint", value, typ)

    def fptosi(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("fptosi", value, typ)

    def fptoui(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("fptoui", value, typ)

    def sitofp(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("sitofp", value, typ)

    def uitofp(self, value: Operand, typ: ir.Type) -> Value:
        return self._cast("uitofp", value, typ)

    # -- aggregates and vectors --

    def extract_value(self, aggregate: Operand, index: int) -> Value:
        typ = aggregate.type
        return self._value(typ.elements[index], f"extractvalue {typ} {aggregate.get_reference()}, {index}")

    def insert_value(self, aggregate: Operand, value: Operand, index: int) -> Value:
        typ = aggregate.type
        return self._value(typ, f"insertvalue {typ} {aggregate.get_reference()}, {value.type} {value.get_reference()}, {index}")

    def extract_element(self, vector: Operand, index: Operand) -> Value:
        return self._value(vector.type.element, f"extractelement {_args((vector, index))}")

    def insert_element(self, vector: Operand, value: Operand, index: Operand) -> Value:
        return self._value(vector.type, f"insertelement {_args((vector, value, index))}")

    def shuffle_vector(self, a: Operand, b: Operand, mask: Operand) -> Value:
        typ = ir.VectorType(a.type.element, mask.type.count)
        return self._value(typ, f"shufflevector {_args((a, b, mask))}")

    # -- calls and control --

    def call(self, callee: Any, args: Sequence[Operand], tail: str = "", convention: str = "") -> Value:
        """A call of a `Function`, of an `ir.InlineAsm`, or of anything else with a
        `function_type` and a `get_reference()` (a function pointer); `convention` is the
        callee's calling convention ("" for C's)."""
        result = callee.function_type.return_type
        marker = f"{tail} " if tail else ""
        cc = f"{convention} " if convention else ""
        text = f"{marker}call {cc}{result} {callee.get_reference()}({_args(args)})"
        if isinstance(result, ir.VoidType):
            self._void(text)
            return Value(result, "")
        return self._value(result, text)

    def branch(self, target: Block) -> None:
        self._void(f"br label {target.ref}")

    def cbranch(self, condition: Operand, true: Block, false: Block) -> None:
        self._void(f"br {condition.type} {condition.get_reference()}, label {true.ref}, label {false.ref}")

    def switch(self, value: Operand, default: Block) -> Switch:
        """A `switch` to `default`; its cases are added to it (`add_case`) before the function
        is written out."""
        switch = Switch(value, default)
        self.function._counter += 1
        self._lines.append(switch)
        return switch

    def ret(self, value: Operand) -> None:
        self._void(f"ret {value.type} {value.get_reference()}")

    def ret_void(self) -> None:
        self._void("ret void")

    def unreachable(self) -> None:
        self._void("unreachable")


class Switch:
    """A `switch` instruction, whose cases are added after it is made."""

    __slots__ = ("value", "default", "cases")

    def __init__(self, value: Operand, default: Block) -> None:
        self.value = value
        self.default = default
        self.cases: list[str] = []

    def add_case(self, value: Operand, block: Block) -> None:
        self.cases.append(f"{value.type} {value.get_reference()}, label {block.ref}")

    def line(self) -> str:
        value = self.value
        return f"  switch {value.type} {value.get_reference()}, label {self.default.ref} [{' '.join(self.cases)}]\n"


class LocatedBuilder(Builder):
    """A `Builder` that tags every instruction it appends with `location` (`, !dbg !N`, see
    `debuginfo`), which its user moves along as it lowers one wasm instruction after another."""

    location = ""

    def _value(self, typ: ir.Type, text: str) -> Value:
        fn = self.function
        fn._counter += 1
        ref = f'%".{fn._counter}"'
        self._lines.append(f"  {ref} = {text}{self.location}\n")
        return Value(typ, ref)

    def _void(self, text: str) -> None:
        self.function._counter += 1
        self._lines.append(f"  {text}{self.location}\n")
