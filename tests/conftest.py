"""pytest configuration: the conformance report printed at the end of a run, no silent
skips in CI, and no background compiles.

Tests that need an optional package (llvmlite for the native engine, uvicorn for the server,
wasmtime as the reference) skip with `pytest.importorskip` on a user's machine that lacks it. In
CI (`CI=true`) the test extras are always installed, so such a skip would only hide a broken
install, and a whole tier's failures with it: there it is a failure.

The native engine compiles a large module's pieces again on the FULL tier in a process of its
own after a run (`engine.native.tier_up`); the suite, which makes thousands of short-lived
caches, turns that off, and the tests of it turn it on.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from tests.support import REPORTS, record_counts, take_counts

_MISSING_IMPORT = "could not import"
_COUNTS_PROPERTY = "conformance counts"
_in_worker = "PYTEST_XDIST_WORKER" in os.environ  # a pytest-xdist worker: its controller prints the tables
os.environ.setdefault("WASMKIT_NATIVE_TIER_UP", "off")


def _fail_import_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Turn a skip for a missing import into a failure, in CI."""
    if os.environ.get("CI") != "true" or not report.skipped:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if _MISSING_IMPORT in reason:
        report.outcome = "failed"
        report.longrepr = f"in CI every test extra must import, but: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, pytest.CollectReport, None]:
    outcome = yield
    _fail_import_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    result = outcome.get_result()
    _fail_import_skip(result)
    result.user_properties.extend((_COUNTS_PROPERTY, counts) for counts in take_counts())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the conformance results a test report carries, in the process that prints the
    tables (the controller, under pytest-xdist; see `support.ConformanceReport`)."""
    if _in_worker:
        return
    for key, value in report.user_properties:
        if key == _COUNTS_PROPERTY:
            record_counts(value)  # type: ignore[arg-type]


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print each conformance table that the suites filled in during the run."""
    for title, report in sorted(REPORTS.items()):  # the same order however the tests were spread
        if report.rows:
            terminalreporter.write_sep("=", title)
            for line in report.lines():
                terminalreporter.write_line(line)
