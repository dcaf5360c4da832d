"""The on-disk cache of native code: the object file of each piece of one module variant (see
`codegen.pieces`), so that a later run loads machine code instead of compiling through LLVM,
piece by piece, as its functions are first called.

A variant's pieces are in a directory named by a hash of the module, the variant (plain,
metered, profiled: `layout.Variant`; and the tier) and the toolchain (`codegen.toolchain`: wasmkit's version, the native
engine's own source, LLVM's version and the host CPU), so that code made by anything else is
never reused; each piece's file is named by its functions' indices. Beside them, the variant's
working set: the pieces earlier runs loaded, in the order they first did, which a later run
links ahead of need (`pieces.Pieces`); and, beside a FAST piece's object file, the LLVM IR it
was made from, compressed, until `tier_up` has compiled it again on the FULL tier (whose object
file then takes the FAST one's place and name). Writes go to a temporary file renamed into
place; a file that cannot be read as an object file is a miss, and a working set that cannot be
read is empty. Two processes that change the working set take turns (`working_set_lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import struct
import zlib
from array import array
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
        self._writes: list[Future[None]] = []

    @classmethod
    def at(cls, directory: Path) -> ObjectCache:
        """The cache of the variant whose files are in `directory` (one `__init__` named)."""
        cache = cls.__new__(cls)
        cache.directory = directory
        cache._writes = []
        return cache

    def _path(self, run: range) -> Path:
        return self.directory / f"{run.start}-{run.stop}.o"

    def _source_path(self, run: range) -> Path:
        return self.directory / f"{run.start}-{run.stop}{_SOURCE}"

    def load(self, run: range) -> bytes | None:
        """The object file of the piece defining the functions of `run`, if cached."""
        try:
            objects = unpack_objects(self._path(run).read_bytes())
        except (OSError, ValueError):
            return None
        return objects[0] if len(objects) == 1 else None

    def save(self, run: range, data: bytes, source: str | None = None) -> None:
        """Keep the object file of a piece (a cache that cannot be written only costs time),
        and the IR `source` it was made from if given (a FAST piece's, for `tier_up`): that
        one compressed and written on a thread of its own (zlib lets go of the GIL), since a
        program waits for each piece it needs (0.5 ms a piece of yosys's, 1,613 of them at its
        start); `flush` waits for what is under way."""
        if source is not None:
            try:
                self._writes.append(_WRITER.submit(_write_source, self._source_path(run), source))
            except RuntimeError:  # the process is ending: its thread is gone
                _write_source(self._source_path(run), source)
        write_atomically(self._path(run), pack_objects([data]))

    def flush(self) -> None:
        """Wait until the IR `save` was given is written."""
        writes, self._writes = self._writes, []
        for write in writes:
            write.result()

    def sources(self) -> list[range]:
        """The pieces whose IR is kept (not compiled on the FULL tier yet)."""
        return self._runs_named(_SOURCE)

    def stored(self) -> dict[int, range]:
        """The pieces whose object file is kept, by their first function's index."""
        return {run.start: run for run in self._runs_named(".o")}

    def _runs_named(self, suffix: str) -> list[range]:
        """The pieces that have a file `START-STOP{suffix}` in the directory."""
        runs = []
        try:
            for path in self.directory.glob(f"*{suffix}"):
                start, _, stop = path.name.removesuffix(suffix).partition("-")
                if start.isdigit() and stop.isdigit():
                    runs.append(range(int(start), int(stop)))
        except OSError:
            return []
        return runs

    def load_source(self, run: range) -> str | None:
        """The IR kept for the piece defining the functions of `run`, if any."""
        try:
            return zlib.decompress(self._source_path(run).read_bytes()).decode()
        except (OSError, zlib.error, UnicodeDecodeError):
            return None

    def replace(self, run: range, data: bytes) -> None:
        """Put the FULL tier's object file of a piece in place of its FAST one, and drop the
        IR it was made from."""
        if write_atomically(self._path(run), pack_objects([data])):
            self.drop_source(run)

    def drop_source(self, run: range) -> None:
        """Forget the IR kept for a piece (which then keeps the code it has)."""
        try:
            self._source_path(run).unlink(missing_ok=True)
        except OSError:
            pass

    @contextlib.contextmanager
    def working_set_lock(self) -> Iterator[None]:
        """Hold the variant's lock on changing its working set (waiting for whoever holds it),
        so that two processes that merge into it do not lose each other's pieces. Without
        a lock file (a cache that cannot be written) there is nothing to guard."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            file = (self.directory / _WORKING_SET_LOCK).open("a")
        except OSError:
            yield
            return
        with file:
            fcntl.flock(file, fcntl.LOCK_EX)
            yield

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

    def close(self) -> None:
        """Done with it without reading its object file."""
        self._rest.close()


def _write_source(path: Path, source: str) -> None:
    write_atomically(path, zlib.compress(source.encode(), 1))


# The thread that writes IR kept (see `ObjectCache.save`); the process joins it as it ends.
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wasmkit-ir-writer")
# The suffix of a piece's IR kept (zlib-compressed text), and the lock file of the working set.
_SOURCE = ".ll.z"
_WORKING_SET_LOCK = "working-set.lock"
# The file of a variant's working set: the number of its pieces (u32), each one's first
# function index (u32), then the object file defining them all (as `pack_objects` writes it).
_WORKING_SET = "working-set"
