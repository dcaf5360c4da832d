"""The text format against the official testsuite.

For every module of every script: the module wasmkit parses must be the Module that wabt's
wat2wasm encodes (read back with wasmkit's binary reader); every text `assert_malformed` must
raise ParseError with the reference wording; and binary -> text -> binary must give back the
same bytes, as the spec's own test runner checks, or (for modules given in binary) the same
module up to what the text format cannot say (see `roundtrip.canonical`). Script modules are read with
2.0's rules (`WASM_2_0`: 32-bit limits and offsets), which its `assert_malformed` commands expect.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.spec import roundtrip
from tests.spec.roundtrip import index_encoded, round_trip
from tests.support import SHARED, report
from wasmkit.binary import read_module, write_module
from wasmkit.errors import DecodeError, ParseError, WasmError
from wasmkit.opcodes import WASM_2_0
from wasmkit.syntax.module import Module
from wasmkit.text import parse_module, parse_script, print_module
from wasmkit.text.script import AssertMalformed, ScriptModule

SPEC_DIR = SHARED / "spec" / "wasm-2.0"
WAST_FILES = sorted(p.stem for p in SPEC_DIR.glob("*.wast")) or ["(spec testsuite missing)"]
REPORT = report("spec 2.0 text format", ("same as wabt", "malformed", "round trip"))


def _same_as_wabt(module: Module, wabt_bytes: bytes) -> bool:
    try:
        return read_module(wabt_bytes) == index_encoded(module)
    except DecodeError as err:
        # wast2json leaves out the data count section of a module that uses data indices but
        # has no data segment (docs/decisions.md); apart from that section, the bytes must match.
        return err.message == "data count section required" and write_module(
            dataclasses.replace(module, data_count=None)
        ) == wabt_bytes


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
                script_module.build(WASM_2_0)
            except ParseError as err:
                outcome("malformed", err.message.startswith(command.message), line,
                        f"expected {command.message!r}, got {err.message!r}")
            except WasmError as err:
                outcome("malformed", False, line, f"expected ParseError, got {err!r}")
            else:
                outcome("malformed", False, line, f"expected ParseError {command.message!r}, module parsed")
            continue
        try:
            module = script_module.build(WASM_2_0)
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
        # A module written as text is what wasmkit's own text gives: its bytes must come back.
        trip = round_trip(module)
        expected = ("same bytes",) if script_module.kind == "text" else ("same bytes", "same module")
        outcome("round trip", trip in expected, line, f"binary -> text -> binary: {trip}")
    for column, (passed, failed) in counts.items():
        REPORT.add(name, column, passed, failed)
    assert not failures, "\n".join(failures)


def test_the_round_trip_sees_what_the_first_print_loses(monkeypatch: pytest.MonkeyPatch) -> None:
    # A printer that loses the start function consistently prints a fixpoint from its second
    # write on; only comparing with the first write shows the loss.
    module = parse_module('(module (func $main) (start $main) (data "x"))')
    assert round_trip(module) == "same bytes"
    printed = print_module

    def lossy(m: Module) -> str:
        return "\n".join(line for line in printed(m).splitlines() if "(start" not in line)

    monkeypatch.setattr(roundtrip, "print_module", lossy)
    assert round_trip(module) == "differs"


def test_the_round_trip_forgives_only_what_text_cannot_say() -> None:
    # Non-minimal LEB128 in code, an unneeded data count section and a custom section.
    module = read_module(
        b"\0asm\1\0\0\0"
        b"\x01\x04\x01\x60\x00\x00"  # type [] -> []
        b"\x03\x02\x01\x00"  # one function of it
        b"\x0c\x01\x00"  # data count 0
        b"\x0a\x08\x01\x06\x00\x41\x80\x00\x1a\x0b"  # i32.const 0 (in two bytes) drop end
        b"\x00\x04\x03abc"  # custom section "abc"
    )
    assert module.customs and module.data_count == 0
    assert round_trip(module) == "same module"
