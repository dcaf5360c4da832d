"""Mutated modules on the Python engine, the native engine and wasmtime: the same results,
traps and memory (see differential.py, run in a subprocess so that a crash would show)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.spec.engines import require_engine
from tests.support import PROJECT_ROOT


@pytest.mark.parametrize("seed", [3, 11])
def test_engines_agree_on_mutated_modules(seed: int) -> None:
    require_engine("native")
    result = subprocess.run(
        [sys.executable, "-m", "tests.engine.differential", "8000", str(seed)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["disagreements"] == []
    assert report["modules"] >= 100 and report["against_wasmtime"] >= 30
