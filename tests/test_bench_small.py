"""The small benchmarks run (on tiny sizes, so that they cannot rot); no timing is asserted."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import calls, fib


def test_fib_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert fib.main(["12", "--repeats", "1"]) == 0
    assert "ratio wasm / Python" in capsys.readouterr().out


def test_calls_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert calls.main(["--calls", "50"]) == 0
    out = capsys.readouterr().out
    assert "| wasmkit (python engine) |" in out and "| wasmtime-py |" in out
    assert "| wasmkit (native engine) |" in out


def test_edge_load_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench import edge

    output = tmp_path / "RESULTS.md"
    assert edge.main(["--requests", "40", "--concurrency", "2,4", "--engines", "python,native", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    rows = [line.split("|") for line in out.splitlines() if line.startswith(("| python |", "| native |"))]
    assert [(row[1].strip(), row[2].strip()) for row in rows] == [
        ("python", "2"), ("python", "4"), ("native", "2"), ("native", "4")
    ]
    for row in rows:
        assert row[3].strip() == "40"  # every request answered
        assert row[7].strip() == "0"  # all of them 200
        assert sum(map(int, row[8].split("+"))) == int(row[2])  # every connection reached a worker
    # The table and a chart of each row's latencies, linked under it.
    written = output.read_text()
    assert all("|".join(row) in written for row in rows)
    (chart,) = (tmp_path / "plots").glob("*.svg")
    assert written.rstrip().endswith(f"](plots/{chart.name})")
    lines = ET.parse(chart).iter("{http://www.w3.org/2000/svg}polyline")
    assert [line.get("data-series") for line in lines] == [f"{row[1].strip()}, {row[2].strip()} in flight" for row in rows]


def test_exceptions_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import exceptions

    assert exceptions.main(["--iterations", "40", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| wasmkit (python engine), try_table |" in out and "| wasmkit (python engine), legacy try |" in out
    assert "| plain Python, try/except |" in out
    if importlib.util.find_spec("llvmlite") is not None:
        assert "| wasmkit (native engine), try_table |" in out and "| wasmkit (native engine), legacy try |" in out


def test_gc_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import gc

    assert gc.main(["--depth", "4", "--trees", "2", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| wasmkit (python engine) |" in out and "| plain Python, tuples |" in out
