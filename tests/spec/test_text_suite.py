"""The text format against the official testsuite.

For every module of every script: the module wasmkit parses must be the Module that wabt's
wat2wasm encodes (read back with wasmkit's binary reader); every text `assert_malformed` must
raise ParseError with the reference wording; and text -> binary -> text -> binary must reach a
fixpoint, as the spec's own test runner checks.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.support import SHARED, report
from wasmkit.binary import read_module, write_module
from wasmkit.errors import DecodeError, ParseError, WasmError
from wasmkit.syntax.module import Module
from wasmkit.text import parse_module, parse_script, print_module
from wasmkit.text.script import AssertMalformed, ScriptModule

SPEC_DIR = SHARED / "spec" / "wasm-2.0"
WAST_FILES = sorted(p.stem for p in SPEC_DIR.glob("*.wast")) or ["(spec testsuite missing)"]
REPORT = report("spec 2.0 text format", ("same as wabt", "malformed", "round trip"))


def _same_as_wabt(module: Module, wabt_bytes: bytes) -> bool:
    try:
        return read_module(wabt_bytes) == module
    except DecodeError as err:
        # wast2json leaves out the data count section of a module that uses data indices but
        # has no data segment (docs/decisions.md); apart from that section, the bytes must match.
        return err.message == "data count section required" and write_module(
            dataclasses.replace(module, data_count=None)
        ) == wabt_bytes


def _round_trip_reaches_fixpoint(module: Module) -> bool:
    first = write_module(module)
    second = write_module(parse_module(print_module(read_module(first))))
    third = write_module(parse_module(print_module(read_module(second))))
    return second == third


@pytest.mark.parametrize("name", WAST_FILES)
def test_spec_file(name: str, converted) -> None:  # type: ignore[no-untyped-def]
    directory, wabt_commands = converted(name)
    wabt_by_line = {c["line"]: c for c in wabt_commands}
    commands = parse_script((SPEC_DIR / f"{name}.wast").read_text(), f"{name}.wast")
    failures: list[str] = []
    counts = {"same as wabt": [0, 0], "malformed": [0, 0], "round trip": [0, 0]}

    def outcome(column: str, ok: bool, line: int, detail: str) -> None:
        counts[column][0 if ok else 1] += 1
        if not ok:
            failures.append(f"{name}.wast:{line}: {detail}")

    for command in commands:
        script_module = getattr(command, "module", None)
        if not isinstance(script_module, ScriptModule):
            continue
        line = script_module.line
        if isinstance(command, AssertMalformed):
            if script_module.kind != "quote":
                continue  # binary: the binary suite's job
            try:
                script_module.build()
            except ParseError as err:
                outcome("malformed", err.message.startswith(command.message), line,
                        f"expected {command.message!r}, got {err.message!r}")
            except WasmError as err:
                outcome("malformed", False, line, f"expected ParseError, got {err!r}")
            else:
                outcome("malformed", False, line, f"expected ParseError {command.message!r}, module parsed")
            continue
        try:
            module = script_module.build()
        except WasmError as err:
            outcome("round trip", False, line, f"module rejected: {err}")
            continue
        if script_module.kind == "text":
            wabt = wabt_by_line.get(line)
            if wabt is None or "filename" not in wabt:
                outcome("same as wabt", False, line, "no module from wast2json at this line")
            else:
                wabt_bytes = (directory / wabt["filename"]).read_bytes()
                outcome("same as wabt", _same_as_wabt(module, wabt_bytes), line, "differs from wat2wasm's module")
        outcome("round trip", _round_trip_reaches_fixpoint(module), line, "text/binary round trip has no fixpoint")
    for column, (passed, failed) in counts.items():
        REPORT.add(name, column, passed, failed)
    assert not failures, "\n".join(failures)
