"""The on-disk cache of native code: the object file of each piece of one module variant (see
`codegen.pieces`), so that a later run loads machine code instead of compiling through LLVM,
piece by piece, as its functions are first called.

A variant's pieces are in a directory named by a hash of the module, the variant (plain,
metered, profiled: `layout.Variant`; and the tier) and the toolchain (`codegen.toolchain`: wasmkit's version, the native
engine's own source, LLVM's version and the host CPU), so that code made by anything else is
never reused; each piece's file is named by its functions' indices. Writes go to a temporary
file renamed into place; a file that cannot be read as an object file is a miss.
"""

from __future__ import annotations

from pathlib import Path

from ..cache_dir import cache_path, write_atomically
from .codegen import pack_objects, toolchain, unpack_objects
from .layout import Variant

__all__ = ["ObjectCache"]


class ObjectCache:
    """The cached object files of one module variant, a file per piece."""

    def __init__(self, directory: Path, module_digest: bytes, variant: Variant, tier: str) -> None:
        parts = [module_digest, Variant(variant).key.encode(), tier.encode()]
        parts += [f"{key}={value}".encode() for key, value in sorted(toolchain().items())]
        self.directory = cache_path(directory, Path(__file__).parent, parts, "")

    def _path(self, run: range) -> Path:
        return self.directory / f"{run.start}-{run.stop}.o"

    def load(self, run: range) -> bytes | None:
        """The object file of the piece defining the functions of `run`, if cached."""
        try:
            objects = unpack_objects(self._path(run).read_bytes())
        except (OSError, ValueError):
            return None
        return objects[0] if len(objects) == 1 else None

    def save(self, run: range, data: bytes) -> None:
        """Keep the object file of a piece (a cache that cannot be written only costs time)."""
        write_atomically(self._path(run), pack_objects([data]))
