"""Compiling wasm functions to Python source.

Each wasm function becomes one Python function; operand-stack slots and locals are Python
locals, and the operand stack is tracked symbolically while generating, so that instructions
become nested expressions rather than pushes and pops. A stack entry is materialised into its
slot variable `s<i>` only where it must be: before effects that could change what it reads,
before anything that could trap ahead of it, at control-flow joins, and when it grows large.

Control flow. CPython refuses more than 20 nested loops, so only wasm `loop`s become
`while True:` loops. A branch out of a `block` or `if` is a forward jump: it stores the target's
depth in `_t` and the code that follows, up to the target's end, runs under flat `if not _t:`
guards. A branch to the innermost enclosing Python loop is `continue`; a branch out of a Python
loop sets `_t` and `break`s, and the code after the loop dispatches on `_t` once. A branch to the
function's own label is `return`.

Deep nesting. CPython refuses 100 levels of indentation, so past `_FLAT_INDENT` levels blocks and
ifs add none: a nested frame's code is written where its enclosing frame's guards open, under
guards of its own, and an `if` becomes `if not cond: _t = -depth`, which skips its then-part
and selects its else-part as a forward branch would. CPython also refuses more than 20 nested
loops, and counts a `try` statement as 2 of them: a loop or `try` nested deeper than
`_MAX_LOOPS` is written as a closure sharing the function's locals (see `outline`). A br_table
with many targets looks its label up in a tuple and finds it by short `elif` chains under range
tests (CPython's compiler recurses once per `elif`). Scans
of the operand stack start above the part already in slots, so that a deep stack costs nothing
per instruction: compile time and memory grow linearly with the code.

Evaluation order is wasm's: operands are evaluated left to right, each exactly once, and an
instruction that may trap or touch state is never moved past another one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...binary.code import CATCH_ALL, CATCH_ALL_REF, CATCH_REF, block_type, iter_instructions
from ...bits import MASK32, MASK64
from ...errors import WasmError
from ...opcodes import ALL, Feature, Imm, Op
from ...syntax.module import Func
from ...syntax.types import FuncType, ValType, ValueType
from ...validate import ValidModule
from ..metering import Meter, branched_loops, fuel_counts
from . import simd
from .atomics import call_text as atomic_call
from .gc_instructions import GC_HANDLERS
from .numeric import f32_from_bits, f64_from_bits
from .simd import simd_expression
from .templates import MASK32_TEXT, MASK64_TEXT, TEMPLATES, TRAPS, sign_extended, signed_value

__all__ = ["compile_function", "compile_function_located", "handles", "ModuleLayout", "CompileError", "memory_suffix"]

# Flags of a symbolic stack entry.
SIMPLE = 1  # a literal or a plain name: cheap to repeat
IMPURE = 2  # may trap: evaluate exactly once, in order
STATE = 4  # reads memory, a mutable global or the memory size: evaluate before they change
_MAX_DEPTH = 12  # expressions nest at most this deep before being materialised
_MAX_STRUCTURED_EXITS = 8  # how deep `if not cond:` regions of one block may nest
# Past this indentation, nested blocks and ifs add none (they are written flat, guarded by _t):
# CPython refuses 100 levels, and up to 18 loops (two levels each) may still come inside.
_FLAT_INDENT = 40
_MAX_LOOPS = 18  # CPython allows 20 nested loops; metered code adds a `try`
_MAX_CASES = 16  # a br_table with more targets looks its target up in a tuple

BLOCK, LOOP, IF, FUNC = "block", "loop", "if", "func"
# Exception handling: a try_table, and a legacy try (its body, then its catch sections): each a
# Python `try:` whose `except WasmException` clause is its handlers (see `handlers`, `catch`).
TRY_TABLE, TRY = "try_table", "try"
_RESETS = "\0resets "  # a line of `reset_t`, until the source is put together
_DEPTH = f"METER[{Meter.DEPTH:d}]"  # the store's count of calls in progress (see `Meter`)


class CompileError(WasmError):
    """A function the Python engine cannot express (an implementation limit)."""


@dataclass
class ModuleLayout:
    """What the compiler needs to know about the module's index spaces."""

    valid: ValidModule
    shared_globals: frozenset[int]  # globals kept in a Global object (imported or exported)
    metered: bool = False  # charge fuel and check for interruption at calls and loop iterations


@dataclass
class _Entry:
    text: str
    flags: int
    depth: int = 0
    # For an expression that ends in a wrap-around mask, the expression without it: operands
    # of operations that wrap again themselves (add, sub, mul, shl, wrap) can do without it.
    unmasked: str | None = None
    # For a sum or difference of two reduced values: the statement that reduces a variable
    # holding `unmasked` (`{0}` is the variable), which an assignment uses (see `assign`).
    fix: str | None = None


@dataclass
class _Outline:
    """What to go back to when an outlined loop's or try's closure is finished."""

    name: str
    lines: list[tuple[int, str]]  # the code the closure is called from
    loop_base: int
    try_blocks: int
    indent: int  # where the enclosing frame's code was, and whether it awaited a guard
    pending_guard: bool


@dataclass
class _Frame:
    kind: str
    depth: int  # the frame's id: its nesting level (the function is 0)
    height: int  # stack height at entry, below the parameters
    params: int
    results: int
    indent: int  # where the frame's code is written now
    base_indent: int  # where its code starts
    region_indent: int = -1  # where guard regions open: base_indent, deeper after `if not cond:`
    pending_guard: bool = False
    unreachable: bool = False
    targeted: bool = False  # a branch set _t to this frame
    # The outermost depth that a branch from inside set _t to (escaping the frame when it is
    # below the frame's own depth).
    escape: int = 1 << 62
    end_reachable: bool = False  # the end is reached by falling through (a branch or a body)
    saved_stack: list[_Entry] | None = None  # for `if`: the stack to start `else` from
    python_loop: bool = False
    flat: bool = False  # an `if` written without nesting, its parts selected by _t (see if_)
    outlined: _Outline | None = None  # a loop or try written as a closure of its own (see `outline`)
    dead: bool = False  # opened in unreachable code: nothing is generated for it
    # try_table: its catch clauses. try: where its `try:` line is, and how far its handlers
    # got (0 in the body; CATCHING in a catch section; CATCHING_ALL in the catch_all one).
    clauses: tuple = ()
    try_indent: int = -1
    section: int = 0
    try_blocks: int = 0  # what its `try` statement adds to `_FunctionCompiler.try_blocks`




CATCHING, CATCHING_ALL = 1, 2  # a legacy try's section (see `_Frame.section`)


class _Located(str):
    """A line of generated source that remembers the offset (in the function's body) of the
    wasm instruction it was written for (`compile_function_located`). Indenting it, `pad +
    line`, keeps the offset: Python asks a right operand whose type is a subclass of the left
    one's for `__radd__` first."""

    at: int

    def __new__(cls, text: str, at: int) -> _Located:
        line = super().__new__(cls, text)
        line.at = at
        return line

    def __radd__(self, other: str) -> _Located:
        return _Located(other + str(self), self.at)


class _FunctionCompiler:
    def __init__(self, layout: ModuleLayout, index: int, func: Func, func_type: FuncType, located: bool = False) -> None:
        self.layout = layout
        self.located = located  # lines written by `emit` remember their instruction (see `_Located`)
        self.valid = layout.valid
        self.index = index
        self.func = func
        self.func_type = func_type
        self.lines: list[tuple[int, str]] = []
        self.stack: list[_Entry] = []
        # Entries below `settled` are slots or literals (nothing to materialise, no flags, no
        # locals read); below `slotted`, slot variables s<i> themselves. Scans of the stack
        # start there, so that a deep stack is not walked again at every instruction.
        self.settled = 0
        self.slotted = 0
        self.frames: list[_Frame] = []
        self.python_loops: list[_Frame] = []  # the frames that are `while` loops, innermost last
        self.loop_base = 0  # how many of them are outside the Python function being written
        # The blocks CPython counts for the `try` statements around the code being written, in
        # the function or closure being written: 1 around a body, 2 around a handler (counted
        # 2 throughout). With the loops, they are what CPython limits to 20 (see `loop`).
        self.try_blocks = 0
        self.outlines = 0  # loops and trys written as closures so far
        self.depth_in_closures = 0  # how many of them the code being written is in
        self.closures: list[list[tuple[int, str]]] = []  # outlined loops and trys (see `outline`)
        self.nonlocals: set[str] = set()  # the slots, locals and caught exceptions they share
        self.resets: list[list[int]] = []  # the targets of each line written by `reset_t`
        self.local_types: list[ValueType] = list(func_type.params) + func.local_types()
        self.globals_written: set[int] = set()
        self.uses_t = False
        self.tail_calls = False  # whether the body has a return_call*: then it is `t<i>` (see `tail`)
        # Whether a legacy `delegate` passes exceptions past handlers: every handler written
        # from then on first lets through (and counts) one that is to skip it.
        self.delegates = False
        self.constants: list[str] = []  # definitions of the values with no literal
        self.offset = 0  # of the instruction being compiled
        self.branched_loops: set[int] = set()
        self.meter_counts: dict[int | None, int] = {}

    # -- output --

    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    def open_guard(self) -> None:
        frame = self.frame
        if frame.pending_guard:
            frame.pending_guard = False
            region = max(frame.region_indent, frame.base_indent)
            self.lines.append((region, "if not _t:"))
            frame.indent = region + 1

    def reset_t(self, indent: int, target: int) -> None:
        """Write `if _t == target: _t = 0` (where a branch to `target` lands), merged into
        the line before when that is one too: `if _t in {...}: _t = 0`, one test however many
        frames end together (100,000 nested ifs end in 100,000 of them)."""
        if self.lines and self.lines[-1][0] == indent and self.lines[-1][1].startswith(_RESETS):
            self.resets[int(self.lines[-1][1][len(_RESETS) :])].append(target)
        else:
            self.lines.append((indent, f"{_RESETS}{len(self.resets)}"))
            self.resets.append([target])

    def emit(self, line: str) -> None:
        self.open_guard()
        if self.located:
            line = _Located(line, self.offset)
        self.lines.append((self.frame.indent, line))

    # -- the symbolic stack --

    def push(self, text: str, flags: int, depth: int = 0, unmasked: str | None = None, fix: str | None = None) -> None:
        self.stack.append(_Entry(text, flags, depth, unmasked, fix))
        if depth > _MAX_DEPTH:
            self.materialise(len(self.stack) - 1)

    def pop(self) -> _Entry:
        entry = self.stack.pop()
        self.truncated()
        return entry

    def truncated(self) -> None:
        """After entries were taken off the stack: keep the watermarks within it."""
        height = len(self.stack)
        if self.settled > height:
            self.settled = height
            self.slotted = min(self.slotted, height)

    def materialise(self, upto: int) -> None:
        """Evaluate every non-simple entry at positions 0..upto into its slot, bottom up (an
        entry may read slots above it, never below, so bottom-up never clobbers one)."""
        for i in range(self.settled, upto + 1):
            entry = self.stack[i]
            if not entry.flags & SIMPLE or entry.text[0] in "lgGM":
                if entry.text != f"s{i}":
                    self.assign(f"s{i}", entry)
                self.stack[i] = _Entry(f"s{i}", SIMPLE)
        self.settled = max(self.settled, upto + 1)

    def flush(self, mask: int) -> None:
        """Materialise up to the highest entry with any of the `mask` flags."""
        for i in range(len(self.stack) - 1, self.settled - 1, -1):
            if self.stack[i].flags & mask:
                self.materialise(i)
                return

    def flush_names(self, pattern: re.Pattern[str]) -> None:
        """Materialise up to the highest entry that reads a name matching `pattern`."""
        for i in range(len(self.stack) - 1, self.settled - 1, -1):
            if pattern.search(self.stack[i].text):
                self.materialise(i)
                return

    def spill_all(self) -> None:
        """Put every entry in its slot variable (control-flow joins need them there)."""
        for i in range(self.slotted, len(self.stack)):
            if self.stack[i].text != f"s{i}":
                self.assign(f"s{i}", self.stack[i])
                self.stack[i] = _Entry(f"s{i}", SIMPLE)
        self.slotted = self.settled = len(self.stack)

    def assign(self, name: str, entry: _Entry) -> None:
        """Emit `name = <the entry's value>`; a sum or difference as itself, then reduced in
        place if it overflowed: cheaper than the expression's conditional (see `_reduced`)."""
        if entry.fix is not None:
            self.emit(f"{name} = {entry.unmasked}")
            self.emit(entry.fix.format(name))
        else:
            self.emit(f"{name} = {entry.text}")

    def args(self, count: int) -> list[_Entry]:
        if count == 0:
            return []
        taken = self.stack[-count:]
        del self.stack[-count:]
        self.truncated()
        return taken

    # -- driving --

    def compile(self) -> list[str]:
        results = len(self.func_type.results)
        self.frames.append(_Frame(FUNC, 0, 0, 0, results, 1, 1))
        instrs = list(iter_instructions(self.func.body))
        self.branched_loops = branched_loops(instrs)
        if self.layout.metered:
            self.meter_counts = fuel_counts(instrs, self.branched_loops)
        for instr in instrs:
            self.offset = instr.offset
            self.step(instr.op, instr.imm)
        return self.source()

    def source(self) -> list[str]:
        params = ", ".join(f"l{i}" for i in range(len(self.func_type.params)))
        out = [*self.constants, f"def {'t' if self.tail_calls else 'f'}{self.index}({params}):"]
        if self.globals_written:
            out.append("    global " + ", ".join(f"g{i}" for i in sorted(self.globals_written)))
        first_local = len(self.func_type.params)
        declared = self.local_types[first_local:]
        # Declared locals start at zero (null for references), a few names per line.
        for start in range(0, len(declared), 32):
            groups: dict[str, list[str]] = {}
            for i, vt in enumerate(declared[start : start + 32], start=first_local + start):
                groups.setdefault(_zero(vt), []).append(f"l{i}")
            for zero, group in groups.items():
                out.append(f"    {' = '.join(group)} = {zero}")
        slots = sorted(name for name in self.nonlocals if name[0] == "s" or name.startswith("_e"))
        if slots:  # a closure's `nonlocal` needs them bound in the function
            out.append(f"    {' = '.join(slots)} = None")
        if self.uses_t:
            out.append("    _t = 0")
        for closure in self.closures:
            if self.globals_written:
                closure.insert(1, (2, "global " + ", ".join(f"g{i}" for i in sorted(self.globals_written))))
            out.extend(_pad(indent) + self.render(text) for indent, text in _fill_empty_suites(closure))
        lines = [(indent, self.render(text)) for indent, text in _fill_empty_suites(self.lines)]
        if not self.layout.metered:
            out.extend(_pad(indent) + text for indent, text in lines)
            return out + self.trampoline(params)
        # Metered: charge the entry, count the call's depth for its whole extent.
        out.extend("    " + line for line in _meter_lines(self.meter_counts.get(None, 0)))
        out.append(f"    if {_DEPTH} >= METER[{Meter.MAXIMUM:d}]: meter_stop()")
        out.append(f"    {_DEPTH} += 1")
        out.append("    try:")
        out.extend(_pad(indent + 1) + text for indent, text in lines)
        if not lines:
            out.append("        pass")
        out.append("    finally:")
        out.append(f"        {_DEPTH} -= 1")
        return out + self.trampoline(params)

    def trampoline(self, params: str) -> list[str]:
        """For a body that makes tail calls, `f<i>`: calls it, then what each `TailCall` it
        or a callee returns names, until values come back (see `tail`)."""
        if not self.tail_calls:
            return []
        return [
            f"def f{self.index}({params}):",
            f"    r = t{self.index}({params})",
            "    while r.__class__ is TailCall:",
            "        r = r.fn(*r.args)",
            "    return r",
        ]

    def render(self, text: str) -> str:
        """A line as written, but for those of `reset_t`, whose targets are known only now."""
        if not text.startswith(_RESETS):
            return text
        targets = self.resets[int(text[len(_RESETS) :])]
        if len(targets) == 1:
            return f"if _t == {targets[0]}: _t = 0"
        return f"if _t in {{{', '.join(map(str, targets))}}}: _t = 0"

    def step(self, op: Op, imm: object) -> None:
        if self.frame.unreachable:
            self.skip(op, imm)
            return
        handler = _DISPATCH[op.index]
        if handler is None:
            raise CompileError(f"function {self.index}: the Python engine does not support {op.name}")
        handler(self, op, imm)

    def skip(self, op: Op, imm: object) -> None:
        """Unreachable code: only keep track of where it ends."""
        name = op.name
        if name in ("block", "loop", "if", "try_table", "try"):
            self.frames.append(_Frame(BLOCK, len(self.frames), len(self.stack), 0, 0, 0, 0, unreachable=True, dead=True))
        elif name == "else":
            if not self.frame.dead:
                self.else_(None, None)
        elif name in ("catch", "catch_all"):
            if not self.frame.dead:
                self.catch(op, imm)  # type: ignore[arg-type]  # a tag index, or None
        elif name == "delegate":
            if self.frame.dead:
                self.frames.pop()
            else:
                self.delegate(op, imm)  # type: ignore[arg-type]  # a label
        elif name == "end":
            if self.frame.dead:
                self.frames.pop()
            else:
                self.end(None, None)

    # -- generic expressions --

    def template(self, op: Op, imm: object) -> None:
        """A pure or trapping numeric instruction, written by its template."""
        template, kind = TEMPLATES[op.name]
        operands = self.args(_arity(op))
        flags = 0
        depth = 0
        for entry in operands:
            flags |= entry.flags & (IMPURE | STATE)
            depth = max(depth, entry.depth)
        if kind == TRAPS:
            flags |= IMPURE
        self.push(template.format(*(e.text for e in operands)), flags, depth + 1)

    def wrapping(self, op: Op, imm: object) -> None:
        """add, sub, mul, shl, rotations and wraps: modular arithmetic, whose operands need
        not be reduced first (an operand ending in the same or a wider mask loses it)."""
        operator, mask = _WRAPPING[op.name]
        operands = self.args(_arity(op))
        texts = [e.unmasked or e.text for e in operands]
        flags = 0
        for entry in operands:
            flags |= entry.flags & (IMPURE | STATE)
        depth = max(e.depth for e in operands) + 1
        if operator == "wrap":
            inner = texts[0]
        elif operator in ("rotl", "rotr"):
            count = operands[1].text
            bits = 32 if mask == MASK32_TEXT else 64
            if not count.isdigit():  # an unknown count: the helper
                self.push(f"{operator}{bits}({operands[0].text}, {count})", flags, depth)
                return
            k = int(count) % bits if operator == "rotl" else (bits - int(count) % bits) % bits
            value = operands[0]
            if value.flags & SIMPLE:
                inner = f"(({value.text} << {k}) | ({value.text} >> {bits - k}))"
            else:  # evaluated once, into a temporary, before its second use
                inner = f"(((_r := {value.text}) << {k}) | (_r >> {bits - k}))"
            texts = []
        elif operator == "<<":
            bits = 31 if mask == MASK32_TEXT else 63
            count = operands[1].text
            shift = str(int(count) & bits) if count.isdigit() else f"({count} & {bits})"
            inner = f"({texts[0]} << {shift})"
        elif operator in "+-" and not (operands[0].unmasked or operands[1].unmasked):
            bits = 32 if mask == MASK32_TEXT else 64
            text, fix, inner = _reduced(texts[0], operator, texts[1], bits)
            self.push(text, flags, depth, inner, fix)
            return
        else:
            inner = f"({texts[0]} {operator} {texts[1]})"
        self.push(f"({inner} & {mask})", flags, depth, inner)

    def signed_compare(self, op: Op, imm: object) -> None:
        """lt_s, gt_s, le_s, ge_s on the unsigned values the engine keeps. Against a constant,
        a range test of the unsigned value (see `_signed_range`); else the signed values are
        compared, each mapped only when its sign bit is set: both cheaper in CPython than the
        arithmetic on the large ints a sign flip makes."""
        operator, bits = _SIGNED_COMPARISONS[op.name]
        first, second = self.args(2)
        flags = (first.flags | second.flags) & (IMPURE | STATE)
        depth = max(first.depth, second.depth) + 1
        if first.text.isdigit() and not second.text.isdigit():
            first, second, operator = second, first, _MIRRORED[operator]
        if second.text.isdigit():
            self.push(_signed_range(first.text, operator, int(second.text), bits), flags, depth)
        else:
            self.push(f"({signed_value(first.text, bits)} {operator} {signed_value(second.text, bits)})", flags, depth)

    def call_expr(self, text: str, results: Sequence[ValueType]) -> None:
        """Emit a call (or anything with effects) whose results land in slots. An entry below
        may still read one of those slots (an operation took the value that was there and
        left its result lower on the stack): it is evaluated first."""
        count = len(results)
        base = len(self.stack)
        if count == 0:
            self.emit(text)
            return
        slots = [f"s{base + i}" for i in range(count)]
        self.flush_names(re.compile(rf"\b(?:{'|'.join(slots)})\b"))
        self.emit(f"{', '.join(slots)} = {text}")
        for i in range(count):
            self.stack.append(_Entry(f"s{base + i}", SIMPLE))

    def effect(self) -> None:
        """Before an effect: evaluate whatever may trap or reads state it could change."""
        self.flush(IMPURE | STATE)

    # -- constants and variables --

    def const(self, op: Op, imm: object) -> None:
        kind = op.imm
        if kind is Imm.I32:
            self.push(str(imm & MASK32), SIMPLE)  # type: ignore[operator]
        elif kind is Imm.I64:
            self.push(str(imm & MASK64), SIMPLE)  # type: ignore[operator]
        else:
            value = f32_from_bits(imm) if kind is Imm.F32 else f64_from_bits(imm)  # type: ignore[arg-type]
            if value != value or value in (float("inf"), float("-inf")):
                # No literal: a name, defined beside the function from the exact bits.
                name = f"K{self.index}_{len(self.constants)}"
                convert = "f32_from_bits" if kind is Imm.F32 else "f64_from_bits"
                self.constants.append(f"{name} = {convert}({imm:#x})")
                self.push(name, SIMPLE)
            else:
                self.push(repr(value), SIMPLE)

    def local_get(self, op: Op, index: int) -> None:
        self.push(f"l{index}", SIMPLE)

    def local_set(self, op: Op, index: int, keep: bool = False) -> None:
        value = self.pop()
        self.flush_names(re.compile(rf"\bl{index}\b"))
        if value.flags & IMPURE:
            self.flush(IMPURE)
        if value.text != f"l{index}":
            self.assign(f"l{index}", value)
        if keep:
            self.push(f"l{index}", SIMPLE)

    def local_tee(self, op: Op, index: int) -> None:
        self.local_set(op, index, keep=True)

    def global_name(self, index: int) -> str:
        return f"G{index}.internal" if index in self.layout.shared_globals else f"g{index}"

    def global_get(self, op: Op, index: int) -> None:
        mutable = self.valid.global_types[index].mutable
        self.push(self.global_name(index), SIMPLE | (STATE if mutable else 0))

    def global_set(self, op: Op, index: int) -> None:
        value = self.pop()
        self.flush(IMPURE | STATE)  # the value itself is evaluated by the assignment, after them
        name = self.global_name(index)
        if index not in self.layout.shared_globals:
            self.globals_written.add(index)
            self.assign(name, value)
        else:
            self.emit(f"{name} = {value.text}")

    # -- parametric --

    def drop(self, op: Op, imm: object) -> None:
        value = self.pop()
        if value.flags & IMPURE:
            self.flush(IMPURE)
            self.emit(value.text)

    def select(self, op: Op, imm: object) -> None:
        operands = self.stack[-3:]
        if any(e.flags & IMPURE for e in operands[:2]):
            self.materialise(len(self.stack) - 1)
        cond = self.pop()
        second = self.pop()
        first = self.pop()
        flags = (cond.flags | first.flags | second.flags) & (IMPURE | STATE)
        depth = max(cond.depth, first.depth, second.depth) + 1
        self.push(f"({first.text} if {cond.text} else {second.text})", flags, depth)

    def first_nan_wins(self, op: Op, imm: object) -> None:
        """f32/f64 add and mul. Of two NaN operands CPython's `+` and `*` return either,
        depending on whether the interpreter's generic or specialised path runs them; wasm on
        x86 returns the first, quieted (numeric.fadd). So where the first operand is a NaN it
        is combined with itself, and the second is then not needed: it is evaluated first
        if it could trap. With a finite constant operand there is one NaN at most, and the
        plain operation is exact."""
        if self.stack[-1].flags & IMPURE:
            self.materialise(len(self.stack) - 1)
        second = self.pop()
        first = self.pop()
        symbol = "+" if op.name.endswith(".add") else "*"
        rounding = "rf32" if op.name.startswith("f32") else ""
        b = second.text
        if _FINITE_LITERAL.match(first.text) or _FINITE_LITERAL.match(b):
            text = f"{rounding}({first.text} {symbol} {b})"
        elif first.flags & SIMPLE:
            a = first.text
            text = f"{rounding}({a} {symbol} {b} if {a} == {a} else {a} {symbol} {a})"
        else:  # evaluated once, into a temporary; `_f {symbol} b` reads it before b runs
            text = f"{rounding}(_f {symbol} {b} if (_f := {first.text}) == _f else _f {symbol} _f)"
        flags = (first.flags | second.flags) & (IMPURE | STATE)
        self.push(text, flags, max(first.depth, second.depth) + 1)

    # -- memory --

    def address(self, entry: _Entry, offset: int, memory: int = 0) -> tuple[str, int | None]:
        """The effective address as text, and its value when known at compile time. In a
        64-bit memory it may pass 2^63, where the unpackers raise OverflowError rather than an
        IndexError: it is capped at `_FAR`, out of bounds as well (and aligned)."""
        far = self.valid.memory_types[memory].is_64
        if entry.flags & SIMPLE and entry.text.isdigit():
            value = int(entry.text) + offset
            if far:
                value = min(value, _FAR)
            return str(value), value
        text = f"({entry.text} + {offset})" if offset else entry.text
        return (f"min({text}, {_FAR})" if far else text), None

    def load(self, op: Op, memarg: tuple[int, int, int]) -> None:
        addr = self.pop()
        memory = memarg[2]
        text, known = self.address(addr, memarg[1], memory)
        m = memory_suffix(memory)
        width = op.width
        if width == 1:
            access = f"M{m}[{text}]"
        elif op.valtype is ValType.F32:
            access = f"ld_f32{m}({text})"
        else:
            # An unpacker reads any address at once (faster than testing the alignment); a
            # typed view is faster still when the address is known to be aligned.
            view, suffix = _VIEWS[width, op.valtype is ValType.F64]
            if known is not None and known % width == 0:
                access = f"{view}{m}[{known >> op.align_log2}]"
            elif known is not None:
                access = f"u{suffix}(M{m}, {text})[0]"
            else:  # the view when the address turns out aligned, as it mostly is
                name, bound = (text, text) if text.isidentifier() else ("_a", f"(_a := {text})")
                access = f"{view}{m}[{name} >> {op.align_log2}] if not {bound} & {width - 1} else u{suffix}(M{m}, {name})[0]"
        # A load may trap, so it is never SIMPLE, even at a simple address: it must run even
        # when its value is dropped (before an `unreachable`, say).
        self.push(_loaded(op, access), (addr.flags & ~SIMPLE) | IMPURE | STATE, addr.depth + 1)

    def store(self, op: Op, memarg: tuple[int, int, int]) -> None:
        value = self.pop()
        addr = self.pop()
        self.effect()
        memory = memarg[2]
        text, known = self.address(addr, memarg[1], memory)
        m = memory_suffix(memory)
        width = op.width
        if not op.narrow:
            stored = value.text
        elif value.text.isdigit():
            stored = str(int(value.text) & ((1 << 8 * width) - 1))
        else:
            stored = f"{value.unmasked or value.text} & 0x{(1 << 8 * width) - 1:X}"
        if op.valtype is ValType.F32:
            self.emit(f"st_f32{m}({text}, {value.text})")
            return
        if known is None and not text.isidentifier():
            # An assignment evaluates its value before its target: compute a non-trivial
            # address first, so that the address is evaluated before the value, as in wasm.
            if text == addr.text:
                self.assign("_s", addr)
            else:
                self.emit(f"_s = {text}")
            text = "_s"
        if width == 1:
            self.emit(f"M{m}[{text}] = {stored}")
            return
        view, suffix = _VIEWS[width, op.valtype is ValType.F64]
        if known is not None and known % width == 0:
            self.emit(f"{view}{m}[{known >> op.align_log2}] = {stored}")
        elif known is not None:
            self.emit(f"p{suffix}(M{m}, {text}, {stored})")
        else:  # the view when the address turns out aligned, as it mostly is
            if not stored.isidentifier() and not stored.isdigit():
                self.emit(f"_v = {stored}")
                stored = "_v"
            self.emit(f"if {text} & {width - 1}: p{suffix}(M{m}, {text}, {stored})")
            self.emit(f"else: {view}{m}[{text} >> {op.align_log2}] = {stored}")

    def atomic(self, op: Op, imm: Any) -> None:
        """An instruction of the threads proposal: a call of its helper (see `atomics`), in
        order with every other effect and memory access. `atomic.fence` only keeps that order."""
        operands = self.args(len(op.params or ()))
        self.effect()
        if op.imm is Imm.ZERO:
            return
        address, *values = operands
        _, offset, memory = imm  # a memarg
        text, _ = self.address(address, offset, memory)
        self.call_expr(atomic_call(op, memory, ", ".join([text, *(e.text for e in values)])), op.results or ())

    def memory_size(self, op: Op, imm: int) -> None:
        self.push(f"MP{memory_suffix(imm)}", SIMPLE | STATE)

    def memory_grow(self, op: Op, imm: int) -> None:
        delta = self.pop()
        self.effect()
        self.call_expr(f"MEM_GROW{memory_suffix(imm)}({delta.text})", (ValType.I32,))

    def bulk(self, op: Op, imm: object) -> None:
        """memory.fill/copy/init, data.drop and the table instructions: runtime helpers."""
        name = op.name
        operands = self.args(_arity(op))
        self.effect()
        text = ", ".join(e.text for e in operands)
        helper, results = _BULK[name]
        helper, extra = _bulk_immediates(name, helper, imm)
        call = f"{helper}({', '.join(x for x in (extra, text) if x)})"
        self.call_expr(call, results)

    # -- references --

    def ref_null(self, op: Op, imm: object) -> None:
        self.push("None", SIMPLE)

    def ref_func(self, op: Op, index: int) -> None:
        self.push(f"F{index}", SIMPLE)


    # -- calls --

    def call(self, op: Op, index: int) -> None:
        callee = self.valid.func_types[index]
        operands = self.args(len(callee.params))
        self.effect()
        self.call_expr(f"f{index}({', '.join(e.text for e in operands)})", callee.results)

    def call_indirect(self, op: Op, imm: tuple[int, int]) -> None:
        type_index, table = imm
        callee = self.valid.module.func_type(type_index)
        self.materialise(len(self.stack) - 1)  # arguments and index in order, before the lookup
        element = self.pop()
        operands = self.args(len(callee.params))
        args = ", ".join(e.text for e in operands)
        # TY<i> is bound per instance to the process's id of type i: compiled code is cached
        # across processes, and ids are not.
        self.call_expr(f"call_indirect(TT{table}, {element.text}, TY{type_index}).fn({args})", callee.results)

    def return_call(self, op: Op, index: int) -> None:
        callee = self.valid.func_types[index]
        self.flush(IMPURE | STATE)
        operands = self.args(len(callee.params))
        self.tail_call(f"(F{index}.tail or f{index})", operands)

    def return_call_indirect(self, op: Op, imm: tuple[int, int]) -> None:
        type_index, table = imm
        callee = self.valid.module.func_type(type_index)
        self.materialise(len(self.stack) - 1)  # arguments and index in order, before the lookup
        element = self.pop()
        operands = self.args(len(callee.params))
        self.tail_call(f"tail_callee(call_indirect(TT{table}, {element.text}, TY{type_index}))", operands)

    def return_call_ref(self, op: Op, type_index: int) -> None:
        callee = self.valid.module.func_type(type_index)
        self.materialise(len(self.stack) - 1)  # arguments and reference in order, before the check
        reference = self.pop()
        operands = self.args(len(callee.params))
        self.tail_call(f"tail_callee(ref_callee({reference.text}))", operands)

    def tail_call(self, target: str, operands: Sequence[_Entry]) -> None:
        """End the function with a tail call of `target` (an expression of the callable): the
        body returns the request, its trampoline makes the call (see `tail`). From an outlined
        loop too, the request itself is returned (see `end_outline`)."""
        self.tail_calls = True
        args = "".join(f"{e.text}, " for e in operands)
        self.emit(f"return TailCall({target}, ({args}))")
        self.frame.unreachable = True

    def call_ref(self, op: Op, type_index: int) -> None:
        callee = self.valid.module.func_type(type_index)
        self.materialise(len(self.stack) - 1)  # arguments and reference in order, before the check
        reference = self.pop()
        operands = self.args(len(callee.params))
        args = ", ".join(e.text for e in operands)
        self.call_expr(f"ref_callee({reference.text}).fn({args})", callee.results)

    # -- typed references --

    def ref_as_non_null(self, op: Op, imm: object) -> None:
        reference = self.pop()
        self.push(f"ref_as_non_null({reference.text})", IMPURE | (reference.flags & STATE), reference.depth + 1)

    def ref_in_slot(self) -> _Entry:
        """The reference on top, evaluated into its slot (a branch on it tests it, and may
        leave it on the stack)."""
        self.materialise(len(self.stack) - 1)
        return self.stack[-1]

    def conditional_branch(self, op: Op, depth: int, condition: Callable[[str], str], keep: bool) -> None:
        """A branch on the reference on top: taken when `condition` (of the reference's slot)
        holds, with the reference as the label's last value if `keep`, else without it; the
        reference is on the stack again after."""
        reference = self.ref_in_slot()
        if not keep:
            self.pop()
        self.stack.append(_Entry(condition(reference.text), SIMPLE))
        self.br_if(op, depth)
        if not keep:
            self.stack.append(reference)

    def br_on_null(self, op: Op, depth: int) -> None:
        self.conditional_branch(op, depth, lambda reference: f"{reference} is None", keep=False)

    def br_on_non_null(self, op: Op, depth: int) -> None:
        self.conditional_branch(op, depth, lambda reference: f"{reference} is not None", keep=True)
        self.pop()  # not taken: the reference was null

    # -- control --

    def block_type(self, blocktype: int) -> tuple[int, int]:
        ft = block_type(blocktype, self.valid.module.func_type)
        return len(ft.params), len(ft.results)

    def nested_start(self, flat: bool) -> tuple[int, bool]:
        """Where a frame opened now writes its code, and whether it starts guarded.

        Normally a nested frame's code goes where the current frame's goes. Past
        `_FLAT_INDENT`, it goes where the current frame's guards open instead, guarded as the
        current frame's code is, and the current frame guards its code again afterwards: deep
        nesting then adds no indentation (at the price of a test of `_t` per frame). A flat
        `if` goes there always (`flat`)."""
        frame = self.frame
        if frame.indent < _FLAT_INDENT and not flat:
            self.open_guard()
            return frame.indent, False
        region = max(frame.region_indent, frame.base_indent)
        guarded = frame.pending_guard or frame.indent > region
        frame.indent = region
        frame.pending_guard = guarded
        return region, guarded

    def open_frame(self, kind: str, params: int, results: int, flat: bool = False) -> _Frame:
        indent, guarded = self.nested_start(flat)
        frame = _Frame(kind, len(self.frames), len(self.stack) - params, params, results, indent, indent)
        frame.pending_guard = guarded
        self.frames.append(frame)
        return frame

    def block(self, op: Op, blocktype: int) -> None:
        params, results = self.block_type(blocktype)
        self.spill_all()
        self.open_frame(BLOCK, params, results)

    def loop(self, op: Op, blocktype: int) -> None:
        if self.offset not in self.branched_loops:
            self.block(op, blocktype)  # nothing branches back: the body runs once, as a block
            return
        params, results = self.block_type(blocktype)
        self.spill_all()
        outlined = self.outline() if self.nested_blocks() >= _MAX_LOOPS else None
        self.emit("while True:")
        indent = self.frame.indent + 1
        frame = _Frame(LOOP, len(self.frames), len(self.stack) - params, params, results, indent, indent, python_loop=True)
        frame.outlined = outlined
        self.frames.append(frame)
        self.python_loops.append(frame)
        if self.layout.metered:
            for line in _meter_lines(self.meter_counts.get(self.offset, 0)):
                self.emit(line)

    def nested_blocks(self) -> int:
        """The blocks CPython counts around the code being written, in the function or
        closure being written: its `while` loops, and 2 for each `try` statement."""
        return len(self.python_loops) - self.loop_base + self.try_blocks

    def loops_here(self) -> bool:
        """Whether the code being written is in a `while` loop of the function or closure
        being written (loops outside an outlined `try` cannot be left by `break`)."""
        return len(self.python_loops) > self.loop_base

    def outline(self) -> _Outline:
        """Start writing a loop or a `try` as a closure of its own, called where it stands:
        CPython allows 20 nested loops and `try`s per function, and C code nests them deeper
        (QuickJS's resolve_variables 21 loops deep, yosys's C++ 51 loops and `try`s). The
        closure is defined at the top of the function and shares its locals, slots and caught
        exceptions (`nonlocal`); a branch out of it leaves through _t as from any loop, and a
        `return` in it returns a tuple that the caller passes on. A wasm exception that leaves
        the closure's `try` unhandled leaves the call, to the handlers around it."""
        self.outlines += 1
        name = f"_o{self.outlines}"
        self.emit(f"_x = {name}()")
        frame = self.frame
        outline = _Outline(name, self.lines, self.loop_base, self.try_blocks, frame.indent, frame.pending_guard)
        self.try_blocks = 0
        self.lines = [(1, f"def {name}():")]
        self.loop_base = len(self.python_loops)
        self.depth_in_closures += 1
        frame.indent, frame.pending_guard = 2, False  # the loop starts the closure's body
        return outline

    def end_outline(self, outline: _Outline, results: int) -> None:
        """The outlined loop or `try` is written: finish its closure, return to its caller's
        code (guarded, if a handler of the `try` left _t set: see `handlers`)."""
        names = set(re.findall(r"\b(?:[ls]\d+|_t|_e\d+)\b", "\n".join(text for _, text in self.lines)))
        if any(text.startswith(_RESETS) for _, text in self.lines):  # written as `_t` tests later
            names.add("_t")
        shared = sorted(names)
        self.nonlocals.update(shared)
        header = [(2, f"nonlocal {', '.join(shared)}")] if shared else []
        self.closures.append([self.lines[0], *header, *self.lines[1:]])
        self.lines = outline.lines
        self.loop_base = outline.loop_base
        self.try_blocks = outline.try_blocks
        self.depth_in_closures -= 1
        frame = self.frame
        frame.indent, frame.pending_guard = outline.indent, outline.pending_guard or frame.pending_guard
        # A `return` inside came back as a tuple of the results (a tail call as its TailCall): pass it on.
        if self.depth_in_closures:
            passed = "_x"
        else:
            passed = "None" if results == 0 else "_x[0]" if results == 1 else "_x"
            if self.tail_calls:
                passed = f"_x if _x.__class__ is TailCall else {passed}"
            elif results == 0:
                passed = ""
        self.lines.append((frame.indent, f"if _x is not None: return {passed}".rstrip()))

    # -- exceptions --

    def throw(self, op: Op, index: int) -> None:
        self.flush(IMPURE | STATE)
        operands = self.args(len(self.valid.tag_types[index].params))
        self.emit(f"raise THROWN(TG{index}, ({''.join(e.text + ', ' for e in operands)}))")
        self.frame.unreachable = True

    def open_try(self, kind: str, blocktype: int) -> _Frame:
        """`try:`, and the frame of the code under it (a try_table, or a legacy try's body)."""
        params, results = self.block_type(blocktype)
        self.spill_all()
        outlined = self.outline() if self.nested_blocks() >= _MAX_LOOPS else None
        self.emit("try:")
        at = self.frame.indent
        frame = _Frame(kind, len(self.frames), len(self.stack) - params, params, results, at + 1, at + 1)
        frame.try_indent = at
        frame.outlined = outlined
        self.frames.append(frame)
        frame.try_blocks = 2  # CPython counts 2 around a handler (its `except`, its `as` name)
        self.try_blocks += 2
        return frame

    def try_table(self, op: Op, imm: tuple[int, tuple]) -> None:
        frame = self.open_try(TRY_TABLE, imm[0])
        frame.clauses = imm[1]

    def except_line(self, at: int, name: str) -> None:
        """`except WasmException as <name>:` at indentation `at`; then, once a delegate passes
        exceptions past handlers, letting one through that is to skip this handler."""
        self.lines.append((at, f"except WasmException as {name}:"))
        if self.delegates:
            self.lines.append((at + 1, f"if {name}.skip:"))
            self.lines.append((at + 2, f"{name}.skip -= 1"))
            self.lines.append((at + 2, "raise"))

    def handlers(self, frame: _Frame) -> None:
        """A try_table's catch clauses, after its code: each a branch, with the payload (and
        for the `_ref` kinds the exception itself, the exnref), to a label outside it (counted
        from there: the try_table's own frame is off the stack)."""
        base = frame.try_indent
        self.except_line(base, "_e")
        enclosing = self.frame
        indent, pending = enclosing.indent, enclosing.pending_guard
        enclosing.pending_guard = False
        del self.stack[frame.height :]
        self.truncated()
        guard = False
        first = True
        for kind, tag, label in frame.clauses:
            catches_all = kind >= CATCH_ALL
            conditional = not (catches_all and first)
            if conditional:
                test = "else:" if catches_all else f"{'if' if first else 'elif'} _e.tag is TG{tag}:"
                self.lines.append((base + 1, test))
            enclosing.indent = base + 1 + conditional
            payload = 0 if tag is None else len(self.valid.tag_types[tag].params)
            self.stack.extend(_Entry(f"_e.internal[{i}]", SIMPLE) for i in range(payload))
            if kind == CATCH_REF or kind == CATCH_ALL_REF:
                self.stack.append(_Entry("_e", SIMPLE))
            carried = len(self.stack) - frame.height
            target = self.frames[-1 - label]
            if frame.outlined is not None and target.kind != FUNC:  # leaves the closure: see `end`
                frame.escape = min(frame.escape, target.depth)
            self.branch_values(label)
            guard = guard or enclosing.pending_guard
            enclosing.pending_guard = False
            del self.stack[len(self.stack) - carried :]
            self.truncated()
            first = False
            if catches_all:
                break
        else:
            self.lines.append((base + 1, "raise") if first else (base + 1, "else:"))
            if not first:
                self.lines.append((base + 2, "raise"))
        enclosing.indent = indent
        enclosing.pending_guard = pending or guard

    def try_(self, op: Op, blocktype: int) -> None:
        self.open_try(TRY, blocktype)

    def catch(self, op: Op, tag: int | None) -> None:
        """Start a catch (or, with no tag, catch_all) section of a legacy try: a test of the
        exception's tag in its `except` clause, under which the section's code goes, starting
        from the payload."""
        frame = self.frame
        if not frame.unreachable:
            self.assign_results(frame, frame.results)
            frame.end_reachable = True
        base = frame.try_indent
        name = f"_e{frame.depth}"
        first = frame.section == 0
        if first:
            self.except_line(base, name)
        if tag is None:
            if not first:
                self.lines.append((base + 1, "else:"))
        else:
            self.lines.append((base + 1, f"{'if' if first else 'elif'} {name}.tag is TG{tag}:"))
        frame.section = CATCHING_ALL if tag is None else CATCHING
        at = base + 1 + (tag is not None or not first)
        frame.indent = frame.base_indent = frame.region_indent = at
        frame.pending_guard = frame.unreachable = False
        del self.stack[frame.height :]
        self.truncated()
        carried = len(self.valid.tag_types[tag].params) if tag is not None else 0
        slots = [f"s{frame.height + i}" for i in range(carried)]
        if carried:
            self.emit(f"{', '.join(slots)}, = {name}.internal")
        self.stack.extend(_Entry(slot, SIMPLE) for slot in slots)
        self.slotted = self.settled = len(self.stack)

    def end_try(self, frame: _Frame) -> None:
        """After a legacy try's last section: what no catch matched goes on."""
        base = frame.try_indent
        if frame.section == 0:  # no catch at all
            self.except_line(base, f"_e{frame.depth}")
            self.lines.append((base + 1, "raise"))
        elif frame.section == CATCHING:
            self.lines.append((base + 1, "else:"))
            self.lines.append((base + 2, "raise"))

    def delegate(self, op: Op, label: int) -> None:
        """End a legacy try whose exceptions go to the handler of label `label` (counted from
        outside the try): they skip the handlers in between, each of which lets one through
        while its count of handlers to skip is not down to zero."""
        frame = self.frame
        if not frame.unreachable:  # the body's results, before the handler is written
            self.assign_results(frame, frame.results)
            frame.end_reachable = frame.unreachable = True
        outside = self.frames[len(self.frames) - 1 - label : -1]  # from the target's inner side
        skipped = sum(1 for f in outside if f.kind == TRY_TABLE or (f.kind == TRY and f.section == 0))
        if skipped:
            self.delegates = True
        name = f"_e{frame.depth}"
        self.except_line(frame.try_indent, name)
        if skipped:
            self.lines.append((frame.try_indent + 1, f"{name}.skip = {skipped}"))
        self.lines.append((frame.try_indent + 1, "raise"))
        frame.section = CATCHING_ALL  # the handler is written
        self.end(op, None)

    def rethrow(self, op: Op, label: int) -> None:
        self.flush(IMPURE | STATE)
        # Without the traceback it gathered so far (a rethrow in a loop would grow it).
        self.emit(f"raise _e{self.frames[-1 - label].depth}.with_traceback(None)")
        self.frame.unreachable = True

    def throw_ref(self, op: Op, imm: object) -> None:
        self.flush(IMPURE | STATE)
        self.emit(f"raise throw_ref({self.pop().text})")
        self.frame.unreachable = True

    def if_(self, op: Op, blocktype: int) -> None:
        params, results = self.block_type(blocktype)
        cond = self.pop()
        if cond.flags & IMPURE:
            self.stack.append(cond)
            self.spill_all()
            cond = self.pop()
        else:
            self.spill_all()
        if self.frame.indent >= _FLAT_INDENT:
            # Deep: `if not cond:` sets _t to the frame's negated depth, which skips the
            # then-part (guarded by _t as every flat frame is) and selects the else-part.
            self.uses_t = True
            select_else = f"_t = -{len(self.frames)}"
            enclosing = self.frame
            if enclosing.pending_guard:  # the guard and the test in one statement
                enclosing.indent = max(enclosing.region_indent, enclosing.base_indent)
                self.lines.append((enclosing.indent, f"if not (_t or {cond.text}): {select_else}"))
            else:
                self.emit(f"if not {cond.text}: {select_else}")
            frame = self.open_frame(IF, params, results, flat=True)
            frame.pending_guard = frame.flat = True
        else:
            self.emit(f"if {cond.text}:")
            indent = self.frame.indent + 1
            frame = _Frame(IF, len(self.frames), len(self.stack) - params, params, results, indent, indent)
            self.frames.append(frame)
        frame.saved_stack = self.stack[frame.height :]

    def assign_results(self, frame: _Frame, count: int) -> None:
        """Move the top `count` values into the frame's slots (parallel assignment)."""
        values = self.args(count)
        targets = [f"s{frame.height + i}" for i in range(count)]
        sources = [v.text for v in values]
        pairs = [(t, s) for t, s in zip(targets, sources) if t != s]
        if pairs:
            self.emit(f"{', '.join(t for t, _ in pairs)} = {', '.join(s for _, s in pairs)}")

    def else_(self, op: Op | None, imm: object) -> None:
        frame = self.frame
        if not frame.unreachable:
            self.assign_results(frame, frame.results)
            frame.end_reachable = True
            if frame.flat:  # the then-part skips the else-part as a branch to the end does
                self.uses_t = frame.targeted = True
                self.emit(f"_t = {frame.depth}")
        if frame.flat:
            self.reset_t(frame.base_indent, -frame.depth)
            frame.pending_guard = True
        else:
            self.lines.append((frame.base_indent - 1, "else:"))
            frame.pending_guard = False
        del self.stack[frame.height :]
        self.stack.extend(frame.saved_stack or [])
        self.slotted = self.settled = len(self.stack)  # all slots since the `if` (see if_)
        frame.saved_stack = None
        frame.unreachable = False
        frame.indent = frame.region_indent = frame.base_indent

    def end(self, op: Op | None, imm: object) -> None:
        frame = self.frames.pop() if len(self.frames) > 1 else self.frame
        if frame.kind == FUNC:
            if not frame.unreachable:
                self.return_values(self.args(frame.results))
            return
        if not frame.unreachable:
            self.frames.append(frame)
            self.assign_results(frame, frame.results)
            self.frames.pop()
            frame.end_reachable = True
        enclosing = self.frame
        if frame.kind == TRY_TABLE:
            self.handlers(frame)
        elif frame.kind == TRY:
            self.end_try(frame)
        self.try_blocks -= frame.try_blocks
        if frame.outlined is not None and frame.kind != LOOP:
            self.end_outline(frame.outlined, self.frames[0].results)
            self.after_python_loop(frame)
        if frame.kind == IF and frame.saved_stack is not None:  # no else: the parameters pass through
            frame.end_reachable = True
            if frame.flat:
                self.reset_t(frame.base_indent, -frame.depth)
        if frame.kind == LOOP:
            self.lines.append((frame.base_indent, "break"))
            self.python_loops.pop()
            if frame.outlined is not None:
                self.end_outline(frame.outlined, self.frames[0].results)
            self.after_python_loop(frame)
        elif frame.targeted:
            self.reset_t(enclosing.indent, frame.depth)
            frame.end_reachable = True
        if frame.escape < frame.depth:  # a branch inside left _t set for an outer target
            enclosing.escape = min(enclosing.escape, frame.escape)
            enclosing.pending_guard = True  # guard what follows
        del self.stack[frame.height :]
        self.truncated()
        for i in range(frame.results):
            self.stack.append(_Entry(f"s{frame.height + i}", SIMPLE))
        if not frame.end_reachable:
            enclosing.unreachable = True

    def after_python_loop(self, loop: _Frame) -> None:
        """After a `while` ends, or an outlined `try`'s closure returns: resume a branch that
        left it for an outer target (the outermost such target's depth is `loop.escape`)."""
        if loop.escape >= loop.depth or not self.loops_here():
            return
        enclosing_loop = self.python_loops[-1]
        indent = self.frame.indent
        if loop.escape <= enclosing_loop.depth:
            self.lines.append((indent, f"if _t == {enclosing_loop.depth}:"))
            self.lines.append((indent + 1, "_t = 0"))
            self.lines.append((indent + 1, "continue"))
        if loop.escape < enclosing_loop.depth:
            self.lines.append((indent, f"if _t and _t < {enclosing_loop.depth}: break"))

    def branch(self, depth: int) -> None:
        """The jump to the frame `depth` levels out (values already in its slots)."""
        target = self.frames[-1 - depth]
        if target.kind == FUNC:
            return  # handled by the caller as a return
        loops_between = self.loops_here() and self.python_loops[-1].depth > target.depth
        in_reach = self.loops_here() and target.depth >= self.python_loops[self.loop_base].depth
        if target.kind == LOOP and not loops_between and in_reach:
            self.emit("continue")
            return
        self.uses_t = True
        if depth:  # leaves the frames in between (`end` passes this on outwards)
            self.frame.escape = min(self.frame.escape, target.depth)
        if target.kind == LOOP and loops_between:
            self.emit(f"_t = {target.depth}")
            self.emit("break")
            return
        if target.kind == LOOP:
            # Outside the outlined `try` being written: forward to its end, where the caller
            # continues the loop (see `after_python_loop`).
            self.emit(f"_t = {target.depth}")
            self.frame.pending_guard = True
            return
        target.targeted = True
        self.emit(f"_t = {target.depth}")
        if loops_between:
            self.emit("break")
        else:
            self.frame.pending_guard = True

    def branch_values(self, depth: int) -> None:
        """Assign the values the branch carries to the target's slots (keeping them on the
        stack: br_if leaves them there)."""
        target = self.frames[-1 - depth]
        if target.kind == FUNC:
            count = target.results
            values = self.stack[len(self.stack) - count :] if count else []
            self.return_values(values)
            return
        count = target.params if target.kind == LOOP else target.results
        values = self.stack[len(self.stack) - count :] if count else []
        pairs = [(f"s{target.height + i}", v.text) for i, v in enumerate(values) if v.text != f"s{target.height + i}"]
        if pairs:
            self.emit(f"{', '.join(t for t, _ in pairs)} = {', '.join(s for _, s in pairs)}")
        self.branch(depth)

    def return_values(self, values: Sequence[_Entry]) -> None:
        if self.depth_in_closures:  # from an outlined loop: the results as a tuple, always
            self.emit(f"return ({''.join(v.text + ', ' for v in values)})")
        elif not values:
            self.emit("return")
        elif len(values) == 1:
            self.emit(f"return {values[0].text}")
        else:
            self.emit(f"return ({', '.join(v.text for v in values)})")

    def exits_structurally(self, depth: int) -> bool:
        """Whether a branch to `depth` can be plain structure: a branch out of the innermost
        `block` or `if` needs no flag (`br` just ends the code; for `br_if`, the rest of the
        block runs under `if not cond:`), while the nesting that adds stays shallow."""
        frame = self.frame
        return (
            depth == 0
            and frame.kind in (BLOCK, IF, TRY_TABLE, TRY)
            and not frame.flat  # whose then-part ends in a jump over the else-part
            and frame.indent - frame.base_indent < _MAX_STRUCTURED_EXITS
            and frame.indent < _FLAT_INDENT
        )

    def assign_branch_values(self, frame: _Frame) -> None:
        count = frame.results
        values = self.stack[len(self.stack) - count :] if count else []
        pairs = [(f"s{frame.height + i}", v.text) for i, v in enumerate(values) if v.text != f"s{frame.height + i}"]
        if pairs:
            self.emit(f"{', '.join(t for t, _ in pairs)} = {', '.join(s for _, s in pairs)}")

    def br(self, op: Op, depth: int) -> None:
        self.flush(IMPURE | STATE)
        if self.exits_structurally(depth):
            self.assign_branch_values(self.frame)  # and control falls to the block's end
            self.frame.end_reachable = True
        else:
            self.branch_values(depth)
        self.frame.unreachable = True

    def br_if(self, op: Op, depth: int) -> None:
        cond = self.pop()
        self.flush(IMPURE | STATE)
        if cond.flags & IMPURE:
            self.stack.append(cond)
            self.materialise(len(self.stack) - 1)
            cond = self.pop()
        frame = self.frame
        if self.exits_structurally(depth):
            frame.end_reachable = True
            if frame.results:
                self.emit(f"if {cond.text}:")
                frame.indent += 1
                self.assign_branch_values(frame)
                frame.indent -= 1
                self.emit("else:")
            else:
                self.emit(f"if not {cond.text}:")
            # The rest of the block runs when the branch is not taken; guard regions that
            # follow open inside it.
            frame.indent += 1
            frame.region_indent = frame.indent
            return
        self.emit(f"if {cond.text}:")
        outside = frame.indent
        frame.indent += 1
        self.branch_values(depth)  # a forward branch leaves _t set: what follows is guarded
        frame.indent = outside

    def br_table(self, op: Op, imm: tuple[tuple[int, ...], int]) -> None:
        labels, default = imm
        index = self.pop()
        self.flush(IMPURE | STATE)
        if not index.flags & SIMPLE:
            self.emit(f"_i = {index.text}")
            index = _Entry("_i", SIMPLE)
        targets: dict[int, list[int]] = {}
        for position, label in enumerate(labels):
            if label != default:
                targets.setdefault(label, []).append(position)
        # Open a pending guard first: the branches below are written relative to where the
        # code goes now, and a guard opened by their first line would move it.
        self.open_guard()
        frame = self.frame
        base = frame.indent
        if len(targets) >= _MAX_CASES:
            self.long_br_table(index.text, labels, default)
            return
        first = True
        for label, positions in targets.items():
            cond = _membership(index.text, positions)
            self.emit(f"{'if' if first else 'elif'} {cond}:")
            first = False
            frame.indent = base + 1
            self.branch_values(label)
            frame.indent = base
            frame.pending_guard = False
        if targets:
            self.emit("else:")
            frame.indent = base + 1
        self.branch_values(default)
        frame.indent = base
        frame.pending_guard = False
        frame.unreachable = True

    def long_br_table(self, index: str, labels: tuple[int, ...], default: int) -> None:
        """A br_table to many targets (a C `switch`): the label is looked up in a tuple, then
        found by `elif` chains of at most `_MAX_CASES` labels, each under a test of its range
        (one long `elif` chain would make CPython's compiler recurse once per case)."""
        name = f"K{self.index}_{len(self.constants)}"
        self.constants.append(f"{name} = {tuple(labels)!r}")
        self.emit(f"_i = {name}[{index}] if {index} < {len(labels)} else {default}")
        frame = self.frame
        base = frame.indent
        targets = sorted({*labels, default})
        chunked = len(targets) > _MAX_CASES
        for start in range(0, len(targets), _MAX_CASES):
            chunk = targets[start : start + _MAX_CASES]
            if chunked:
                frame.indent = base
                self.emit(f"if {chunk[0]} <= _i <= {chunk[-1]}:")
            cases = base + chunked
            for n, label in enumerate(chunk):
                frame.indent = cases
                self.emit(f"{'elif' if n else 'if'} _i == {label}:")
                frame.indent = cases + 1
                self.branch_values(label)
                frame.pending_guard = False
        frame.indent = base
        frame.unreachable = True

    def return_(self, op: Op, imm: object) -> None:
        self.flush(IMPURE | STATE)
        self.return_values(self.args(self.frames[0].results))
        self.frame.unreachable = True

    def unreachable(self, op: Op, imm: object) -> None:
        self.flush(IMPURE | STATE)
        self.emit("trap_unreachable()")
        self.frame.unreachable = True

    def nop(self, op: Op, imm: object) -> None:
        pass

    def simd(self, op: Op, imm: object) -> None:
        operands = self.args(len(op.params or ()))
        texts = [e.text for e in operands]
        # A SIMD load or store checks its range itself, any int address included.
        memory = f"M{memory_suffix(imm[-1])}" if op.imm is Imm.MEMARG or op.imm is Imm.MEMLANE else ""  # type: ignore[index]
        text, kind = simd_expression(op, imm, texts, memory)
        if kind == simd.STORE:
            self.effect()
            self.emit(text)
            return
        if kind == simd.CONST:
            self.push(text, SIMPLE)
            return
        flags = IMPURE | STATE if kind == simd.LOAD else 0
        for e in operands:
            flags |= e.flags & (IMPURE | STATE)
        self.push(text, flags, max((e.depth for e in operands), default=0) + 1)


def _pad(indent: int) -> str:
    """The indentation of a line `indent` levels deep: four spaces a level as usual, one a
    level past the eighth (deep code would otherwise be mostly spaces: 160 a line at 40)."""
    return "    " * indent if indent <= 8 else "    " * 8 + " " * (indent - 8)


def _fill_empty_suites(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The lines with `pass` in each compound statement that got no body (a then-part that
    only branched, a guard whose code all went to a nested frame that stayed empty, ...):
    simpler than knowing, where each header is written, whether anything will follow it."""
    filled: list[tuple[int, str]] = []
    for n, (indent, text) in enumerate(lines):
        filled.append((indent, text))
        if text.endswith(":") and (n + 1 == len(lines) or lines[n + 1][0] <= indent):
            filled.append((indent + 1, "pass"))
    return filled


def _meter_lines(count: int) -> list[str]:
    """Charge `count` units of fuel and stop if the fuel ran out or the store was interrupted."""
    fuel = f"METER[{Meter.FUEL:d}]"
    return [f"{fuel} -= {count}", f"if {fuel} < 0 or METER[{Meter.INTERRUPT:d}]: meter_stop()"]


def _membership(name: str, positions: list[int]) -> str:
    if len(positions) == 1:
        return f"{name} == {positions[0]}"
    if positions == list(range(positions[0], positions[-1] + 1)):
        return f"{positions[0]} <= {name} <= {positions[-1]}"
    return f"{name} in {{{', '.join(map(str, positions))}}}"


def _zero(vt: ValueType) -> str:
    if vt in (ValType.F32, ValType.F64):
        return "0.0"
    if vt.is_ref:
        return "None"
    return "0"


# Where an address of a 64-bit memory past it is capped (see `address`): out of any memory.
_FAR = 1 << 62


def memory_suffix(index: int) -> str:
    """What ends the names the generated code reads memory `index` by: nothing for memory 0
    (`M`, `M32`, `MP`, `MEM_GROW`, `ld_f32`, `memory_fill`...), `_1` for memory 1 and so on."""
    return f"_{index}" if index else ""


# The typed view of memory and the suffix of the unaligned unpacker `u<suffix>` and packer
# `p<suffix>` (see `engine`) for each (width, float) of a multi-byte access other than f32's.
_VIEWS = {(2, False): ("M16", "16"), (4, False): ("M32", "32"), (8, False): ("M64", "64"), (8, True): ("MF64", "f64")}


_SIGNED_COMPARISONS = {
    f"i{bits}.{name}": (operator, bits)
    for bits in (32, 64)
    for name, operator in (("lt_s", "<"), ("gt_s", ">"), ("le_s", "<="), ("ge_s", ">="))
}
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}  # a OP b is b MIRRORED[OP] a


def _signed_range(value: str, operator: str, constant: int, bits: int) -> str:
    """`value OP constant`, signed, as a test of the unsigned `value` (evaluated once): the
    signed values satisfying it, [low, high), are one interval of unsigned ones or the two
    ends of the unsigned range around one."""
    full = 1 << bits
    sign = full >> 1
    c = constant - full if constant >= sign else constant
    low, high = {"<": (-sign, c), "<=": (-sign, c + 1), ">": (c + 1, sign), ">=": (c, sign)}[operator]
    if low >= high:  # nothing satisfies it (the value is still evaluated)
        return f"({value} < 0)"
    if high - low == full:  # everything does
        return f"({value} >= 0)"
    low, high = low % full, high % full
    low_text, high_text = f"{low:#x}", f"{high:#x}"
    if low < high:
        return f"({value} < {high_text})" if low == 0 else f"({low_text} <= {value} < {high_text})"
    return f"({value} >= {low_text})" if high == 0 else f"(not {high_text} <= {value} < {low_text})"


def _reduced(first: str, operator: str, second: str, bits: int) -> tuple[str, str, str]:
    """`first + second` or `first - second` of two reduced `bits`-wide values, reduced again
    by one conditional subtraction (addition) of 2^bits: in CPython a comparison with the
    two-digit int 2^bits - 1 costs less than masking with it. Returns the expression, the
    statement reducing a variable that holds the unreduced value (`{0}`), and that value. A
    constant of 2^(bits-1) or more is negative: it is subtracted (added) instead, so that a
    decrement needs no correction unless it goes below zero."""
    full = 1 << bits
    if second.isdigit() and int(second) >= full >> 1:
        operator = "-" if operator == "+" else "+"
        second = str(full - int(second))
    inner = f"({first} {operator} {second})"
    if operator == "+":
        limit = MASK32_TEXT if bits == 32 else MASK64_TEXT
        return f"(_w if (_w := {inner}) <= {limit} else _w - {full:#x})", f"if {{0}} > {limit}: {{0}} -= {full:#x}", inner
    return f"(_w if (_w := {inner}) >= 0 else _w + {full:#x})", f"if {{0}} < 0: {{0}} += {full:#x}", inner


def _loaded(op: Op, access: str) -> str:
    """The value a load pushes, given the expression of the raw access: sign-extended when the
    instruction says so, as an unsigned int of its type."""
    if not op.signed:
        return f"({access})"
    return sign_extended(f"({access})", 8 * op.width, 32 if op.valtype is ValType.I32 else 64)


_I32 = (ValType.I32,)
_BULK: dict[str, tuple[str, tuple[ValueType, ...]]] = {
    "memory.fill": ("memory_fill", ()),
    "memory.copy": ("memory_copy", ()),
    "memory.init": ("memory_init", ()),
    "data.drop": ("data_drop", ()),
    "table.get": ("table_get", (ValType.FUNCREF,)),  # the type does not matter for slots
    "table.set": ("table_set", ()),
    "table.size": ("table_size", _I32),
    "table.grow": ("table_grow", _I32),
    "table.fill": ("table_fill", ()),
    "table.copy": ("table_copy", ()),
    "table.init": ("table_init", ()),
    "elem.drop": ("elem_drop", ()),
}
# The operand counts of the instructions the opcode table types by a rule (see `_arity`).
_RULE_ARITY = {
    "ref.is_null": 1,
    "table.get": 1,
    "table.set": 2,
    "table.size": 0,
    "table.grow": 2,
    "table.fill": 3,
    "table.copy": 3,
    "table.init": 3,
}


def _arity(op: Op) -> int:
    """How many operands `op` takes: its parameters in the opcode table, or by its rule."""
    return len(op.params) if op.params is not None else _RULE_ARITY[op.name]


def _bulk_immediates(name: str, helper: str, imm: Any) -> tuple[str, str]:
    """The helper a bulk instruction calls and its leading arguments: the memories, tables
    and segments it works on. Memory 0's helpers know their memory; the others are given it
    (`MEM<i>`, the `Memory` object)."""
    if name == "memory.fill":
        return helper + memory_suffix(imm), ""
    if name == "memory.copy":
        dst, src = imm
        return (helper, "") if not dst and not src else ("memory_copy_between", f"MEM{dst}, MEM{src}")
    if name == "memory.init":
        segment, memory = imm
        return (helper, f"{segment}") if not memory else ("memory_init_in", f"MEM{memory}, {segment}")
    if name in ("data.drop", "elem.drop"):
        return helper, f"{imm}"
    if name == "table.copy":
        return helper, f"TT{imm[0]}, TT{imm[1]}"
    if name == "table.init":
        return helper, f"TT{imm[1]}, {imm[0]}"
    return helper, f"TT{imm}"


# The operations done by `wrapping`: (operator, mask).
_WRAPPING = {
    f"{t}.{name}": (operator, mask)
    for t, mask in (("i32", MASK32_TEXT), ("i64", MASK64_TEXT))
    for name, operator in (("add", "+"), ("sub", "-"), ("mul", "*"), ("shl", "<<"), ("rotl", "rotl"), ("rotr", "rotr"))
}
_WRAPPING["i32.wrap_i64"] = ("wrap", MASK32_TEXT)

# A float constant's text in generated code when it is finite (others are named: see `const`).
_FINITE_LITERAL = re.compile(r"-?\d[\d.e+-]*$")


# Each handler takes (compiler, op, immediates), the immediates shaped as `op.imm` says.
_HANDLERS: dict[str, Callable[..., None]] = {
    "nop": _FunctionCompiler.nop,
    "unreachable": _FunctionCompiler.unreachable,
    "block": _FunctionCompiler.block,
    "loop": _FunctionCompiler.loop,
    "if": _FunctionCompiler.if_,
    "else": _FunctionCompiler.else_,
    "end": _FunctionCompiler.end,
    "br": _FunctionCompiler.br,
    "br_if": _FunctionCompiler.br_if,
    "br_table": _FunctionCompiler.br_table,
    "return": _FunctionCompiler.return_,
    "call": _FunctionCompiler.call,
    "call_indirect": _FunctionCompiler.call_indirect,
    "return_call": _FunctionCompiler.return_call,
    "return_call_indirect": _FunctionCompiler.return_call_indirect,
    "return_call_ref": _FunctionCompiler.return_call_ref,
    "throw": _FunctionCompiler.throw,
    "try_table": _FunctionCompiler.try_table,
    "try": _FunctionCompiler.try_,
    "catch": _FunctionCompiler.catch,
    "catch_all": _FunctionCompiler.catch,
    "delegate": _FunctionCompiler.delegate,
    "rethrow": _FunctionCompiler.rethrow,
    "throw_ref": _FunctionCompiler.throw_ref,
    "call_ref": _FunctionCompiler.call_ref,
    "ref.as_non_null": _FunctionCompiler.ref_as_non_null,
    "br_on_null": _FunctionCompiler.br_on_null,
    "br_on_non_null": _FunctionCompiler.br_on_non_null,
    **GC_HANDLERS,
    "drop": _FunctionCompiler.drop,
    "select": _FunctionCompiler.select,
    **{f"{t}.{name}": _FunctionCompiler.first_nan_wins for t in ("f32", "f64") for name in ("add", "mul")},
    "local.get": _FunctionCompiler.local_get,
    "local.set": _FunctionCompiler.local_set,
    "local.tee": _FunctionCompiler.local_tee,
    "global.get": _FunctionCompiler.global_get,
    "global.set": _FunctionCompiler.global_set,
    "i32.const": _FunctionCompiler.const,
    "i64.const": _FunctionCompiler.const,
    "f32.const": _FunctionCompiler.const,
    "f64.const": _FunctionCompiler.const,
    "memory.size": _FunctionCompiler.memory_size,
    "memory.grow": _FunctionCompiler.memory_grow,
    "ref.null": _FunctionCompiler.ref_null,
    "ref.func": _FunctionCompiler.ref_func,
    **{name: _FunctionCompiler.bulk for name in _BULK},
    **{name: _FunctionCompiler.signed_compare for name in _SIGNED_COMPARISONS},
}


def _handler(op: Op) -> Callable[..., None] | None:
    """The method that compiles `op`, or None where the engine has none."""
    handler = _HANDLERS.get(op.name)
    if handler is not None:
        return handler
    if op.feature in (Feature.SIMD, Feature.RELAXED_SIMD):  # a constant, or a call of the function in the namespace
        return _FunctionCompiler.simd if op.imm is Imm.V128 or simd.function_name(op) in simd.FUNCTIONS else None
    if op.feature is Feature.THREADS:
        return _FunctionCompiler.atomic
    if op.name in _WRAPPING:
        return _FunctionCompiler.wrapping
    if op.name in TEMPLATES:
        return _FunctionCompiler.template
    if op.valtype is not None:
        return _FunctionCompiler.load if op.results else _FunctionCompiler.store
    return None


# Per instruction (by Op.index), how it is compiled: found once, here, for every instruction.
_DISPATCH = [_handler(op) for op in ALL]


def handles(op: Op) -> bool:
    """Whether the Python engine compiles `op`."""
    return _DISPATCH[op.index] is not None


def compile_function(layout: ModuleLayout, index: int, func: Func) -> str:
    """The Python source of function `index` (in the function index space)."""
    func_type = layout.valid.func_types[index]
    return "\n".join(_FunctionCompiler(layout, index, func, func_type).compile())


def compile_function_located(layout: ModuleLayout, index: int, func: Func) -> list[tuple[str, int | None]]:
    """The lines of `compile_function`'s source, each with the offset in the body of the wasm
    instruction it was written for, where one was (None for the lines around them: the
    function's header, guards, `pass`), for showing the source beside the wasm."""
    func_type = layout.valid.func_types[index]
    lines = _FunctionCompiler(layout, index, func, func_type, located=True).compile()
    return [(line, line.at if isinstance(line, _Located) else None) for line in lines]
