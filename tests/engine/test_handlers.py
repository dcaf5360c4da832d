"""Every instruction of the table that the engines support has a handler in each of them, found
the way each engine finds it while compiling (its dispatch table by `Op.index`), so that a
missing one fails here instead of as "not supported" when some program first uses it."""

from __future__ import annotations

import pytest

from wasmkit.engine.base import RUNNABLE_FEATURES
from wasmkit.engine.python import compiler
from wasmkit.opcodes import ALL, op

SUPPORTED = [instruction for instruction in ALL if instruction.feature in RUNNABLE_FEATURES]


def test_the_instructions_checked_are_all_of_webassembly_2_0_relaxed_simd_and_ref_eq() -> None:
    assert len(SUPPORTED) == 437 + 20 + 1
    assert op("i64.rotl") in SUPPORTED and op("v128.load8x8_s") in SUPPORTED
    assert op("ref.eq") in SUPPORTED and op("call_ref") not in SUPPORTED
    assert op("f32x4.relaxed_madd") in SUPPORTED and op("i32x4.relaxed_dot_i8x16_i7x16_add_s") in SUPPORTED


def test_the_python_engine_compiles_every_instruction() -> None:
    assert [instruction.name for instruction in SUPPORTED if not compiler.handles(instruction)] == []


def test_the_native_engine_lowers_every_instruction() -> None:
    pytest.importorskip("llvmlite")
    from wasmkit.engine.native import lower

    assert [instruction.name for instruction in SUPPORTED if not lower.handles(instruction)] == []


def test_the_python_engine_compiles_the_typed_reference_instructions() -> None:
    """Function references (3.0) run on the Python engine first (return_call_ref comes with
    tail calls)."""
    typed = [op(name) for name in ("call_ref", "ref.as_non_null", "br_on_null", "br_on_non_null")]
    assert [instruction.name for instruction in typed if not compiler.handles(instruction)] == []
