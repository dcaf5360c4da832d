"""The C programs of tests/wasi/programs, run with wasmkit's WASI on wasmtime's engine, must
do exactly what wasmtime (with its own WASI) was recorded doing: same stdout, stderr, exit
status or trap, and the same files left behind. Runs that use a directory are repeated with
an in-memory filesystem, which must behave the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wasi.programs.runs import Run, load, outcome
from tests.wasi.test_fs_equivalence import tree
from tests.wasi.trees import sandbox_memory, snapshot
from tests.wasi.wasmtime_engine import run
from wasmkit.wasi import MemoryFS, WasiConfig

RUNS = load()


def config_for(case: Run) -> WasiConfig:
    config = WasiConfig(argv=case.argv, env=case.env)
    config.stdin_bytes(case.stdin)
    config.capture_stdout()
    config.capture_stderr()
    return config


@pytest.mark.parametrize("case", RUNS, ids=[case.label for case in RUNS])
def test_program_matches_wasmtime(case: Run, tmp_path: Path) -> None:
    config = config_for(case)
    preopens = case.preopen(tmp_path)
    for host, guest in preopens:
        config.preopen_dir(host, guest)
    result = run(case.wasm, config)
    tree_after = None
    if preopens:
        tree_after = {
            key: value.replace(str(tmp_path), "<tmp>") for key, value in snapshot(preopens[0][0]).items()
        }
    actual = outcome(
        result.exit_code,
        result.trap is not None,
        result.wasi.captured_stdout,
        result.wasi.captured_stderr,
        tree_after,
    )
    assert actual == case.expect
    if case.fs == "sandbox":
        assert snapshot(tmp_path / "outside") == {"secret.txt": "secret\n"}


@pytest.mark.parametrize("case", [c for c in RUNS if c.fs], ids=[c.label for c in RUNS if c.fs])
def test_program_on_a_memory_filesystem(case: Run) -> None:
    config = config_for(case)
    fs = sandbox_memory() if case.fs == "sandbox" else MemoryFS()
    config.preopen_fs(fs, "/" if case.fs == "sandbox" else "/work")
    result = run(case.wasm, config)
    expected_tree = {
        k: v.replace("<tmp>/outside", "/nonexistent/outside") for k, v in dict(case.expect["tree"]).items()
    }  # type: ignore[call-overload]
    actual = outcome(
        result.exit_code,
        result.trap is not None,
        result.wasi.captured_stdout,
        result.wasi.captured_stderr,
        tree(fs.root()),
    )
    assert actual == {**case.expect, "tree": expected_tree}
