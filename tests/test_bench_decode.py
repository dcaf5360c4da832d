"""The decode benchmark runs (on a tiny input, so that it cannot rot); no timing is asserted."""

from __future__ import annotations

import pytest

from bench.decode import main
from tests.support import PROJECT_ROOT


def test_decode_benchmark_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(PROJECT_ROOT / "examples" / "fib.wasm"), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| fib.wasm |" in out and "| all |" in out
