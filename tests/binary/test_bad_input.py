"""Hostile binaries: each gets a DecodeError or ValidationError in bounded time and memory,
never another exception, a hang or a crash."""

from __future__ import annotations

import random
import time

import pytest

from tests.support import PROJECT_ROOT
from wasmkit.binary import read_module
from wasmkit.binary.leb128 import write_unsigned
from wasmkit.errors import DecodeError, ValidationError, WasmError
from wasmkit.validate import validate

HEADER = b"\0asm\x01\0\0\0"
FIB = (PROJECT_ROOT / "examples" / "fib.wasm").read_bytes()


def section(section_id: int, content: bytes) -> bytes:
    return bytes([section_id]) + write_unsigned(len(content)) + content


def load(data: bytes) -> None:
    validate(read_module(data))


def test_every_truncation_is_read_or_rejected_cleanly() -> None:
    for end in range(len(FIB)):
        try:
            load(FIB[:end])
        except (DecodeError, ValidationError):
            pass


def test_random_bytes_are_rejected() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        data = HEADER + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        try:
            load(data)
        except WasmError:
            pass


@pytest.mark.parametrize("section_id", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11])
def test_vector_length_of_2_to_the_32_minus_1_fails_fast(section_id: int) -> None:
    data = HEADER + section(section_id, write_unsigned(0xFFFF_FFFF))
    start = time.perf_counter()
    with pytest.raises(DecodeError) as info:
        read_module(data)
    assert info.value.message == "length out of bounds"
    assert time.perf_counter() - start < 0.1


def test_name_length_beyond_the_input_fails_fast() -> None:
    data = HEADER + section(0, write_unsigned(0xFFFF_FFF0) + b"x")
    with pytest.raises(DecodeError, match="length out of bounds"):
        read_module(data)


def test_memory_minimum_of_0xffffffff_is_invalid() -> None:
    data = HEADER + section(5, b"\x01\x00" + write_unsigned(0xFFFF_FFFF))
    with pytest.raises(ValidationError, match="memory size must be at most 65536 pages"):
        load(data)


def test_table_minimum_of_0xffffffff_validates_without_allocating() -> None:
    data = HEADER + section(4, b"\x01\x70\x00" + write_unsigned(0xFFFF_FFFF))
    start = time.perf_counter()
    load(data)
    assert time.perf_counter() - start < 0.1


def _module_with_body(body: bytes, locals_: bytes = b"\x00") -> bytes:
    code = locals_ + body
    return (
        HEADER
        + section(1, b"\x01\x60\x00\x00")
        + section(3, b"\x01\x00")
        + section(10, b"\x01" + write_unsigned(len(code)) + code)
    )


def test_ten_thousand_nested_blocks_validate_without_recursion() -> None:
    depth = 10_000
    load(_module_with_body(b"\x02\x40" * depth + b"\x0b" * depth + b"\x0b"))


def test_ten_thousand_unclosed_blocks_are_malformed() -> None:
    with pytest.raises(DecodeError):
        load(_module_with_body(b"\x02\x40" * 10_000 + b"\x0b"))


def test_billions_of_locals_cost_nothing_to_refuse() -> None:
    # Well formed, but past wasmtime's limit of 50,000 locals (wasmkit.validate.limits).
    locals_ = b"\x02" + write_unsigned(0xFFFF_0000) + b"\x7f" + write_unsigned(0xFFFF) + b"\x7e"
    body = b"\x20" + write_unsigned(0xFFFF_0000 + 5) + b"\x1a\x0b"  # local.get of an i64, drop
    with pytest.raises(ValidationError, match="too many locals: locals exceed maximum"):
        load(_module_with_body(body, locals_))


def test_too_many_locals_is_malformed() -> None:
    locals_ = b"\x02" + write_unsigned(0xFFFF_FFFF) + b"\x7f" + write_unsigned(1) + b"\x7e"
    with pytest.raises(DecodeError, match="too many locals"):
        load(_module_with_body(b"\x0b", locals_))
