"""The codecs of the primitive value types but `string`: `bool`, the integers, `f32`, `f64`
and `char`.

Lifting follows the ABI: a `bool` is true for any non-zero bits (no trap), an integer keeps
the low bits of its core value, a NaN becomes the canonical NaN, and a `char` that is not a
Unicode scalar value (a surrogate, or past 0x10FFFF) traps. Lowering checks the Python value
(`bool` for bool, an int in range, a float or int for a float, a one-character string that
is not a surrogate for a char) and stores NaN as the canonical NaN (the ABI's deterministic
profile).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ...bits import MASK32, MASK64
from ...runtime.values import f32, f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from .codec import F32, F64, I32, I64, Codec, FlatReader
from .traps import invalid

if TYPE_CHECKING:
    from .context import Context

__all__ = ["BoolCodec", "IntCodec", "Float32Codec", "Float64Codec", "CharCodec"]

_NAN = math.nan
_F32_NAN_BITS = 0x7FC0_0000
_F64_NAN_BITS = 0x7FF8_0000_0000_0000


class BoolCodec(Codec):
    __slots__ = ()

    def __init__(self) -> None:
        self.size, self.align, self.flat, self.name = 1, 1, (I32,), "bool"

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        return reader.take_int() & MASK32 != 0

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        if not isinstance(value, bool):
            raise self.mismatch(value)
        out.append(int(value))

    def load(self, cx: Context, ptr: int) -> object:
        return cx.read(ptr, 1)[0] != 0

    def store(self, cx: Context, value: object, ptr: int) -> None:
        if not isinstance(value, bool):
            raise self.mismatch(value)
        cx.write(ptr, b"\x01" if value else b"\x00")


class IntCodec(Codec):
    """`s8` .. `u64`: `bits` wide, `signed` or not."""

    __slots__ = ("bits", "signed", "low", "high", "mask")

    def __init__(self, bits: int, signed: bool) -> None:
        self.bits, self.signed = bits, signed
        self.size = self.align = bits // 8
        self.flat = (I64,) if bits == 64 else (I32,)
        self.name = f"{'s' if signed else 'u'}{bits}"
        self.low = -(1 << (bits - 1)) if signed else 0
        self.high = (1 << (bits - 1)) if signed else (1 << bits)
        self.mask = (1 << bits) - 1

    def _from_bits(self, value: int) -> int:
        value &= self.mask
        if self.signed and value >= self.high:
            value -= 1 << self.bits
        return value

    def _checked(self, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.mismatch(value)
        if not self.low <= value < self.high:
            raise ValueError(f"{value} is out of range for {self.name}")
        return value

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        return self._from_bits(reader.take_int())

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        out.append(self._checked(value) & (MASK64 if self.bits == 64 else MASK32))

    def load(self, cx: Context, ptr: int) -> object:
        return int.from_bytes(cx.read(ptr, self.size), "little", signed=self.signed)

    def store(self, cx: Context, value: object, ptr: int) -> None:
        cx.write(ptr, self._checked(value).to_bytes(self.size, "little", signed=self.signed))


def _float(codec: Codec, value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise codec.mismatch(value)
    return float(value)


class Float32Codec(Codec):
    __slots__ = ()

    def __init__(self) -> None:
        self.size, self.align, self.flat, self.name = 4, 4, (F32,), "f32"

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        value = reader.take()
        return _NAN if value != value else f32(value)  # type: ignore[arg-type]

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        number = _float(self, value)
        out.append(_NAN if number != number else f32(number))

    def load(self, cx: Context, ptr: int) -> object:
        value = f32_from_bits(int.from_bytes(cx.read(ptr, 4), "little"))
        return _NAN if value != value else value

    def store(self, cx: Context, value: object, ptr: int) -> None:
        number = _float(self, value)
        bits = _F32_NAN_BITS if number != number else f32_to_bits(f32(number))
        cx.write(ptr, bits.to_bytes(4, "little"))


class Float64Codec(Codec):
    __slots__ = ()

    def __init__(self) -> None:
        self.size, self.align, self.flat, self.name = 8, 8, (F64,), "f64"

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        value = float(reader.take())  # type: ignore[arg-type]
        return _NAN if value != value else value

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        number = _float(self, value)
        out.append(_NAN if number != number else number)

    def load(self, cx: Context, ptr: int) -> object:
        value = f64_from_bits(int.from_bytes(cx.read(ptr, 8), "little"))
        return _NAN if value != value else value

    def store(self, cx: Context, value: object, ptr: int) -> None:
        number = _float(self, value)
        bits = _F64_NAN_BITS if number != number else f64_to_bits(number)
        cx.write(ptr, bits.to_bytes(8, "little"))


def char_from_bits(code: int) -> str:
    """The char of a core value; trap unless it is a Unicode scalar value."""
    if code >= 0x110000 or 0xD800 <= code <= 0xDFFF:
        raise invalid(f"invalid char: {code:#x} is not a Unicode scalar value")
    return chr(code)


class CharCodec(Codec):
    __slots__ = ()

    def __init__(self) -> None:
        self.size, self.align, self.flat, self.name = 4, 4, (I32,), "char"

    def _code(self, value: object) -> int:
        if not isinstance(value, str) or len(value) != 1:
            raise self.mismatch(value)
        code = ord(value)
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"a char is a Unicode scalar value, not the surrogate {code:#x}")
        return code

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        return char_from_bits(reader.take_int() & MASK32)

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        out.append(self._code(value))

    def load(self, cx: Context, ptr: int) -> object:
        return char_from_bits(int.from_bytes(cx.read(ptr, 4), "little"))

    def store(self, cx: Context, value: object, ptr: int) -> None:
        cx.write(ptr, self._code(value).to_bytes(4, "little"))
