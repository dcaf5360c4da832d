"""A type mismatch at the end of a block shows the block's whole part of the stack, as the
reference interpreter does, not what was left after the expected results were taken off."""

from __future__ import annotations

import pytest

import wasmkit


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("i32.const 1 i32.const 2", "block requires [i32] but stack has [i32 i32]"),
        ("i64.const 1", "block requires [i32] but stack has [i64]"),
        ("", "block requires [i32] but stack has []"),
        ("f32.const 0 i32.const 1 i32.const 2", "block requires [i32] but stack has [f32 i32 i32]"),
    ],
)
def test_a_block_mismatch_shows_the_whole_stack(body: str, message: str) -> None:
    with pytest.raises(wasmkit.ValidationError, match=r"type mismatch: " + message.replace("[", r"\[").replace("]", r"\]")):
        wasmkit.validate(wasmkit.parse_wat(f"(module (func (result i32) {body}))"))
