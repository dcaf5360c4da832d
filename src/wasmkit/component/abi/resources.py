"""Resource handles: each component instance's table of handles, the run-time resource types,
the Python objects that stand for resources on the host side, borrow scopes, and the
`resource.new`, `resource.rep` and `resource.drop` built-ins (CanonicalABI.md, "Resource
State" and the canonical built-ins).

A handle is an index into its instance's `HandleTable`: an `own` handle owns its resource (the
`rep`, an i32 the defining component chose) and dropping it runs the type's destructor; a
`borrow` handle lends it for one call. A handle lent out (`lends` > 0) can be neither dropped
nor given away. Per call there is a scope: the callee's `BorrowScope` counts the borrowed
handles it was given, which it must drop before it returns; the caller's `LendScope` keeps the
handles it lent, and the Python objects made for them, until the call returns.

On the host side a resource is a `ResourceObject` (or what the type's `wrap` makes of it): an
owned one is closed by `close()` or `with`, which runs the destructor; a borrowed one is good
for the call it came with only. Instantiation makes one `ResourceType` per resource
definition (or host resource class) per instance: resources are generative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Self

from .traps import bad_handle

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "MAX_HANDLES", "HandleTable", "Handle", "ResourceType", "ResourceObject", "BorrowScope", "LendScope",
    "resource_new", "resource_rep", "resource_drop", "lift_own", "lift_borrow", "lower_own", "lower_borrow",
]  # fmt: skip

MAX_HANDLES = (1 << 28) - 1  # the largest index a table gives out


class ResourceType:
    """A resource type at run time. `impl` is the instance that defines it (compared by
    identity with a context's `instance`; None for one the host defines), `dtor` its
    destructor, called with the rep when an owned handle is dropped. `wrap` and `unwrap`
    turn a rep into the Python value of a handle and back; a host resource class overrides
    them to hand out its own objects."""

    def __init__(self, name: str = "resource", *, impl: object = None, dtor: Callable[[int], object] | None = None) -> None:
        self.name = name
        self.impl = impl
        self.dtor = dtor

    def wrap(self, rep: int, owned: bool) -> object:
        return ResourceObject(self, rep, owned)

    def unwrap(self, value: object, owned: bool) -> int:
        """The rep of `value` given as an own (`owned`: ownership moves out of it) or a
        borrow handle; TypeError if it is no resource of this type, ValueError if closed."""
        if not isinstance(value, ResourceObject) or value.type is not self:
            raise TypeError(f"expected a {self.name} resource, got {type(value).__name__}")
        if owned:
            return value.give()
        return value.rep

    def __repr__(self) -> str:
        return f"ResourceType({self.name!r})"


class ResourceObject:
    """A resource held by the host: its type and rep, and whether the host owns it (then
    `close()`, or leaving a `with` block, drops it and runs the destructor) or borrows it for
    one call. Passing an owned one as an `own` argument gives it away: it is closed after."""

    __slots__ = ("type", "_rep", "owned", "__weakref__")

    def __init__(self, rtype: ResourceType, rep: int, owned: bool) -> None:
        self.type = rtype
        self._rep: int | None = rep
        self.owned = owned

    @property
    def closed(self) -> bool:
        return self._rep is None

    @property
    def rep(self) -> int:
        if self._rep is None:
            raise ValueError(f"{self.type.name} resource is closed (dropped, given away, or a borrow past its call)")
        return self._rep

    def give(self) -> int:
        """The rep, for an `own` handle made from it: this object no longer owns it."""
        if not self.owned:
            raise ValueError(f"a borrowed {self.type.name} resource cannot be given away as an own handle")
        rep = self.rep
        self._rep = None
        return rep

    def invalidate(self) -> None:
        self._rep = None

    def close(self) -> None:
        """Drop the resource: an owned one runs its destructor once; a closed one is left as is."""
        rep, self._rep = self._rep, None
        if rep is not None and self.owned and self.type.dtor is not None:
            self.type.dtor(rep)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._rep is None else f"rep={self._rep}"
        return f"<{self.type.name} {'own' if self.owned else 'borrow'} {state}>"


class BorrowScope:
    """A callee's borrowed handles: how many it holds (each must be dropped before it returns)."""

    __slots__ = ("borrows",)

    def __init__(self) -> None:
        self.borrows = 0

    def finish(self) -> None:
        """At the callee's return: trap if it still holds a borrowed handle."""
        if self.borrows:
            raise bad_handle(f"borrow handles still remain at the end of the call ({self.borrows} not dropped)")


class LendScope:
    """A caller's lent handles, and the Python objects made for them, until the call returns."""

    __slots__ = ("lenders", "objects")

    def __init__(self) -> None:
        self.lenders: list[Handle] = []
        self.objects: list[object] = []

    def lend(self, handle: Handle, value: object) -> None:
        handle.lends += 1
        self.lenders.append(handle)
        self.objects.append(value)

    def finish(self) -> None:
        """At the call's return: the handles are the caller's again, the objects dead."""
        for handle in self.lenders:
            handle.lends -= 1
        for value in self.objects:
            if isinstance(value, ResourceObject):
                value.invalidate()
        self.lenders.clear()
        self.objects.clear()


class Handle:
    """A table entry: an own or borrow handle to `rep` of type `rtype`. A borrow handle
    counts in its callee's `scope`; `lends` counts the calls it is lent to."""

    __slots__ = ("rtype", "rep", "own", "scope", "lends")

    def __init__(self, rtype: ResourceType, rep: int, own: bool, scope: BorrowScope | None = None) -> None:
        self.rtype = rtype
        self.rep = rep
        self.own = own
        self.scope = scope
        self.lends = 0


class HandleTable:
    """One instance's handles: index 0 is never used, freed indices are reused (last freed
    first). Entries are `Handle`s; instantiation may keep other kinds of entries in the same
    table (the async built-ins' waitables), which handle lookups refuse."""

    __slots__ = ("_entries", "_free")

    def __init__(self) -> None:
        self._entries: list[object] = [None]
        self._free: list[int] = []

    def __len__(self) -> int:
        return len(self._entries) - 1 - len(self._free)

    def add(self, entry: object) -> int:
        if self._free:
            index = self._free.pop()
            self._entries[index] = entry
            return index
        index = len(self._entries)
        if index > MAX_HANDLES:
            raise bad_handle(f"handle table is full ({MAX_HANDLES} handles)")
        self._entries.append(entry)
        return index

    def get(self, index: int) -> object:
        entry = self._entries[index] if 0 < index < len(self._entries) else None
        if entry is None:
            raise bad_handle(f"unknown handle index {index}")
        return entry

    def remove(self, index: int) -> object:
        entry = self.get(index)
        self._entries[index] = None
        self._free.append(index)
        return entry

    def handle(self, index: int, rtype: ResourceType) -> Handle:
        """The resource handle at `index`, which must be of type `rtype`."""
        entry = self.get(index)
        if not isinstance(entry, Handle):
            raise bad_handle(f"handle index {index} is not a resource handle")
        if entry.rtype is not rtype:
            raise bad_handle(f"handle index {index} used with the wrong type: {entry.rtype.name}, expected {rtype.name}")
        return entry


# -- the built-ins --


def resource_new(table: HandleTable, rtype: ResourceType, rep: int) -> int:
    """`canon resource.new`: a new own handle to `rep`."""
    return table.add(Handle(rtype, rep, own=True))


def resource_rep(table: HandleTable, rtype: ResourceType, index: int) -> int:
    """`canon resource.rep`: the rep behind handle `index`."""
    return table.handle(index, rtype).rep


def resource_drop(table: HandleTable, rtype: ResourceType, index: int) -> None:
    """`canon resource.drop`: remove handle `index`; an own handle's resource is destroyed
    (its type's destructor runs), a borrow handle leaves its callee's scope."""
    handle = table.handle(index, rtype)
    if handle.lends:
        raise bad_handle(f"cannot drop handle index {index}: it is lent out ({handle.lends} borrows)")
    table.remove(index)
    if handle.own:
        if rtype.dtor is not None:
            rtype.dtor(handle.rep)
    elif handle.scope is not None:
        handle.scope.borrows -= 1


# -- handles as values (the codecs of own and borrow) --


def lift_own(cx: Context, index: int, rtype: ResourceType) -> object:
    """An `own` handle out of the instance: it leaves the table, ownership moves with it."""
    table = cx.table()
    handle = table.handle(index, rtype)
    if handle.lends:
        raise bad_handle(f"cannot give away handle index {index}: it is lent out ({handle.lends} borrows)")
    if not handle.own:
        raise bad_handle(f"handle index {index} is a borrow handle where an own handle is expected")
    table.remove(index)
    return rtype.wrap(handle.rep, owned=True)


def lift_borrow(cx: Context, index: int, rtype: ResourceType) -> object:
    """A `borrow` of a handle of the instance: lent until the call returns."""
    handle = cx.table().handle(index, rtype)
    scope = cx.scope
    if not isinstance(scope, LendScope):
        raise TypeError("borrow handles are lifted out of a caller only: the context needs the call's LendScope")
    value = rtype.wrap(handle.rep, owned=False)
    scope.lend(handle, value)
    return value


def lower_own(cx: Context, value: object, rtype: ResourceType) -> int:
    """An `own` handle into the instance, for a resource the value gives away."""
    return cx.table().add(Handle(rtype, rtype.unwrap(value, owned=True), own=True))


def lower_borrow(cx: Context, value: object, rtype: ResourceType) -> int:
    """A `borrow` handle into the instance for the call; the instance that defines the
    resource gets the rep itself."""
    rep = rtype.unwrap(value, owned=False)
    if rtype.impl is not None and cx.instance is rtype.impl:
        return rep
    scope = cx.scope
    if not isinstance(scope, BorrowScope):
        raise TypeError("borrow handles are lowered into a callee only: the context needs the call's BorrowScope")
    scope.borrows += 1
    return cx.table().add(Handle(rtype, rep, own=False, scope=scope))
