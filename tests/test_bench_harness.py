"""The benchmark harness runs end to end on tiny sizes (so that it cannot rot); no timing is
asserted."""

from __future__ import annotations

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
    assert "geometric mean" in output.read_text()


def test_startup_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert startup_main(["--repeats", "1", str(PROJECT_ROOT / "examples" / "hello.wasm")]) == 0
    assert "| hello.wasm |" in capsys.readouterr().out


def test_an_unknown_program_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_main(["--programs", "fib,matrix"])
    assert exit_.value.code == 2
    assert "unknown program matrix" in capsys.readouterr().err
