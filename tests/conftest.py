"""pytest configuration: the conformance report printed at the end of a run."""

from __future__ import annotations

from tests.support import REPORTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """Print each conformance table that the suites filled in during the run."""
    for title, report in REPORTS.items():
        if report.rows:
            terminalreporter.write_sep("=", title)
            for line in report.lines():
                terminalreporter.write_line(line)
