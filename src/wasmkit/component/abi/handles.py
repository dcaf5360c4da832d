"""`own<R>` and `borrow<R>`: an i32 handle index into the instance's table (4 bytes in
memory). The Python value is what the resource's run-time type makes of it (a
`ResourceObject` unless the type says otherwise); see `resources` for the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bits import MASK32
from .codec import I32, Codec, FlatReader
from .resources import lift_borrow, lift_own, lower_borrow, lower_own

if TYPE_CHECKING:
    from ..types import Resource
    from .context import Context

__all__ = ["HandleCodec", "IndexCodec"]


class IndexCodec(Codec):
    """A value passed as an i32 index into the instance's table (4 bytes in memory): a
    resource handle, or a stream's or future's end (`async_.values`). A subclass says what
    an index stands for (`_lift`) and which index a value gets (`_lower`)."""

    __slots__ = ()

    def __init__(self, name: str) -> None:
        self.size, self.align, self.flat = 4, 4, (I32,)
        self.name = name

    def _lift(self, cx: Context, index: int) -> object:
        raise NotImplementedError

    def _lower(self, cx: Context, value: object) -> int:
        raise NotImplementedError

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        return self._lift(cx, reader.take_int() & MASK32)

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        out.append(self._lower(cx, value))

    def load(self, cx: Context, ptr: int) -> object:
        return self._lift(cx, int.from_bytes(cx.read(ptr, 4), "little"))

    def store(self, cx: Context, value: object, ptr: int) -> None:
        cx.write(ptr, self._lower(cx, value).to_bytes(4, "little"))


class HandleCodec(IndexCodec):
    """An own (`own`) or borrow handle to `resource`, a type-level resource that the
    context maps to its run-time type."""

    __slots__ = ("resource", "own")

    def __init__(self, resource: Resource, own: bool) -> None:
        super().__init__("own" if own else "borrow")
        self.resource = resource
        self.own = own

    def _lift(self, cx: Context, index: int) -> object:
        rtype = cx.resource_type(self.resource)
        return lift_own(cx, index, rtype) if self.own else lift_borrow(cx, index, rtype)

    def _lower(self, cx: Context, value: object) -> int:
        rtype = cx.resource_type(self.resource)
        return lower_own(cx, value, rtype) if self.own else lower_borrow(cx, value, rtype)
