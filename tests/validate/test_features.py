"""`features` on validation: a module that uses a feature left out is refused, whether the rule
is one of the type system's (constant expressions: the reference wording) or an instruction,
type or segment of that feature (saying which feature it needs)."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import ALL_FEATURES, WASM_2_0, Feature, ValidationError

RELAXED = """(module (func (export "f") (param v128 v128 v128) (result v128)
  (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))"""


def test_an_instruction_of_a_feature_left_out_is_refused() -> None:
    wasmkit.Module(RELAXED)
    with pytest.raises(ValidationError) as info:
        wasmkit.Module(RELAXED, features=WASM_2_0)
    assert info.value.message == "f32x4.relaxed_madd needs the relaxed-simd feature, which is not enabled"
    assert info.value.func_index == 0


@pytest.mark.parametrize(
    "feature, text",
    [
        (Feature.SIMD, "(module (func (param v128)))"),
        (Feature.BULK_MEMORY, '(module (memory 1) (data "passive"))'),
        (Feature.SIGN_EXTENSION, "(module (func (param i32) (result i32) (i32.extend8_s (local.get 0))))"),
    ],
)
def test_each_feature_can_be_left_out(feature: Feature, text: str) -> None:
    wasmkit.Module(text, features=ALL_FEATURES)
    with pytest.raises(ValidationError, match=f"needs the {feature.value} feature"):
        wasmkit.Module(text, features=ALL_FEATURES - {feature})


def test_function_indices_in_a_funcref_segment_need_no_reference_types() -> None:
    """The text format gives `(table funcref (elem $f))` as `ref.func` items of a funcref
    segment: the MVP's function indices, valid without reference types (the threads suite, on
    the MVP, has one); a null item is not."""
    mvp = frozenset({Feature.MVP})
    wasmkit.Module("(module (func $f) (table funcref (elem $f $f)))", features=mvp)
    with pytest.raises(ValidationError, match="ref.null needs the reference-types feature"):
        wasmkit.Module("(module (table 1 funcref) (elem (i32.const 0) funcref (ref.null func)))", features=mvp)
