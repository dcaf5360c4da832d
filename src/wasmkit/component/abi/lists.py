"""`list<T>`: a pointer and a length (in elements) to the elements laid out one after the
other, each at `T`'s size. `list<u8>` is `bytes` in Python (any bytes-like value, or a list
of ints, is accepted when lowering); every other list is a Python `list` (a list or tuple
is accepted). Lists of numbers move in one read or write.

Lifting traps on a list longer than 2**28-1 bytes, a pointer not aligned to the element's
alignment, and a range past the end of memory; lowering allocates through `realloc` at the
element's alignment.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...bits import MASK32
from ...runtime.values import f32
from .codec import I32, Codec, FlatReader
from .scalars import Float32Codec, Float64Codec, IntCodec
from .traps import invalid, out_of_bounds

if TYPE_CHECKING:
    from .context import Context

__all__ = ["MAX_LIST_BYTE_LENGTH", "ListCodec", "MapCodec"]

MAX_LIST_BYTE_LENGTH = (1 << 28) - 1
_INT_FORMATS = {(8, True): "b", (16, True): "h", (16, False): "H", (32, True): "i", (32, False): "I", (64, True): "q", (64, False): "Q"}


def _number_format(elem: Codec) -> str | None:
    """The `struct` format letter of a list of numbers, None for other elements or u8."""
    if isinstance(elem, IntCodec):
        return _INT_FORMATS.get((elem.bits, elem.signed))
    if isinstance(elem, Float32Codec):
        return "f"
    if isinstance(elem, Float64Codec):
        return "d"
    return None


class ListCodec(Codec):
    __slots__ = ("elem", "as_bytes", "format", "is_float")

    def __init__(self, elem: Codec) -> None:
        self.elem = elem
        self.size, self.align, self.flat, self.name = 8, 4, (I32, I32), f"list<{elem.name}>"
        self.as_bytes = isinstance(elem, IntCodec) and elem.bits == 8 and not elem.signed
        self.format = _number_format(elem)
        self.is_float = self.format in ("f", "d")

    # -- lifting --

    def load_range(self, cx: Context, ptr: int, length: int) -> object:
        elem = self.elem
        byte_length = length * elem.size
        if byte_length > MAX_LIST_BYTE_LENGTH:
            raise invalid(f"list too long: {byte_length} bytes (the limit is {MAX_LIST_BYTE_LENGTH})")
        if ptr & (elem.align - 1):
            raise invalid(f"list pointer {ptr:#x} is not aligned to {elem.align}")
        if ptr + byte_length > len(cx.mem()):
            raise out_of_bounds(f"list pointer/length out of bounds of memory ({byte_length} bytes at {ptr:#x})")
        if self.as_bytes:
            return cx.read(ptr, length)
        if self.format is not None:
            values = list(struct.unpack(f"<{length}{self.format}", cx.read(ptr, byte_length)))
            if self.is_float:
                return [math.nan if v != v else v for v in values]
            return values
        size = elem.size
        return [elem.load(cx, ptr + i * size) for i in range(length)]

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        ptr = reader.take_int() & MASK32
        return self.load_range(cx, ptr, reader.take_int() & MASK32)

    def load(self, cx: Context, ptr: int) -> object:
        raw = cx.read(ptr, 8)
        return self.load_range(cx, int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:], "little"))

    # -- lowering --

    def _packed(self, value: list[object] | tuple[object, ...]) -> bytes | None:
        """The elements as bytes in one go, when they are all plain numbers in range."""
        if self.format is None:
            return None
        if self.is_float:
            if not all(type(v) is float for v in value):
                return None
            numbers: list[float] = [math.nan if v != v else v for v in value]  # type: ignore[misc]
            if self.format == "f":
                numbers = [f32(v) for v in numbers]
            return struct.pack(f"<{len(numbers)}{self.format}", *numbers)
        if not all(type(v) is int for v in value):
            return None
        try:
            return struct.pack(f"<{len(value)}{self.format}", *value)
        except struct.error:
            return None  # one out of range: the elements' own checks say which

    def store_range(self, cx: Context, value: object) -> tuple[int, int]:
        """Allocate and write the elements; their pointer and count."""
        elem = self.elem
        if self.as_bytes:
            if isinstance(value, (bytes, bytearray, memoryview)):
                data = bytes(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    elem.lower_flat(cx, item, [])  # the type and range of each
                data = bytes(value)
            else:
                raise TypeError(f"expected bytes for {self.name}, got {type(value).__name__}")
            self._check_length(len(data))
            ptr = cx.allocate(1, len(data))
            cx.write(ptr, data)
            return ptr, len(data)
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list for {self.name}, got {type(value).__name__}")
        length = len(value)
        self._check_length(length * elem.size)
        packed = self._packed(value)
        ptr = cx.allocate(elem.align, length * elem.size)
        if packed is not None:
            cx.write(ptr, packed)
        else:
            size = elem.size
            for i, item in enumerate(value):
                elem.store(cx, item, ptr + i * size)
        return ptr, length

    def _check_length(self, byte_length: int) -> None:
        if byte_length > MAX_LIST_BYTE_LENGTH:
            raise ValueError(f"list too long for a component: {byte_length} bytes (the limit is {MAX_LIST_BYTE_LENGTH})")

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        out += self.store_range(cx, value)

    def store(self, cx: Context, value: object, ptr: int) -> None:
        begin, length = self.store_range(cx, value)
        cx.write(ptr, begin.to_bytes(4, "little") + length.to_bytes(4, "little"))


class MapCodec(ListCodec):
    """`map<K, V>`: laid out as `list<tuple<K, V>>`; a Python `dict` (any mapping is
    accepted when lowering; of repeated keys a component gives, the last one wins)."""

    __slots__ = ()

    def __init__(self, pair: Codec, name: str) -> None:
        super().__init__(pair)
        self.name = name

    def load_range(self, cx: Context, ptr: int, length: int) -> object:
        return dict(super().load_range(cx, ptr, length))  # type: ignore[call-overload]

    def store_range(self, cx: Context, value: object) -> tuple[int, int]:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a dict for {self.name}, got {type(value).__name__}")
        return super().store_range(cx, list(value.items()))
