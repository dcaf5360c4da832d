"""The machine code of a module's pieces (see `codegen.pieces`), loaded as they are needed.

A module's functions are compiled in runs (`codegen.pieces`): a small module in one, loaded at
once; a large one with a piece per function, each loaded when the function is first called.
A piece comes from an artifact read in this process, else from the disk cache, else from
compiling it (which fills the cache), and is linked into the module's one execution engine,
which fills the pieces' function slots: what native code calls other pieces through.
Each piece is compiled once: a thread that asks for a piece another is compiling waits for it.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ...validate import ValidModule
from .cache import ObjectCache
from .codegen import add_objects, compile_piece, compile_pieces, load_objects, pieces
from .layout import word_array
from .lower import addresses_symbol

__all__ = ["Pieces"]


class Pieces:
    """The pieces of one module variant and the execution engine they are linked into.

    `slots` holds each defined function's address, 0 until its piece is loaded; `objects`
    (with `keep_objects`) the object file of each piece loaded, by piece number."""

    def __init__(
        self, valid: ValidModule, shared_globals: frozenset[int], metered: bool, tier: str,
        cache: ObjectCache | None, given: list[bytes] | None, keep_objects: bool,
    ) -> None:  # fmt: skip
        self.valid = valid
        self.shared_globals = shared_globals
        self.metered = metered
        self.tier = tier
        self.runs = pieces(valid, tier)
        self.whole = len(self.runs) == 1
        self.first = valid.imported_func_count
        self._starts = [run.start for run in self.runs]
        # The object files an artifact holds, by piece (one per piece, in order).
        self._given = dict(enumerate(given)) if given is not None and len(given) == len(self.runs) else {}
        self._cache = None if self._given else cache
        self.compiled_now = False  # whether a piece was compiled (not loaded) in this process
        self.objects: dict[int, bytes] | None = {} if keep_objects else None
        self.engine = load_objects([])
        self.slots = word_array(max(len(valid.module.funcs), 1))()
        self._loaded = [False] * len(self.runs)
        self._lock = threading.Lock()  # guards the fields below and linking into the engine
        self._pending: dict[int, Future[None]] = {}  # pieces being compiled or loaded now
        if self.whole:
            self._load(0)

    @property
    def loaded(self) -> list[range]:
        """The pieces loaded so far (each a run of defined functions, by index)."""
        return [run for run, loaded in zip(self.runs, self._loaded) if loaded]

    def load_function(self, index: int) -> None:
        """Make sure the piece of defined function `index` is loaded (its slot filled)."""
        if not self.slots[index - self.first]:
            self._load(bisect.bisect_right(self._starts, index) - 1)

    def compile_all(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Load every piece not loaded yet, compiling what the cache and artifacts lack
        (LLVM on a thread of its own while the next piece is lowered: `codegen.compile_pieces`),
        reporting (functions done, functions) to `progress`."""
        total = len(self.valid.module.funcs)
        missing = [k for k, loaded in enumerate(self._loaded) if not loaded]
        done = total - sum(len(self.runs[k]) for k in missing)
        to_compile = []
        for k in missing:
            data = self._stored(k)
            if data is None:
                to_compile.append(k)
            else:
                self._link(k, data)
                done += len(self.runs[k])
        if progress is not None:
            progress(done, total)
        by_start = {self.runs[k].start: k for k in to_compile}
        compiled = compile_pieces(
            self.valid, self.shared_globals, self.metered, self.tier, [self.runs[k] for k in to_compile], self.whole,
            None if progress is None else (lambda count, _: progress(done + count, total)),
        )
        for run, data in compiled:
            self._keep(by_start[run.start], data)
            self._link(by_start[run.start], data)

    def _load(self, k: int) -> None:
        """Load piece `k` if no one has, or wait for whoever is loading it. Raises what
        compiling it raised."""
        with self._lock:
            if self._loaded[k]:
                return
            pending = self._pending.get(k)
            if pending is None:
                pending = self._pending[k] = Future()
                mine = True
            else:
                mine = False
        if not mine:
            pending.result()
            return
        try:
            data = self._stored(k)
            if data is None:
                data = compile_piece(self.valid, self.shared_globals, self.metered, self.tier, self.runs[k], self.whole)
                self._keep(k, data)
            self._link(k, data)
            pending.set_result(None)
        except BaseException as err:
            pending.set_exception(err)
            raise
        finally:
            with self._lock:
                del self._pending[k]

    def _stored(self, k: int) -> bytes | None:
        """Piece `k`'s object file from an artifact or the cache, if either has it."""
        data = self._given.get(k)
        if data is None and self._cache is not None:
            data = self._cache.load(self.runs[k])
        return data

    def _keep(self, k: int, data: bytes) -> None:
        """A piece was just compiled: keep it in the cache."""
        self.compiled_now = True
        if self._cache is not None:
            self._cache.save(self.runs[k], data)

    def _link(self, k: int, data: bytes) -> None:
        """Link piece `k`'s object file into the engine and fill its slots (once)."""
        run = self.runs[k]
        with self._lock:
            if self._loaded[k]:
                return
            add_objects(self.engine, [data])
            if self.objects is not None:
                self.objects[k] = data
            addresses: Any = word_array(len(run)).from_address(self.engine.get_global_value_address(addresses_symbol(run)))
            at = run.start - self.first
            self.slots[at : at + len(run)] = list(addresses)
            self._loaded[k] = True
