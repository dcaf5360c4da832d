"""The validation rules of multi-memory, memory64 and table64, with the reference interpreter's
messages: address types, offsets, limits, and the features that a 2.0 validation refuses."""

from __future__ import annotations

import pytest

from wasmkit.errors import ValidationError
from wasmkit.opcodes import WASM_2_0
from wasmkit.text import parse_module
from wasmkit.validate import validate


def _error(text: str, features=None) -> str:
    module = parse_module(text)
    with pytest.raises(ValidationError) as info:
        validate(module) if features is None else validate(module, features=features)
    return info.value.message


def test_addresses_take_the_memory_s_address_type() -> None:
    validate(parse_module("(module (memory i64 1) (func (result i32) (i32.load (i64.const 0))))"))
    assert _error("(module (memory i64 1) (func (result i32) (i32.load (i32.const 0))))") == (
        "type mismatch: instruction requires [i64] but stack has [i32]"
    )
    assert _error("(module (memory 1) (func (result i32) (i32.load (i64.const 0))))").startswith("type mismatch")
    validate(parse_module("(module (memory i64 1) (func (result i64) (memory.grow (i64.const 1))))"))
    assert _error("(module (memory i64 1) (func (result i32) (memory.size)))").startswith("type mismatch")


def test_a_copy_between_address_types_takes_the_smaller_length() -> None:
    text = "(module (memory $a i64 1) (memory $b 1) (func (memory.copy $a $b (i64.const 0) (i32.const 0) ({} 1))))"
    validate(parse_module(text.format("i32.const")))
    assert _error(text.format("i64.const")).startswith("type mismatch")
    tables = "(module (table $a i64 1 funcref) (table $b 1 funcref) (func (table.copy $a $b (i64.const 0) (i32.const 0) ({} 1))))"
    validate(parse_module(tables.format("i32.const")))
    assert _error(tables.format("i64.const")).startswith("type mismatch")


def test_offsets_and_limits_are_in_range_for_the_address_type() -> None:
    assert _error("(module (memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0)))))") == "offset out of range"
    validate(parse_module("(module (memory i64 1) (func (drop (i32.load offset=4294967296 (i64.const 0)))))"))
    assert _error("(module (memory i64 0 0x1_0000_0000_0001))") == (
        "memory size must be at most 2^48 pages (256 TiB) for i64"
    )
    assert _error("(module (memory 0x1_0001))") == "memory size must be at most 65536 pages (4GiB)"
    assert _error("(module (table i64 2 1 funcref))") == "size minimum must not be greater than maximum"
    assert _error("(module (table 0x1_0000_0000 funcref))") == "table size must be at most 2^32-1"


def test_segments_offsets_have_the_address_type() -> None:
    validate(parse_module('(module (memory i64 1) (data (i64.const 0) "x"))'))
    assert _error('(module (memory i64 1) (data (i32.const 0) "x"))').startswith("type mismatch")
    assert _error("(module (table i64 1 funcref) (elem (i32.const 0) func))").startswith("type mismatch")


def test_memory_indices_are_checked() -> None:
    assert _error("(module (memory 1) (func (drop (memory.size 1))))") == "unknown memory 1"
    assert _error("(module (memory 1) (func (drop (i32.load 2 (i32.const 0)))))") == "unknown memory 2"


def test_2_0_validation_refuses_the_new_features_by_name() -> None:
    assert _error("(module (memory 1) (memory 1))", WASM_2_0) == "multiple memories are not allowed"
    assert _error("(module (memory i64 1))", WASM_2_0) == (
        "a 64-bit memory needs the memory64 feature, which is not enabled"
    )
    assert _error("(module (table i64 1 funcref))", WASM_2_0) == (
        "a 64-bit table needs the memory64 feature, which is not enabled"
    )
