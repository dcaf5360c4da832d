"""Verdicts: that a module's exact bytes were read and validated before, kept on disk, so that
a large module starts again without decoding and checking its function bodies (seconds for a
program of 40 MB of code; see `runtime.module.Module`).

A verdict is kept only for a valid module (an invalid one is checked again, which gives its
error), under a name made of the sha256 of the module's bytes, the features it was validated
under, and the digest of the source of what read and checked it (the binary reader, the
syntax, the validator, the instruction table and wasmkit's version), so that a changed reader
or validator never trusts a verdict of an older one. What a verdict holds beyond "valid" is
what validation derives from the bodies: whether they make tail calls.

The files live in `verdicts/` of the cache directory the engines' compiled code lives in
(`engine.cache_dir.default_cache_dir`: `$WASMKIT_CACHE_DIR`, ...), and are trusted as that code
is. A file that cannot be read or does not say what it should is no verdict.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from ..engine.cache_dir import default_cache_dir, source_digest, write_atomically
from ..opcodes import Feature
from ..version import __version__

__all__ = ["recall", "record", "verdict_dir"]

_FORMAT = 1
_WASMKIT = Path(__file__).resolve().parent.parent  # the package: its top-level modules hold opcodes.py, errors.py
_CHECKERS = (_WASMKIT, _WASMKIT / "binary", _WASMKIT / "syntax", _WASMKIT / "validate")


def verdict_dir() -> Path:
    """Where verdicts are kept: a directory of their own in the engines' cache directory."""
    return default_cache_dir() / "verdicts"


@functools.cache
def _checker_digest() -> bytes:
    """A hash of the source of what reads and validates a module, and wasmkit's version."""
    return hashlib.sha256(b"".join(source_digest(package) for package in _CHECKERS) + __version__.encode()).digest()


def _feature_names(features: Iterable[Feature]) -> list[str]:
    return sorted(feature.value for feature in features)


def _path(digest: bytes, features: frozenset[Feature]) -> Path:
    """The file of the verdict on these bytes, these features and this reader and validator."""
    key = b"|".join([digest, ",".join(_feature_names(features)).encode(), _checker_digest()])
    return verdict_dir() / f"{hashlib.sha256(key).hexdigest()}.json"


def recall(digest: bytes, features: frozenset[Feature]) -> bool | None:
    """Whether the module whose bytes have the sha256 `digest` makes tail calls, if a verdict
    says that those bytes were read and validated under `features` by this wasmkit; None if
    none does (no file, or one that is damaged or unreadable)."""
    path = _path(digest, features)
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # unreadable; not UTF-8 or not JSON; nested too deep
        return None
    if (
        not isinstance(found, dict)
        or found.get("format") != _FORMAT
        or found.get("module") != digest.hex()
        or found.get("features") != _feature_names(features)
        or found.get("valid") is not True
        or not isinstance(found.get("tail_calls"), bool)
    ):
        return None
    return bool(found["tail_calls"])


def record(digest: bytes, features: frozenset[Feature], tail_calls: bool) -> bool:
    """Keep the verdict that the module whose bytes have the sha256 `digest` was read and
    validated under `features`, and whether it makes tail calls; False if it could not be
    written (which costs the next load its checks, nothing else)."""
    verdict = {
        "format": _FORMAT,
        "module": digest.hex(),
        "features": _feature_names(features),
        "valid": True,
        "tail_calls": tail_calls,
    }
    return write_atomically(_path(digest, features), json.dumps(verdict).encode())
