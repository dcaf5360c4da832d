"""The machine code of a module's functions, loaded as they are needed.

A module is compiled in pieces (`codegen.pieces`): a small module in one, loaded at once; a
large one in a piece per function, each loaded when the function is first called. Compiling
the whole of a large module (`compile_all`: ahead-of-time artifacts, `wasmkit compile`, the
server, the `auto` engine's background compile) makes an object file per batch of functions
(`codegen.batches`) instead. Either kind of object file is linked into the module's one
execution engine, and fills the function slots of the functions it defines: what native code
calls other pieces through.

A function's machine code comes from an artifact read in this process (its batch), else from
the disk cache (its own piece, else its batch), else from compiling its piece (which fills the
cache). Each function is linked once: a thread that asks for a piece another is compiling
waits for it, and an object file defining a function linked already is not linked.

A large module's run loads thousands of pieces (yosys's synthesis of a small design 3,265),
which cost about 0.09 ms each to read and link one by one. So the cache keeps each variant's
working set: the pieces earlier runs loaded, merged into one object file
(`relocatable.merge_objects`), which a thread links when the module is loaded (LLVM links
without the GIL, on the second core) while the module is instantiated and starts; a function of
it called meanwhile waits for it. When the process ends, or the module is dropped, the pieces
this run loaded besides are merged into the working set, and the pieces compiled on the FAST
tier are compiled again on the FULL tier by a process of its own (`tier_up`).
"""

from __future__ import annotations

import bisect
import functools
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, cast

from ...validate import ValidModule
from .cache import ObjectCache, WorkingSet
from . import tier_up
from .codegen import FAST, add_objects, batches, compile_piece, compile_pieces, load_objects, pieces
from .layout import Variant, word_array
from .lower import addresses_symbol
from .relocatable import merge_objects

__all__ = ["Pieces", "batch_objects"]


class Pieces:
    """The machine code of one module variant and the execution engine it is linked into.

    `slots` holds each defined function's address, 0 until it is loaded. `given` is an
    artifact's object files, one per batch."""

    def __init__(
        self, valid: ValidModule, shared_globals: frozenset[int], variant: Variant, tier: str,
        cache: ObjectCache | None, given: list[bytes] | None,
    ) -> None:  # fmt: skip
        self.valid = valid
        self.shared_globals = shared_globals
        self.variant = variant
        self.tier = tier
        self.runs = pieces(valid, tier)
        self.whole = len(self.runs) == 1
        self.first = valid.imported_func_count
        self._run_starts = [run.start for run in self.runs]
        self._given = dict(enumerate(given)) if given is not None and len(given) == len(self.batches) else {}
        self._cache = None if self._given else cache
        self.compiled_now = False  # whether something was compiled (not loaded) in this process
        self.engine = load_objects([])
        self.slots = word_array(max(len(valid.module.funcs), 1))()
        self._loaded = bytearray(len(valid.module.funcs))  # per defined function
        self._lock = threading.Lock()  # guards the fields below and linking into the engine
        self._pending: dict[int, Future[None]] = {}  # runs being loaded now, by number
        self._reserved = bytearray(len(valid.module.funcs))  # per function: the working set defines it
        self._loaded_runs: list[range] = []  # the pieces loaded one by one, in order
        # Set once the cached working set is linked (or found missing): until then its
        # functions' slots are empty, and a table mirrored meanwhile lists them as not loaded.
        self.working_set_linked = threading.Event()
        if self.whole:
            self._load(0)
        if self.whole or self._cache is None:
            self.working_set_linked.set()
        else:
            self._link_working_set(self._cache)

    @functools.cached_property
    def batches(self) -> list[range]:
        """The runs of functions a whole module is compiled in (`codegen.batches`), found when
        first needed: a cached start links pieces, not batches."""
        return batches(self.valid, self.tier)

    @functools.cached_property
    def _batch_starts(self) -> list[int]:
        return [batch.start for batch in self.batches]

    @property
    def loaded(self) -> list[range]:
        """The runs loaded so far."""
        return [run for run in self.runs if self._loaded[run.start - self.first]]

    def load_function(self, index: int) -> None:
        """Make sure defined function `index` is loaded (its slot filled)."""
        if not self.slots[index - self.first]:
            self._load(bisect.bisect_right(self._run_starts, index) - 1)

    def compile_all(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Load every function not loaded yet, batch by batch: a batch none of whose
        functions is loaded from an artifact or the cache, or compiled whole (and cached);
        the rest of a batch some of whose functions are loaded, compiled in runs of
        consecutive functions. LLVM compiles on a thread of its own while the next is lowered
        (`codegen.compile_pieces`). Reports (functions done, functions) to `progress`."""
        total = len(self.valid.module.funcs)
        done = 0
        to_compile: list[range] = []
        for k, batch in enumerate(self.batches):
            missing = self._missing(batch)
            if missing == [batch]:
                data = self._given.get(k) if self._given else (self._cache.load(batch) if self._cache else None)
                if data is not None and self._link(batch, data):
                    missing = []
            to_compile += missing
            done += len(batch) - sum(map(len, missing))
        if progress is not None:
            progress(done, total)
        compiled = compile_pieces(
            self.valid, self.shared_globals, self.variant, self.tier, to_compile, self.whole,
            None if progress is None else (lambda count, _: progress(done + count, total)),
        )
        whole_batches = {batch.start: batch for batch in self.batches}
        for span, data in compiled:
            if whole_batches.get(span.start) == span:
                self._keep(span, data)
            else:
                self.compiled_now = True
            if not self._link(span, data):  # a function of it was called (and loaded) meanwhile
                for rest in self._missing(span):
                    for index in rest:
                        self.load_function(index)

    def _missing(self, batch: range) -> list[range]:
        """The runs of consecutive functions of `batch` not loaded."""
        runs: list[range] = []
        start = None
        for index in [*batch, batch.stop]:
            missing = index < batch.stop and not self._loaded[index - self.first]
            if missing and start is None:
                start = index
            elif not missing and start is not None:
                runs.append(range(start, index))
                start = None
        return runs

    def _load(self, k: int) -> None:
        """Load run `k` if no one has, or wait for whoever is loading it. Raises what
        compiling it raised."""
        run = self.runs[k]
        pending = self._claim(k)
        while pending is None:
            if self._loaded[run.start - self.first]:
                return
            pending = self._claim(k)
        try:
            if not self._link_stored(k):
                compiled = compile_piece(self.valid, self.shared_globals, self.variant, self.tier, run, self.whole)
                self._keep(run, compiled.object_file, compiled.source if self.tier == FAST else None)
                self._link(run, compiled.object_file)
            self._loaded_runs.append(run)
            pending.set_result(None)
        except BaseException as err:
            pending.set_exception(err)
            raise
        finally:
            with self._lock:
                del self._pending[k]

    def _claim(self, k: int) -> Future[None] | None:
        """A future for loading run `k` that the caller now owns (and must resolve and
        remove), or None once run `k` is loaded or after waiting for whoever was loading it
        (raising what they raised)."""
        run = self.runs[k]
        with self._lock:
            if self._loaded[run.start - self.first]:
                return None
            pending = self._pending.get(k)
            if pending is None:
                pending = self._pending[k] = Future()
                return pending
        pending.result()
        return None

    def _link_working_set(self, cache: ObjectCache) -> None:
        """Link the cached working set's object file on a thread, its pieces claimed (so that
        whoever needs one waits for it), and have the working set grow by the pieces loaded
        besides when this object ends (see the module's docstring)."""
        stored = cache.load_working_set()
        linked = self.working_set_linked
        weakref.finalize(self, _grow_working_set, linked, cache, self._loaded_runs)
        if stored is None:
            linked.set()
            return
        claimed: list[int] = []
        pending: Future[None] = Future()  # one for them all
        with self._lock:
            for start in stored.starts:
                k = bisect.bisect_right(self._run_starts, start) - 1
                if k < 0 or self.runs[k].start != start or k in self._pending or self._loaded[start - self.first]:
                    continue
                run = self.runs[k]
                claimed.append(k)
                self._pending[k] = pending
                self._reserved[run.start - self.first : run.stop - self.first] = b"\1" * len(run)
        threading.Thread(
            target=self._link_claimed, args=(stored, claimed, pending, linked), name="wasmkit-working-set", daemon=True
        ).start()

    def _link_claimed(self, stored: WorkingSet, claimed: list[int], pending: Future[None], linked: threading.Event) -> None:
        """Link the working set's object file, filling the slots of the `claimed` runs it
        defines, then release them all (one it did not define is left to whoever needs it):
        set `linked` and resolve their `pending` future."""
        try:
            object_file = stored.object_file()
            if object_file is not None:
                with self._lock:
                    add_objects(self.engine, [object_file])
                    for k in claimed:
                        run = self.runs[k]
                        address = self.engine.get_global_value_address(addresses_symbol(run))
                        if address:
                            at = run.start - self.first
                            self.slots[at : at + len(run)] = list(word_array(len(run)).from_address(address))
                            self._loaded[at : at + len(run)] = b"\1" * len(run)
        except Exception:  # an unusable object file: each piece is loaded as if it were not there
            pass
        finally:
            with self._lock:
                for k in claimed:
                    run = self.runs[k]
                    self._reserved[run.start - self.first : run.stop - self.first] = bytes(len(run))
                    del self._pending[k]
            linked.set()  # before the waiting callers go on: a binding they run asks for it
            pending.set_result(None)

    def _link_stored(self, k: int) -> bool:
        """Link run `k` from an artifact or the cache (its own object file, else its batch's),
        if either has it; whether it is linked now."""
        run = self.runs[k]
        b = bisect.bisect_right(self._batch_starts, run.start) - 1
        batch = self.batches[b]
        if self._given:
            return self._link(batch, self._given[b])
        if self._cache is None:
            return False
        data = self._cache.load(run)
        if data is not None and self._link(run, data):
            return True
        data = self._cache.load(batch) if batch != run else None
        return data is not None and self._link(batch, data)

    def _keep(self, span: range, data: bytes, source: str | None = None) -> None:
        """An object file was just compiled for the functions of `span`: keep it in the cache,
        with the IR `source` it was made from if given (for `tier_up`)."""
        self.compiled_now = True
        if self._cache is not None:
            self._cache.save(span, data, source)

    def _link(self, span: range, data: bytes) -> bool:
        """Link the object file of the functions of `span` into the engine and fill their
        slots, unless one of them is linked already (whether it linked it)."""
        at = span.start - self.first
        with self._lock:
            if any(self._loaded[at : at + len(span)]) or any(self._reserved[at : at + len(span)]):
                return False
            add_objects(self.engine, [data])
            addresses: Any = word_array(len(span)).from_address(self.engine.get_global_value_address(addresses_symbol(span)))
            self.slots[at : at + len(span)] = list(addresses)
            self._loaded[at : at + len(span)] = b"\1" * len(span)
        return True


def _grow_working_set(linked: threading.Event, cache: ObjectCache, loaded: list[range]) -> None:
    """Once the working set is `linked`, merge into the working set kept the pieces of
    `loaded` it lacks (those whose object file is cached), then have the pieces compiled on
    the FAST tier compiled on the FULL one (`tier_up.start`)."""
    linked.wait()
    if not loaded:
        return
    with cache.working_set_lock():
        _merge_into_working_set(cache, loaded)
    cache.flush()
    tier_up.start(cache)


def _merge_into_working_set(cache: ObjectCache, loaded: list[range]) -> None:
    """Merge into the working set kept the pieces of `loaded` it lacks."""
    starts: list[int] = []
    objects: list[bytes] = []
    stored = cache.load_working_set()
    old = stored.object_file() if stored is not None else None
    if stored is not None and old is not None:
        starts, objects = stored.starts, [old]
    known = set(starts)
    added = []
    for run in loaded:
        data = cache.load(run) if run.start not in known else None
        if data is not None:
            objects.append(data)
            added.append(run.start)
    merged = merge_objects(objects) if added else None
    if merged is not None:
        cache.save_working_set(starts + added, merged)


def batch_objects(
    valid: ValidModule, shared_globals: frozenset[int], tier: str, cache: ObjectCache | None,
    progress: Callable[[int, int], None] | None = None,
) -> list[bytes]:
    """The object file of each batch of `valid`'s plain variant (what an artifact holds), from
    the cache or compiled (and cached), without linking any: reporting (functions done,
    functions) to `progress`."""
    runs = batches(valid, tier)
    found = {run.start: cache.load(run) if cache is not None else None for run in runs}
    total = len(valid.module.funcs)
    done = sum(len(run) for run in runs if found[run.start] is not None)
    missing = [run for run in runs if found[run.start] is None]
    compiled = compile_pieces(
        valid, shared_globals, Variant.PLAIN, tier, missing, len(runs) == 1,
        None if progress is None else (lambda count, _: progress(done + count, total)),
    )
    for run, data in compiled:
        if cache is not None:
            cache.save(run, data)
        found[run.start] = data
    return [cast(bytes, found[run.start]) for run in runs]
