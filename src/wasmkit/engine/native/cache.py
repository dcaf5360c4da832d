"""The on-disk cache of native code: one object file per module and variant, so that a second
run loads machine code instead of compiling through LLVM.

A file is named by a hash of the module, the variant (metered or not, and the tier), the native engine's own
source (a changed lowering never reuses old code), wasmkit's and LLVM's versions, and the host
CPU LLVM compiled for. Writes go to a temporary file renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import llvmlite.binding as llvm

from ... import __version__
from ..cache_dir import source_digest

__all__ = ["ObjectCache"]


class ObjectCache:
    """The cached object file of one module variant."""

    def __init__(self, directory: Path, module_digest: bytes, metered: bool, tier: str) -> None:
        host = f"{llvm.get_process_triple()}|{llvm.get_host_cpu_name()}|{llvm.get_host_cpu_features().flatten()}"
        parts = [
            module_digest,
            b"metered" if metered else b"plain",
            tier.encode(),
            source_digest(Path(__file__).parent),
            __version__.encode(),
            ".".join(map(str, llvm.llvm_version_info)).encode(),
            host.encode(),
        ]
        key = hashlib.sha256(b"|".join(parts)).hexdigest()
        self.path = directory / "native" / f"{key}.o"

    def load(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except OSError:
            return None

    def save(self, data: bytes) -> None:
        """Keep `data` (errors are ignored: a cache that cannot be written only costs time)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path)
        except OSError:
            pass
