"""The text benchmark runs (on tiny inputs, so that it cannot rot); no timing is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.text import main
from tests.support import PROJECT_ROOT


def test_text_benchmark_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "tiny.wast"
    script.write_text('(module (func (export "f") (result i32) (i32.const 1)))\n(assert_return (invoke "f") (i32.const 1))')
    assert main([str(PROJECT_ROOT / "examples" / "fib.wat"), str(PROJECT_ROOT / "examples" / "fib.wasm"), str(script), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| fib.wat |" in out and "| fib.wasm (printed) |" in out and "| all wast |" in out
