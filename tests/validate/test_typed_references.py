"""Typed function references (WebAssembly 3.0): `(ref null? ht)` value types in every
format, subtyping in the validator, the rules for locals without a default, and the
instructions on them running on the Python engine."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit.binary import read_module, write_module
from wasmkit.errors import Trap, ValidationError
from wasmkit.opcodes import WASM_2_0
from wasmkit.syntax.types import REF_FUNC, HeapType, RefType, ValType, ref_type
from wasmkit.text import parse_module, print_module
from wasmkit.validate import validate

TYPED = """
(module
  (type $i2i (func (param i32) (result i32)))
  (type $apply (func (param (ref $i2i) i32) (result i32)))
  (elem declare func $double)
  (func $double (type $i2i) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "apply") (param $f (ref null $i2i)) (param $x i32) (result i32)
    (call_ref $i2i (local.get $x) (local.get $f)))
  (func (export "twice") (param i32) (result i32)
    (local $f (ref $i2i))
    (local.set $f (ref.func $double))
    (call_ref $i2i (call_ref $i2i (local.get 0) (local.get $f)) (local.get $f)))
  (func (export "is_null") (param funcref) (result i32)
    (block $null (result)
      (br_on_null $null (local.get 0))
      (drop)
      (return (i32.const 0)))
    (i32.const 1))
)
"""


def test_one_representation_per_reference_type() -> None:
    assert ref_type(True, HeapType.FUNC) is ValType.FUNCREF
    assert ref_type(True, HeapType.ANY) is ValType.ANYREF
    assert ref_type(False, HeapType.FUNC) == REF_FUNC == RefType(False, HeapType.FUNC)
    assert ref_type(True, 3) == RefType(True, 3)
    assert RefType(True, 3).text == "(ref null 3)" and REF_FUNC.text == "(ref func)"
    assert not REF_FUNC.defaultable and ValType.FUNCREF.defaultable


def test_typed_references_round_trip_through_binary_and_text() -> None:
    module = parse_module(TYPED)
    assert module.types[1].params[0] == RefType(False, 0)
    binary = write_module(module)
    assert read_module(binary) == module
    assert write_module(parse_module(print_module(module))) == binary


def test_typed_references_run_on_the_python_engine() -> None:
    instance = wasmkit.Instance(wasmkit.Module(TYPED), store=wasmkit.Store("python"))
    assert instance.exports.twice(5) == 20
    assert instance.exports.is_null(None) == 1
    with pytest.raises(Trap, match="null function reference"):
        instance.exports.apply(None, 1)


def test_a_local_without_a_default_must_be_set_before_it_is_read() -> None:
    module = parse_module("(module (type $t (func)) (func (local (ref $t)) (drop (local.get 0))))")
    with pytest.raises(ValidationError, match="uninitialized local"):
        validate(module)


def test_a_local_set_in_a_block_is_unset_after_it() -> None:
    module = parse_module(
        """(module (type $t (func)) (elem declare func 0)
        (func (local (ref $t)) (block (local.set 0 (ref.func 0))) (drop (local.get 0))))"""
    )
    with pytest.raises(ValidationError, match="uninitialized local"):
        validate(module)


def test_a_subtype_stands_where_its_supertype_is_expected() -> None:
    """`ref.func` gives `(ref $t)`, which passes where a funcref is expected; not the
    other way round."""
    validate(parse_module("(module (elem declare func 0) (func (result funcref) (ref.func 0)))"))
    with pytest.raises(ValidationError, match="type mismatch"):
        validate(parse_module("(module (type $t (func)) (func (param funcref) (result (ref null $t)) (local.get 0)))"))


def test_equivalent_types_are_the_same_type() -> None:
    """Two definitions with the same structure are one type: a function of either passes."""
    validate(
        parse_module(
            """(module (type $a (func (param i32))) (type $b (func (param i32)))
            (elem declare func 0) (func (type $a)) (func (result (ref $b)) (ref.func 0)))"""
        )
    )


def test_a_type_index_after_its_use_is_unknown() -> None:
    with pytest.raises(ValidationError, match="unknown type 1"):
        validate(parse_module("(module (type (func (param (ref 1)))) (type (func)))"))


def test_typed_references_need_the_feature() -> None:
    with pytest.raises(ValidationError, match="function-references"):
        validate(parse_module(TYPED), features=WASM_2_0)
