"""Exception handling in the formats and the validator: tags (section, imports, exports,
names), throw, try_table and the legacy try/catch/delegate/rethrow read, write, parse and print
back to the same bytes; the validator's errors are the reference interpreter's."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import WASM_2_0, DecodeError, ValidationError
from wasmkit.binary import read_module, write_module
from wasmkit.cli import main
from wasmkit.text import parse_module

MODULE = """(module
  (import "m" "t" (tag $imported (param i64)))
  (tag $e (export "e") (param i32))
  (tag $empty)
  (func $f (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (catch_all 1)
        (throw $e (local.get 0)))))
  (func $legacy (result i32)
    try (result i32)
      i32.const 1
      throw $e
    catch $e
    catch_all
      try
        throw $empty
      catch_all
        rethrow 1
      end
      i32.const 2
    end)
  (func $delegate
    (block $b (try (do (try (do (throw $empty)) (delegate $b))) (catch_all)))))
"""


def test_round_trip_through_binary_and_text() -> None:
    binary = write_module(parse_module(MODULE))
    module = read_module(binary)
    assert len(module.tags) == 2 and module.imports[0].kind == wasmkit.syntax.types.ExternKind.TAG
    printed = wasmkit.print_wat(module)
    assert "try_table (result i32) (catch 1 0) (catch_all 1)" in printed
    assert "delegate 1" in printed and "rethrow 1" in printed and "(tag (;1;) (type 1))" in printed
    assert write_module(parse_module(printed)) == binary


def test_tag_names_survive_the_name_section() -> None:
    module = parse_module(MODULE, debug_names=True)
    assert "(tag $e (;1;)" in wasmkit.print_wat(read_module(write_module(module)))


def test_objdump_shows_the_tag_section(tmp_path, capsys) -> None:
    path = tmp_path / "eh.wasm"
    path.write_bytes(write_module(parse_module(MODULE)))
    assert main(["objdump", "-x", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Tag[2]:\n - tag[1] sig=" in out and " - tag[0] sig=0 <m.t> <- m.t" in out  # named as wabt names them


@pytest.mark.parametrize(
    "text, message",
    [
        ("(func (throw 0))", "unknown tag 0"),
        ("(tag (param i32)) (func (throw 0))", "type mismatch: instruction requires [i32] but stack has []"),
        ("(tag (result i32))", "non-empty tag result type"),
        ("(tag (param i64)) (func (result i32) (block (result i32) (try_table (catch 0 0)) (unreachable)))", "type mismatch"),
        ("(func (try_table (catch_all 1)) (unreachable))", "unknown label 1"),
        ("(func (try (do) (catch_all (rethrow 1))))", "invalid rethrow label"),
        ("(func (block (rethrow 0)))", "invalid rethrow label"),
        ("(func (result i32) (try (result i32) (do)))", "type mismatch: instruction requires [i32] but stack has []"),
        ("(tag) (func (try_table (catch_ref 0 0)))", "type mismatch: catch handler carries [(ref exn)] but its label expects []"),
        ("(func (result exnref) (block (result exnref) (try_table (catch_all_ref 0))) (unreachable))", "type mismatch"),
        ("(func (throw_ref (ref.null extern)))", "type mismatch"),
    ],
)
def test_validation_errors(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        wasmkit.Module(f"(module {text})")
    assert info.value.message.startswith(message)


def test_webassembly_2_0_refuses_them() -> None:
    with pytest.raises(ValidationError, match="a tag needs the exceptions feature"):
        wasmkit.Module("(module (tag))", features=WASM_2_0)
    with pytest.raises(ValidationError, match="try_table needs the exceptions feature"):
        wasmkit.Module("(module (func (try_table)))", features=WASM_2_0)
    # Decoding with 2.0's encodings: a tag import kind is malformed, as 2.0's binary.wast says.
    tag_import = b"\0asm\1\0\0\0" + bytes.fromhex("01 04 01 60 00 00") + bytes.fromhex("02 06 01 00 00 04 00 00")
    assert read_module(tag_import).imports[0].desc == wasmkit.syntax.types.TagType(0)
    with pytest.raises(DecodeError, match="malformed import kind"):
        read_module(tag_import, WASM_2_0)
    throws = write_module(parse_module("(module (tag) (func (throw 0)))"))
    with pytest.raises(DecodeError, match="malformed section id"):
        read_module(throws, WASM_2_0)
    body = bytes.fromhex("00 08 00 0b")  # throw 0, in a module without a tag section
    code = bytes((1, len(body))) + body
    binary = b"\0asm\1\0\0\0" + bytes.fromhex("01 04 01 60 00 00 03 02 01 00") + bytes((10, len(code))) + code
    with pytest.raises(DecodeError, match="illegal opcode 08"):
        read_module(binary, WASM_2_0)


@pytest.mark.parametrize(
    "text",
    ["(func (catch_all))", "(tag $e) (func (catch $e))", "(func (try (do) (catch_all) (catch_all)))", "(func try catch_all catch_all end)"],
)
def test_misplaced_handlers_are_malformed(text: str) -> None:
    with pytest.raises(wasmkit.ParseError, match="unexpected token"):
        parse_module(f"(module {text})")


def test_a_malformed_catch_clause() -> None:
    body = bytes.fromhex("00 1f 40 01 04 00 0b 0b")  # no locals; try_table with one clause of kind 4
    code = bytes((1, len(body))) + body
    binary = b"\0asm\1\0\0\0" + bytes.fromhex("01 04 01 60 00 00 03 02 01 00") + bytes((10, len(code))) + code
    with pytest.raises(DecodeError, match="malformed catch clause"):
        read_module(binary)
