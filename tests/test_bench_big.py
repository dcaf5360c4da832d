"""bench.big's table (quick: no program runs; the runs themselves are tests/corpus/test_yosys.py
and test_python_wasm.py under `make corpus-test`): a runtime that cannot run a program is a row
that says why, and the warm run is compared with wasmtime's. No timing is asserted."""

from __future__ import annotations

import pytest

from bench import big


def test_table_reports_what_a_runtime_cannot_run() -> None:
    results = {
        "python": {
            "wasmtime": big.Figures(cold=90.0, cached=0.8, pairs=[1.2, 0.9, 1.0], peak_memory=600 << 20),
            "wasmkit-python": big.Figures(cold=80.0, cached=85.0, pairs=[260.0, -3.0, 200.0], peak_memory=500 << 20, background=12.4),
            "wasmkit-native": big.Figures(failure="status 1: the native engine does not support values of type exnref yet"),
        }
    }
    rows = [line.split("|")[1:-1] for line in big.table(results)[2:]]
    assert [cell.strip() for cell in rows[0]] == ["python", "wasmtime", "90.00", "0.80", "1.00", "600", "1", "0"]
    assert [cell.strip() for cell in rows[1]][4:] == ["200.00", "500", "200", "12"]
    assert rows[2][2].strip() == "cannot run it yet: status 1: the native engine does not support values of type exnref yet"


def test_unknown_programs_are_refused() -> None:
    with pytest.raises(SystemExit):
        big.main(["--programs", "doom"])
