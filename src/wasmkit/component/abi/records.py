"""Records, tuples and flags.

A record's or tuple's fields are laid out in order, each at its own alignment, the whole
aligned to the largest; flattened, they are their fields' core values one after the other.
A record is an instance of its dataclass (`classes.record_class`); lowering takes that, any
object with the fields as attributes (snake_case), or a mapping keyed by WIT label or
snake_case name. A tuple is a Python tuple (a list is accepted).

Flags are a bit vector of 1, 2 or 4 bytes (one i32 flattened), the first label the lowest
bit; lifted as the type's `enum.Flag`, with bits past the last label ignored (the ABI does
not trap on them). Lowering takes that Flag, another `enum.Flag` with the same member names,
or a set or list of labels.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ...bits import MASK32
from .classes import snake_case, upper_case
from .codec import I32, Codec, FlatReader, align_to

if TYPE_CHECKING:
    from .context import Context

__all__ = ["RecordCodec", "TupleCodec", "FlagsCodec"]


class _FieldsCodec(Codec):
    """Fields laid out in order: what records and tuples share."""

    __slots__ = ("fields", "offsets")

    def __init__(self, fields: Sequence[Codec], name: str) -> None:
        self.fields = tuple(fields)
        offsets = []
        offset = align = 0
        for codec in self.fields:
            offset = align_to(offset, codec.align)
            offsets.append(offset)
            offset += codec.size
            align = max(align, codec.align)
        self.offsets = tuple(offsets)
        self.align = max(align, 1)
        self.size = align_to(offset, self.align)
        self.flat = tuple(t for codec in self.fields for t in codec.flat)
        self.name = name

    def make(self, values: list[object]) -> object:
        raise NotImplementedError

    def parts(self, value: object) -> Sequence[object]:
        raise NotImplementedError

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        return self.make([codec.lift_flat(cx, reader) for codec in self.fields])

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        for codec, part in zip(self.fields, self.parts(value)):
            codec.lower_flat(cx, part, out)

    def load(self, cx: Context, ptr: int) -> object:
        return self.make([codec.load(cx, ptr + offset) for codec, offset in zip(self.fields, self.offsets)])

    def store(self, cx: Context, value: object, ptr: int) -> None:
        for codec, offset, part in zip(self.fields, self.offsets, self.parts(value)):
            codec.store(cx, part, ptr + offset)


class RecordCodec(_FieldsCodec):
    __slots__ = ("cls", "labels", "attrs")

    def __init__(self, labels: Sequence[str], fields: Sequence[Codec], cls: type, name: str) -> None:
        super().__init__(fields, name)
        self.cls = cls
        self.labels = tuple(labels)
        self.attrs = tuple(snake_case(label) for label in labels)

    def make(self, values: list[object]) -> object:
        return self.cls(*values)

    def parts(self, value: object) -> Sequence[object]:
        if isinstance(value, Mapping):
            try:
                return [value[label] if label in value else value[attr] for label, attr in zip(self.labels, self.attrs)]
            except KeyError as err:
                raise TypeError(f"a value of {self.name} has no field {err.args[0]!r}") from None
        try:
            return [getattr(value, attr) for attr in self.attrs]
        except AttributeError:
            raise self.mismatch(value) from None


class TupleCodec(_FieldsCodec):
    __slots__ = ()

    def make(self, values: list[object]) -> object:
        return tuple(values)

    def parts(self, value: object) -> Sequence[object]:
        if not isinstance(value, (tuple, list)):
            raise self.mismatch(value)
        if len(value) != len(self.fields):
            raise ValueError(f"expected {len(self.fields)} values for {self.name}, got {len(value)}")
        return value


class FlagsCodec(Codec):
    __slots__ = ("cls", "labels", "mask")

    def __init__(self, labels: Sequence[str], cls: type[enum.Flag], name: str) -> None:
        self.labels = tuple(labels)
        self.cls = cls
        count = len(self.labels)
        self.size = self.align = 1 if count <= 8 else 2 if count <= 16 else 4
        self.flat = (I32,)
        self.name = name
        self.mask = (1 << count) - 1

    def _bits(self, value: object) -> int:
        if isinstance(value, self.cls):
            return int(value.value)
        if isinstance(value, enum.Flag):  # another class of these flags (a generated binding's): by member name
            names = [upper_case(label) for label in self.labels]
            return self._bits({self.labels[names.index(m.name)] if m.name in names else m.name for m in type(value) if m in value})
        if isinstance(value, (set, frozenset, list, tuple)):
            bits = 0
            for label in value:
                if label not in self.labels:
                    raise ValueError(f"{label!r} is not a flag of {self.name}")
                bits |= 1 << self.labels.index(label)
            return bits
        raise self.mismatch(value)

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        return self.cls(reader.take_int() & MASK32 & self.mask)

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        out.append(self._bits(value))

    def load(self, cx: Context, ptr: int) -> object:
        return self.cls(int.from_bytes(cx.read(ptr, self.size), "little") & self.mask)

    def store(self, cx: Context, value: object, ptr: int) -> None:
        cx.write(ptr, self._bits(value).to_bytes(self.size, "little"))
