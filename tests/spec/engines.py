"""Which engines the spec and differential suites run on.

Both engines run everywhere the test extras are installed. When the native engine cannot run
(llvmlite does not import), its tests are skipped with the reason, visibly, on a user's
machine; in CI (CI=true) tests/conftest.py turns that skip, as every skip for a missing
import, into a failure, where a missing engine would otherwise hide every failure of the
native tier behind a green run.
"""

from __future__ import annotations

import pytest

__all__ = ["ENGINES", "require_engine"]

ENGINES = ("python", "native")


def require_engine(engine: str) -> None:
    """Return if `engine` can run here; otherwise skip the calling test (a failure in CI)."""
    if engine == "native":
        pytest.importorskip(
            "llvmlite.binding", reason="the native engine cannot run: could not import llvmlite", exc_type=ImportError
        )
