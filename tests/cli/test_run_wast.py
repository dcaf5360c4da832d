"""`wasmkit run --invoke` on plain modules, and `wasmkit wast`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT, require_shared
from wasmkit.cli import main

FIB = PROJECT_ROOT / "examples" / "fib.wasm"


def test_invoke_prints_results(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--invoke", "fib", str(FIB), "20"]) == 0
    assert capsys.readouterr().out == "6765\n"


def test_invoke_with_several_results_and_floats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wat = tmp_path / "m.wat"
    wat.write_text('(module (func (export "f") (param f64 i64) (result i64 f64) (local.get 1) (local.get 0)))')
    assert main(["run", "--invoke", "f", str(wat), "2.5", "-0x10"]) == 0
    assert capsys.readouterr().out == "-16\n2.5\n"


def test_a_trap_exits_134_with_a_backtrace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wat = tmp_path / "t.wat"
    wat.write_text('(module (func (export "boom") (call $inner)) (func $inner unreachable))')
    assert main(["run", "--invoke", "boom", str(wat)]) == 134
    err = capsys.readouterr().err
    assert "trap: unreachable" in err and "wasm backtrace:" in err


def test_bad_arguments_and_missing_exports_are_wasmkit_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--invoke", "fib", str(FIB), "x"]) == 1
    assert main(["run", "--invoke", "nope", str(FIB)]) == 1
    assert main(["run", "--invoke", "fib", str(FIB)]) == 1
    err = capsys.readouterr().err
    assert "cannot read 'x' as i32" in err and "no exported function 'nope'" in err and "takes 1 argument" in err


def test_an_env_flag_without_a_name_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--env", "=x", str(PROJECT_ROOT / "examples" / "hello.wasm")]) == 1
    assert capsys.readouterr().err == "wasmkit: error: --env =x: expected NAME=VALUE or NAME\n"


def test_wast_prints_a_table_with_totals_last(capsys: pytest.CaptureFixture[str]) -> None:
    script = require_shared("spec", "wasm-2.0", "fac.wast")
    assert main(["wast", str(script)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("file") and "fac.wast" in lines[1]
    assert lines[-1] == "8 passed, 0 failed"


def test_wast_reports_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "bad.wast"
    script.write_text('(module (func (export "f") (result i32) (i32.const 1)))\n(assert_return (invoke "f") (i32.const 2))')
    assert main(["wast", str(script)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == "1 passed, 1 failed"
    assert "bad.wast:2: assert_return" in captured.err


def test_wast_goes_on_past_what_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command or result form fails alone; a file that cannot be read at all (or
    is missing) counts as one failed command; the run goes on to the other files."""
    known = tmp_path / "known.wast"
    known.write_text(
        '(module (func (export "f") (result i32) (i32.const 1)))\n'
        '(assert_suspension (invoke "f") "unhandled")\n'
        '(assert_return (invoke "f") (ref.bogus))\n'
        '(assert_return (invoke "f") (i32.const 1))\n'
    )
    unbalanced = tmp_path / "unbalanced.wast"
    unbalanced.write_text("(module\n  (func\n")
    assert main(["wast", str(unbalanced), str(tmp_path / "missing.wast"), str(known)]) == 1
    captured = capsys.readouterr()
    rows = {line.split()[0]: line.split()[1:] for line in captured.out.splitlines()[1:-1]}
    assert rows[str(known)] == ["1/2", "-", "-", "-", "-", "1/2"]  # return 1 of 2; module 1, command 0
    assert rows[str(unbalanced)][-1] == rows[str(tmp_path / "missing.wast")][-1] == "0/1"
    assert captured.out.splitlines()[-1] == "2 passed, 4 failed"
    assert "known.wast:2: command: cannot read this assert_suspension" in captured.err
    assert "known.wast:3: assert_return: cannot read this assert_return: unknown operator ref.bogus" in captured.err
    assert "unbalanced.wast: command: cannot read the script: 3:1: unexpected end of input" in captured.err
    assert "missing.wast: command: cannot read the script: No such file or directory" in captured.err
