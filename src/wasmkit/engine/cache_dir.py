"""Where the engines keep compiled code between runs: `$WASMKIT_CACHE_DIR`, else
`$XDG_CACHE_HOME/wasmkit`, else `~/.cache/wasmkit`, each engine in a directory of its own;
which engines use it when a program names one (`Store("native")`, `wasmkit.load`); how a cached module's file is named (the digest of the engine's source is part of every
name); and how a file is written so that no reader sees half of it."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..version import __version__

__all__ = ["cache_path", "default_cache_dir", "shared_engine_cache_dir", "source_digest", "write_atomically"]


def default_cache_dir() -> Path:
    explicit = os.environ.get("WASMKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wasmkit"


def shared_engine_cache_dir(engine_name: str) -> Path | None:
    """Where the shared engine called `engine_name` (the one a program gets by naming it, as
    `Store("native")` and `wasmkit.load(..., engine="native")` do) keeps compiled code: the
    native engine, and the `auto` engine whose second tier it is, in `default_cache_dir()`, as
    the command line does, since LLVM takes seconds on a large module in every process; the
    Python engine alone nowhere, since it compiles each function cheaply on its first call (the
    command line and the server still cache it)."""
    return default_cache_dir() if engine_name in ("native", "auto") else None


@functools.cache
def source_digest(package: Path) -> bytes:
    """A hash of the Python files of an engine's package: what its compiled code depends on,
    so that a changed engine never reuses code cached by an older one."""
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.digest()


def cache_path(directory: Path, engine_package: Path, parts: Sequence[bytes], suffix: str) -> Path:
    """The file under `directory` where the engine whose source is `engine_package` keeps one
    compiled module: named by a hash of `parts` (the module and its variant), the engine's
    source and wasmkit's version, so that code compiled by other versions is never reused."""
    key = hashlib.sha256(b"|".join([*parts, source_digest(engine_package), __version__.encode()])).hexdigest()
    return directory / engine_package.name / f"{key}{suffix}"


def write_atomically(path: Path, data: bytes) -> bool:
    """Write `data` to `path` through a temporary file renamed into place; False if it could
    not be written (for a cache that only costs the next run some time)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False
