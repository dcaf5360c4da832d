"""LEB128: the encodings the binary format allows, and the ones it rejects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wasmkit.binary.leb128 import (
    read_s32,
    read_s33,
    read_s64,
    read_u32,
    read_signed,
    read_u64,
    read_unsigned,
    write_signed,
    write_unsigned,
)
from wasmkit.errors import DecodeError


@given(st.integers(0, 2**32 - 1))
def test_u32_round_trip(value: int) -> None:
    encoded = write_unsigned(value)
    assert read_u32(encoded, 0) == (value, len(encoded))


@given(st.integers(0, 2**64 - 1))
def test_u64_round_trip(value: int) -> None:
    encoded = write_unsigned(value)
    assert read_u64(encoded, 0) == (value, len(encoded))


@given(st.integers(-(2**31), 2**31 - 1))
def test_s32_round_trip(value: int) -> None:
    encoded = write_signed(value)
    assert read_s32(encoded, 0) == (value, len(encoded))


@given(st.integers(-(2**63), 2**63 - 1))
def test_s64_round_trip(value: int) -> None:
    encoded = write_signed(value)
    assert read_s64(encoded, 0) == (value, len(encoded))


def test_padded_encodings_within_the_byte_limit_are_accepted() -> None:
    assert read_u32(b"\x80\x80\x80\x80\x00", 0) == (0, 5)
    assert read_s32(b"\xff\xff\xff\xff\x7f", 0) == (-1, 5)
    assert read_s33(b"\x80\x80\x80\x80\x00", 0) == (0, 5)


@pytest.mark.parametrize(
    "reader, data, message",
    [
        (read_u32, b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
        (read_u32, b"\x80\x80\x80\x80\x10", "integer too large"),
        (read_s32, b"\x80\x80\x80\x80\x10", "integer too large"),
        (read_s32, b"\xff\xff\xff\xff\x4f", "integer too large"),
        (read_s64, b"\x80" * 10 + b"\x00", "integer representation too long"),
        (read_s64, b"\x80" * 9 + b"\x02", "integer too large"),
        (read_u64, b"\x80" * 9 + b"\x02", "integer too large"),
        (read_u32, b"\x80\x80", "unexpected end"),
        (read_u32, b"", "unexpected end"),
    ],
)
def test_malformed_encodings(reader, data: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DecodeError) as info:
        reader(data, 0)
    assert info.value.message.startswith(message)


@pytest.mark.parametrize(
    "reader, general",
    [
        (read_u32, lambda data, pos: read_unsigned(data, pos, 32)),
        (read_u64, lambda data, pos: read_unsigned(data, pos, 64)),
        (read_s32, lambda data, pos: read_signed(data, pos, 32)),
        (read_s33, lambda data, pos: read_signed(data, pos, 33)),
        (read_s64, lambda data, pos: read_signed(data, pos, 64)),
    ],
)
def test_fast_paths_read_as_the_general_loop(reader, general) -> None:  # type: ignore[no-untyped-def]
    # Every input of one or two bytes, also where the data ends after the first byte.
    def outcome(read, data: bytes):  # type: ignore[no-untyped-def]
        try:
            return read(data, 0)
        except DecodeError as err:
            return ("error", err.message, err.offset)

    for first in range(256):
        assert outcome(reader, bytes((first,))) == outcome(general, bytes((first,)))
        for second in range(256):
            data = bytes((first, second))
            assert outcome(reader, data) == outcome(general, data)
