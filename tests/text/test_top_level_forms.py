"""A module text holds one module, made of forms: an error in what follows it, or in a text
that is no WAT at all, points at the first thing that is not part of the module."""

from __future__ import annotations

import pytest

from tests.support import PROJECT_ROOT
from wasmkit import ParseError, parse_wat


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("(module (func))(module)", 1, 16),
        ('(module (func))\n(assert_return (invoke "f"))', 2, 1),
        ("(module)\n  (module $second (func))", 2, 3),
    ],
)
def test_a_second_top_level_form_is_where_the_error_is(text: str, line: int, column: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_wat(text)
    err = caught.value
    assert err.message.startswith("unexpected token") and "one (module ...) form" in err.message
    assert (err.line, err.column) == (line, column)


def test_an_error_inside_the_first_module_still_comes_first() -> None:
    with pytest.raises(ParseError, match="unknown operator bogus"):
        parse_wat("(module (func bogus))(module)")


def test_a_c_file_fails_at_its_first_word() -> None:
    with pytest.raises(ParseError) as caught:
        parse_wat((PROJECT_ROOT / "examples" / "hello.c").read_text())
    assert (caught.value.message, caught.value.line, caught.value.column) == ("unexpected token", 1, 1)


@pytest.mark.parametrize(("text", "column"), [("(module) extra", 10), ("(func) extra", 8)])
def test_a_word_outside_any_form_is_unexpected(text: str, column: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_wat(text)
    assert (caught.value.message, caught.value.column) == ("unexpected token", column)
