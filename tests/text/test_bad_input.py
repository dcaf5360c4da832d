"""Hostile text: each a ParseError, never another exception. (Large inputs run under a time
and memory bound in test_bounds.py; no timing is asserted here.)"""

from __future__ import annotations

import pytest

from wasmkit.errors import ParseError
from wasmkit.text import decode_source, parse_module, parse_script


def _rejected(text: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_module(text)
    return info.value


def test_unterminated_string() -> None:
    assert _rejected('(module (data "abc').message == "unclosed string"


def test_unterminated_block_comment() -> None:
    assert _rejected("(module (; (; ;) " + "x" * 100_000).message == "unclosed comment"


def test_one_hundred_thousand_nested_parentheses() -> None:
    _rejected("(" * 100_000 + ")" * 100_000)
    _rejected("(" * 100_000)


def test_one_hundred_thousand_nested_folded_instructions_parse_without_recursion() -> None:
    depth = 100_000
    text = "(module (func (result i32) " + "(i32.eqz " * depth + "(i32.const 0)" + ")" * depth + "))"
    module = parse_module(text)
    assert module.funcs[0].body == b"\x41\x00" + b"\x45" * depth + b"\x0b"


def test_one_hundred_thousand_nested_blocks_parse() -> None:
    depth = 100_000
    module = parse_module("(module (func " + "(block " * depth + ")" * depth + "))")
    assert len(module.funcs[0].body) == 3 * depth + 1


def test_invalid_utf8_source() -> None:
    with pytest.raises(ParseError) as info:
        decode_source(b'(module (data "\xff"))')
    assert info.value.message == "malformed UTF-8 encoding"
    assert (info.value.line, info.value.column) == (1, 16)


@pytest.mark.parametrize("literal", ["1" * 1000, "0x" + "f" * 1000, "1" * 1000 + ".5e-1000", "1e" + "9" * 1000])
def test_numbers_with_a_thousand_digits(literal: str) -> None:
    for const in ("i32.const", "i64.const"):
        _rejected(f"(module (func (drop ({const} {literal}))))")
    try:
        parse_module(f"(module (func (drop (f64.const {literal}))))")
    except ParseError as err:
        assert err.message == "constant out of range"


def test_garbage_is_rejected() -> None:
    for text in ("\x00\x01\x02", "(module (func (\x7f)))", "(module \u00e9)", ";", "(module (func 1 2 3))"):
        _rejected(text)


def test_malformed_scripts() -> None:
    for text in ("(assert_return (invoke \"f\" (i32.const)))", "(invoke)", "(assert_trap (module) 5)"):
        with pytest.raises(ParseError):
            parse_script(text)


def test_skip_trivia_finds_the_first_token() -> None:
    from wasmkit.text.lexer import skip_trivia

    text = " \t;; a line\n(; a (; nested ;) one ;)\n(module)"
    assert text[skip_trivia(text) :] == "(module)"
    assert skip_trivia("(; never closed") == len("(; never closed")
    assert skip_trivia("x", 0) == 0
