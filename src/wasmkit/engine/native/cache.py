"""The on-disk cache of native code: one object file per module and variant, so that a second
run loads machine code instead of compiling through LLVM.

A file is named by a hash of the module, the variant (metered or not, and the tier), the native engine's own
source (a changed lowering never reuses old code), wasmkit's and LLVM's versions, and the host
CPU LLVM compiled for. Writes go to a temporary file renamed into place.
"""

from __future__ import annotations

from pathlib import Path

import llvmlite.binding as llvm

from ..cache_dir import cache_path, write_atomically

__all__ = ["ObjectCache"]


class ObjectCache:
    """The cached object file of one module variant."""

    def __init__(self, directory: Path, module_digest: bytes, metered: bool, tier: str) -> None:
        host = f"{llvm.get_process_triple()}|{llvm.get_host_cpu_name()}|{llvm.get_host_cpu_features().flatten()}"
        parts = [
            module_digest,
            b"metered" if metered else b"plain",
            tier.encode(),
            ".".join(map(str, llvm.llvm_version_info)).encode(),
            host.encode(),
        ]
        self.path = cache_path(directory, Path(__file__).parent, parts, ".o")

    def load(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except OSError:
            return None

    def save(self, data: bytes) -> None:
        """Keep `data` (a cache that cannot be written only costs time)."""
        write_atomically(self.path, data)
