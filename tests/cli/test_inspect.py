"""`wasmkit validate` and `wasmkit objdump`: exit statuses and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from wasmkit.cli import main

FIB = PROJECT_ROOT / "examples" / "fib.wasm"


def test_validate_accepts_a_valid_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIB)]) == 0
    assert capsys.readouterr().err == ""


def test_validate_reports_a_malformed_module_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(FIB.read_bytes()[:40])
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"wasmkit: error: {bad}:0x")


def test_validate_reports_an_invalid_module_with_function_and_offset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (func (result i32) (i64.const 0)): the body leaves an i64 where an i32 is due.
    bad = tmp_path / "invalid.wasm"
    bad.write_bytes(bytes.fromhex("0061736d01000000 010501600001 7f 03020100 0a0601040042000b".replace(" ", "")))
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "func 0" in err and "type mismatch" in err


def test_validate_reports_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/no/such/file.wasm"]) == 1
    assert "No such file or directory" in capsys.readouterr().err


def test_objdump_lists_sections_types_exports_and_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["objdump", str(FIB)]) == 0
    out = capsys.readouterr().out
    for expected in ("Sections:", "Type start=", "Code start=", "Types:", "- type[0] (i32) -> (i32)",
                     "Functions:", "func[0] sig=0 (i32) -> (i32) <fib>", "Exports:", '-> "fib_loop"'):
        assert expected in out, expected


def test_objdump_lists_each_kind_of_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "imports.wat"
    source.write_text(
        '(module (import "m" "f" (func (param i32))) (import "m" "t" (table 1 funcref)) (import "m" "mem" (memory 1))'
        ' (import "m" "g" (global (mut i64))) (import "m" "e" (tag (param i32))))'
    )
    assert main(["objdump", str(source)]) == 0
    imports = capsys.readouterr().out.split("Imports:\n")[1].splitlines()[:5]
    assert imports == [
        "  - func sig=0 (i32) -> () <- m.f",
        "  - table type=funcref limits=1 <- m.t",
        "  - memory pages: 1 <- m.mem",
        "  - global i64 mutable=1 <- m.g",
        "  - tag sig=0 (i32) -> () <- m.e",  # a tag import was once read as a global's
    ]


def test_objdump_disassembles_with_offsets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["objdump", "-d", str(FIB)]) == 0
    out = capsys.readouterr().out
    assert "Code Disassembly:" in out
    assert "| local.get 0 <n>" in out
    assert "|   call 0 <fib>" in out  # indented inside the if


def test_errors_are_the_same_under_python_dash_O(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(FIB.read_bytes()[:40])
    runs = [
        subprocess.run([sys.executable, *flags, "-m", "wasmkit", "validate", str(bad)], capture_output=True, text=True)
        for flags in ([], ["-O"])
    ]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stderr == runs[1].stderr
