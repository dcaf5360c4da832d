"""`Profiler`: a thread that samples the wasm call stacks of the process at an interval.

Two sources, one per engine:

- the Python engine's wasm functions are Python functions, so a sample of a thread is its
  Python stack (`sys._current_frames`), each frame of generated code named as backtraces name
  it (`runtime.call.wasm_stack`): nothing to compile differently, nothing to pay between
  samples;
- native code is invisible to Python, so a store created with `profiling=True` runs the
  native engine's profiled variant, which keeps a shadow stack of its frames
  (`engine.shadow_stack`); the sampler reads every shadow stack that exists.

Each sample costs the running wasm one hand-over of the GIL (Python engine) or nothing but the
shadow stack's upkeep (native code, which runs without the GIL); the sampler waits at least as
long as its last sample took, so that very deep stacks cannot take over the process.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..engine.shadow_stack import live_shadow_stacks
from ..runtime.call import wasm_stack
from . import firefox, flamegraph

__all__ = ["Profiler", "Sample"]


@dataclass(frozen=True)
class Sample:
    """The wasm functions one thread (or one profiling store's native code) was running."""

    time: float  # milliseconds since the profiler started
    track: str  # the thread's name, or the profiling store's for native code
    stack: tuple[str, ...]  # outermost first


class Profiler:
    """Samples the wasm call stack every `interval` seconds (10 ms by default, as wasmtime)
    while it runs (between `start()` and `stop()`, or in a `with` block), on both engines;
    native code is seen in stores made with `profiling=True` (`wasmkit.load(...,
    profiling=True)`).

        with wasmkit.Profiler() as profiler:
            instance.exports._start()
        profiler.save("profile.json")       # open in https://profiler.firefox.com
        profiler.save_svg("flame.svg")      # a flame graph
    """

    def __init__(self, interval: float = 0.010, name: str = "wasmkit") -> None:
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, not {interval!r}")
        self.interval = interval
        self.name = name  # the profiled program, as the Firefox Profiler shows it
        self.samples: list[Sample] = []
        self.dropped = 0  # samples that could not be taken (see `_run`)
        self.started_at = 0.0  # time.time() at start, for the profile's meta data
        self.duration = 0.0  # milliseconds from start to stop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0
        self._switch_interval = 0.0

    # -- running --

    def start(self) -> None:
        """Start sampling (on a thread of its own)."""
        if self._thread is not None:
            raise RuntimeError("this profiler is running already")
        self._stop.clear()
        self.started_at = time.time()
        self._start = time.perf_counter()
        # A thread waiting for the GIL gets it after the switch interval (5 ms by default):
        # shortened to the sampling interval, or the Python engine would be sampled at 5 ms.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, self.interval))
        self._thread = threading.Thread(target=self._run, name="wasmkit-profiler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling; the samples stay."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join()
        self._thread = None
        sys.setswitchinterval(self._switch_interval)
        self.duration = (time.perf_counter() - self._start) * 1000

    def __enter__(self) -> "Profiler":
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        me = threading.get_ident()
        names: dict[int, str] = {}
        wait = self.interval
        while not self._stop.wait(wait):
            began = time.perf_counter()
            try:
                self._sample((began - self._start) * 1000, me, names)
            # Another thread's frames change whenever this one lets go of the GIL, even in the
            # middle of a sample: a sample that goes wrong is dropped, and sampling goes on.
            except Exception:  # noqa: BLE001
                self.dropped += 1
            # Never sample more often than sampling takes: deep stacks must not take over.
            wait = max(self.interval, time.perf_counter() - began)

    def _sample(self, now: float, me: int, names: dict[int, str]) -> None:
        """Take one sample of every thread running wasm (but the sampler, `me`), and of every
        shadow stack; `names` caches the threads' names."""
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            stack = wasm_stack(frame)
            if stack:
                name = names.get(ident)
                if name is None:
                    names.update((t.ident, t.name) for t in threading.enumerate() if t.ident is not None)
                    name = names.setdefault(ident, f"thread {ident}")
                self.samples.append(Sample(now, name, tuple(stack)))
        for shadow in live_shadow_stacks():
            stack = shadow.sample()
            if stack:
                self.samples.append(Sample(now, shadow.label, tuple(stack)))

    # -- results --

    def stacks(self) -> Counter[tuple[str, ...]]:
        """How many samples saw each stack (outermost function first), over all tracks."""
        return Counter(sample.stack for sample in self.samples)

    def firefox_profile(self) -> dict:
        """The samples as a profile in the Firefox Profiler's format (see `firefox`)."""
        return firefox.profile(self.samples, self.name, self.interval * 1000, self.started_at * 1000, os.getpid())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile for the Firefox Profiler (profiler.firefox.com, "Load a profile
        from file") to `path`."""
        firefox.write(self.firefox_profile(), Path(path))

    def flame_graph(self, title: str | None = None) -> str:
        """The samples as a flame graph: an SVG document."""
        return flamegraph.svg(self.stacks(), title or f"{self.name}: {len(self.samples)} samples")

    def save_svg(self, path: str | os.PathLike[str], title: str | None = None) -> None:
        """Write the flame graph to `path`."""
        Path(path).write_text(self.flame_graph(title), encoding="utf-8")
