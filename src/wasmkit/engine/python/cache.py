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
import marshal
import sys
from pathlib import Path
from types import CodeType

from ..cache_dir import cache_path, write_atomically

__all__ = ["CodeCache"]


class CodeCache:
    """The cached code of one module variant: loaded at once, saved at exit if it grew."""

    def __init__(self, directory: Path, module_digest: bytes, variant: str) -> None:
        # Code objects are specific to the Python version.
        self.path = cache_path(directory, Path(__file__).parent, [module_digest, variant.encode(), sys.version.encode()], ".code")
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
        if len(self.codes) != self._saved and write_atomically(self.path, marshal.dumps(self.codes)):
            self._saved = len(self.codes)
