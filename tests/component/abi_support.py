"""What the canonical ABI tests share: a guest memory with a `realloc` that behaves as a
component's does (a bump allocator that copies on growth and records its calls), contexts
over it, random value types (hypothesis) and random values of a type, and a comparison that
takes NaN as equal to itself."""

from __future__ import annotations

import dataclasses
import enum
import math

from hypothesis import strategies as st

from wasmkit.component.abi import (
    BytesMemory, Codec, Context, Err, HandleTable, Ok, Options, Some, StringEncoding,
)  # fmt: skip
from wasmkit.component.syntax import Prim
from wasmkit.component.types import Val, VType

ENCODINGS = list(StringEncoding)


class Guest:
    """A guest's memory and allocator: `realloc` as a component's `cabi_realloc`, bump
    allocation from `start`, growing copies the old block. `calls` records each call."""

    def __init__(self, size: int = 1 << 16, start: int = 64) -> None:
        self.data = bytearray(size)
        self.memory = BytesMemory(self.data)
        self.top = start
        self.calls: list[tuple[int, int, int, int]] = []

    def realloc(self, old: int, old_size: int, align: int, new_size: int) -> int:
        self.calls.append((old, old_size, align, new_size))
        ptr = (self.top + align - 1) & -align
        self.top = ptr + new_size
        if old_size:
            self.data[ptr : ptr + min(old_size, new_size)] = self.data[old : old + min(old_size, new_size)]
        return ptr

    def context(self, encoding: StringEncoding = StringEncoding.UTF8, **kwargs: object) -> Context:
        return Context(Options(self.memory, self.realloc, encoding), kwargs.pop("handles", HandleTable()), **kwargs)  # type: ignore[arg-type]

    def block(self, codec: Codec) -> int:
        """An address aligned for `codec`, with room for it."""
        return self.realloc(0, 0, codec.align, codec.size)


def val(kind: str, parts: tuple[object, ...]) -> Val:
    """A resolved value type, as the validator makes it."""
    if kind == "record":
        children = tuple(t for _, t in parts)  # type: ignore[misc]
    elif kind == "variant":
        children = tuple(t for _, t in parts if t is not None)  # type: ignore[misc]
    elif kind in ("enum", "flags", "own", "borrow"):
        children = ()
    else:
        children = tuple(t for t in parts if t is not None)
    return Val(kind, parts, children)  # type: ignore[arg-type]


PRIMS = [p for p in Prim if p is not Prim.ERROR_CONTEXT]
LABELS = st.lists(st.sampled_from(["a", "b-c", "from", "none", "value", "xy-z", "q", "type", "self", "HTTP-get"]), min_size=1, max_size=4, unique=True)


def _defined(inner: st.SearchStrategy[VType]) -> st.SearchStrategy[VType]:
    return st.one_of(
        inner.map(lambda t: val("list", (t,))),
        st.lists(inner, min_size=1, max_size=4).map(lambda ts: val("tuple", tuple(ts))),
        inner.map(lambda t: val("option", (t,))),
        st.tuples(st.one_of(st.none(), inner), st.one_of(st.none(), inner)).map(lambda p: val("result", p)),
        LABELS.flatmap(lambda ls: st.lists(inner, min_size=len(ls), max_size=len(ls)).map(lambda ts: val("record", tuple(zip(ls, ts))))),
        LABELS.flatmap(lambda ls: st.lists(st.one_of(st.none(), inner), min_size=len(ls), max_size=len(ls)).map(lambda ts: val("variant", tuple(zip(ls, ts))))),
        LABELS.map(lambda ls: val("enum", tuple(ls))),
        LABELS.map(lambda ls: val("flags", tuple(ls))),
        st.tuples(st.sampled_from([Prim.STRING, Prim.U32, Prim.CHAR]), inner).map(lambda p: val("map", p)),
    )


value_types: st.SearchStrategy[VType] = st.recursive(st.sampled_from(PRIMS), _defined, max_leaves=8)

_INTS = {
    Prim.S8: (8, True), Prim.U8: (8, False), Prim.S16: (16, True), Prim.U16: (16, False),
    Prim.S32: (32, True), Prim.U32: (32, False), Prim.S64: (64, True), Prim.U64: (64, False),
}  # fmt: skip


def values_of(vt: VType, codec: Codec) -> st.SearchStrategy[object]:
    """Python values of type `vt`, made with `codec`'s classes."""
    if isinstance(vt, Prim):
        if vt in _INTS:
            bits, signed = _INTS[vt]
            return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else st.integers(0, (1 << bits) - 1)
        return {
            Prim.BOOL: st.booleans(), Prim.F32: st.floats(width=32), Prim.F64: st.floats(),
            Prim.CHAR: st.characters(), Prim.STRING: st.text(max_size=12),
        }[vt]  # fmt: skip
    kind, parts = vt.kind, vt.parts
    if kind == "list":
        if parts[0] is Prim.U8:
            return st.binary(max_size=16)
        return st.lists(values_of(parts[0], codec.elem), max_size=4)  # type: ignore[arg-type, attr-defined]
    if kind == "map":
        key, value = codec.elem.fields  # type: ignore[attr-defined]
        return st.dictionaries(values_of(parts[0], key), values_of(parts[1], value), max_size=3)  # type: ignore[arg-type]
    if kind == "tuple":
        return st.tuples(*(values_of(t, c) for t, c in zip(parts, codec.fields)))  # type: ignore[arg-type, attr-defined]
    if kind == "record":
        fields = [values_of(t, c) for (_, t), c in zip(parts, codec.fields)]  # type: ignore[misc, attr-defined]
        return st.tuples(*fields).map(lambda vs: codec.cls(*vs))  # type: ignore[attr-defined]
    if kind == "variant":
        options = []
        for (_, t), c, cls in zip(parts, codec.cases, codec.classes):  # type: ignore[misc, attr-defined]
            options.append(st.just(cls()) if t is None else values_of(t, c).map(cls))
        return st.one_of(options)
    if kind == "enum":
        return st.sampled_from(codec.members)  # type: ignore[attr-defined]
    if kind == "flags":
        return st.integers(0, codec.mask).map(codec.cls)  # type: ignore[attr-defined]
    if kind == "option":
        inner = values_of(parts[0], codec.cases[1])  # type: ignore[arg-type, attr-defined]
        return st.one_of(st.none(), inner.map(Some) if codec.wrap else inner)  # type: ignore[attr-defined]
    if kind == "result":
        ok, err = (st.none() if t is None else values_of(t, c) for t, c in zip(parts, codec.cases))  # type: ignore[arg-type, attr-defined]
        return st.one_of(ok.map(Ok), err.map(Err))
    raise AssertionError(kind)


def same(a: object, b: object) -> bool:
    """Equal, NaN included, and of the same classes all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b  # type: ignore[arg-type]
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)  # type: ignore[attr-defined, index]
    if isinstance(a, (Some, Ok, Err)):
        return same(a.value, b.value)  # type: ignore[attr-defined]
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (enum.Enum, str, bytes, int, bool)) or a is None:
        return a == b
    raise AssertionError(f"unexpected value {a!r}")
