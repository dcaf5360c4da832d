"""The references native code holds, as 64-bit handles, and their reclamation.

A reference crosses into native code as a handle: 0 is null; an i31 is its 31 bits with bit 31
set (so `ref.eq` and the i31 instructions need no table); every other reference (a function,
a host value, a struct, an array) is TAG | generation << 32 | index, the index into its
instance's table, which keeps the Python object. TAG sets bits that integers and addresses
rarely have (0x5EC0 in the top 16), so that a word of the native stack that happens to equal a
live handle is rare.

The table is collected from time to time (when `made` reaches `threshold`, by `collect`): the
caller finds the words that may hold handles (the instance's global cells and the native
stack of the calls in flight, see `roots`) and every entry no such word names is freed, so
that the Python object goes when nothing else holds it. The scan is conservative: a word
equal to a handle keeps it, whatever it really is. A handle met after it was freed never
reaches anything: `decode` raises a trap, and native code, which uses what the `Mirror` knows
of an index only for the handle that owns it now, goes to the runtime, which traps.
"""

from __future__ import annotations

import ctypes
import struct

from ...errors import Trap, TrapKind
from ...syntax.types import HeapType, ValueType

__all__ = ["TAG", "INDEX_MASK", "I31_BIT", "HandleTable", "Mirror", "is_external", "ENTRY_WORDS", "OWNER", "FUNCTION", "NUMBERS", "TYPE"]

TAG = 0x5EC0 << 48
INDEX_MASK = (1 << 32) - 1
_GENERATION_MASK = 0xFFFF
I31_BIT = 1 << 31
_TAG_BITS = TAG >> 48
# A collection is due once this many handles were made since the last one, or as many as
# were live after it if more: the work of a collection (its scan and its pass over the table)
# is then paid for by as many new handles, and the table holds at most about twice what is live.
MIN_BETWEEN_COLLECTIONS = 16384
# A mirror entry (see `Mirror`): its words, and what each holds.
ENTRY_WORDS = 4
OWNER, FUNCTION, NUMBERS, TYPE = range(ENTRY_WORDS)
_ENTRY = struct.Struct(f"={ENTRY_WORDS}Q")


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
    mean the same object), made on demand and freed by `collect`. An index freed and used
    again gets the next generation (bits 32 to 47 of its handles), so that a handle kept past
    its object's free names nothing rather than the object now at its index."""

    def __init__(self) -> None:
        self.references: list[object] = [_FREED]  # index 0 is never used (null)
        self.generations: list[int] = [0]
        self.index_of: dict[int, int] = {}  # id(object) -> index
        self.free: list[int] = []
        self.made = 0  # handles made since the last collection
        self.threshold = MIN_BETWEEN_COLLECTIONS
        self.collections = 0

    def handle(self, reference: object) -> tuple[int, bool]:
        """The handle of a (non-null, non-i31) reference, and whether it is new."""
        index = self.index_of.get(id(reference))
        if index is not None and self.references[index] is reference:
            return TAG | self.generations[index] << 32 | index, False
        return self.new(reference), True

    def new(self, reference: object) -> int:
        """The handle of an object just made, which has none yet."""
        references = self.references
        if self.free:
            index = self.free.pop()
            generation = self.generations[index] = (self.generations[index] + 1) & _GENERATION_MASK
            references[index] = reference
        else:
            index = len(references)
            references.append(reference)
            self.generations.append(0)
            generation = 0
        self.index_of[id(reference)] = index
        self.made += 1
        return TAG | generation << 32 | index

    def _live(self, bits: int) -> int | None:
        """The index of the handle `bits` if it names an object now, else None."""
        index = bits & INDEX_MASK
        if bits >> 48 == _TAG_BITS and index < len(self.references) and self.references[index] is not _FREED:
            if (bits >> 32) & _GENERATION_MASK == self.generations[index]:
                return index
        return None

    def decode(self, bits: int) -> object:
        """The reference handle `bits` stands for (an i31 as its unsigned 31 bits)."""
        if not bits:
            return None
        if bits >> 31 == 1:
            return bits & 0x7FFF_FFFF
        index = bits & INDEX_MASK  # as `_live`, inline: this is on the path of every GC access
        references = self.references
        if bits >> 48 == _TAG_BITS and index < len(references) and (bits >> 32) & _GENERATION_MASK == self.generations[index]:
            found = references[index]
            if found is not _FREED:
                return found
        raise Trap(TrapKind.HOST, f"invalid reference handle {bits:#x}")

    def collect(self, roots: set[int]) -> list[int]:
        """Free every entry whose handle is not in `roots`; the indices freed."""
        references = self.references
        size = len(references)
        live = {index for index in map(self._live, roots) if index is not None}
        kept = [(index, references[index]) for index in live]
        everything = set(range(1, size))
        freed = list(everything.difference(self.free).difference(live))
        # Set-wide operations (in C) rather than a Python loop over the table: its length
        # is what a collection costs (see MIN_BETWEEN_COLLECTIONS).
        references[:] = [_FREED] * size
        for index, reference in kept:
            references[index] = reference
        self.index_of = {id(reference): index for index, reference in kept}
        # Free entries are reused, the lowest first (the table keeps its length, and each
        # index its generation).
        self.free = sorted(everything.difference(live), reverse=True)
        self.made = 0
        self.threshold = max(MIN_BETWEEN_COLLECTIONS, len(self))
        self.collections += 1
        return freed

    def __len__(self) -> int:
        """How many handles are live."""
        return len(self.references) - 1 - len(self.free)


class Mirror:
    """What native code knows of each handle's object without calling Python, per index:
    ENTRY_WORDS words, through a descriptor (their address, the count of entries) at
    `address`. OWNER is the handle that names the index now (0 when free): native code uses
    an entry only for that handle. The others are 0 where nothing is known (native code then
    asks the runtime): FUNCTION, the address of a function of this instance (call_ref's
    direct path); NUMBERS, the address of a struct's or array's numbers (see `objects`); TYPE,
    a struct's or array's run-time type id + 1."""

    def __init__(self) -> None:
        self.descriptor = (ctypes.c_uint64 * 2)()
        self.address = ctypes.addressof(self.descriptor)
        self._grow(4)

    def _grow(self, count: int) -> None:
        old = getattr(self, "words", None)
        self.words: ctypes.Array[ctypes.c_uint64] = (ctypes.c_uint64 * (ENTRY_WORDS * count))()
        if old is not None:
            ctypes.memmove(self.words, old, ctypes.sizeof(old))
        self.raw = memoryview(self.words).cast("B")  # faster to write than the array
        self.view = self.raw.cast("Q")
        self.descriptor[0] = ctypes.addressof(self.words)
        self.descriptor[1] = count

    def get(self, index: int, slot: int) -> int:
        return int(self.view[ENTRY_WORDS * index + slot]) if index < self.descriptor[1] else 0

    def fill(self, index: int, handle: int, function: int = 0, numbers: int = 0, type_word: int = 0) -> None:
        """Make the entry of `index` that of the new handle `handle`, knowing what is given."""
        if index >= self.descriptor[1]:
            self._grow(max(2 * index, 4))
        _ENTRY.pack_into(self.raw, _ENTRY.size * index, handle, function, numbers, type_word)

    def clear(self, indices: list[int]) -> None:
        """Forget the handles at `indices` (freed): their entries have no owner."""
        view, size = self.view, self.descriptor[1]
        for index in indices:
            if index < size:
                view[ENTRY_WORDS * index] = 0
