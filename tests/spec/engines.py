"""Which engines the spec and differential suites run on.

Both engines run everywhere the test extras are installed. When the native engine cannot run
(llvmlite does not import), its tests are skipped with the reason, visibly, on a user's
machine, and fail in CI (CI=true), where a missing engine would otherwise hide every failure
of the native tier behind a green run.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["ENGINES", "require_engine"]

ENGINES = ("python", "native")


def require_engine(engine: str) -> None:
    """Return if `engine` can run here; otherwise skip the calling test (fail it in CI)."""
    if engine != "native":
        return
    try:
        import llvmlite.binding  # noqa: F401
    except ImportError as err:
        message = f"the native engine cannot run: llvmlite does not import ({err})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
