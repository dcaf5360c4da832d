"""Every instruction of the table that the engines support has a handler in each of them, found
the way each engine finds it while compiling (its dispatch table by `Op.index`), so that a
missing one fails here instead of as "not supported" when some program first uses it."""

from __future__ import annotations

import pytest

from wasmkit.engine.base import RUNNABLE_FEATURES
from wasmkit.engine.python import compiler
from wasmkit.opcodes import ALL, Feature, op

SUPPORTED = [instruction for instruction in ALL if instruction.feature in RUNNABLE_FEATURES]


def test_the_instructions_checked_are_all_of_webassembly_2_0_and_relaxed_simd() -> None:
    assert len(SUPPORTED) == 437 + 20
    assert op("i64.rotl") in SUPPORTED and op("v128.load8x8_s") in SUPPORTED
    assert op("call_ref") not in SUPPORTED and op("struct.new") not in SUPPORTED
    assert op("f32x4.relaxed_madd") in SUPPORTED and op("i32x4.relaxed_dot_i8x16_i7x16_add_s") in SUPPORTED


def test_the_python_engine_compiles_every_instruction() -> None:
    assert [instruction.name for instruction in SUPPORTED if not compiler.handles(instruction)] == []


def test_the_native_engine_lowers_every_instruction() -> None:
    pytest.importorskip("llvmlite")
    from wasmkit.engine.native import lower

    assert [instruction.name for instruction in SUPPORTED if not lower.handles(instruction)] == []


def test_the_python_engine_compiles_typed_references_and_gc() -> None:
    """Function references and GC (3.0) run on the Python engine first (return_call_ref
    comes with tail calls)."""
    python_only = [
        instruction for instruction in ALL
        if instruction.feature in (Feature.FUNCTION_REFERENCES, Feature.GC) and instruction.name != "return_call_ref"
    ]  # fmt: skip
    assert len(python_only) == 4 + 32
    assert [instruction.name for instruction in python_only if not compiler.handles(instruction)] == []


def test_the_native_engine_lowers_typed_function_references_tail_calls_and_gc() -> None:
    """call_ref, ref.as_non_null, br_on_null, br_on_non_null, the tail calls and GC run
    natively too."""
    pytest.importorskip("llvmlite")
    from wasmkit.engine.native import lower

    native = [
        instruction for instruction in ALL if instruction.feature in (Feature.FUNCTION_REFERENCES, Feature.TAIL_CALL)
    ]  # fmt: skip
    assert sorted(instruction.name for instruction in native if lower.handles(instruction)) == [
        "br_on_non_null", "br_on_null", "call_ref", "ref.as_non_null",
        "return_call", "return_call_indirect", "return_call_ref",
    ]  # fmt: skip
    gc = [instruction for instruction in ALL if instruction.feature is Feature.GC]
    assert len(gc) == 32
    assert [instruction.name for instruction in gc if not lower.handles(instruction)] == []
