"""The on-disk cache of native code: the object file of each piece of one module variant (see
`codegen.pieces`), so that a later run loads machine code instead of compiling through LLVM,
piece by piece, as its functions are first called.

A variant's pieces are in a directory named by a hash of the module, the variant (plain,
metered, profiled: `layout.Variant`; and the tier) and the toolchain (`codegen.toolchain`: wasmkit's version, the native
engine's own source, LLVM's version and the host CPU), so that code made by anything else is
never reused; each piece's file is named by its functions' indices. Beside them, the variant's
working set: the pieces earlier runs loaded, in the order they first did, which a later run
links ahead of need (`pieces.Pieces`). Writes go to a temporary file renamed into place; a file
that cannot be read as an object file is a miss, and a working set that cannot be read is empty.
"""

from __future__ import annotations

import struct
from array import array
from pathlib import Path
from typing import BinaryIO

from ..cache_dir import cache_path, write_atomically
from .codegen import pack_objects, toolchain, unpack_objects
from .layout import Variant

__all__ = ["ObjectCache", "WorkingSet"]


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

    def load_working_set(self) -> WorkingSet | None:
        """The working set kept, if any (see `WorkingSet`): its pieces read now, its object
        file when asked."""
        try:
            file = (self.directory / _WORKING_SET).open("rb")
        except OSError:
            return None
        try:
            (count,) = struct.unpack("<I", file.read(4))
            starts = array("I")
            starts.frombytes(file.read(4 * count))
        except (OSError, struct.error, ValueError):
            file.close()
            return None
        if len(starts) != count:
            file.close()
            return None
        return WorkingSet(starts.tolist(), file)

    def save_working_set(self, starts: list[int], object_file: bytes) -> None:
        """Keep a working set (see `load_working_set`), replacing the one kept."""
        content = struct.pack("<I", len(starts)) + array("I", starts).tobytes() + pack_objects([object_file])
        write_atomically(self.directory / _WORKING_SET, content)


class WorkingSet:
    """A working set kept in the cache: the first function index of each piece earlier runs
    loaded, in the order they first did (`starts`), and one object file defining all of them,
    read when `object_file` is asked (on a thread of its own: 36 MB for yosys.wasm)."""

    def __init__(self, starts: list[int], rest: BinaryIO) -> None:
        self.starts = starts
        self._rest = rest

    def object_file(self) -> bytes | None:
        """The object file (None if the file does not hold a whole one, alone); asked once.
        Read straight into one bytes object, as `pack_objects` laid it out, rather than
        unpacked from a copy of the file (36 MB for yosys.wasm)."""
        try:
            with self._rest:
                count, length = struct.unpack("<IQ", self._rest.read(12))
                data = self._rest.read(length)
                rest = self._rest.read(1)
        except (OSError, struct.error):
            return None
        return data if count == 1 and len(data) == length and not rest else None


# The file of a variant's working set: the number of its pieces (u32), each one's first
# function index (u32), then the object file defining them all (as `pack_objects` writes it).
_WORKING_SET = "working-set"
