"""The on-disk cache of native code: the object files of one module and variant, so that a
second run loads machine code instead of compiling through LLVM.

A file is named by a hash of the module, the variant (metered or not, and the tier) and the
toolchain (`codegen.toolchain`: wasmkit's version, the native engine's own source, LLVM's
version and the host CPU), so that code made by anything else is never reused. Writes go to a
temporary file renamed into place; a file that cannot be read as object files is a miss.
"""

from __future__ import annotations

from pathlib import Path

from ..cache_dir import cache_path, write_atomically
from .codegen import pack_objects, toolchain, unpack_objects

__all__ = ["ObjectCache"]


class ObjectCache:
    """The cached object files of one module variant."""

    def __init__(self, directory: Path, module_digest: bytes, metered: bool, tier: str) -> None:
        parts = [module_digest, b"metered" if metered else b"plain", tier.encode()]
        parts += [f"{key}={value}".encode() for key, value in sorted(toolchain().items())]
        self.path = cache_path(directory, Path(__file__).parent, parts, ".o")

    def load(self) -> list[bytes] | None:
        try:
            return unpack_objects(self.path.read_bytes())
        except (OSError, ValueError):
            return None

    def save(self, objects: list[bytes]) -> None:
        """Keep `objects` (a cache that cannot be written only costs time)."""
        write_atomically(self.path, pack_objects(objects))
