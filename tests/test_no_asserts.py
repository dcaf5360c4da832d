"""wasmkit must behave the same under `python -O`: no `assert` statement may carry meaning, so
the package has none."""

from __future__ import annotations

import ast

from tests.support import PROJECT_ROOT


def test_the_package_has_no_assert_statements() -> None:
    offenders = []
    for path in sorted((PROJECT_ROOT / "src" / "wasmkit").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        offenders += [f"{path}:{node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert offenders == []
