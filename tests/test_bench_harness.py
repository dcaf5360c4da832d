"""The benchmark harness runs end to end on tiny sizes (so that it cannot rot); no timing is
asserted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.__main__ import main as bench_main
from bench.startup import main as startup_main
from tests.support import PROJECT_ROOT, require_shared


def test_harness_prints_and_writes_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_shared("bench")
    output = tmp_path / "RESULTS.md"
    assert bench_main(["--compare", "tiny", "--repeats", "1", "--programs", "fib,qsortb", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "| fib |" in printed and "| qsortb |" in printed and "geometric mean" in printed
    assert "wasmtime run ÷ wasmkit-python run" in printed
    written = output.read_text()
    assert "geometric mean" in written
    charts = list((tmp_path / "plots").glob("*.svg"))
    assert len(charts) == 1 and charts[0].name.startswith("wasmkit-python-against-its-peers-tiny-sizes-")
    assert written.rstrip().endswith(f"](plots/{charts[0].name})")
    bars = [e for e in ET.parse(charts[0]).iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "bar"]
    assert {bar.get("data-category") for bar in bars} == {"fib", "qsortb"}


def test_startup_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "RESULTS.md"
    assert startup_main(["--repeats", "1", "--output", str(output), str(PROJECT_ROOT / "examples" / "hello.wasm")]) == 0
    assert "| hello.wasm |" in capsys.readouterr().out
    assert "| hello.wasm |" in output.read_text()
    (chart,) = (tmp_path / "plots").glob("*.svg")
    bars = [e for e in ET.parse(chart).iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "bar"]
    assert [bar.get("data-category") for bar in bars] == ["hello.wasm", "hello.wasm"]


def test_an_unknown_program_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_main(["--programs", "fib,matrix"])
    assert exit_.value.code == 2
    assert "unknown program matrix" in capsys.readouterr().err
