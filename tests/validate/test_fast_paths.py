"""The body checker's fast paths (local.set and local.tee, br_if, call, empty blocks and loops,
plain loads and stores) take only the cases where the stack holds exactly what they pop; every
other case must get the full rule's verdict and message, as here."""

from __future__ import annotations

import pytest

import wasmkit

VALID = [
    # Subtypes on the stack: the rules accept what the exact-match fast paths pass on.
    "(func (param (ref func)) (local funcref) (local.set 1 (local.get 0)))",
    "(func (param (ref func)) (result funcref) (local funcref) (local.tee 1 (local.get 0)))",
    "(func $f (param funcref)) (func (param (ref func)) (call $f (local.get 0)))",
    # Unreachable code: operands come from the polymorphic stack.
    "(func (local i32) unreachable local.set 0)",
    "(func unreachable br_if 0)",
    "(func $f (param i32 i64)) (func unreachable call $f)",
    "(memory 1) (func unreachable i32.load drop)",
    # A branch that carries values, and one to a loop (its parameters).
    "(func (result i32) i32.const 1 i32.const 0 br_if 0)",
    "(func (loop (param) i32.const 0 br_if 0))",
    # A non-defaultable local set in a block is unset again after it.
    "(func (param (ref func)) (local (ref func)) (local.set 1 (local.get 0)) (local.get 1) drop)",
    # Memories the fast path leaves to the rule: a 64-bit one, a second one, a large offset.
    "(memory i64 1) (func (drop (i32.load (i64.const 0))))",
    "(memory 1) (memory 1) (func (drop (i32.load 1 (i32.const 0))))",
    "(memory 1) (func (drop (i32.load offset=4294967295 (i32.const 0))))",
]

INVALID = [
    ("(func (local i32) (local.set 0 (i64.const 0)))", "type mismatch"),
    ("(func (local.set 3 (i32.const 0)))", "unknown local 3"),
    ("(func (local i32) (drop (local.tee 0 (f32.const 0))))", "type mismatch"),
    ("(func (br_if 0 (i64.const 0)))", "type mismatch"),
    ("(func (br_if 1 (i32.const 0)))", "unknown label 1"),
    ("(func $f (param i32)) (func (call $f (i64.const 0)))", "type mismatch"),
    ("(func (call 7))", "unknown function 7"),
    ("(func (param (ref func)) (local (ref func)) (block (local.set 1 (local.get 0))) (local.get 1) drop)", "uninitialized local"),
    ("(func (drop (i32.load (i32.const 0))))", "unknown memory 0"),
    ("(memory 1) (func (drop (i32.load align=8 (i32.const 0))))", "alignment must not be larger than natural"),
    ("(memory 1) (func (drop (i32.load (i64.const 0))))", "type mismatch"),
    ("(memory 1) (func (block (i32.const 0)))", "type mismatch"),
]


@pytest.mark.parametrize("fields", VALID)
def test_valid(fields: str) -> None:
    wasmkit.validate(wasmkit.parse_wat(f"(module {fields})"))


@pytest.mark.parametrize(("fields", "message"), INVALID)
def test_invalid(fields: str, message: str) -> None:
    with pytest.raises(wasmkit.ValidationError) as caught:
        wasmkit.validate(wasmkit.parse_wat(f"(module {fields})"))
    assert caught.value.message.startswith(message), caught.value.message
