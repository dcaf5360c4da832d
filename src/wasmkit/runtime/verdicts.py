"""Verdicts: that a module's exact bytes were read and validated before, kept on disk, so that
a large module starts again without decoding and checking its function bodies (seconds for a
program of 40 MB of code; see `runtime.module.Module`).

A verdict is kept only for a valid module (an invalid one is checked again, which gives its
error), under a name made of the sha256 of the module's bytes, the features it was validated
under, and the digest of the source of what read and checked it (the binary reader, the
syntax, the validator, the instruction table and wasmkit's version), so that a changed reader
or validator never trusts a verdict of an older one. What a verdict holds beyond "valid" is
what validation derives from the bodies (whether they make tail calls), and where each body
lies in the bytes, so that reading the module again cuts the code section there rather than
decoding every entry (half a second of yosys.wasm's start: `binary.reader.read_module`).

The files live in `verdicts/` of the cache directory the engines' compiled code lives in
(`engine.cache_dir.default_cache_dir`: `$WASMKIT_CACHE_DIR`, ...), and are trusted as that code
is: NAME.json says what is known, NAME.spans holds the bodies' spans (unsigned 64-bit words in
this machine's byte order, whose sha256 the JSON holds). A file that cannot be read or does
not say what it should is no verdict; spans that do not match their hash are none either.
"""

from __future__ import annotations

import functools
import hashlib
import json
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine.cache_dir import default_cache_dir, source_digest, write_atomically
from ..opcodes import Feature
from ..version import __version__

__all__ = ["Verdict", "recall", "record", "verdict_dir"]

_FORMAT = 2
_WORD = "Q"  # the array type code of the spans' words: unsigned, 64 bits


@dataclass(frozen=True)
class Verdict:
    """What is known of a module's bytes that were read and validated before: whether its
    bodies make tail calls, and where each body starts and ends (`binary.reader.body_spans_of`;
    None when that file is missing or damaged)."""

    tail_calls: bool
    body_spans: Sequence[int] | None


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


def recall(digest: bytes, features: frozenset[Feature]) -> Verdict | None:
    """The verdict that the module whose bytes have the sha256 `digest` was read and validated
    under `features` by this wasmkit, or None if there is none (no file, or one that is damaged
    or unreadable)."""
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
    return Verdict(bool(found["tail_calls"]), _spans(path.with_suffix(".spans"), found.get("spans")))


def _spans(path: Path, expected: object) -> Sequence[int] | None:
    """The body spans in `path`, if its bytes have the sha256 whose hex is `expected`."""
    try:
        words = path.read_bytes()
    except OSError:
        return None
    if not isinstance(expected, str) or hashlib.sha256(words).hexdigest() != expected or len(words) % array(_WORD).itemsize:
        return None
    spans = array(_WORD)
    spans.frombytes(words)
    return spans


def record(digest: bytes, features: frozenset[Feature], tail_calls: bool, body_spans: Sequence[int]) -> bool:
    """Keep the verdict that the module whose bytes have the sha256 `digest` was read and
    validated under `features`, whether it makes tail calls, and where its bodies lie; False
    if it could not be written (which costs the next load its checks, nothing else)."""
    path = _path(digest, features)
    words = array(_WORD, body_spans).tobytes()
    if not write_atomically(path.with_suffix(".spans"), words):
        return False
    verdict = {
        "format": _FORMAT,
        "module": digest.hex(),
        "features": _feature_names(features),
        "valid": True,
        "tail_calls": tail_calls,
        "spans": hashlib.sha256(words).hexdigest(),
    }
    return write_atomically(path, json.dumps(verdict).encode())
