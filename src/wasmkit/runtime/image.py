"""A module's memory image: its active data segments applied once, for every instance.

An instance initialises its memories by writing its active data segments in order (each one
checked against the memory's size, a fault trapping with the ones before it written). A
module made per request (componentize-py's has about 2,000 segments) paid that per segment
each time. When every active segment's offset is a constant, and each memory it writes is
one the instance defines itself (fresh, so zero wherever no segment writes), the result is
the same bytes every time: the segments are laid out once into a few runs of bytes (segments
close together joined, the gap between them zero, later ones over earlier ones as in order),
and an instance whose memories hold the whole image writes the runs, one copy each (a large
run mapped copy-on-write instead, where the system allows it: see `shared_pages`).
Otherwise (an offset read from a global, an imported memory, an image larger than the memory,
which must trap where the segments would) the instance writes the segments one by one.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ..syntax.module import DataSegment, SegmentMode
from .const_eval import constant_offset
from .memory import Memory
from .shared_pages import MIN_BYTES, SharedPages

__all__ = ["MemoryImage", "build_image"]

_JOIN_GAP = 4096  # segments at most this far apart are joined into one run (the gap zero)


@dataclass(frozen=True)
class MemoryImage:
    """Per memory index, the runs (offset, bytes) of the image and the size it needs; and
    the data segments as an instance holds them afterwards (the active ones dropped)."""

    runs: dict[int, tuple[tuple[int, bytes], ...]]
    ends: dict[int, int]
    remaining: tuple[bytes, ...]
    shared: dict[int, SharedPages]  # per memory with a large run: its runs, mapped rather than copied

    def fits(self, mems: Sequence[Memory], imported: int) -> bool:
        """Whether the image can stand for the segments: every memory it writes is defined
        by the instance (index `imported` or more) and holds all of it."""
        return all(index >= imported and end <= mems[index].size for index, end in self.ends.items())

    def apply(self, mems: Sequence[Memory]) -> None:
        """Write the image into the instance's fresh memories (after `fits`): large runs
        mapped copy-on-write where the system allows it (`shared_pages`), others copied."""
        for index, runs in self.runs.items():
            memory = mems[index]
            pages = self.shared.get(index)
            to_copy = runs if pages is None else pages.map_into(memory.address)
            view = memory.view
            for start, data in to_copy:
                view[start : start + len(data)] = data


def build_image(datas: Sequence[DataSegment]) -> MemoryImage | None:
    """The image of the active segments of `datas`, or None when one's offset is not a constant."""
    placed: dict[int, list[tuple[int, bytes]]] = {}
    for seg in datas:
        if seg.mode is not SegmentMode.ACTIVE:
            continue
        offset = constant_offset(seg.offset or b"")
        if offset is None:
            return None
        placed.setdefault(seg.memory, []).append((offset, seg.init))
    runs = {index: _runs(segments) for index, segments in placed.items()}
    ends = {index: max(offset + len(data) for offset, data in segments) for index, segments in placed.items()}
    remaining = tuple(b"" if seg.mode is SegmentMode.ACTIVE else seg.init for seg in datas)
    shared = {index: SharedPages(found) for index, found in runs.items() if any(len(data) >= MIN_BYTES for _, data in found)}
    return MemoryImage(runs, ends, remaining, shared)


def _runs(segments: list[tuple[int, bytes]]) -> tuple[tuple[int, bytes], ...]:
    """The segments (offset, bytes), written in order, as runs of bytes in order of offset."""
    spans: list[tuple[int, int]] = []  # (start, end) of each run, joined where close
    for start, end in sorted((offset, offset + len(data)) for offset, data in segments if data):
        if spans and start <= spans[-1][1] + _JOIN_GAP:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    buffers = [bytearray(end - start) for start, end in spans]
    starts = [start for start, _ in spans]
    for offset, data in segments:  # in order: a later segment overwrites an earlier one
        if data:
            k = _run_of(starts, offset)
            begin = offset - starts[k]
            buffers[k][begin : begin + len(data)] = data
    return tuple((start, bytes(buffer)) for start, buffer in zip(starts, buffers))


def _run_of(starts: list[int], offset: int) -> int:
    """The index of the run that holds `offset` (the last one starting at or before it)."""
    return bisect.bisect_right(starts, offset) - 1
