"""Strings: read in the context's encoding (UTF-8, UTF-16, or latin1+utf16, whose length is
tagged: the top bit of the length set means UTF-16 code units, clear means latin-1 bytes),
and written through `realloc` as the ABI's `store_string_into_range` does for a UTF-8
source (a Python string is taken as UTF-8, as wasmtime takes a host string), so the guest
sees the same `realloc` calls as from wasmtime:

- UTF-8: one allocation of the exact length, alignment 1.
- UTF-16: twice the UTF-8 length (alignment 2), then shrunk to the encoded length.
- latin1+utf16: the UTF-8 length (alignment 2); latin-1 if every character fits, shrunk to
  its length; else grown to twice the UTF-8 length, written as UTF-16, shrunk to fit and
  tagged.

Traps: a string longer than 2**28-1 bytes, a misaligned or out-of-bounds pointer, invalid
UTF-8 or UTF-16 (lone surrogates included), and what `realloc` returns amiss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bits import MASK32
from .codec import I32, Codec, FlatReader
from .context import StringEncoding
from .traps import invalid, out_of_bounds

if TYPE_CHECKING:
    from .context import Context

__all__ = ["MAX_STRING_BYTE_LENGTH", "UTF16_TAG", "load_string", "store_string", "StringCodec"]

MAX_STRING_BYTE_LENGTH = (1 << 28) - 1
UTF16_TAG = 1 << 31

_UTF8, _UTF16 = StringEncoding.UTF8, StringEncoding.UTF16


def load_string(cx: Context, ptr: int, tagged_units: int) -> str:
    """The string of `tagged_units` code units at `ptr` in the context's encoding."""
    encoding = cx.encoding
    if encoding is _UTF8:
        align, length, codec = 1, tagged_units, "utf-8"
    elif encoding is _UTF16:
        align, length, codec = 2, 2 * tagged_units, "utf-16-le"
    elif tagged_units & UTF16_TAG:
        align, length, codec = 2, 2 * (tagged_units ^ UTF16_TAG), "utf-16-le"
    else:
        align, length, codec = 2, tagged_units, "latin-1"
    if length > MAX_STRING_BYTE_LENGTH:
        raise invalid(f"string too long: {length} bytes (the limit is {MAX_STRING_BYTE_LENGTH})")
    if ptr & (align - 1):
        raise invalid(f"string pointer {ptr:#x} is not aligned to {align}")
    memory = cx.mem()
    if ptr + length > len(memory):
        raise out_of_bounds(f"string pointer/length out of bounds of memory ({length} bytes at {ptr:#x})")
    data = memory.read(ptr, length)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise invalid(f"invalid {'utf-8' if codec == 'utf-8' else 'utf-16'} in a string at byte {err.start}") from None


def _utf8(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected a str for string, got {type(value).__name__}")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string of a component is Unicode scalar values: this one holds a lone surrogate") from None
    if len(data) > MAX_STRING_BYTE_LENGTH:
        raise ValueError(f"string too long for a component: {len(data)} bytes (the limit is {MAX_STRING_BYTE_LENGTH})")
    return data


def store_string(cx: Context, value: object) -> tuple[int, int]:
    """Allocate and write `value`; its pointer and (tagged) length in code units."""
    data = _utf8(value)
    units = len(data)
    encoding = cx.encoding
    if encoding is _UTF8:
        ptr = cx.allocate(1, units)
        cx.write(ptr, data)
        return ptr, units
    text: str = value  # type: ignore[assignment]
    if encoding is _UTF16:
        worst = 2 * units
        ptr = cx.allocate(2, worst)
        encoded = text.encode("utf-16-le")
        cx.write(ptr, encoded)
        if len(encoded) < worst:
            ptr = cx.reallocate(ptr, worst, 2, len(encoded))
        return ptr, len(encoded) // 2
    ptr = cx.allocate(2, units)
    try:
        latin1 = text.encode("latin-1")
    except UnicodeEncodeError:
        worst = 2 * units
        ptr = cx.reallocate(ptr, units, 2, worst)
        encoded = text.encode("utf-16-le")
        cx.write(ptr, encoded)
        if len(encoded) < worst:
            ptr = cx.reallocate(ptr, worst, 2, len(encoded))
        return ptr, len(encoded) // 2 | UTF16_TAG
    cx.write(ptr, latin1)
    if len(latin1) < units:
        ptr = cx.reallocate(ptr, units, 2, len(latin1))
    return ptr, len(latin1)


class StringCodec(Codec):
    __slots__ = ()

    def __init__(self) -> None:
        self.size, self.align, self.flat, self.name = 8, 4, (I32, I32), "string"

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        ptr = reader.take_int() & MASK32
        return load_string(cx, ptr, reader.take_int() & MASK32)

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        out += store_string(cx, value)

    def load(self, cx: Context, ptr: int) -> object:
        raw = cx.read(ptr, 8)
        return load_string(cx, int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:], "little"))

    def store(self, cx: Context, value: object, ptr: int) -> None:
        begin, units = store_string(cx, value)
        cx.write(ptr, begin.to_bytes(4, "little") + units.to_bytes(4, "little"))
