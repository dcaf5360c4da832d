"""Samples as a profile for the Firefox Profiler (profiler.firefox.com), in the Gecko profile
format: the one Firefox itself writes, which the Firefox Profiler imports and upgrades from
any earlier version (its processed format, which wasmtime writes through a Rust crate, is an
internal one that changes with nearly every release of the profiler; see
docs-developer/gecko-profile-format.md and src/types/gecko-profile.ts in
firefox-devtools/profiler).

A track (a thread running the Python engine's code, or a profiling store's native code) is a
thread of the profile, with its own string, frame and stack tables; each of its tables is an
object with a `schema` (column name -> position) and `data` (rows). A frame's location is
written `name (in wasm)`, which the profiler reads as a native function of the library "wasm":
the name stays whole whatever characters it holds (a bare name that looks like an address or a
JavaScript location would be taken apart), and the functions are grouped under "wasm".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sampler import Sample

__all__ = ["GECKO_VERSION", "profile", "write"]

GECKO_VERSION = 36  # the Gecko profile format's version (CHANGELOG-formats.md), as of 2026-08

# Category 0 is the default (grey, by the format's rule); wasm frames are category 1.
CATEGORIES = [
    {"name": "Other", "color": "grey", "subcategories": ["Other"]},
    {"name": "WebAssembly", "color": "blue", "subcategories": ["Other"]},
]
WASM_CATEGORY = 1

MARKERS_SCHEMA = {"name": 0, "startTime": 1, "endTime": 2, "phase": 3, "category": 4, "data": 5}
SAMPLES_SCHEMA = {"stack": 0, "time": 1, "eventDelay": 2}
FRAMES_SCHEMA = {
    "location": 0, "relevantForJS": 1, "innerWindowID": 2, "implementation": 3,
    "line": 4, "column": 5, "category": 6, "subcategory": 7,
}  # fmt: skip
STACKS_SCHEMA = {"prefix": 0, "frame": 1}
SOURCES_SCHEMA = {"id": 0, "filename": 1, "startLine": 2, "startColumn": 3, "sourceMapURL": 4}


def profile(samples: Iterable["Sample"], name: str, interval_ms: float, start_ms: float, pid: int) -> dict:
    """A Gecko-format profile of `samples` (times in milliseconds since `start_ms`, itself in
    milliseconds since the epoch), for the program `name` sampled every `interval_ms`."""
    tracks: dict[str, _Thread] = {}
    for sample in samples:
        track = tracks.get(sample.track)
        if track is None:
            track = tracks[sample.track] = _Thread(sample.track, len(tracks) + 1, pid, name)
        track.add(sample.time, sample.stack)
    return {
        "meta": {
            "version": GECKO_VERSION,
            "interval": interval_ms,
            "startTime": start_ms,
            "shutdownTime": None,
            "processType": 0,
            "product": name,
            "stackwalk": 0,
            "debug": 0,
            "gcpoison": 0,
            "asyncstack": 0,
            "categories": CATEGORIES,
            "markerSchema": [],
        },
        "libs": [],
        "pausedRanges": [],
        "processes": [],
        "sources": {"schema": SOURCES_SCHEMA, "data": []},
        "threads": [track.json() for track in tracks.values()],
    }


def write(data: dict, path: Path) -> None:
    """Write a profile as JSON (compact: profiles get big)."""
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


class _Thread:
    """One thread of the profile, its tables built as samples come."""

    def __init__(self, name: str, tid: int, pid: int, process: str) -> None:
        self.name = name
        self.tid = tid
        self.pid = pid
        self.process = process
        self.strings: list[str] = []
        self.frames: list[list[object]] = []
        self.stacks: list[list[int | None]] = []
        self.samples: list[list[object]] = []
        self._frame_of: dict[str, int] = {}
        self._stack_of: dict[tuple[int | None, int], int] = {}

    def _frame(self, function: str) -> int:
        found = self._frame_of.get(function)
        if found is None:
            self.strings.append(f"{function} (in wasm)")
            found = self._frame_of[function] = len(self.frames)
            self.frames.append([len(self.strings) - 1, False, None, None, None, None, WASM_CATEGORY, 0])
        return found

    def add(self, time: float, stack: tuple[str, ...]) -> None:
        prefix: int | None = None
        for function in stack:
            key = (prefix, self._frame(function))
            found = self._stack_of.get(key)
            if found is None:
                found = self._stack_of[key] = len(self.stacks)
                self.stacks.append(list(key))
            prefix = found
        self.samples.append([prefix, round(time, 3), 0])

    def json(self) -> dict:
        return {
            "name": self.name,
            "processName": self.process,
            "processType": "default",
            "registerTime": 0,
            "unregisterTime": None,
            "tid": self.tid,
            "pid": self.pid,
            "markers": {"schema": MARKERS_SCHEMA, "data": []},
            "samples": {"schema": SAMPLES_SCHEMA, "data": self.samples},
            "frameTable": {"schema": FRAMES_SCHEMA, "data": self.frames},
            "stackTable": {"schema": STACKS_SCHEMA, "data": self.stacks},
            "stringTable": self.strings,
        }
