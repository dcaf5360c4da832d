"""Components built by componentize-py from Python sources in the tests, cached: building one
takes 10 to 30 s, so the result is kept in the cache directory under a key made of the
builder's version and the sources (WIT and Python)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

__all__ = ["build_component"]


def _builder() -> str | None:
    found = shutil.which("componentize-py") or str(Path(sys.executable).parent / "componentize-py")
    return found if os.path.exists(found) else None


def build_component(name: str, wit: Path, world: str, app: Path) -> Path:
    """The component componentize-py builds for `world` of the WIT at `wit` (a file or a
    directory) from the Python modules in `app` (its `app.py` the entry); skips the test when
    componentize-py is not installed."""
    from wasmkit.engine.cache_dir import default_cache_dir

    builder = _builder()
    if builder is None:
        pytest.skip("componentize-py is not installed (the test extras)")
    wit_files = sorted(wit.rglob("*.wit")) if wit.is_dir() else [wit]
    sources = [*wit_files, *sorted(app.glob("*.py"))]
    version = subprocess.run([builder, "--version"], capture_output=True, text=True, check=True).stdout
    key = hashlib.sha256(version.encode() + b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    cached = Path(default_cache_dir()) / "componentize-py" / f"{name}-{key}.wasm"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the app's modules only
        done = subprocess.run([builder, "-d", str(wit), "-w", world, "componentize", "app", "-o", str(partial)],
                              cwd=app, capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr[:1500]
        partial.replace(cached)
    return cached
