"""The Python API's native engine keeps machine code on disk as the command line does: a
second process that loads the same module compiles nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llvmlite")

WAT = '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))'

# Loads the module through `wasmkit.load` and calls it; with "forbid" as its argument, any
# compiling fails the run.
LOAD = f"""
import sys
import wasmkit
import wasmkit.engine.native.pieces as native_pieces

def no_compiling(*args, **kwargs):
    raise AssertionError("compiled again")

if sys.argv[1:] == ["forbid"]:
    native_pieces.compile_piece = native_pieces.compile_pieces = no_compiling
print(wasmkit.load({WAT!r}, engine="native").exports.add(2, 3))
"""


def load_in_a_new_process(cache: Path, *args: str) -> str:
    env = {**os.environ, "WASMKIT_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", LOAD, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_a_second_process_loads_machine_code_from_the_cache(tmp_path: Path) -> None:
    assert load_in_a_new_process(tmp_path) == "5"
    cached = list((tmp_path / "native").glob("*/*.o"))
    assert len(cached) == 1
    assert load_in_a_new_process(tmp_path, "forbid") == "5"
    assert list((tmp_path / "native").glob("*/*.o")) == cached
