"""The text format's costs grow linearly with its input: each large case runs in a subprocess
under a memory limit and a generous timeout (which the quadratic or memory-hungry code this
replaced overran many times over), so a regression fails the case instead of the machine."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from wasmkit.cli import main
from wasmkit.errors import ParseError, ValidationError
from wasmkit.syntax.module import Func, Module
from wasmkit.syntax.types import FuncType, ValType
from wasmkit.text import parse_module, parse_script, print_module
from wasmkit.text.script import AssertReturn, Either

MiB = 1 << 20


def _run_bounded(code: str, memory: int, timeout: float = 120) -> str:
    """Run Python `code` in a subprocess limited to `memory` bytes of address space; its
    stdout. Fails the test if it does not finish in time or exits with an error."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, preexec_fn=limit,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout} s")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_hostile_text_is_rejected_in_bounded_time_and_memory() -> None:
    out = _run_bounded(
        """
        from wasmkit.errors import ParseError
        from wasmkit.text import parse_module
        hostile = ["(module (; (; ;) " + "x" * 1_000_000, "(" * 1_000_000 + ")" * 1_000_000, "(" * 1_000_000,
                   '(module (data "' + "a" * 1_000_000, "(module (func " + "(i32.const " * 1_000_000]
        for text in hostile:
            try:
                parse_module(text)
            except ParseError as err:
                print(err.message)
        """,
        memory=1024 * MiB,
        timeout=60,
    )
    expected = ["unclosed comment", "unexpected token", "unexpected token", "unclosed string", "unexpected token"]
    assert out.splitlines() == expected


def test_deeply_nested_block_comments_cost_linear_time() -> None:
    # 300,000 levels: 1.7 MB of text. A scan per level took 44 s for a third of this depth.
    out = _run_bounded(
        """
        from wasmkit.text import parse_module
        depth = 300_000
        module = parse_module("(module (; " + "(;" * depth + ";)" * depth + " ;) (func))")
        print(len(module.funcs))
        """,
        memory=1024 * MiB,
        timeout=60,
    )
    assert out.split() == ["1"]


def test_printing_deeply_nested_blocks_is_bounded() -> None:
    # Indentation stops growing (as wasmprinter's does): 100,000 levels once took 21 GB.
    out = _run_bounded(
        """
        from wasmkit.text import parse_module, print_module
        depth = 100_000
        module = parse_module("(module (func " + "(block " * depth + ")" * depth + "))")
        text = print_module(module)
        assert parse_module(text) == module
        print(max(len(line) for line in text.splitlines()))
        """,
        memory=1024 * MiB,
    )
    assert int(out) < 200


def test_a_large_data_segment_prints_in_bounded_memory() -> None:
    out = _run_bounded(
        """
        import os
        from wasmkit.syntax.module import DataSegment, Module, SegmentMode
        from wasmkit.text import print_module
        data = os.urandom(16 << 20)
        text = print_module(Module(datas=(DataSegment(data, SegmentMode.PASSIVE),)))
        print(len(text) > len(data))
        """,
        memory=512 * MiB,
    )
    assert out.split() == ["True"]


def test_a_large_data_segment_parses_in_bounded_memory() -> None:
    # 8 MiB of bytes, written both ways the printer writes them: as escapes, and as themselves.
    out = _run_bounded(
        """
        import os
        from wasmkit.text import parse_module
        data = os.urandom(8 << 20)
        escaped = "\\\\" + data.hex("\\\\")
        module = parse_module('(module (data "' + escaped + '") (data "' + "a" * len(data) + '"))')
        print(module.datas[0].init == data, module.datas[1].init == b"a" * len(data))
        """,
        memory=768 * MiB,
    )
    assert out.split() == ["True", "True"]


def test_a_large_data_segment_survives_print_then_parse() -> None:
    out = _run_bounded(
        """
        import os
        from wasmkit.syntax.module import DataSegment, Module, SegmentMode
        from wasmkit.text import parse_module, print_module
        data = os.urandom(4 << 20) + bytes(range(256)) + "\\u00e9\\\\\\"\\n\\t".encode()
        module = Module(datas=(DataSegment(data, SegmentMode.PASSIVE),))
        print(parse_module(print_module(module)) == module)
        """,
        memory=768 * MiB,
    )
    assert out.split() == ["True"]


def test_a_long_identifier_is_bounded() -> None:
    out = _run_bounded(
        """
        from wasmkit.text import parse_module
        name = "$" + "a" * (8 << 20)
        module = parse_module(f"(module (func {name}) (export \\"f\\" (func {name})))")
        print(module.exports[0].index)
        """,
        memory=512 * MiB,
    )
    assert out.split() == ["0"]


def test_many_functions_of_one_name_print_in_linear_time() -> None:
    # Each repeated name takes the next free suffix, found once, not by counting from 1 again.
    out = _run_bounded(
        """
        from wasmkit.binary.names import encode_names
        from wasmkit.binary.reader import SectionId
        from wasmkit.syntax.module import CustomSection, Func, Module, NameSection
        from wasmkit.syntax.types import FuncType
        count = 40_000
        names = NameSection(funcs={i: "f" for i in range(count)})
        module = Module(types=(FuncType(),), funcs=(Func(0, (), b"\\x0b"),) * count,
                        customs=(CustomSection("name", encode_names(names), after=SectionId.DATA),))
        from wasmkit.text import print_module
        text = print_module(module)
        print(f"$f.{count - 1} " in text)
        """,
        memory=1024 * MiB,
        timeout=60,
    )
    assert out.split() == ["True"]


@pytest.mark.parametrize("digits", [4_301, 100_000])
def test_a_decimal_literal_of_thousands_of_digits_is_out_of_range(digits: int) -> None:
    literal = "1" * digits
    for const in ("i32.const", "i64.const", "f32.const", "f64.const"):
        with pytest.raises(ParseError) as info:
            parse_module(f"(module (func (drop ({const} {literal}))))")
        assert info.value.message == "constant out of range"
    for field in ("(memory {})", "(func (drop (i32.load offset={} (i32.const 0))))", "(func (br {}))"):
        with pytest.raises(ParseError) as info:
            parse_module("(module (memory 1) " + field.format(literal) + ")")
        assert "out of range" in info.value.message
    with pytest.raises(ParseError) as info:
        parse_script(f'(assert_return (invoke "f" (i64.const {literal})))')
    assert info.value.message == "constant out of range"


@pytest.mark.parametrize(
    "literal, bits",
    [
        ("0." + "0" * 5000 + "1e5001", 0x3FF0000000000000),  # 1.0, written with 5,000 zeros
        ("0" * 5000 + "1.5", 0x3FF8000000000000),
        ("1" + "0" * 5000 + "e-5000", 0x3FF0000000000000),
        ("1e-" + "9" * 5000, 0),
        ("0x1" + "0" * 5000 + "p-20000", 0x3FF0000000000000),
        # Just above the halfway point between 1 and the next f64, by a digit 5,000 places on.
        ("1.00000000000000011102230246251565404236316680908203125" + "0" * 5000 + "1", 0x3FF0000000000001),
        ("1.00000000000000011102230246251565404236316680908203125" + "0" * 5000, 0x3FF0000000000000),
    ],
)
def test_float_literals_of_thousands_of_digits_round_correctly(literal: str, bits: int) -> None:
    module = parse_module(f"(module (func (drop (f64.const {literal}))))")
    assert module.funcs[0].body == b"\x44" + bits.to_bytes(8, "little") + b"\x1a\x0b"


def test_a_huge_literal_is_a_parse_error_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "big.wat"
    source.write_text("(module (func (drop (i64.const " + "9" * 10_000 + "))))")
    assert main(["wat2wasm", str(source), "-o", str(tmp_path / "big.wasm")]) == 1
    err = capsys.readouterr().err
    assert "constant out of range" in err and "Traceback" not in err and "ValueError" not in err


def test_deeply_nested_either_results_are_flattened_without_recursion() -> None:
    depth = 20_000
    script = '(assert_return (invoke "f") ' + "(either (i32.const 1) " * depth + "(i32.const 2)" + ")" * depth + ")"
    [command] = parse_script(script)
    assert isinstance(command, AssertReturn)
    [either] = command.results
    assert isinstance(either, Either) and len(either.options) == depth + 1


def test_a_quote_holds_a_text_module_only() -> None:
    # As in the reference grammar and wasmtime: no binary or quoted module inside a quote, so
    # quotes never nest (each level would cost recursion and another pass over its text).
    inner = '(module quote "(func)")'
    assert len(parse_module(inner).funcs) == 1
    for nested in (inner, '(module binary "\\00asm\\01\\00\\00\\00")'):
        quoted = nested.replace("\\", "\\5c").replace('"', "\\22")
        with pytest.raises(ParseError) as info:
            parse_module(f'(module quote "{quoted}")')
        assert info.value.message == "unexpected token"


def test_a_function_with_too_many_locals_is_refused_by_the_printer() -> None:
    # A few bytes of binary may declare 2**32 - 1 locals; printed, each would be a word.
    module = Module(types=(FuncType(),), funcs=(Func(0, ((0xFFFF_FFFF, ValType.I32),), b"\x0b"),))
    with pytest.raises(ValidationError) as info:
        print_module(module)
    assert info.value.message.startswith("too many locals")


def test_many_imports_and_inline_types_parse_in_linear_time() -> None:
    # A definition's index and an inline type's index are looked up, not counted or searched:
    # 20,000 of each once took minutes.
    out = _run_bounded(
        """
        from wasmkit.text import parse_module
        count = 20_000
        kinds = ("i32", "i64", "f32", "f64")
        def signature(i):
            params = []
            while i:
                i, digit = divmod(i, 4)
                params.append(kinds[digit])
            return "(param " + " ".join(params) + ")" if params else ""
        text = ("(module" + '(import "m" "f" (func))' * count
                + "".join(f"(func {signature(i)})" for i in range(count)) + ")")
        module = parse_module(text)
        print(len(module.types), module.funcs[-1].type_index)
        """,
        memory=1024 * MiB,
        timeout=60,
    )
    assert out.split() == ["20000", "19999"]


def test_branches_to_a_named_label_far_out_cost_linear_time() -> None:
    # A named label is looked up, not searched for along the label stack.
    out = _run_bounded(
        """
        from wasmkit.binary.leb128 import write_unsigned
        from wasmkit.text import parse_module
        depth = 30_000
        text = "(module (func (block $out " + "(block " * depth + "(br $out) " * depth + ")" * depth + ")))"
        body = parse_module(text).funcs[0].body
        print(body.count(b"\\x0c" + write_unsigned(depth)) == depth)
        """,
        memory=1024 * MiB,
        timeout=60,
    )
    assert out.split() == ["True"]


def test_a_numeric_literal_of_millions_of_digits_is_bounded() -> None:
    out = _run_bounded(
        """
        from wasmkit.errors import ParseError
        from wasmkit.text import parse_module
        digits = "1_2" * (2 << 20)
        for const in ("i64.const", "f64.const"):
            try:
                parse_module(f"(module (func (drop ({const} {digits}))))")
            except ParseError as err:
                print(err.message)
        """,
        memory=512 * MiB,
    )
    assert out.splitlines() == ["constant out of range"] * 2
