"""The 3.0 text format, printer and validator against the official testsuite and wasm-tools.

For every module of every script of wasm-3.0 (top level, `legacy/`, `custom/`) that wasmkit
parses, four checks, each a column of the report:
- round trip: binary -> text -> binary gives back the same bytes (a module given in binary: or
  the same module up to what text cannot say, `roundtrip.canonical`), as in the 2.0 suite;
- validates alike: `wasm-tools wast` accepts wasmkit's binary of the module exactly when
  wasmkit's validator does;
- prints alike: `wasm-tools wast` reads wasmkit's printed text of the module, with the same
  verdict (so the printer writes the standard text format, not wasmkit's own dialect);
- parses alike: the module wasmkit parses from the script's text equals what wasmkit reads from
  wasm-tools' binary of the same text (`wasm-tools json-from-wast`), up to `same_module`.

The parse comparison uses the original text rather than wasmkit's printed text: it checks the
parser against an independent one on what people write (folded forms, abbreviations, inline
imports and exports), where the printer's flat output exercises little of the grammar; the
printer's side is covered by the round trip and by wasm-tools reading its output.

wasm-tools runs twice per script, not once per module (a process costs ~40 ms; the suite has
5,000 modules), on a .wast made of the modules as `(module binary ...)` and as printed text,
each in an `(assert_invalid ...)` where wasmkit finds it invalid, so that the line of a failed
directive says which module and form it is.
Features: WebAssembly 3.0 plus threads and the legacy exception instructions, which is what
wasmkit's ALL_FEATURES reads; `--features all` would also turn on later proposals
(stack-switching lets tags have results, custom-descriptors relaxes `br_on_cast`) under which
some of the suite's invalid modules are valid.

A disagreement that is not a bug is listed, with its reason, in tools_differences.txt; listed
ones count as failed in the report, and one that stops disagreeing fails the suite until it is
taken off the list.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.spec.roundtrip import canonical, index_encoded, round_trip
from tests.support import SHARED, report, require_shared, tool
from wasmkit.binary import read_module, write_module
from wasmkit.binary.code import OP_ELSE, OP_END, encode_instruction, iter_instructions
from wasmkit.errors import ValidationError, WasmError
from wasmkit.opcodes import Op
from wasmkit.syntax.module import Module
from wasmkit.syntax.types import REF_FUNC
from wasmkit.text import parse_module, parse_script, print_module
from wasmkit.text.script import AssertMalformed, ScriptModule
from wasmkit.validate import validate

SPEC_DIR = SHARED / "spec" / "wasm-3.0"
WAST_FILES = sorted(p.relative_to(SPEC_DIR).as_posix() for p in SPEC_DIR.rglob("*.wast")) or ["(testsuite missing).wast"]
FEATURES = "wasm3,threads,legacy-exceptions"
COLUMNS = ("round trip", "validates alike", "prints alike", "parses alike")
REPORT = report("spec 3.0 text format and wasm-tools", COLUMNS)
DIFFERENCES_FILE = Path(__file__).with_name("tools_differences.txt")
EVERY_MODULE = 0  # the line of an entry `FILE.wast:*`


@functools.cache
def documented() -> dict[tuple[str, int, str], str]:
    """(FILE.wast, line, column) -> reason, from tools_differences.txt (line EVERY_MODULE: every
    module of the file)."""
    found = {}
    for line in DIFFERENCES_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            where, column, reason = (part.strip() for part in line.split("|", 2))
            path, number = where.rsplit(":", 1)
            found[(path, EVERY_MODULE if number == "*" else int(number), column)] = reason
    return found


@dataclasses.dataclass
class Case:
    """One module of a script, as wasmkit sees it."""

    line: int
    kind: str  # "text", "binary" or "quote", as written in the script
    module: Module
    binary: bytes
    valid: bool


def wasmkit_cases(name: str) -> list[Case]:
    """Every module of the script that wasmkit parses (all but assert_malformed's), with its
    binary and wasmkit's verdict."""
    source = require_shared("spec", "wasm-3.0", *name.split("/")).read_text()
    cases = []
    for command in parse_script(source, name):
        script_module = getattr(command, "module", None)
        if not isinstance(script_module, ScriptModule) or isinstance(command, AssertMalformed):
            continue
        try:
            module = script_module.build()
        except WasmError:
            continue  # a module wasmkit cannot read: the execution suite's known failures
        try:
            validate(module)
            valid = True
        except ValidationError:
            valid = False
        cases.append(Case(script_module.line, script_module.kind, module, write_module(module), valid))
    return cases


def _wast_string(data: bytes) -> str:
    return '"' + "".join(f"\\{byte:02x}" for byte in data) + '"'


def start_verdicts(cases: list[Case], workdir: Path) -> tuple[subprocess.Popen[str], dict[int, tuple[int, str]]]:
    """Start `wasm-tools wast` on each case's binary and printed text (as a module, or in an
    assert_invalid where wasmkit finds it invalid); with where each directive starts: its line
    -> (case index, "binary" or "text")."""
    lines: list[str] = []
    where: dict[int, tuple[int, str]] = {}
    for index, case in enumerate(cases):
        forms = {"binary": f"(module binary {_wast_string(case.binary)})", "text": print_module(case.module)}
        for form, text in forms.items():
            where[len(lines) + 1] = (index, form)
            lines.extend((text if case.valid else f'(assert_invalid {text} "")').split("\n"))
    script = workdir / "verdicts.wast"
    script.write_text("\n".join(lines) + "\n")
    command = [tool("wasm-tools"), "wast", "--features", FEATURES, "--ignore-error-messages", str(script)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), where


def finish_verdicts(run: subprocess.Popen[str], where: dict[int, tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Where wasm-tools' verdict differs from wasmkit's: (case index, form) -> its message."""
    _, stderr = run.communicate()
    failed = {}
    for match in re.finditer(r"failed directive on [^\n]*:(\d+):\d+\n\nCaused by:\n(.*?)(?=\n-{8}|\Z)", stderr, re.S):
        failed[where[int(match.group(1))]] = " ".join(match.group(2).split())
    if run.returncode != 0 and not failed:
        raise AssertionError(f"wasm-tools wast failed: {stderr[:2000]}")
    return failed


def start_binaries(name: str, workdir: Path) -> subprocess.Popen[str]:
    """Start `wasm-tools json-from-wast` on the script: its binary of every module."""
    command = [tool("wasm-tools"), "json-from-wast", str(SPEC_DIR / name), "-o", str(workdir / "out.json"), "--wasm-dir", str(workdir)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_binaries(run: subprocess.Popen[str], workdir: Path) -> dict[int, bytes] | str:
    """wasm-tools' binary of each module of the script written as text, by line; or its error
    message when it cannot read the script."""
    _, stderr = run.communicate()
    if run.returncode != 0:
        return " ".join(stderr.split())[:200]
    commands = json.loads((workdir / "out.json").read_text())["commands"]
    return {
        command["line"]: (workdir / command["filename"]).read_bytes()
        for command in commands
        if command.get("filename", "").endswith(".wasm")
    }


def same_module(ours: Module, theirs: Module) -> bool:
    """Whether two encodings of one text are the same module: equal up to `canonical` (which
    also sets aside custom sections, since wasm-tools always writes a name section), to the
    index encoding of element segments (`index_encoded`) and to an empty `else`, which wasm-tools keeps and wasmkit, like the reference interpreter, leaves out."""

    def without_empty_else(module: Module) -> Module:
        def code(expr: bytes) -> bytes:
            instrs = list(iter_instructions(expr))
            kept = [
                instr for instr, after in zip(instrs, instrs[1:] + [None])
                if not (_is(instr.op, OP_ELSE) and after is not None and _is(after.op, OP_END))
            ]
            return b"".join(encode_instruction(instr.op, instr.imm) for instr in kept)

        return dataclasses.replace(module, funcs=tuple(dataclasses.replace(f, body=code(f.body)) for f in module.funcs))

    return without_empty_else(canonical(index_encoded(ours))) == without_empty_else(canonical(index_encoded(theirs)))


def _is(op: Op, code: int) -> bool:
    return not op.prefix and op.code == code


@pytest.mark.parametrize("name", WAST_FILES)
def test_spec_file(name: str) -> None:
    listed = {(line, column): reason for (path, line, column), reason in documented().items() if path == name}
    counts = {column: [0, 0] for column in COLUMNS}
    failures: list[str] = []

    def outcome(column: str, ok: bool, line: int, detail: str) -> None:
        known = (line, column) in listed or (EVERY_MODULE, column) in listed
        counts[column][0 if ok and not known else 1] += 1
        if ok and (line, column) in listed:
            failures.append(f"{name}:{line}: {column} agrees now: take it off tools_differences.txt")
        elif not ok and not known:
            failures.append(f"{name}:{line}: {column}: {detail}")

    require_shared("spec", "wasm-3.0", *name.split("/"))
    # wasm-tools runs beside wasmkit's own round trips, on the other core.
    with tempfile.TemporaryDirectory() as tmp:
        parsing = start_binaries(name, Path(tmp))
        cases = wasmkit_cases(name)
        checking = start_verdicts(cases, Path(tmp)) if cases else None
        trips = [round_trip(case.module) for case in cases]
        verdicts = finish_verdicts(*checking) if checking else {}
        binaries = finish_binaries(parsing, Path(tmp))
    for index, (case, trip) in enumerate(zip(cases, trips)):
        expected = ("same bytes",) if case.kind == "text" else ("same bytes", "same module")
        outcome("round trip", trip in expected, case.line, f"binary -> text -> binary: {trip}")
        verdict = "valid" if case.valid else "invalid"
        for column, form in (("validates alike", "binary"), ("prints alike", "text")):
            message = verdicts.get((index, form))
            outcome(column, message is None, case.line, f"wasmkit: {verdict}; wasm-tools: {message}")
        if case.kind != "text":
            continue
        if isinstance(binaries, str):
            outcome("parses alike", False, case.line, f"wasm-tools cannot read the script: {binaries}")
        elif case.line not in binaries:
            outcome("parses alike", False, case.line, "no binary from wasm-tools at this line")
        else:
            ok = same_module(case.module, read_module(binaries[case.line]))
            outcome("parses alike", ok, case.line, "wasm-tools encodes another module")
    for column, (passed, failed) in counts.items():
        REPORT.add(name.removesuffix(".wast"), column, passed, failed)
    assert not failures, "\n".join(failures)


def test_a_verdict_that_differs_is_seen_in_each_form(tmp_path: Path) -> None:
    # wasm-tools' report is read back to the module and form: a valid module claimed invalid,
    # between two that agree, fails in both its forms and only there.
    modules = [parse_module(text) for text in ("(module)", "(module (func (result i32) i32.const 1))", "(module (memory 1))")]
    cases = [Case(i + 1, "text", module, write_module(module), True) for i, module in enumerate(modules)]
    cases[1].valid = False
    verdicts = finish_verdicts(*start_verdicts(cases, tmp_path))
    assert set(verdicts) == {(1, "binary"), (1, "text")}


def test_same_module_forgives_only_encoding_choices() -> None:
    ours = parse_module("(module (func $f) (table 1 funcref) (elem (i32.const 0) funcref (ref.func $f)) (func (if (i32.const 0) (then))))")
    # wasm-tools' encoding: the segment in the index encoding, an empty `else` kept.
    body = ours.funcs[1].body
    assert body == b"\x41\x00\x04\x40\x0b\x0b"
    theirs = dataclasses.replace(
        ours,
        funcs=(ours.funcs[0], dataclasses.replace(ours.funcs[1], body=b"\x41\x00\x04\x40\x05\x0b\x0b")),
        elems=(dataclasses.replace(ours.elems[0], type=REF_FUNC),),
    )
    assert theirs != ours and same_module(ours, theirs)
    other = parse_module("(module (func $f) (table 1 funcref) (elem (i32.const 1) funcref (ref.func $f)) (func (if (i32.const 0) (then))))")
    assert not same_module(ours, other)
