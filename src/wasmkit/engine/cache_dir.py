"""Where the engines keep compiled code between runs: `$WASMKIT_CACHE_DIR`, else
`$XDG_CACHE_HOME/wasmkit`, else `~/.cache/wasmkit` (each engine in a directory of its own),
and the digest of an engine's source that every cache key includes."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

__all__ = ["default_cache_dir", "source_digest"]


def default_cache_dir() -> Path:
    explicit = os.environ.get("WASMKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wasmkit"


@functools.cache
def source_digest(package: Path) -> bytes:
    """A hash of the Python files of an engine's package: what its compiled code depends on,
    so that a changed engine never reuses code cached by an older one."""
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.digest()
