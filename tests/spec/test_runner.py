"""The .wast runner and `wasmkit wast` hide no failure: every expectation is checked, a command
that breaks in any way fails alone, the exit status follows the results, and a missing engine
is a visible skip (a failure in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from wasmkit.cli import main
from wasmkit.errors import ParseError
from wasmkit.script.runner import Outcome, ScriptRunner
from wasmkit.text import parse_script

PASSING = '(module (func (export "f") (result i32) (i32.const 1)))\n(assert_return (invoke "f") (i32.const 1))\n'


def _run(script: str) -> list[Outcome]:
    return list(ScriptRunner("python").run(parse_script(script)))


def test_assert_unlinkable_checks_the_message() -> None:
    unlinkable = '(module (import "spectest" "nothing" (func)))'
    wrong, right = _run(
        f'(assert_unlinkable {unlinkable} "incompatible import type")\n(assert_unlinkable {unlinkable} "unknown import")'
    )
    assert not wrong.passed and "'incompatible import type'" in wrong.detail and "unknown import" in wrong.detail
    assert right.passed


def test_a_command_that_raises_a_non_wasm_error_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ScriptRunner, action: object) -> list[object]:
        raise ZeroDivisionError("a bug in the runtime")

    outcomes = _run(PASSING + '(assert_return (invoke "f") (i32.const 1))\n(module (func))')
    assert [o.passed for o in outcomes] == [True, True, True, True]
    monkeypatch.setattr(ScriptRunner, "perform", broken)
    outcomes = _run(PASSING + '(assert_return (invoke "f") (i32.const 1))\n(module (func))')
    assert [(o.line, o.kind, o.passed) for o in outcomes] == [
        (1, "module", True), (2, "assert_return", False), (3, "assert_return", False), (4, "module", True),
    ]  # fmt: skip
    assert outcomes[1].detail.startswith("internal error: ZeroDivisionError: a bug in the runtime (at ")


def test_getting_an_export_that_is_no_global_fails_that_command() -> None:
    outcomes = _run('(module (memory (export "m") 1))\n(assert_return (get "m") (i32.const 0))\n(module)')
    assert [o.passed for o in outcomes] == [True, False, True]
    assert outcomes[1].detail == "export 'm' is not a global"


def test_the_exit_status_follows_every_files_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Two scripts of one name: a table keyed by name once let the passing one hide the other.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    failing = tmp_path / "a" / "t.wast"
    passing = tmp_path / "b" / "t.wast"
    failing.write_text(PASSING + '(assert_return (invoke "f") (i32.const 2))\n')
    passing.write_text(PASSING)
    assert main(["wast", str(passing)]) == 0
    capsys.readouterr()
    assert main(["wast", str(failing), str(passing)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "4 passed, 1 failed" and len(out) == 4  # the header, a row per file, the totals
    assert main(["wast", str(passing), str(failing)]) == 1


# A test that needs the native engine, run where llvmlite cannot import (a package of that
# name on the path that raises ImportError), under the project's conftest hooks.
NEEDS_NATIVE = """
from tests.spec.engines import require_engine

def test_needs_native():
    require_engine("native")
    require_engine("python")  # needs nothing
"""


@pytest.mark.parametrize("ci, status, word", [("true", 1, "failed"), ("", 0, "skipped")])
def test_a_native_engine_that_cannot_run_is_never_silent(tmp_path: Path, ci: str, status: int, word: str) -> None:
    (tmp_path / "llvmlite").mkdir()
    (tmp_path / "llvmlite" / "__init__.py").write_text("raise ImportError('no LLVM here')\n")
    (tmp_path / "test_needs_native.py").write_text(NEEDS_NATIVE)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "--rootdir", str(tmp_path), str(tmp_path / "test_needs_native.py")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "CI": ci, "PYTHONPATH": f"{tmp_path}{os.pathsep}{PROJECT_ROOT}"},
    )  # fmt: skip
    assert result.returncode == status, result.stdout + result.stderr
    assert f"1 {word}" in result.stdout
    assert "the native engine cannot run: could not import llvmlite" in result.stdout


def test_an_unreadable_command_fails_alone_and_an_unreadable_module_is_no_module() -> None:
    script = PASSING + '(assert_suspension (invoke "f") "x")\n(module instance $a $b $c)\n(assert_return (invoke "f") (i32.const 1))\n'
    with pytest.raises(ParseError):
        parse_script(script)
    outcomes = list(ScriptRunner("python").run(parse_script(script, keep_going=True)))
    assert [(o.kind, o.passed) for o in outcomes] == [
        ("module", True), ("assert_return", True), ("command", False), ("module", False), ("assert_return", False)
    ]
    assert "unknown operator assert_suspension" in outcomes[2].detail
    assert outcomes[4].detail == "no module (current)"  # not run against the module before
