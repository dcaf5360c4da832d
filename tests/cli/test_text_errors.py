"""Faults in a .wat file are shown in the text: file:line:col, the message, the line and a
caret, for parse errors and for validation errors alike (the instruction at fault, else the
function)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmkit.cli import main

INVALID = """(module
  (import "a" "b" (func))
  (func $ok (result i32) i32.const 1)
  (func $bad (param $x i32) (result i32)
    (block (result i32)
      (i32.add (local.get $x) (i64.const 1))))
  (func $flat (result i32)
    nop
    i64.const 0)
  (func (result i32)
    (if (result i32) (i32.const 1)
      (then (i32.const 1))
      (else (i64.const 2)))))
"""


def _error(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, text: str) -> tuple[str, str]:
    source = tmp_path / "m.wat"
    source.write_text(text)
    args = [command, str(source)] + (["-o", str(tmp_path / "m.wasm")] if command == "wat2wasm" else [])
    assert main(args) == 1
    return str(source), capsys.readouterr().err


@pytest.mark.parametrize("command", ["validate", "run", "wat2wasm"])
def test_parse_errors_show_the_line_and_a_caret(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, err = _error(tmp_path, capsys, command, "(module\n  (func (i32.const 0x)))")
    assert err == f"wasmkit: error: {path}:2:20: unknown operator 0x\n    (func (i32.const 0x)))\n                     ^\n"


@pytest.mark.parametrize("command", ["validate", "run", "wat2wasm"])
def test_a_validation_error_points_at_the_folded_instruction(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, err = _error(tmp_path, capsys, command, INVALID)
    assert err == (
        f"wasmkit: error: {path}:6:8: type mismatch: instruction requires [i32 i32] but stack has [i32 i64]"
        " (in func $bad, index 2)\n"
        "        (i32.add (local.get $x) (i64.const 1))))\n"
        "         ^\n"
    )


def test_a_fault_at_a_functions_end_points_at_its_closing_parenthesis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = INVALID.replace("(func $bad", "(func $bad_unused").replace("(i64.const 1)", "(i32.const 1)")
    path, err = _error(tmp_path, capsys, "validate", text)
    assert err.splitlines()[0] == (
        f"wasmkit: error: {path}:9:16: type mismatch: block requires [i32] but stack has [i64] (in func $flat, index 3)"
    )


def test_a_fault_in_an_else_branch_points_at_the_end_of_the_if(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "(module\n  (func (result i32)\n    (if (result i32) (i32.const 1)\n      (then (i32.const 1))\n      (else (i64.const 2)))))"
    path, err = _error(tmp_path, capsys, "validate", text)
    assert err.splitlines()[0].startswith(f"wasmkit: error: {path}:5:27: type mismatch: block requires [i32]")
    assert err.splitlines()[0].endswith("(in func 0)")


def test_a_flat_block_end_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "(module (func $f (param i32)\n  block (result i32)\n    local.get 0\n    i64.extend_i32_u\n  end\n  drop))"
    path, err = _error(tmp_path, capsys, "validate", text)
    assert err.splitlines()[0].startswith(f"wasmkit: error: {path}:5:3: type mismatch")


def test_a_binary_module_still_gives_the_byte_offset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "invalid.wasm"
    bad.write_bytes(bytes.fromhex("0061736d01000000010501600001 7f 03020100 0a0601040042000b".replace(" ", "")))
    assert main(["validate", str(bad)]) == 1
    assert capsys.readouterr().err == f"wasmkit: error: {bad}:func 0 0x1a: type mismatch: block requires [i32] but stack has [i64]\n"
