"""A small wasm-smith campaign (bench/smith.py): generated 2.0 modules give the same results,
traps, memories and globals on the Python engine, the native engine and wasmtime; and the
comparison itself notices a difference of each kind."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.smith import as_wasmtime, differences
from tests.support import PROJECT_ROOT

pytest.importorskip("llvmlite")


def test_engines_agree_on_smith_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.smith", "--count", "50", "--seed", "7", "--jobs", "2", "--json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["disagreements"] == []
    assert summary["modules"] == 50 and summary["calls"] >= 50


OUTCOME = {"calls": [[1], "trap OUT_OF_BOUNDS_MEMORY"], "globals": {"g": 5}, "memories": {"m": [65536, "ab"]}}


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"calls": [[2], "trap OUT_OF_BOUNDS_MEMORY"]}, "result"),
        ({"calls": [[1], "trap UNREACHABLE"]}, "trap"),
        ({"globals": {"g": 6}}, "global"),
        ({"memories": {"m": [65536, "cd"]}}, "memory"),
    ],
)  # fmt: skip
def test_a_difference_of_each_kind_is_found(change: dict, kind: str) -> None:
    assert differences(OUTCOME, OUTCOME) == []
    assert differences(OUTCOME, {**OUTCOME, **change}) == [kind]


def test_trap_kinds_are_compared_in_wasmtime_terms() -> None:
    reference = {**OUTCOME, "calls": [[1], "trap MEMORY_OUT_OF_BOUNDS"]}
    ours = as_wasmtime(OUTCOME, reference, {"globals": []})
    assert differences(ours, reference) == []
