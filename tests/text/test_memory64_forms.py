"""The text forms of multi-memory, memory64 and table64 survive text -> binary -> text: memory
indices on every memory instruction, i64 memories and tables (inline data and elements
included), 64-bit offsets; and 2.0's rules still read them as 2.0 did."""

from __future__ import annotations

import pytest

from wasmkit.binary import read_module, write_module
from wasmkit.errors import DecodeError, ParseError
from wasmkit.opcodes import WASM_2_0
from wasmkit.syntax.types import ValType
from wasmkit.text import parse_module
from wasmkit.text.parser import module_from_form
from wasmkit.text.lexer import Source, read_forms
from wasmkit.text.printer import print_module

MODULE = """(module
  (memory $a i64 1 2)
  (memory $b 1)
  (table $t i64 3 funcref)
  (memory $c i64 (data "abc"))
  (table $u i64 funcref (elem $f))
  (func $f (param i64) (result i32)
    (drop (memory.grow $b (i32.const 1)))
    (drop (memory.size $a))
    (memory.copy $a $b (i64.const 0) (i32.const 0) (i32.const 1))
    (memory.fill $b (i32.const 0) (i32.const 1) (i32.const 1))
    (memory.init $b $d (i32.const 0) (i32.const 0) (i32.const 0))
    (i32.store $b offset=5 align=2 (i32.const 0) (i32.const 1))
    (drop (v128.load8_lane $b 1 (i32.const 0) (v128.const i64x2 0 0)))
    (drop (v128.load8_lane 1 offset=3 1 (i32.const 0) (v128.const i64x2 0 0)))
    (drop (table.get $t (i64.const 2)))
    (i32.load $a offset=0xFFFF_FFFF_FFFF_FFFF (local.get 0)))
  (data $d (memory $b) (i32.const 0) "x"))
"""


def test_the_new_forms_round_trip_through_binary_and_text() -> None:
    module = parse_module(MODULE)
    binary = write_module(module)
    assert read_module(binary) == module
    text = print_module(module)
    assert parse_module(text) == module
    assert write_module(parse_module(text)) == binary
    for expected in (
        "(memory (;0;) i64 1 2)",
        "(table (;0;) i64 3 funcref)",
        "memory.copy 0 1",
        "memory.init 1 1",
        "i32.store 1 offset=5",
        "v128.load8_lane 1 offset=3 1",
        "i32.load offset=18446744073709551615",
        "(data (;0;) (memory 2) (offset (i64.const 0)) \"abc\")",
    ):
        assert expected in text, expected


def test_what_the_types_and_immediates_hold() -> None:
    module = parse_module(MODULE)
    assert [mt.address_type for mt in module.mems] == [ValType.I64, ValType.I32, ValType.I64]
    assert [tt.is_64 for tt in module.tables] == [True, True]
    assert module.mems[1].limits.min == 1 and module.tables[1].limits.min == 1  # the inline element
    assert module.elems[0].offset == b"\x42\x00\x0b"  # i64.const 0 for a 64-bit table
    single = parse_module("(module (memory 1) (memory 1) (func (drop (v128.load8_lane 1 (i32.const 0) (v128.const i64x2 0 0)))))")
    assert print_module(single).count("v128.load8_lane 1") == 1  # one index: the lane, memory 0


def test_a_memory_index_in_binary_sets_bit_6_of_the_alignment() -> None:
    module = parse_module("(module (memory 1) (memory 1) (func (i32.store 1 offset=2 (i32.const 0) (i32.const 0))))")
    body = module.funcs[0].body
    assert b"\x36\x42\x01\x02" in body  # i32.store, align 2 | 0x40, memory 1, offset 2


def _read_2_0(text: str):
    source = Source(text)
    return module_from_form(source, read_forms(source)[0], features=WASM_2_0)


def test_2_0_rules_keep_32_bit_numbers_and_zero_bytes() -> None:
    with pytest.raises(ParseError) as info:
        _read_2_0("(module (memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0)))))")
    assert info.value.message == "i32 constant out of range"
    with pytest.raises(ParseError) as info:
        _read_2_0("(module (memory 0x1_0000_0000))")
    assert info.value.message == "i32 constant out of range"
    binary = write_module(parse_module("(module (memory 1) (memory 1) (func (drop (memory.size 1))))"))
    with pytest.raises(DecodeError) as decode:
        read_module(binary, WASM_2_0)
    assert decode.value.message.startswith("zero byte expected")
    assert parse_module("(module (memory 0x1_0000_0000))").mems[0].limits.min == 1 << 32  # 3.0: invalid, not malformed


def test_each_proposal_governs_its_own_encoding() -> None:
    from wasmkit.opcodes import ALL_FEATURES, Feature

    binary = write_module(parse_module("(module (memory 1) (memory 1) (func (drop (i32.load 1 (i32.const 0)))))"))
    assert read_module(binary, ALL_FEATURES - {Feature.MEMORY64}) == read_module(binary)
    with pytest.raises(DecodeError) as info:
        read_module(binary, ALL_FEATURES - {Feature.MULTI_MEMORY})
    assert info.value.message == "malformed memop flags"  # bit 6 set: no memory index in 2.0
