"""Per-file conformance tables, as `wasmkit wast` and the test suite print them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .runner import Outcome

__all__ = ["COLUMNS", "tally", "format_table"]

# Report columns, and the command kinds each one counts.
COLUMNS: dict[str, tuple[str, ...]] = {
    "return": ("assert_return",),
    "trap": ("assert_trap", "assert_exhaustion", "assert_exception"),  # ended abnormally
    "invalid": ("assert_invalid", "assert_invalid_custom"),
    "malformed": ("assert_malformed", "assert_malformed_custom"),
    "link/inst": ("assert_unlinkable", "assert_uninstantiable"),
    "module/other": ("module", "register", "action", "command"),  # "command": one not read
}
_COLUMN_OF = {kind: column for column, kinds in COLUMNS.items() for kind in kinds}


def tally(outcomes: Iterable[Outcome], failed_lines: Iterable[int] = ()) -> dict[str, tuple[int, int]]:
    """(passed, failed) per column; outcomes on `failed_lines` count as failed whatever they did
    (known failures are failures in every report)."""
    forced = set(failed_lines)
    passed: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for outcome in outcomes:
        column = _COLUMN_OF[outcome.kind]
        if outcome.passed and outcome.line not in forced:
            passed[column] += 1
        else:
            failed[column] += 1
    return {column: (passed[column], failed[column]) for column in COLUMNS if passed[column] or failed[column]}


def format_table(rows: dict[str, dict[str, tuple[int, int]]]) -> list[str]:
    """A table with a row per file and `N passed, N failed` as its last line."""
    width = max([len(name) for name in rows] + [4])
    lines = [f"{'file':<{width}}  " + "  ".join(f"{c:>14}" for c in COLUMNS)]
    total_passed = total_failed = 0
    for name in sorted(rows):
        cells = []
        for column in COLUMNS:
            passed, failed = rows[name].get(column, (0, 0))
            total_passed += passed
            total_failed += failed
            cells.append(f"{passed}/{passed + failed}" if passed + failed else "-")
        lines.append(f"{name:<{width}}  " + "  ".join(f"{c:>14}" for c in cells))
    lines.append(f"{total_passed} passed, {total_failed} failed")
    return lines
