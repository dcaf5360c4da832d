"""Random control flow: modules of nested block/loop/if/else with br, br_if, br_table, return,
multi-value block types and dead code after branches (and optionally try_table and throw),
valid by construction, run on the
Python engine (plain and metered), the native engine and wasmtime, whose results must agree.

The generator draws every choice from a `Chooser`, so that hypothesis can drive it (and shrink
what it finds; see test_control_flow_fuzz.py) and so can a seeded `random.Random` for long
campaigns:

    python -m tests.engine.control_flow --count 20000 --seed 1 [--no-native]

prints how many modules ran and every disagreement, and exits 1 if there was one.

Every loop terminates: each branch that may go back to a loop first counts one iteration in a
local of its own and returns once the count passes a bound, so a call does a bounded amount of
work on every engine without fuel.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import wasmtime

import wasmkit
from wasmkit.engine.python import compiler
from wasmkit.errors import WasmError

I32, I64 = "i32", "i64"
_MASKS = {I32: 0xFFFF_FFFF, I64: 0xFFFF_FFFF_FFFF_FFFF}
_ITERATIONS = 24  # back edges taken per call, at most, over all loops of the function
_ARGUMENTS = {I32: [0, 1, 2, 3, 0xFFFF_FFFF, 0x8000_0000], I64: [0, 1, 2, 2**63, 2**64 - 1]}


class Chooser(Protocol):
    """Where the generator's choices come from."""

    def integer(self, low: int, high: int) -> int:
        """A number in [low, high]."""


class RandomChooser:
    """Choices from a seeded `random.Random` (the campaign mode)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


@dataclass(frozen=True)
class _Label:
    types: tuple[str, ...]  # what a branch to it carries
    is_loop: bool


@dataclass(frozen=True)
class Program:
    """A generated module (text), the type of its one exported function "f", and inputs."""

    text: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    inputs: tuple[tuple[int, ...], ...]


class _Generator:
    """Writes one function's body as flat text instructions, typed by construction: every
    piece is generated for the operand types it must consume and produce."""

    def __init__(self, choose: Chooser, size: int, exceptions: bool = False) -> None:
        self.c = choose
        self.budget = size
        # try_tables (their handlers branching to blocks outside) and throws of two tags, $e
        # (param i32) and $f; without them, the same choices make the same programs as before.
        self.exceptions = exceptions
        self.params: tuple[str, ...] = ()
        self.results: tuple[str, ...] = ()
        self.locals: list[str] = []  # params, then declared locals, then the iteration counter
        self.counter = 0

    # -- choices --

    def pick(self, options: Sequence[str]) -> str:
        return options[self.c.integer(0, len(options) - 1)]

    def chance(self, percent: int) -> bool:
        return self.c.integer(0, 99) < percent

    def types(self, most: int) -> tuple[str, ...]:
        return tuple(self.pick((I32, I64)) for _ in range(self.c.integer(0, most)))

    def spend(self) -> bool:
        """Whether there is room for another compound piece (each one costs a unit)."""
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    # -- the module --

    def program(self) -> Program:
        self.params = tuple(self.pick((I32, I32, I64)) for _ in range(self.c.integer(1, 3)))
        self.results = self.types(2)
        declared = [self.pick((I32, I64)) for _ in range(self.c.integer(0, 3))]
        self.locals = [*self.params, *declared]
        self.counter = len(self.locals)
        body = self.body((), self.results, [_Label(self.results, False)])
        lines = ["(module", *(["  (tag $e (param i32)) (tag $f)"] if self.exceptions else []),
                 f'  (func (export "f") {_signature(self.params, self.results)}']
        if declared:
            lines.append(f"    (local {' '.join(declared)})")
        lines.append("    (local i32)")  # the iteration counter
        lines.extend(f"    {instr}" for instr in body)
        lines.append("  ))")
        inputs = [tuple(0 for _ in self.params)]
        for _ in range(4):
            inputs.append(tuple(self.pick_argument(t) for t in self.params))
        return Program("\n".join(lines), self.params, self.results, tuple(dict.fromkeys(inputs)))

    def pick_argument(self, t: str) -> int:
        options = _ARGUMENTS[t]
        return options[self.c.integer(0, len(options) - 1)]

    # -- sequences --

    def body(self, start: tuple[str, ...], results: tuple[str, ...], labels: list[_Label]) -> list[str]:
        """Code that, given `start` on the stack, leaves `results` (or ends in a branch)."""
        code: list[str] = []
        for _ in range(self.c.integer(0, 3 if self.budget > 0 else 0)):
            code += self.statement(labels)
        if start != results or self.chance(50):
            code += self.consume(start)
            if self.chance(15):  # a branch away, then code that never runs
                code += self.branch_away(labels)
                if self.chance(50):
                    code += self.statement(labels)
                keep = self.c.integer(0, len(results))
                for t in results[keep:]:
                    code += self.value(t, labels)
                return code
            for _ in range(self.c.integer(0, 2 if self.budget > 0 else 0)):
                code += self.statement(labels)
            for t in results:
                code += self.value(t, labels)
        return code

    def consume(self, types: Sequence[str]) -> list[str]:
        """Take values of `types` off the stack: dropped, stored in locals or combined."""
        stack = list(types)
        code: list[str] = []
        while stack:
            top = stack[-1]
            if len(stack) >= 2 and stack[-2] == top and self.chance(35):
                code.append(f"{top}.{self.pick(('add', 'sub', 'xor', 'mul'))}")
                stack.pop()
                continue
            targets = [i for i, t in enumerate(self.locals) if t == top]
            if targets and self.chance(60):
                code.append(f"local.set {self.pick([str(i) for i in targets])}")
            else:
                code.append("drop")
            stack.pop()
        return code

    def values(self, types: Sequence[str], labels: list[_Label]) -> list[str]:
        code: list[str] = []
        for t in types:
            code += self.value(t, labels)
        return code

    # -- statements: leave the stack as they found it --

    def statement(self, labels: list[_Label]) -> list[str]:
        if not self.spend():
            return ["nop"]
        kind = self.c.integer(0, 10 if self.exceptions else 9)
        if kind == 10:
            return self.structured("try_table", labels)
        if kind == 0:
            index = self.c.integer(0, len(self.locals) - 1)
            return [*self.value(self.locals[index], labels), f"local.set {index}"]
        if kind == 1:
            t = self.pick((I32, I64))
            return [*self.value(t, labels), "drop"]
        if kind in (2, 3):
            return self.structured("block", labels)
        if kind == 4:
            return self.structured("loop", labels)
        if kind in (5, 6):
            return self.structured("if", labels)
        if kind in (7, 8):  # a conditional branch; its values stay when it is not taken
            depth = self.c.integer(0, len(labels) - 1)
            label = labels[-1 - depth]
            return [*self.loop_guard(label), *self.values(label.types, labels), *self.condition(labels), f"br_if {depth}", *self.consume(label.types)]
        # a branch away under a condition: `if` whose then-part leaves
        return [*self.condition(labels), "if", *self.branch_away([*labels, _Label((), False)]), "end"]

    def structured(self, kind: str, labels: list[_Label], results: tuple[str, ...] | None = None) -> list[str]:
        """A block, loop or if with random parameters and results; as a statement (results
        None) what it leaves is consumed."""
        params = self.types(2) if self.chance(40) else ()
        out = self.types(2) if results is None else results
        code = self.values(params, labels)
        blocktype = _signature(params, out)
        if kind == "if":
            code += self.condition(labels)
        code.append(f"{kind} {blocktype} {self.catch_clauses(labels) if kind == 'try_table' else ''}".rstrip())
        label = _Label(params if kind == "loop" else out, kind == "loop")
        code += self.body(params, out, [*labels, label])
        if kind == "if" and (params != out or self.chance(70)):
            code.append("else")
            code += self.body(params, out, [*labels, label])
        code.append("end")
        if results is None:
            code += self.consume(out)
        return code

    def catch_clauses(self, labels: list[_Label]) -> str:
        """A try_table's handlers: catch $e to a block carrying an i32 or catch_all to one
        carrying nothing (never to a loop: a throw caught there could go round for ever)."""
        clauses = []
        for _ in range(self.c.integer(0, 2)):
            catch_all = self.chance(50)
            wanted = () if catch_all else (I32,)
            options = [d for d in range(len(labels)) if not labels[-1 - d].is_loop and labels[-1 - d].types == wanted]
            if options:
                depth = options[self.c.integer(0, len(options) - 1)]
                clauses.append(f"(catch_all {depth})" if catch_all else f"(catch $e {depth})")
        return " ".join(clauses)

    def branch_away(self, labels: list[_Label]) -> list[str]:
        """An unconditional transfer: br, br_table, return, throw or (rarely) unreachable."""
        kind = self.c.integer(0, 21 if self.exceptions else 19)
        if kind == 20:
            return [*self.value(I32, labels), "throw $e"]
        if kind == 21:
            return ["throw $f"]
        if kind == 0:
            return ["unreachable"]
        if kind <= 3:
            return [*self.values(self.results, labels), "return"]
        depth = self.c.integer(0, len(labels) - 1)
        label = labels[-1 - depth]
        if kind <= 10:
            return [*self.loop_guard(label), *self.values(label.types, labels), f"br {depth}"]
        # br_table over labels that carry the same types as the default
        same = [d for d in range(len(labels)) if labels[-1 - d].types == label.types]
        table = [same[self.c.integer(0, len(same) - 1)] for _ in range(self.c.integer(0, 4))]
        guard = any(labels[-1 - d].is_loop for d in (*table, depth))
        code = self.loop_guard(_Label((), guard))
        code += self.values(label.types, labels)
        code += self.index(labels)
        code.append(f"br_table {' '.join(map(str, (*table, depth)))}")
        return code

    def loop_guard(self, label: _Label) -> list[str]:
        """Before a branch that may go back to a loop: count it, and return past the bound."""
        if not label.is_loop:
            return []
        c = self.counter
        done = [f"{t}.const {self.c.integer(0, 9)}" for t in self.results]
        return [f"local.get {c}", "i32.const 1", "i32.add", f"local.tee {c}", f"i32.const {_ITERATIONS}",
                "i32.gt_u", "if", *done, "return", "end"]  # fmt: skip

    # -- values: push one value of a type --

    def condition(self, labels: list[_Label]) -> list[str]:
        """An i32 to branch on: mostly a parameter or local, to vary with the inputs."""
        if self.chance(60):
            i32s = [i for i, t in enumerate(self.locals) if t == I32]
            if i32s:
                return [f"local.get {self.pick([str(i) for i in i32s])}"]
        return self.value(I32, labels)

    def index(self, labels: list[_Label]) -> list[str]:
        """A br_table index: a parameter, small constant or computed value."""
        if self.chance(50):
            return [f"i32.const {self.c.integer(0, 5)}"]
        return self.condition(labels)

    def value(self, t: str, labels: list[_Label]) -> list[str]:
        kind = self.c.integer(0, 14 if self.exceptions else 13) if self.spend() else self.c.integer(0, 1)
        if kind == 0:
            return [f"{t}.const {self.pick_constant(t)}"]
        if kind == 1:
            same = [i for i, lt in enumerate(self.locals) if lt == t]
            if not same:
                return [f"{t}.const {self.pick_constant(t)}"]
            return [f"local.get {self.pick([str(i) for i in same])}"]
        if kind in (2, 3):
            op = self.pick(("add", "sub", "mul", "xor", "or", "shl", "rotl"))
            return [*self.value(t, labels), *self.value(t, labels), f"{t}.{op}"]
        if kind == 4:
            if t == I32:
                other = self.pick((I32, I64))
                op = self.pick(("eq", "ne", "lt_s", "lt_u", "ge_s", "gt_u"))
                return [*self.value(other, labels), *self.value(other, labels), f"{other}.{op}"]
            return [*self.value(I32, labels), self.pick(("i64.extend_i32_u", "i64.extend_i32_s"))]
        if kind == 5:
            return [*self.value(t, labels), *self.value(t, labels), *self.condition(labels), "select"]
        if kind in (6, 7):
            return self.structured("block", labels, (t,))
        if kind == 8:
            return self.structured("if", labels, (t,))
        if kind == 9:
            return self.structured("loop", labels, (t,))
        if kind == 14:
            return self.structured("try_table", labels, (t,))
        if kind == 10:  # a br_if whose value is the result when it is not taken
            options = [d for d in range(len(labels)) if labels[-1 - d].types == (t,)]
            if not options:
                return self.value(t, labels)
            depth = options[self.c.integer(0, len(options) - 1)]
            label = labels[-1 - depth]
            return [*self.loop_guard(label), *self.value(t, labels), *self.condition(labels), f"br_if {depth}"]
        if kind == 11:
            index = self.c.integer(0, len(self.locals) - 1)
            if self.locals[index] == t:
                return [*self.value(t, labels), f"local.tee {index}"]
            return self.value(t, labels)
        if kind == 12 and self.chance(30):  # may trap: division by zero or overflow
            return [*self.value(t, labels), *self.value(t, labels), f"{t}.{self.pick(('div_s', 'div_u', 'rem_s'))}"]
        return [*self.statement(labels), *self.value(t, labels)]

    def pick_constant(self, t: str) -> int:
        k = self.pick(("0", "1", "2", "3", "-1", "7", "-2147483648", "100"))
        return int(k)


def _signature(params: Sequence[str], results: Sequence[str]) -> str:
    text = ""
    if params:
        text += f"(param {' '.join(params)}) "
    if results:
        text += f"(result {' '.join(results)})"
    return text.strip()


def generate(choose: Chooser, size: int = 40, exceptions: bool = False) -> Program:
    """A random valid module with control flow of about `size` compound pieces (with
    try_table and throw if `exceptions`)."""
    return _Generator(choose, size, exceptions).program()


# -- running --

Outcome = object  # a tuple of unsigned results, or "trap: <kind>"


@contextmanager
def deep_code_shapes(flat_indent: int, max_cases: int, max_loops: int) -> Iterator[None]:
    """Have the Python engine write code past these depths the way it writes deeply nested
    code (flat blocks and ifs, br_tables looked up in a tuple, loops in loops as closures),
    so that small modules test those too, alone and next to the usual shapes."""
    saved = compiler._FLAT_INDENT, compiler._MAX_CASES, compiler._MAX_LOOPS
    compiler._FLAT_INDENT, compiler._MAX_CASES, compiler._MAX_LOOPS = flat_indent, max_cases, max_loops
    try:
        yield
    finally:
        compiler._FLAT_INDENT, compiler._MAX_CASES, compiler._MAX_LOOPS = saved


def run_wasmkit(program: Program, data: bytes, engine: str, metered: bool = False) -> list[Outcome]:
    store = wasmkit.Store(engine, fuel=10**9) if metered else wasmkit.Store(engine)
    f = wasmkit.Instance(wasmkit.Module(data), store=store).exports["f"]
    outcomes: list[Outcome] = []
    for args in program.inputs:
        try:
            result = f(*args)
        except wasmkit.Trap as trap:
            outcomes.append(f"trap: {trap.kind.value}")
            continue
        except wasmkit.WasmException:  # uncaught: wasmtime reports it as a trap
            outcomes.append("trap: uncaught exception")
            continue
        values = result if isinstance(result, tuple) else () if result is None else (result,)
        outcomes.append(tuple(v & _MASKS[t] for t, v in zip(program.results, values)))
    return outcomes


def run_wasmtime(program: Program, data: bytes) -> list[Outcome]:
    store = wasmtime.Store()
    f = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)["f"]
    outcomes: list[Outcome] = []
    for args in program.inputs:
        signed = [a - (_MASKS[t] + 1) if a > _MASKS[t] >> 1 else a for t, a in zip(program.params, args)]
        try:
            result = f(store, *signed)
        except wasmtime.Trap:
            outcomes.append("trap")
            continue
        values = result if isinstance(result, list) else () if result is None else (result,)
        outcomes.append(tuple(v & _MASKS[t] for t, v in zip(program.results, values)))
    return outcomes


def disagreement(program: Program, native: bool = True) -> str | None:
    """Run `program` everywhere; describe how the runs differ (None: they agree)."""
    data = wasmkit.write_module(wasmkit.parse_wat(program.text))
    wasmkit.validate(wasmkit.read_module(data))  # raises if the generator made an invalid module
    runs: dict[str, list[Outcome]] = {}
    variants: list[tuple[str, str, bool, tuple[int, int, int] | None]] = [
        ("python", "python", False, None),
        ("python metered", "python", True, None),
        ("python deep shapes", "python", True, (0, 1, 1)),
        # deep shapes from a depth that varies from module to module
        ("python mixed shapes", "python", False, (2 + len(program.text) % 4, 2, 2)),
    ]
    if native:
        variants.append(("native", "native", False, None))
    for name, engine, metered, shapes in variants:
        try:
            if shapes is not None:
                with deep_code_shapes(*shapes):
                    runs[name] = run_wasmkit(program, data, engine, metered)
            else:
                runs[name] = run_wasmkit(program, data, engine, metered)
        except WasmError as err:
            runs[name] = [f"{type(err).__name__}: {err}"]
    reference = run_wasmtime(program, data)
    ours = runs["python"]
    for name, outcomes in runs.items():
        if outcomes != ours:
            return f"python {ours} != {name} {outcomes}"
    as_wasmtime = ["trap" if isinstance(o, str) else o for o in ours]
    if as_wasmtime != reference:
        return f"wasmkit {ours} != wasmtime {reference}"
    return None


def campaign(count: int, seed: int, native: bool, report: Callable[[str], None] = print) -> int:
    """Run `count` random programs; report disagreements; return how many there were."""
    rng = random.Random(seed)
    found = 0
    for n in range(count):
        program = generate(RandomChooser(rng), size=rng.randint(10, 80))
        problem = disagreement(program, native)
        if problem is not None:
            found += 1
            report(f"module {n} (seed {seed}): {problem}\n{program.text}\ninputs {program.inputs}")
    report(f"{count} modules ran, {found} disagreements")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-native", action="store_true", help="compare the Python engine with wasmtime only")
    args = parser.parse_args(argv)
    return 1 if campaign(args.count, args.seed, not args.no_native) else 0


if __name__ == "__main__":
    sys.exit(main())
