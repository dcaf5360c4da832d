"""The text format against the official testsuite.

For every module of every script: the module wasmkit parses must be the Module that wabt's
wat2wasm encodes (read back with wasmkit's binary reader); every text `assert_malformed` must
raise ParseError with the reference wording; and binary -> text -> binary must give back the
same bytes, as the spec's own test runner checks, or (for modules given in binary) the same
module up to what the text format cannot say (see `_canonical`). Script modules are read with
2.0's rules (`WASM_2_0`: 32-bit limits and offsets), which its `assert_malformed` commands expect.
"""

from __future__ import annotations

import dataclasses
import sys

import pytest

from tests.support import SHARED, report
from wasmkit.binary import read_module, write_module
from wasmkit.binary.code import encode_instruction, inline_blocktype, iter_instructions
from wasmkit.errors import DecodeError, ParseError, WasmError
from wasmkit.opcodes import WASM_2_0, Imm
from wasmkit.syntax.module import ElemSegment, Module
from wasmkit.syntax.types import REF_FUNC, ValType
from wasmkit.text import parse_module, parse_script, print_module
from wasmkit.text.script import AssertMalformed, ScriptModule

SPEC_DIR = SHARED / "spec" / "wasm-2.0"
WAST_FILES = sorted(p.stem for p in SPEC_DIR.glob("*.wast")) or ["(spec testsuite missing)"]
REPORT = report("spec 2.0 text format", ("same as wabt", "malformed", "round trip"))


def _same_as_wabt(module: Module, wabt_bytes: bytes) -> bool:
    try:
        return read_module(wabt_bytes) == _as_wabt_encodes(module)
    except DecodeError as err:
        # wast2json leaves out the data count section of a module that uses data indices but
        # has no data segment (docs/decisions.md); apart from that section, the bytes must match.
        return err.message == "data count section required" and write_module(
            dataclasses.replace(module, data_count=None)
        ) == wabt_bytes


def _as_wabt_encodes(module: Module) -> Module:
    """The module as wat2wasm encodes it: a funcref element segment whose items are all
    `ref.func` in the index encoding, which WebAssembly 3.0 reads as a `(ref func)` segment
    (wabt follows 2.0, where the two were one type)."""
    def compact(seg: ElemSegment) -> ElemSegment:
        by_index = seg.type is ValType.FUNCREF and all(
            [instr.op.name for instr in iter_instructions(item)] == ["ref.func", "end"] for item in seg.init
        )
        return dataclasses.replace(seg, type=REF_FUNC) if by_index else seg

    return dataclasses.replace(module, elems=tuple(map(compact, module.elems)))


def _round_trip(module: Module) -> str:
    """How binary -> text -> binary treats the module: "same bytes", "same module" (the bytes
    differ only where the text format cannot say what the binary said), or "differs"."""
    first = write_module(module)
    back = write_module(parse_module(print_module(read_module(first))))
    if back == first:
        return "same bytes"
    return "same module" if _canonical(read_module(back)) == _canonical(read_module(first)) else "differs"


def _canonical(module: Module) -> Module:
    """The module as its text gives it back (the printer's documented losses): no custom
    sections; a data count section only where an instruction needs it; every LEB128 in code
    minimal; and a block type that is the index of a type `[] -> []` or `[] -> [t]` in the
    short form."""
    types = module.types

    def code(expr: bytes) -> bytes:
        out = []
        for instr in iter_instructions(expr):
            imm = instr.imm
            ft = types[imm] if instr.op.imm is Imm.BLOCK and 0 <= imm < len(types) else None
            if ft is not None and not ft.params and len(ft.results) <= 1:
                imm = inline_blocktype(ft.results)
            out.append(encode_instruction(instr.op, imm))
        return b"".join(out)

    def offset(expr: bytes | None) -> bytes | None:
        return None if expr is None else code(expr)

    uses_data = any(
        instr.op.imm in (Imm.DATA, Imm.MEMORY_INIT) for func in module.funcs for instr in iter_instructions(func.body)
    )
    return dataclasses.replace(
        module,
        funcs=tuple(dataclasses.replace(func, body=code(func.body)) for func in module.funcs),
        globals=tuple(dataclasses.replace(glob, init=code(glob.init)) for glob in module.globals),
        elems=tuple(
            dataclasses.replace(seg, init=tuple(map(code, seg.init)), offset=offset(seg.offset)) for seg in module.elems
        ),
        datas=tuple(dataclasses.replace(seg, offset=offset(seg.offset)) for seg in module.datas),
        data_count=len(module.datas) if uses_data else None,
        customs=(),
    )


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
        trip = _round_trip(module)
        expected = ("same bytes",) if script_module.kind == "text" else ("same bytes", "same module")
        outcome("round trip", trip in expected, line, f"binary -> text -> binary: {trip}")
    for column, (passed, failed) in counts.items():
        REPORT.add(name, column, passed, failed)
    assert not failures, "\n".join(failures)


def test_the_round_trip_sees_what_the_first_print_loses(monkeypatch: pytest.MonkeyPatch) -> None:
    # A printer that loses the start function consistently prints a fixpoint from its second
    # write on; only comparing with the first write shows the loss.
    module = parse_module('(module (func $main) (start $main) (data "x"))')
    assert _round_trip(module) == "same bytes"
    printed = print_module

    def lossy(m: Module) -> str:
        return "\n".join(line for line in printed(m).splitlines() if "(start" not in line)

    monkeypatch.setattr(sys.modules[__name__], "print_module", lossy)
    assert _round_trip(module) == "differs"


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
    assert _round_trip(module) == "same module"
