"""Python's cyclic garbage collector, kept out of the way of loading a large module.

Reading, validating and instantiating yosys.wasm (46,473 functions) allocates hundreds of
thousands of objects, none of them cyclic garbage; each 700 allocations start a collection,
and the ones of the older generations traverse everything made so far: 0.3 s of its 0.7 s
load, measured. `paused` turns collection off for such work (and back on after it, if it was
on); `keep_loaded` is for a process whose loaded module lives as long as it (`wasmkit run`):
what is loaded so far leaves the collector's generations, so later collections skip it (as
`wasmkit serve`'s workers do: `edge.app`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["keep_loaded", "paused"]


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the `with` (objects are still freed when their last
    reference goes); the collector is left on or off as it was found. What was made inside
    is still young when it ends, and the first collection after it traverses it once (unless
    `keep_loaded` was called inside: then nothing is young)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keep_loaded() -> None:
    """Move every object there is to the collector's permanent generation (`gc.freeze`):
    for a process that loaded what it keeps until it exits."""
    gc.freeze()
