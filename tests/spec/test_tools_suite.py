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
5,000 modules), on a .wast made of the modules as `(module binary ...)`, `(assert_invalid ...)`
and printed text, one per line, so that a failure's line says which module and form it is.
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
from wasmkit.text import parse_script, print_module
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


def wasm_tools_verdicts(cases: list[Case], workdir: Path) -> dict[tuple[int, str], str]:
    """What `wasm-tools wast` makes of each case's binary and of its printed text, when its
    verdict differs from wasmkit's: (case index, "binary" or "text") -> wasm-tools' message."""
    lines: list[str] = []
    where: dict[int, tuple[int, str]] = {}
    for index, case in enumerate(cases):
        forms = {"binary": f"(module binary {_wast_string(case.binary)})", "text": " ".join(print_module(case.module).split("\n"))}
        for form, text in forms.items():
            where[len(lines) + 1] = (index, form)
            lines.append(text if case.valid else f'(assert_invalid {text} "")')
    script = workdir / "verdicts.wast"
    script.write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [tool("wasm-tools"), "wast", "--features", FEATURES, "--ignore-error-messages", str(script)],
        capture_output=True,
        text=True,
    )
    failed = {}
    for match in re.finditer(r"failed directive on [^\n]*:(\d+):\d+\n\nCaused by:\n(.*?)(?=\n-{8}|\Z)", run.stderr, re.S):
        failed[where[int(match.group(1))]] = " ".join(match.group(2).split())
    if run.returncode != 0 and not failed:
        raise AssertionError(f"wasm-tools wast failed: {run.stderr[:2000]}")
    return failed


def wasm_tools_binaries(name: str, workdir: Path) -> dict[int, bytes] | str:
    """wasm-tools' binary of each module of the script written as text, by line; or its error
    message when it cannot read the script."""
    run = subprocess.run(
        [tool("wasm-tools"), "json-from-wast", str(SPEC_DIR / name), "-o", str(workdir / "out.json"), "--wasm-dir", str(workdir)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        return " ".join(run.stderr.split())[:200]
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
    cases = wasmkit_cases(name)
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

    with tempfile.TemporaryDirectory() as tmp:
        verdicts = wasm_tools_verdicts(cases, Path(tmp)) if cases else {}
        binaries = wasm_tools_binaries(name, Path(tmp))
    for index, case in enumerate(cases):
        trip = round_trip(case.module)
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
