"""`wasmkit wat2wasm` and `wasmkit wasm2wat`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT, tool
from wasmkit.binary import read_module
from wasmkit.cli import main
from wasmkit.text import parse_module

FIB_WAT = PROJECT_ROOT / "examples" / "fib.wat"


def test_wat2wasm_writes_what_wabt_writes(tmp_path: Path) -> None:
    ours = tmp_path / "ours.wasm"
    theirs = tmp_path / "theirs.wasm"
    assert main(["wat2wasm", str(FIB_WAT), "-o", str(ours)]) == 0
    subprocess.run([tool("wat2wasm"), str(FIB_WAT), "-o", str(theirs)], check=True)
    assert ours.read_bytes() == theirs.read_bytes()


def test_wat2wasm_names_the_output_after_the_input(tmp_path: Path) -> None:
    source = tmp_path / "m.wat"
    source.write_text("(module (func (export \"f\")))")
    assert main(["wat2wasm", str(source)]) == 0
    assert read_module((tmp_path / "m.wasm").read_bytes()).exports[0].name == "f"


def test_wasm2wat_output_parses_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wasm2wat", str(PROJECT_ROOT / "examples" / "fib.wasm")]) == 0
    text = capsys.readouterr().out
    assert "(func $fib (;0;) (type 0) (param $n i32) (result i32)" in text
    module = parse_module(text)
    assert [e.name for e in module.exports] == ["fib", "fib_loop"]


def test_stdin_and_stdout_with_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b'(module (func (export "g")))'))
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["wat2wasm", "-", "-o", "-"]) == 0
    stdout.flush()
    assert read_module(stdout.buffer.getvalue()).exports[0].name == "g"  # type: ignore[attr-defined]


def test_parse_errors_give_the_position_and_the_line_with_a_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.wat"
    source.write_text("(module\n  (func (i32.const 0x)))")
    assert main(["wat2wasm", str(source)]) == 1
    assert capsys.readouterr().err == (
        f"wasmkit: error: {source}:2:20: unknown operator 0x\n"
        "    (func (i32.const 0x)))\n"
        "                     ^\n"
    )


def test_invalid_modules_are_rejected_unless_asked(tmp_path: Path) -> None:
    source = tmp_path / "invalid.wat"
    source.write_text("(module (func (result i32) (i64.const 0)))")
    assert main(["wat2wasm", str(source), "-o", str(tmp_path / "x.wasm")]) == 1
    assert main(["wat2wasm", "--no-check", str(source), "-o", str(tmp_path / "x.wasm")]) == 0


def test_validate_and_objdump_read_text_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIB_WAT)]) == 0
    assert main(["objdump", str(FIB_WAT)]) == 0
    assert "Exports:" in capsys.readouterr().out
