"""Components built from Python sources by componentize-py (the test extras), kept in the
cache directory: building one takes 5 to 30 s, so it is built once per version of
componentize-py and of its sources."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

__all__ = ["componentize"]


def builder() -> str | None:
    """The componentize-py command, or None when it is not installed."""
    found = shutil.which("componentize-py") or str(Path(sys.executable).parent / "componentize-py")
    return found if os.path.exists(found) else None


def componentize(name: str, wit: Path, world: str, app: Path) -> Path:
    """The component of world `world` (in the WIT file or directory `wit`) that the module
    `app.py` in directory `app` implements, built or found in the cache (as `name`-KEY.wasm,
    KEY a hash of componentize-py's version and the sources); skips the test when
    componentize-py is not installed (`builder()` tells), RuntimeError if it fails."""
    from wasmkit.engine.cache_dir import default_cache_dir

    command = builder()
    if command is None:
        pytest.skip("componentize-py is not installed (the test extras)")
    wit_files = [wit] if wit.is_file() else sorted(wit.rglob("*.wit"))
    sources = [*wit_files, *sorted(app.glob("*.py"))]
    version = subprocess.run([command, "--version"], capture_output=True, text=True, check=True).stdout
    key = hashlib.sha256(version.encode() + b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    cached = Path(default_cache_dir()) / "componentize-py" / f"{name}-{key}.wasm"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.partial")  # two builds at once do not mix
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the app's modules only
        done = subprocess.run([command, "-d", str(wit), "-w", world, "componentize", "app", "-o", str(partial)],
                              cwd=app, capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"componentize-py failed: {done.stderr[:1500]}")
        partial.replace(cached)
    return cached
