"""The shadow stack: the wasm frames that profiled native code is running, where the profiler
can read them.

Native frames are invisible to Python, so the native engine's profiled variant of a module
(`native.layout.Variant.PROFILED`) writes each frame down as it enters a function and takes it
off as it leaves. An entry is one 64-bit word: the instance's number on this stack in the top
32 bits, the function's index in the bottom 32; the stack's first word is its depth. A store
that profiles has one shadow stack, which every instance of the store uses (calls between
instances push on the same stack); a store's code never runs on two threads at once, and
wasi-threads give each thread a store. A sampling thread reads the depth and then the entries,
without a lock: a frame pushed or popped while it reads may be seen half way, which costs one
sample's accuracy, never memory safety (native code writes past FRAMES frames into the last
entry, and readers stop at it).
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from collections.abc import Callable, Sequence

__all__ = ["FRAMES", "ShadowStack", "live_shadow_stacks"]

FRAMES = 1 << 16  # entries a shadow stack holds; deeper frames share the last entry

_WORDS = ctypes.c_uint64 * (1 + FRAMES)
_LIVE: "weakref.WeakSet[ShadowStack]" = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()  # a WeakSet cannot be added to while another thread copies it


class ShadowStack:
    """One store's shadow stack (512 KiB, committed as deep as it is used)."""

    def __init__(self, label: str) -> None:
        self.label = label  # what the profile calls the thread of this store's code
        self.words = _WORDS()
        self.address = ctypes.addressof(self.words)
        # The function names of each instance whose code pushes here, by its number.
        self._names: list[Callable[[int], str]] = []
        with _LIVE_LOCK:
            _LIVE.add(self)

    def name_frames(self, name_of: Callable[[int], str]) -> int:
        """Let samples name the frames of an instance, `name_of(function index)`; the number
        the instance's code writes in the top half of its entries."""
        self._names.append(name_of)
        return len(self._names) - 1

    def sample(self) -> list[str]:
        """The names of the frames on the stack now, outermost first."""
        depth = min(self.words[0], FRAMES)
        if not depth:
            return []
        entries: Sequence[int] = self.words[1 : 1 + depth]
        names = self._names
        stack = []
        for entry in entries:
            instance, index = entry >> 32, entry & 0xFFFFFFFF
            stack.append(names[instance](index) if instance < len(names) else f"func[{index}]")
        return stack


def live_shadow_stacks() -> list[ShadowStack]:
    """Every shadow stack that exists now (the stores that profile)."""
    with _LIVE_LOCK:
        return list(_LIVE)
