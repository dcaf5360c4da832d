"""Annotations in the text format: the lexer checks them as the spec does, and the ones wasmkit
knows (@custom, @name, @metadata.code.branch_hint) become custom sections."""

from __future__ import annotations

import pytest

from wasmkit.errors import ParseError
from wasmkit.text import parse_module


def _rejected(text: str) -> str:
    with pytest.raises(ParseError) as info:
        parse_module(text)
    return info.value.message


# -- the lexer --


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(@a \x01)", "illegal character"),
        ("(@a \x7f)", "illegal character"),
        ("(@a Heiße)", "illegal character"),
        ("(@)", "empty annotation id"),
        ("(@ x)", "empty annotation id"),
        ('(@"")', "empty annotation id"),
        ('(@"\\ef")', "malformed UTF-8 encoding"),
        ("(@x (y (z))", "unclosed annotation"),
        ('(@x ")', "unclosed string"),
        ("(func $(@a))", "empty identifier"),
    ],
)
def test_a_malformed_annotation_is_a_parse_error(text: str, message: str) -> None:
    assert _rejected(text) == message


def test_annotations_hold_any_token_and_are_otherwise_ignored() -> None:
    text = '(module (@a , ; ] [ }} (@) (@(@x)) "\\u{45}" (;c;) x"y"z) (func (@b 1 2) (nop)))'
    assert parse_module(text) == parse_module("(module (func (nop)))")
