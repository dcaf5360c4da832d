"""Annotations in the text format: the lexer checks them as the spec does, and the ones wasmkit
knows (@custom, @name, @metadata.code.branch_hint) become custom sections."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support import tool
from wasmkit.binary import read_module
from wasmkit.binary.names import read_names
from wasmkit.binary.reader import read_module_layout
from wasmkit.binary.writer import write_module
from wasmkit.cli import main
from wasmkit.errors import ParseError
from wasmkit.syntax.module import CustomSection, Func, Module
from wasmkit.syntax.types import FuncType
from wasmkit.text import parse_module, print_module
from wasmkit.text.annotations import AnnotationError


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


# -- custom sections from annotations --


def _sections(module: Module) -> list[tuple[int, str]]:
    """The module's sections as written: (id, name) with the name of each custom section."""
    return [(span.id, span.name) for span in read_module_layout(write_module(module))[1]]


def test_custom_annotations_are_placed_where_they_say() -> None:
    module = parse_module(
        '(module (@custom "a" (before global) "x") (@custom "b" (after func) "y" "z") (@custom "c" "w")'
        ' (@custom "d" (before first)) (type (func)) (func) (global i32 (i32.const 0)))'
    )
    assert _sections(module) == [
        (0, "d"), (1, ""), (3, ""), (0, "b"), (0, "a"), (6, ""), (10, ""), (0, "c"),
    ]  # fmt: skip
    assert module.custom("b")[0].data == b"yz"


def test_a_custom_section_placed_by_a_missing_section_keeps_its_slot() -> None:
    module = parse_module('(module (@custom "m" (after memory)) (@custom "t" (before table)) (func))')
    assert _sections(module) == [(1, ""), (3, ""), (0, "t"), (0, "m"), (10, "")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(@custom)", "@custom annotation: missing section name"),
        ('(@custom "\\df")', "@custom annotation: malformed UTF-8 encoding"),
        ('(@custom "a" here)', "@custom annotation: unexpected token"),
        ('(@custom "a" (after))', "@custom annotation: malformed section kind"),
        ('(@custom "a" (aft type))', "@custom annotation: malformed placement"),
        ('(@custom "a" (after type x))', "@custom annotation: unexpected token"),
        ('(func (block (@custom "a")))', "misplaced @custom annotation"),
        ('(module (@name "A") (@name "B"))', "@name annotation: multiple module names"),
        ('(module (func) (@name "A"))', "misplaced @name annotation"),
        ('(module (func (@name 1)))', "@name annotation: string expected"),
        ('(module (func (nop) (@name "f")))', "misplaced @name annotation"),
        ('(module (@metadata.code.branch_hint "\\00") (func))', "@metadata.code.branch_hint annotation: not in a function"),
        ('(func (@metadata.code.branch_hint "\\02") (if (i32.const 0) (then)))', "@metadata.code.branch_hint annotation: invalid hint value"),
        ('(func (nop) (@metadata.code.branch_hint "\\00"))', "@metadata.code.branch_hint annotation: invalid placement"),
    ],
)
def test_a_malformed_known_annotation_is_an_annotation_error(text: str, message: str) -> None:
    with pytest.raises(AnnotationError) as info:
        parse_module(text)
    assert info.value.message == message


def test_a_module_error_comes_before_an_annotation_error() -> None:
    with pytest.raises(ParseError) as info:
        parse_module('(module (@custom) (func (bogus)))')
    assert not isinstance(info.value, AnnotationError)


def test_name_annotations_give_the_name_section_and_win_over_ids() -> None:
    module = parse_module(
        '(module $m (@name "Modül") (import "a" "b" (func (@name "I")))'
        ' (func $f (@name "λ") (param $p (@name "P") i32) (local $l i32)) (global $g (@name "G") i32 (i32.const 0)))',
        debug_names=True,
    )
    names = read_names(module)
    assert names.module == "Modül"
    assert names.funcs == {0: "I", 1: "λ"}
    assert names.locals == {1: {0: "P", 1: "l"}}
    assert names.globals == {0: "G"}
    plain = parse_module('(module (func $f (@name "F")))')  # no debug names: only what @name gives
    assert read_names(plain).funcs == {0: "F"}
    assert parse_module("(module (func $f))").customs == ()


# A function's branch hints: one on a flat `if`, one on a folded `if` (emitted after its
# condition), one on a `br_if` inside it; and a function that declares locals, which the
# offsets count.
_HINTED = """(module
  (func $dummy)
  (func (param i32) (result i32)
    (local i32 i64)
    local.get 0
    (@metadata.code.branch_hint "\\01") if
      call $dummy
    end
    (@metadata.code.branch_hint "\\00")
    (if (result i32) (local.get 0)
      (then (block (@metadata.code.branch_hint "\\01") (br_if 0 (local.get 0))) (i32.const 1))
      (else (i32.const 2))))
  (data "x")
  (@custom "after" "z"))"""


def test_branch_hints_become_the_branch_hint_section_before_the_code() -> None:
    module = parse_module(_HINTED)
    assert _sections(module) == [(1, ""), (3, ""), (0, "metadata.code.branch_hint"), (10, ""), (11, ""), (0, "after")]
    # function 1: three hints; locals take 5 bytes (2, 1 i32, 1 i64), so offsets count from there
    assert module.custom("metadata.code.branch_hint")[0].data == bytes(
        [1, 1, 3, 5 + 2, 1, 1, 5 + 9, 1, 0, 5 + 15, 1, 1]
    )
    assert module.funcs[1].body[2] == 0x04 and module.funcs[1].body[9] == 0x04 and module.funcs[1].body[15] == 0x0D


def test_custom_sections_match_wasm_tools(tmp_path: Path) -> None:
    """The custom sections (all but the name section, which wasm-tools always writes) come out
    as wasm-tools parse writes them, in the same places."""
    text = _HINTED.replace('(@custom "after" "z")', '(@custom "x" (before data) "1") (@custom "y" (after type) "2")')
    out = tmp_path / "theirs.wasm"
    subprocess.run([tool("wasm-tools"), "parse", "-", "-o", str(out)], input=text.encode(), timeout=60, check=True)
    theirs = read_module(out.read_bytes())
    ours = read_module(write_module(parse_module(text)))

    def without_names(module: Module) -> Module:
        return replace(module, customs=tuple(c for c in module.customs if c.name != "name"))

    assert without_names(ours) == without_names(theirs)
    assert [c.name for c in without_names(ours).customs] == ["y", "metadata.code.branch_hint", "x"]


# (The 3.0 testsuite's annotation files run with the rest of it: tests/spec/test_execution.py.)


# -- printing custom sections back --


def test_printed_custom_sections_and_branch_hints_parse_back_to_the_same_bytes() -> None:
    text = _HINTED.replace('(@custom "after" "z")', '(@custom "x" (before first) "1") (@custom "y" (after type) "2")')
    binary = write_module(parse_module(text))
    printed = print_module(read_module(binary))
    assert '(@custom "y" (after type) "2")' in printed and '(@custom "x" (before first) "1")' in printed
    assert printed.count("(@metadata.code.branch_hint") == 3 and "(@custom \"metadata" not in printed
    assert write_module(parse_module(printed)) == binary


def test_a_branch_hint_section_that_lands_on_no_instruction_prints_as_custom() -> None:
    hints = b"\x01\x00\x01\x07\x01\x01"  # function 0, offset 7: past its body
    module = Module(
        types=(FuncType(),),
        funcs=(Func(0, (), b"\x0b"),),
        customs=(CustomSection("metadata.code.branch_hint", hints, after=3),),
    )
    printed = print_module(module)
    assert '(@custom "metadata.code.branch_hint" (after func) "\\01\\00\\01\\07\\01\\01")' in printed
    assert parse_module(printed) == module


def test_wat2wasm_and_wasm2wat_carry_custom_sections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m.wat"
    source.write_text('(module (@custom "x" (after func) "1") (func))', encoding="utf-8")
    binary = tmp_path / "m.wasm"
    assert main(["wat2wasm", str(source), "-o", str(binary)]) == 0
    assert read_module(binary.read_bytes()).customs == (CustomSection("x", b"1", after=3),)
    assert main(["wasm2wat", str(binary)]) == 0
    assert '(@custom "x" (after func) "1")' in capsys.readouterr().out
