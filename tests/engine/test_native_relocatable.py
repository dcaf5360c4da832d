"""Merging the object files of a module's pieces into one (the working set's object file):
what the pieces define is defined once, in one file the execution engine links; what is not
an object file of that kind is refused, so that the pieces are linked one by one instead."""

from __future__ import annotations

import pytest

import wasmkit

pytest.importorskip("llvmlite")

from wasmkit.engine.native import codegen  # noqa: E402
from wasmkit.engine.native.layout import Variant  # noqa: E402
from wasmkit.engine.native.lower import addresses_symbol  # noqa: E402
from wasmkit.engine.native.relocatable import merge_objects  # noqa: E402

MODULE = """
(module
  (func $a (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $b (param f64) (result f64) (f64.mul (local.get 0) (f64.const 2.5)))
  (func $c (param i64) (result i64) (i64.rotl (local.get 0) (i64.const 7)))
)
"""


@pytest.fixture(scope="module")
def pieces() -> dict[int, bytes]:
    valid = wasmkit.Module(MODULE).valid
    return {k: codegen.compile_piece(valid, frozenset(), Variant.PLAIN, codegen.FAST, range(k, k + 1), False).object_file for k in range(3)}


def linked_addresses(object_file: bytes) -> list[int]:
    engine = codegen.load_objects([object_file])
    return [engine.get_global_value_address(addresses_symbol(range(k, k + 1))) for k in range(3)]


def test_merged_pieces_link_as_one_object_file_defining_each_piece(pieces: dict[int, bytes]) -> None:
    merged = merge_objects(list(pieces.values()))
    assert merged is not None
    addresses = linked_addresses(merged)
    assert all(addresses) and len(set(addresses)) == 3


def test_a_merged_file_merges_again_as_its_pieces_did(pieces: dict[int, bytes]) -> None:
    first_two = merge_objects([pieces[0], pieces[1]])
    assert first_two is not None
    again = merge_objects([first_two, pieces[2]])
    at_once = merge_objects(list(pieces.values()))
    assert again is not None and at_once is not None
    assert len(again) == len(at_once)
    assert all(linked_addresses(again))


def test_what_cannot_be_merged_is_refused(pieces: dict[int, bytes]) -> None:
    assert merge_objects([]) is None
    assert merge_objects([b"not an object file"]) is None
    assert merge_objects([pieces[0][:100]]) is None  # cut short
    assert merge_objects([pieces[0], pieces[0]]) is None  # the same function defined twice
