"""WASI programs through `wasmkit run`, end to end.

- The official wasi-testsuite (72 prebuilt C, Rust and AssemblyScript tests), each set up as its
  SPECIFICATION.md says (arguments, only the given environment, `root` preopened as "/"), must
  give the expected exit code and output.
- The C programs of tests/wasi/programs run under `wasmkit run` and under wasmtime (PyPI
  `wasmtime`, with its own WASI) in the same test must print the same, exit the same and leave
  the same files behind.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import SHARED, report, require_shared
from tests.wasi.programs.record import record
from tests.wasi.programs.runs import HERE as PROGRAMS, Run, load, outcome
from tests.wasi.trees import snapshot
from wasmkit.cli import main

SUITE = SHARED / "wasi-testsuite"
CASES = sorted(SUITE.glob("*/*.wasm")) if SUITE.exists() else []
ENGINES = ["python", "native"]
TABLE = report("WASI testsuite through wasmkit run", tuple(ENGINES))
RUNS = load()


def wasmkit_run(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, bytes, bytes]:
    """Run `wasmkit run ARGV` in this process; (exit status, stdout, stderr)."""
    capfd.readouterr()
    code = main(["run", *argv])
    captured = capfd.readouterr()
    return code, captured.out.encode(), captured.err.encode()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("wasm", CASES or [None], ids=lambda p: f"{p.parent.name}/{p.stem}" if p else "missing")
def test_wasi_testsuite(wasm: Path | None, engine: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    require_shared("wasi-testsuite")
    assert wasm is not None
    spec_path = wasm.with_suffix(".json")
    spec = json.loads(spec_path.read_text()) if spec_path.exists() else {}
    flags = ["--engine", engine]
    for name, value in spec.get("env", {}).items():
        flags += ["--env", f"{name}={value}"]
    if spec.get("root"):
        root = tmp_path / "root"
        shutil.copytree(wasm.parent / spec["root"], root)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        flags += ["--dir", f"{root}::/"]
    code, stdout, stderr = wasmkit_run([*flags, str(wasm), *spec.get("args", [])], capfd)
    expected_out = spec.get("stdout", "").encode()
    ok = code == spec.get("exit_code", 0) and stdout[: len(expected_out)] == expected_out
    TABLE.add(wasm.parent.name, engine, int(ok), int(not ok))
    assert code == spec.get("exit_code", 0), stderr.decode(errors="replace")
    assert stdout[: len(expected_out)] == expected_out


@pytest.mark.parametrize("case", RUNS, ids=[case.label for case in RUNS])
def test_program_matches_wasmtime(case: Run, tmp_path: Path) -> None:
    expected = record(case)  # wasmtime, with its own WASI, now
    (tmp_path / "wasmkit").mkdir()
    preopens = case.preopen(tmp_path / "wasmkit")
    flags = []
    for name, value in case.env.items():
        flags += ["--env", f"{name}={value}"]
    for host, guest in preopens:
        flags += ["--dir", f"{host}::{guest}"]
    # A process of its own: stdin is the program's, and argv[0] the file as given (its name,
    # as wasmtime saw it).
    process = subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", *flags, case.wasm.name, *case.args],
        input=case.stdin,
        capture_output=True,
        cwd=PROGRAMS,
    )
    code, stdout, stderr = process.returncode, process.stdout, process.stderr
    trapped = code == 134 and b"wasmkit: trap:" in stderr
    if trapped:
        stderr = stderr[: stderr.index(b"wasmkit: trap:")]
    tree = None
    if preopens:
        tree = {key: value.replace(str(tmp_path / "wasmkit"), "<tmp>") for key, value in snapshot(preopens[0][0]).items()}
    assert outcome(code, trapped, stdout, stderr, tree) == expected
