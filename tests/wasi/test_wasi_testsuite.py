"""The official wasi-testsuite (prebuilt wasm32-wasip1 C, Rust and AssemblyScript tests),
run with wasmkit's WASI functions on wasmtime's engine (see wasmtime_engine.py).

Each test is set up as the suite's SPECIFICATION.md says: arguments, an environment with only
the given variables, the `root` directory (copied, since tests write into it) preopened as
"/"; it passes if the exit code matches and stdout starts with the expected output (the
reference runner reads as many bytes as it expects)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import SHARED, report, require_shared
from tests.wasi.conftest import captured_config
from tests.wasi.wasmtime_engine import run

SUITE = SHARED / "wasi-testsuite"
CASES = sorted(SUITE.glob("*/*.wasm")) if SUITE.exists() else []
TABLE = report("WASI testsuite (wasmkit WASI on wasmtime's engine)", ("wasm32-wasip1",))


@pytest.mark.parametrize(
    "wasm", CASES or [None], ids=lambda p: f"{p.parent.name}/{p.stem}" if p else "missing"
)
def test_wasi_testsuite(wasm: Path | None, tmp_path: Path) -> None:
    require_shared("wasi-testsuite")
    assert wasm is not None
    spec_path = wasm.with_suffix(".json")
    spec = json.loads(spec_path.read_text()) if spec_path.exists() else {}
    config = captured_config(argv=[wasm.name, *spec.get("args", [])], env=spec.get("env", {}))
    if spec.get("root"):
        root = tmp_path / "root"
        shutil.copytree(wasm.parent / spec["root"], root)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        config.preopen_dir(root, "/")
    outcome = run(wasm, config)
    expected_stdout = spec.get("stdout", "").encode()
    passed = outcome.exit_code == spec.get("exit_code", 0) and outcome.wasi.captured_stdout.startswith(
        expected_stdout
    )
    TABLE.add(wasm.parent.name, "wasm32-wasip1", int(passed), int(not passed))
    assert passed, (
        outcome.exit_code,
        outcome.trap,
        outcome.wasi.captured_stdout,
        outcome.wasi.captured_stderr,
    )
