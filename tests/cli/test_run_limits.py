"""`wasmkit run` limits: --fuel, --timeout, --max-memory-size, --max-table-elements and
wasmtime's -W spellings. Running out of fuel or time is a trap: exit 134, one line."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wasmkit.cli import main
from wasmkit.cli.limits import parse_duration

MODULE = """(module
  (memory 1)
  (table 1 funcref)
  (func (export "spin") (loop (br 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 2)))
  (func (export "grow_table") (result i32) (table.grow (ref.null func) (i32.const 5))))
"""


@pytest.fixture
def module(tmp_path: Path) -> str:
    path = tmp_path / "m.wat"
    path.write_text(MODULE)
    return str(path)


@pytest.mark.parametrize("flags", [["--fuel", "10000"], ["-W", "fuel=10000"]])
def test_out_of_fuel_is_a_one_line_trap(flags: list[str], module: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *flags, "--invoke", "spin", module]) == 134
    assert capsys.readouterr().err == "wasmkit: trap: out of fuel (the fuel limit was reached)\n"


@pytest.mark.parametrize("flags", [["--timeout", "200ms"], ["-W", "timeout=0.2s"]])
def test_a_timeout_is_a_one_line_trap(flags: list[str], module: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *flags, "--invoke", "spin", module]) == 134
    assert capsys.readouterr().err == "wasmkit: trap: interrupted (the time limit was reached)\n"


@pytest.mark.parametrize(
    ("flags", "export", "result"),
    [
        (["--max-memory-size", str(2 << 16)], "grow", "-1"),
        (["-W", f"max-memory-size={4 << 16}"], "grow", "1"),
        (["--max-table-elements", "3"], "grow_table", "-1"),
        (["-W", "max-table-elements=10,fuel=100000"], "grow_table", "1"),
    ],
)
def test_growth_past_a_cap_fails_as_the_spec_allows(
    flags: list[str], export: str, result: str, module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", *flags, "--invoke", export, module]) == 0
    assert capsys.readouterr().out == f"{result}\n"


@pytest.mark.parametrize(
    ("flags", "complaint"),
    [
        (["-W", "fuel=x"], "argument -W: 'x' is not a non-negative integer"),
        (["-W", "stack=1"], "argument -W: unknown option 'stack'"),
        (["-W", "fuel"], "argument -W: fuel needs a value"),
        (["--timeout", "10"], "argument --timeout: '10' is not a duration"),
        (["--fuel", "-5"], "argument --fuel: '-5' is not a non-negative integer"),
    ],
)
def test_bad_limit_values_are_usage_errors(
    flags: list[str], complaint: str, module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", *flags, "--invoke", "grow", module])
    assert exit_.value.code == 2
    assert complaint in capsys.readouterr().err


def test_durations_read_as_wasmtime_reads_them() -> None:
    assert parse_duration("10s") == 10
    assert parse_duration("500ms") == 0.5
    assert parse_duration("1m30s") == 90
    assert parse_duration("2h") == 7200
    for bad in ("10", "s", "10 parsecs", "1.5.2s", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_duration(bad)


def test_a_host_that_cannot_reserve_a_memory_is_a_one_line_error(tmp_path: Path) -> None:
    """A linear memory reserves 4 GiB of address space when it has no maximum: under a lower
    `ulimit -v` that fails, and the command line says so instead of printing a traceback."""
    import resource
    import subprocess
    import sys

    module = tmp_path / "memory.wat"
    module.write_text('(module (memory 1) (func (export "_start")))')

    def limit_address_space() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    result = subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", "--engine", "python", str(module)],
        capture_output=True, text=True, timeout=120, preexec_fn=limit_address_space,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("wasmkit: error: out of memory"), result.stderr
    assert "Traceback" not in result.stderr
