"""Where the engines keep compiled code between runs: `$WASMKIT_CACHE_DIR`, else
`$XDG_CACHE_HOME/wasmkit`, else `~/.cache/wasmkit` (each engine in a directory of its own)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    explicit = os.environ.get("WASMKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wasmkit"
