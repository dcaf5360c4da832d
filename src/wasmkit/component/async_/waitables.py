"""Waitables and waitable sets (CanonicalABI.md, "Waitable State"): what a task waits on.

A waitable (a subtask, or one end of a stream or future) holds at most one pending event,
kept as a closure so that what it reports is computed when it is delivered. A waitable set
groups waitables; waiting on it (a callback's WAIT, `waitable-set.wait`) or polling it gives
the pending event of one member. Both live in the instance's handle table beside resource
handles; index 0 is never used, so `waitable.join(w, 0)` takes `w` out of its set.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import cast

from ...errors import Trap, TrapKind
from ..abi.resources import HandleTable

__all__ = ["EventCode", "Event", "Waitable", "WaitableSet", "misuse", "waitable_set", "waitable", "store_event"]

Event = tuple[int, int, int]  # (event code, p1, p2), as the callback and `waitable-set.wait` get it


class EventCode(enum.IntEnum):
    NONE = 0
    SUBTASK = 1
    STREAM_READ = 2
    STREAM_WRITE = 3
    FUTURE_READ = 4
    FUTURE_WRITE = 5
    TASK_CANCELLED = 6


def misuse(message: str) -> Trap:
    """A trap for a built-in used against the async ABI's rules, in wasmtime's words."""
    return Trap(TrapKind.ASYNC, message)


class Waitable:
    """What can be joined to a waitable set: at most one pending event, at most one set."""

    __slots__ = ("pending", "wset")

    def __init__(self) -> None:
        self.pending: Callable[[], Event] | None = None
        self.wset: WaitableSet | None = None

    def set_pending(self, event: Callable[[], Event]) -> None:
        self.pending = event

    def has_pending(self) -> bool:
        return self.pending is not None

    def take_pending(self) -> Event:
        event, self.pending = self.pending, None
        return cast("Callable[[], Event]", event)()  # asked only when an event is pending

    def join(self, wset: WaitableSet | None) -> None:
        if self.wset is not None:
            self.wset.members.remove(self)
        self.wset = wset
        if wset is not None:
            wset.members.append(self)

    def leave(self) -> None:
        """As the waitable is dropped: out of its set, its pending event gone."""
        self.pending = None
        self.join(None)


class WaitableSet:
    """A set of waitables (in join order; events are delivered from the first member that
    has one), and how many tasks are waiting on it (a set waited on cannot be dropped)."""

    __slots__ = ("members", "waiting")

    def __init__(self) -> None:
        self.members: list[Waitable] = []
        self.waiting = 0

    def has_pending(self) -> bool:
        return any(w.has_pending() for w in self.members)

    def take_pending(self) -> Event:
        for member in self.members:
            if member.has_pending():
                # The member goes to the end, so that one busy waitable does not starve the others.
                self.members.remove(member)
                self.members.append(member)
                return member.take_pending()
        raise AssertionError("no pending event")

    def poll(self) -> Event:
        return self.take_pending() if self.has_pending() else (EventCode.NONE, 0, 0)

    def drop(self) -> None:
        if self.members:
            raise misuse("cannot drop waitable set with waiters")
        if self.waiting:
            raise misuse("cannot drop waitable set with waiters")


def waitable_set(table: HandleTable, index: int) -> WaitableSet:
    """The waitable set at `index`; a trap if it is something else."""
    found = table.get(index)
    if not isinstance(found, WaitableSet):
        raise misuse("handle is not a waitable set")
    return found


def waitable(table: HandleTable, index: int) -> Waitable:
    """The waitable (subtask, stream or future end) at `index`; a trap if it is something else."""
    found = table.get(index)
    if not isinstance(found, Waitable):
        raise misuse("handle is not a waitable")
    return found


def store_event(memory_write: Callable[[int, bytes], None], memory_size: int, ptr: int, event: Event) -> int:
    """Write an event's p1 and p2 at `ptr` (two u32s, 4-aligned) as `waitable-set.wait` and
    `poll` do; the event's code."""
    code, p1, p2 = event
    if ptr & 3:
        raise Trap(TrapKind.INVALID_VALUE, f"event pointer {ptr:#x} is not aligned to 4")
    if ptr + 8 > memory_size:
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY, f"event pointer out of bounds of memory (8 bytes at {ptr:#x})")
    memory_write(ptr, (p1 & 0xFFFFFFFF).to_bytes(4, "little") + (p2 & 0xFFFFFFFF).to_bytes(4, "little"))
    return int(code)
