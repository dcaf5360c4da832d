"""Identifiers written as strings, `$"..."` (WebAssembly 3.0's text format): the same
identifier as `$name` when the text is the same, any UTF-8 text otherwise, never empty."""

from __future__ import annotations

import pytest

from wasmkit.errors import ParseError
from wasmkit.text import parse_module


def test_a_string_identifier_names_what_the_plain_one_names() -> None:
    module = parse_module(
        '(module (func $fh (result i32) (i32.const 7)) (func (export "f") (result i32) (call $"fh"))'
        ' (func $" random \\t stuff " (result i32) (call $" random \\09 stuff ")))'
    )
    by_plain_name, by_escapes = (func.body for func in module.funcs[1:])
    assert by_plain_name == b"\x10\x00\x0b"  # `call $"fh"` calls $fh, function 0
    assert by_escapes == b"\x10\x02\x0b"  # `\t` and `\09` spell the same name: itself


def test_labels_may_be_string_identifiers() -> None:
    module = parse_module('(module (func block $"\\41B" (br $AB) end $"A\\42"))')
    assert module.funcs[0].body == b"\x02\x40\x0c\x00\x0b\x0b"


@pytest.mark.parametrize(
    "text, message",
    [
        ('(module (func $""))', "empty identifier"),
        ('(module (func $ "a"))', "empty identifier"),
        ('(module (func $"a\nb"))', "empty identifier"),  # not a string: a lone `$` before it
        ('(module (func $"a\tb"))', "empty identifier"),
        ('(module (func $"\\ef"))', "malformed UTF-8 encoding"),
    ],
)
def test_malformed_string_identifiers(text: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_module(text)
    assert info.value.message == message
