"""The on-disk cache of compiled Python code, so that a second run skips compilation.

One file per module and code variant, named by a hash of the module, the variant, the source of
the Python engine itself (so that a changed compiler never reuses old code), wasmkit's version
and the Python version (code objects are specific to it). The file holds the
marshalled code objects of the functions compiled so far, by function index; functions
compiled later in a run are added to it when the process exits. Writes go to a temporary file
renamed into place, so a reader never sees half a file.

The location is `$WASMKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/wasmkit`, else
`~/.cache/wasmkit`.
"""

from __future__ import annotations

import atexit
import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType

from ... import __version__
from ..cache_dir import source_digest

__all__ = ["CodeCache"]


class CodeCache:
    """The cached code of one module variant: loaded at once, saved at exit if it grew."""

    def __init__(self, directory: Path, module_digest: bytes, variant: str) -> None:
        key = hashlib.sha256(
            b"|".join([module_digest, variant.encode(), source_digest(Path(__file__).parent), __version__.encode(), sys.version.encode()])
        ).hexdigest()
        self.path = directory / "python" / f"{key}.code"
        self.codes: dict[int, CodeType] = self._load()
        self._saved = len(self.codes)
        atexit.register(self.save)

    def _load(self) -> dict[int, CodeType]:
        try:
            data = self.path.read_bytes()
        except OSError:
            return {}
        try:
            codes = marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            return {}  # a damaged file is a miss; it is overwritten on exit
        return codes if isinstance(codes, dict) else {}

    def save(self) -> None:
        """Write the cache if functions were compiled since it was read (errors are ignored:
        a cache that cannot be written only costs the next run some time)."""
        if len(self.codes) == self._saved:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(self.codes))
            os.replace(tmp, self.path)
            self._saved = len(self.codes)
        except OSError:
            pass
