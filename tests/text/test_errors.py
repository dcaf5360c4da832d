"""Text-format errors: each message in the reference wording, at the right line and column,
with the offending line and a caret under the fault."""

from __future__ import annotations

import pytest

from wasmkit.errors import ParseError
from wasmkit.text import parse_module, parse_script


@pytest.mark.parametrize(
    "text, message, line, column",
    [
        ("(module\n  (func (i32.const 0x)))", "unknown operator 0x", 2, 20),
        ("(module (func\n  (i32.const)))", "unexpected token", 2, 13),
        ("(module (func (drop (i32.const 4294967296))))", "constant out of range", 1, 32),
        ("(module (func (drop (f32.const 1e39))))", "constant out of range", 1, 32),
        ("(module (memory 1) (func (drop (i32.load align=3 (i32.const 0)))))", "alignment must be a power of two", 1, 42),
        ("(module (memory 1) (func (drop (i32.load offset=18446744073709551616 (i32.const 0)))))", "i64 constant out of range", 1, 42),
        ("(module (func block $a end $b))", "mismatching label", 1, 28),
        ("(module (func (br $nowhere)))", "unknown label $nowhere", 1, 19),
        ("(module (func (nop)) (import \"m\" \"f\" (func)))", "import after function definition", 1, 22),
        ("(module (func $f) (func $f))", "duplicate func", 1, 19),
        ("(module (func (local $x i32) (local $x i32)))", "duplicate local", 1, 30),
        ("(module (start 0) (start 0) (func))", "multiple start sections", 1, 20),
        ("(module (type $t (func)) (func (type $t) (param i32)))", "inline function type", 1, 42),
        ("(module (func (get_local 0)))", "unknown operator get_local", 1, 16),
        ("(module (func (v128.const i32x4 1 2 3)))", "wrong number of lane literals", 1, 38),
        ("(module (func (i8x16.extract_lane_s 256 (v128.const i64x2 0 0))))", "malformed lane index", 1, 37),
        ("(module (data \"\\ff\") (import \"\\ff\" \"x\" (func)))", "malformed UTF-8 encoding", 1, 30),
        ("(module (func (nop)))\n)", "unexpected token", 2, 1),
        ("(module (func\n  (; never closed", "unclosed comment", 2, 3),
        ("(module (data \"abc", "unclosed string", 1, 15),
        ("(module (data \"a\\qb\"))", "illegal escape", 1, 17),
    ],
)
def test_error_message_and_position(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_module(text)
    err = info.value
    assert err.message.startswith(message)
    assert (err.line, err.column) == (line, column)
    heading, source_line, caret = str(err).splitlines()
    assert heading == f"{line}:{column}: {err.message}"
    assert source_line == "  " + text.splitlines()[line - 1]
    assert caret == "  " + " " * (column - 1) + "^"


def test_errors_inside_quoted_modules_are_reported_from_the_quote() -> None:
    commands = parse_script('(assert_malformed (module quote "(func (i32.const 0x))") "unknown operator")')
    with pytest.raises(ParseError) as info:
        commands[0].module.build()  # type: ignore[union-attr]
    assert (info.value.line, info.value.column) == (1, 18)


def test_file_names_appear_in_errors() -> None:
    with pytest.raises(ParseError) as info:
        parse_module("(module (func (nop) x))", "demo.wat")
    assert str(info.value).startswith("demo.wat:1:21: unknown operator x")
