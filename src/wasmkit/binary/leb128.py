"""LEB128 integers, read and written under the binary format's rules.

Readers take `(data, pos)` and return `(value, new_pos)`: plain functions on `bytes` are the
fastest shape for the hot decoding loops. An encoding may use at most ceil(N/7) bytes
("integer representation too long"), and the unused bits of its last byte must be zero for
unsigned and a sign extension for signed integers ("integer too large").
"""

from __future__ import annotations

from ..errors import DecodeError

__all__ = [
    "read_u32",
    "read_u64",
    "read_s32",
    "read_s33",
    "read_s64",
    "read_unsigned",
    "read_signed",
    "write_unsigned",
    "write_signed",
    "UNEXPECTED_END",
]

UNEXPECTED_END = "unexpected end of section or function"


def read_unsigned(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """Read an unsigned LEB128 integer of at most `bits` bits."""
    result = 0
    shift = 0
    while True:
        if shift >= bits:
            raise DecodeError("integer representation too long", pos)
        if pos >= len(data):
            raise DecodeError(UNEXPECTED_END, pos)
        byte = data[pos]
        pos += 1
        remaining = bits - shift
        if remaining < 7 and (byte & 0x7F) >> remaining:
            # Unused bits of the last possible byte must be zero.
            raise DecodeError("integer too large", pos - 1)
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def read_signed(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    """Read a signed LEB128 integer of at most `bits` bits."""
    result = 0
    shift = 0
    while True:
        if shift >= bits:
            raise DecodeError("integer representation too long", pos)
        if pos >= len(data):
            raise DecodeError(UNEXPECTED_END, pos)
        byte = data[pos]
        pos += 1
        remaining = bits - shift
        if remaining < 7:
            # The unused bits (and the sign bit) of the last possible byte must all be equal.
            mask = (-1 << (remaining - 1)) & 0x7F
            if (byte & mask) != 0 and (byte & mask) != mask:
                raise DecodeError("integer too large", pos - 1)
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte & 0x40:
                result -= 1 << shift
            return result, pos


# The fast paths below read encodings of one or two bytes, the most common by far in code,
# without the general loop; two bytes hold 14 bits, so no bound of the rules can be reached.


def read_u32(data: bytes, pos: int) -> tuple[int, int]:
    if pos + 1 < len(data):
        byte = data[pos]
        if byte < 0x80:
            return byte, pos + 1
        second = data[pos + 1]
        if second < 0x80:
            return (byte & 0x7F) | (second << 7), pos + 2
    elif pos < len(data) and data[pos] < 0x80:
        return data[pos], pos + 1
    return read_unsigned(data, pos, 32)


def read_u64(data: bytes, pos: int) -> tuple[int, int]:
    if pos + 1 < len(data):
        byte = data[pos]
        if byte < 0x80:
            return byte, pos + 1
        second = data[pos + 1]
        if second < 0x80:
            return (byte & 0x7F) | (second << 7), pos + 2
    return read_unsigned(data, pos, 64)


def read_s32(data: bytes, pos: int) -> tuple[int, int]:
    if pos + 1 < len(data):
        byte = data[pos]
        if byte < 0x80:
            return (byte - 0x80 if byte & 0x40 else byte), pos + 1
        second = data[pos + 1]
        if second < 0x80:
            value = (byte & 0x7F) | (second << 7)
            return (value - 0x4000 if second & 0x40 else value), pos + 2
    return read_signed(data, pos, 32)


def read_s33(data: bytes, pos: int) -> tuple[int, int]:
    if pos < len(data):
        byte = data[pos]
        if byte < 0x80:
            return (byte - 0x80 if byte & 0x40 else byte), pos + 1
    return read_signed(data, pos, 33)


def read_s64(data: bytes, pos: int) -> tuple[int, int]:
    if pos < len(data):
        byte = data[pos]
        if byte < 0x40:
            return byte, pos + 1
    return read_signed(data, pos, 64)


def write_unsigned(value: int) -> bytes:
    """The shortest unsigned LEB128 encoding of `value` (which must be non-negative)."""
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def write_signed(value: int) -> bytes:
    """The shortest signed LEB128 encoding of `value`."""
    if -0x40 <= value < 0x40:
        return bytes((value & 0x7F,))
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)
