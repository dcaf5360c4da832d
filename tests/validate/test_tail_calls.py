"""Tail calls (WebAssembly 3.0) in the formats and the validator: `return_call` and
`return_call_indirect` are read, written, parsed, printed and validated. The Python engine runs
them (tests/engine/test_python_tail_calls.py), and so does the native engine
(tests/engine/test_native_tail_calls.py); validation notes which modules make them."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import WASM_2_0, ValidationError

TAIL_CALLS = """(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (func $f (param i32) (result i32) (local.get 0))
  (func (export "g") (param i32) (result i32) (return_call $f (local.get 0)))
  (func (export "h") (param i32) (result i32) (return_call_indirect (type $t) (local.get 0) (i32.const 0))))"""


def test_they_round_trip_through_binary_and_text() -> None:
    binary = wasmkit.write_module(wasmkit.parse_wat(TAIL_CALLS))
    assert b"\x12\x00" in binary and b"\x13\x00\x00" in binary  # return_call 0; return_call_indirect 0 0
    printed = wasmkit.print_wat(wasmkit.read_module(binary))
    assert "return_call 0" in printed and "return_call_indirect (type 0)" in printed
    assert wasmkit.write_module(wasmkit.parse_wat(printed)) == binary


@pytest.mark.parametrize(
    "body, message",
    [
        ("(return_call $i64)", "type mismatch"),  # the callee's results are not the caller's
        ("(return_call $f)", "type mismatch"),  # its parameter is missing
        ("(return_call 9)", "unknown function"),
    ],
)
def test_their_typing(body: str, message: str) -> None:
    text = f"""(module (type $t (func (param i32) (result i32))) (table 1 funcref)
      (func $f (param i32) (result i32) (local.get 0)) (func $i64 (result i64) (i64.const 0))
      (func (result i32) {body}))"""
    with pytest.raises(ValidationError) as info:
        wasmkit.Module(text)
    assert info.value.message.startswith(message)


def test_what_follows_a_tail_call_is_dead_code() -> None:
    wasmkit.Module("""(module (type $t (func (param i32) (result i32))) (table 1 funcref)
      (func (param i32) (result i32)
        (return_call_indirect (type $t) (local.get 0) (i32.const 0)) (f64.const 1) (drop) (i32.const 2)))""")


def test_webassembly_2_0_refuses_them() -> None:
    with pytest.raises(ValidationError, match="return_call needs the tail-call feature"):
        wasmkit.Module(TAIL_CALLS, features=WASM_2_0)


def test_validation_notes_whether_a_module_makes_them() -> None:
    """The native engine gives every function of such a module a calling convention for them."""
    assert wasmkit.Module(TAIL_CALLS).valid.tail_calls
    assert not wasmkit.Module('(module (func (export "f") (param i32) (result i32) (call 0 (local.get 0))))').valid.tail_calls
    dead = "(module (func (result i32) (unreachable) (return_call 0)))"  # even in dead code: as the validator reads it
    assert wasmkit.Module(dead).valid.tail_calls
