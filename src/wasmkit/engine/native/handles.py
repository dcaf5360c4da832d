"""The references native code holds, as 64-bit handles, and their reclamation.

A reference crosses into native code as a handle: 0 is null; an i31 is its 31 bits with bit 31
set (so `ref.eq` and the i31 instructions need no table); every other reference (a function,
a host value, a struct, an array) is TAG plus an index into its instance's table, which keeps
the Python object. TAG sets bits that integers and addresses rarely have (0x5EC0 in the top 16),
so that a word of the native stack that happens to equal a live handle is rare.

The table is collected from time to time (when `made` reaches `threshold`, by `collect`): the caller finds the words
that may hold handles (the instance's global cells and the native stack of the calls in flight,
see `roots`) and every entry no such word names is freed, so that the Python object goes when
nothing else holds it. The scan is conservative: a word equal to a handle keeps it, whatever
it really is. A handle met after it was freed never reaches the host as an object: `decode`
raises a trap.
"""

from __future__ import annotations

import ctypes

from ...errors import Trap, TrapKind
from ...syntax.types import HeapType, ValueType

__all__ = ["TAG", "INDEX_MASK", "I31_BIT", "HandleTable", "Mirror", "is_external"]

TAG = 0x5EC0 << 48
INDEX_MASK = (1 << 48) - 1
I31_BIT = 1 << 31
_TAG_BITS = TAG >> 48
# A collection is due once this many handles were made since the last one, or as many as
# were live after it if more: the work of a collection (its scan and its pass over the table)
# is then paid for by as many new handles, and the table holds at most about twice what is live.
MIN_BETWEEN_COLLECTIONS = 16384


def is_external(vt: ValueType) -> bool:
    """Whether references of type `vt` are host values (externref), where an int is not an i31."""
    heap = vt.heap
    return isinstance(heap, HeapType) and heap in (HeapType.EXTERN, HeapType.NOEXTERN)


class _Freed:
    """What a freed entry holds."""

    __slots__ = ()


_FREED = _Freed()


class HandleTable:
    """One instance's handles: each object has at most one at a time (so that equal handles
    mean the same object), made on demand and freed by `collect`."""

    def __init__(self) -> None:
        self.references: list[object] = [_FREED]  # index 0 is never used (null)
        self.index_of: dict[int, int] = {}  # id(object) -> index
        self.free: list[int] = []
        self.made = 0  # handles made since the last collection
        self.threshold = MIN_BETWEEN_COLLECTIONS
        self.collections = 0

    def handle(self, reference: object) -> tuple[int, bool]:
        """The handle of a (non-null, non-i31) reference, and whether it is new."""
        index = self.index_of.get(id(reference))
        if index is not None and self.references[index] is reference:
            return TAG | index, False
        if self.free:
            index = self.free.pop()
            self.references[index] = reference
        else:
            index = len(self.references)
            self.references.append(reference)
        self.index_of[id(reference)] = index
        self.made += 1
        return TAG | index, True

    def new(self, reference: object) -> int:
        """The handle of an object just made, which has none yet."""
        free = self.free
        references = self.references
        if free:
            index = free.pop()
            references[index] = reference
        else:
            index = len(references)
            references.append(reference)
        self.index_of[id(reference)] = index
        self.made += 1
        return TAG | index

    def decode(self, bits: int) -> object:
        """The reference handle `bits` stands for (an i31 as its unsigned 31 bits)."""
        if not bits:
            return None
        if bits >> 31 == 1:
            return bits & 0x7FFF_FFFF
        index = bits & INDEX_MASK
        if bits >> 48 == _TAG_BITS and index < len(self.references):
            found = self.references[index]
            if found is not _FREED:
                return found
        raise Trap(TrapKind.HOST, f"invalid reference handle {bits:#x}")

    def collect(self, roots: set[int]) -> list[int]:
        """Free every entry whose handle is not in `roots`; the indices freed."""
        references = self.references
        index_of = self.index_of
        live = {word & INDEX_MASK for word in roots if word >> 48 == _TAG_BITS}
        freed = []
        for index in range(1, len(references)):
            if index not in live:
                reference = references[index]
                if reference is not _FREED:
                    references[index] = _FREED
                    if index_of.get(id(reference)) == index:
                        del index_of[id(reference)]
                    freed.append(index)
        # Trailing free entries are dropped, the others reused (the lowest first).
        while len(references) > 1 and references[-1] is _FREED:
            del references[-1]
        size = len(references)
        self.free = [index for index in range(size - 1, 0, -1) if references[index] is _FREED]
        live_count = size - 1 - len(self.free)
        self.made = 0
        self.threshold = max(MIN_BETWEEN_COLLECTIONS, live_count)
        self.collections += 1
        return freed

    def __len__(self) -> int:
        """How many handles are live."""
        return len(self.references) - 1 - len(self.free)


class Mirror:
    """A word per handle index that native code reads, through a descriptor (the words'
    address, their count) at `address`: what it knows of each handle's object without
    calling Python (the address of its function, of its numbers, its type). 0 means nothing
    is known: native code then asks the runtime."""

    def __init__(self) -> None:
        self.descriptor = (ctypes.c_uint64 * 2)()
        self.address = ctypes.addressof(self.descriptor)
        self.words: ctypes.Array[ctypes.c_uint64] = (ctypes.c_uint64 * 4)()
        self.descriptor[0] = ctypes.addressof(self.words)
        self.descriptor[1] = 4

    def __getitem__(self, index: int) -> int:
        return self.words[index] if index < self.descriptor[1] else 0

    def __setitem__(self, index: int, value: int) -> None:
        size = self.descriptor[1]
        if index >= size:
            old = self.words
            self.words = (ctypes.c_uint64 * max(2 * index, 4))()
            ctypes.memmove(self.words, old, ctypes.sizeof(old))
            self.descriptor[0] = ctypes.addressof(self.words)
            self.descriptor[1] = len(self.words)
        self.words[index] = value

    def clear(self, indices: list[int]) -> None:
        """Forget what is known of the handles at `indices` (freed)."""
        words, size = self.words, self.descriptor[1]
        for index in indices:
            if index < size:
                words[index] = 0
