"""Modules of extreme shapes (tests/hostile/shapes.py) through every layer: each layer answers
with a result or one clean WasmError, within a memory bound, and no process dies.

Each shape runs in a process of its own (tests/hostile/probe.py), watched from here: its
resident memory is polled and the process killed past `KILL_MB`, so a runaway allocation fails
the test instead of taking the machine; its peak must stay under `PEAK_MB` (1 GB: what a
64 KB module may cost at most, whatever its shape). The timeout is a generous bound on a
runaway, not a speed target.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.hostile.shapes import SHAPES
from tests.support import PROJECT_ROOT, resident_bytes

PEAK_MB = 1024
KILL_MB = 2048
TIMEOUT_S = 240


def _resident_mb(pid: int) -> int:
    try:
        return resident_bytes(pid) >> 20
    except OSError:  # it ended since it was last polled
        return 0


def _probe(name: str) -> dict[str, object]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.hostile.probe", name],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + TIMEOUT_S
    while child.poll() is None:
        resident = _resident_mb(child.pid)
        if resident > KILL_MB or time.monotonic() > deadline:
            child.kill()
            child.wait()
            pytest.fail(f"{name}: stopped at {resident} MB after {TIMEOUT_S - (deadline - time.monotonic()):.0f} s")
        time.sleep(0.05)
    out, err = child.communicate()
    assert child.returncode == 0, f"{name}: the probe died with {child.returncode}: {err[-2000:]}"
    report: dict[str, object] = json.loads(out)
    return report


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_layer_answers_cleanly(name: str) -> None:
    shape = SHAPES[name]()
    report = _probe(name)
    outcomes = report["outcomes"]
    assert isinstance(outcomes, dict)
    escapes = {layer: outcome for layer, outcome in outcomes.items() if outcome.startswith("escape")}
    assert not escapes, escapes
    if shape.error is not None:
        assert outcomes == {"validate": outcomes["validate"]}, outcomes
        assert outcomes["validate"].startswith(f"error: {shape.error}"), outcomes
    else:
        for layer, outcome in outcomes.items():
            expected = f"ok: {shape.expected}" if layer.startswith("run:") else "ok"
            assert outcome == expected, f"{layer}: {outcome}"
    assert isinstance(report["peak_mb"], int) and report["peak_mb"] < PEAK_MB, report["peak_mb"]
