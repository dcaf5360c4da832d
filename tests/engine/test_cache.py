"""The on-disk code cache and lazy compilation of the Python engine."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import wasmkit
from tests.support import PROJECT_ROOT
from wasmkit.engine.python import PythonEngine
from wasmkit.progress import progress_bar

# call_indirect bakes a type check into the code: cached code must stay right in a new process.
WAT = """
(module
  (type $unary (func (param i32) (result i32)))
  (table 2 funcref) (elem (i32.const 0) $double $never_called)
  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $never_called (param i32) (result i32) (unreachable))
  (func (export "run") (param i32) (result i32) (call_indirect (type $unary) (local.get 0) (i32.const 0))))
"""


def run_in_new_process(module: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", *extra, "--invoke", "run", str(module), "21"],
        env={**os.environ, "WASMKIT_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        check=True,
    )


def test_functions_compile_on_first_call() -> None:
    engine = PythonEngine()
    module = wasmkit.Module(WAT)
    instance = wasmkit.Instance(module, store=wasmkit.Store(engine))
    assert module.compiled(engine).codes == {}  # instantiating compiles nothing
    assert instance.exports.run(4) == 8
    assert set(module.compiled(engine).codes) == {0, 2}  # $never_called never compiled


def test_second_run_uses_the_cache_across_processes(tmp_path: Path) -> None:
    module = tmp_path / "m.wat"
    module.write_text(WAT)
    cache = tmp_path / "cache"
    assert run_in_new_process(module, cache).stdout == "42\n"
    files = list((cache / "python").glob("*.code"))
    assert len(files) == 1
    first = files[0].stat().st_mtime_ns
    assert run_in_new_process(module, cache).stdout == "42\n"
    assert files[0].stat().st_mtime_ns == first  # nothing new to compile: not rewritten


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    module = tmp_path / "m.wat"
    module.write_text(WAT)
    cache = tmp_path / "cache"
    assert run_in_new_process(module, cache, "--no-cache").stdout == "42\n"
    assert not cache.exists()


def test_a_damaged_cache_file_is_a_miss(tmp_path: Path) -> None:
    module = tmp_path / "m.wat"
    module.write_text(WAT)
    cache = tmp_path / "cache"
    run_in_new_process(module, cache)
    for file in (cache / "python").glob("*.code"):
        file.write_bytes(b"not marshal data")
    assert run_in_new_process(module, cache).stdout == "42\n"


def test_compile_command_fills_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = subprocess.run(
        [sys.executable, "-m", "wasmkit", "compile", str(PROJECT_ROOT / "examples" / "hello.wasm")],
        env={**os.environ, "WASMKIT_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "functions compiled" in result.stdout
    assert list((cache / "python").glob("*.code"))


def test_compile_all_writes_the_cache_at_once(tmp_path: Path) -> None:
    # So that another process (a serve worker, after the parent checked the module) finds
    # every function compiled, without waiting for this process to exit.
    module = wasmkit.Module(WAT)
    PythonEngine(cache_dir=tmp_path).compile(module.valid).compile_all()
    again = PythonEngine(cache_dir=tmp_path).compile(wasmkit.Module(WAT).valid)
    assert set(again.codes) == {0, 1, 2}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_terminals_only() -> None:
    with progress_bar("work", io.StringIO()) as report:
        assert report is None
    screen = _Terminal()
    with progress_bar("work", screen) as report:
        assert report is not None
        report(1, 4)
        report(4, 4)
    text = screen.getvalue()
    assert "work [#######" in text and "100%" in text
    assert text.endswith("\r")  # cleared when done
