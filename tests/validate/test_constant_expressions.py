"""Constant expressions as WebAssembly 3.0 has them: arithmetic (extended-const) and reading
the module's own earlier immutable globals (the GC proposal's rule); and as 2.0 had them, for
those who ask for 2.0 (`features=WASM_2_0`)."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import WASM_2_0, Feature, ValidationError
from wasmkit.cli import main

EXTENDED = """
(module
  (import "env" "base" (global $base i32))
  (global $a i32 (i32.add (global.get $base) (i32.const 42)))
  (global $b i64 (i64.sub (i64.mul (i64.const 20) (i64.const 2)) (i64.const -5)))
  (global $c i32 (i32.mul (global.get $a) (i32.const 2)))
  (global $wrap i32 (i32.add (i32.const 0x7fffffff) (i32.const 1)))
  (memory 1)
  (data (i32.add (global.get $a) (i32.const 1)) "x")
  (func (export "a") (result i32) (global.get $a))
  (func (export "b") (result i64) (global.get $b))
  (func (export "c") (result i32) (global.get $c))
  (func (export "wrap") (result i32) (global.get $wrap))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
"""


@pytest.mark.parametrize("engine", ["python", "native"])
def test_extended_constant_expressions_are_evaluated(engine: str) -> None:
    base = wasmkit.Global(wasmkit.GlobalType(wasmkit.ValType.I32, False), 100)
    exports = wasmkit.Instance(wasmkit.Module(EXTENDED), [base], store=wasmkit.Store(engine)).exports
    assert exports.a() == 142
    assert exports.b() == 45
    assert exports.c() == 284
    assert exports.wrap() == -(2**31)
    assert exports.byte(143) == ord("x")


@pytest.mark.parametrize(
    "text, message",
    [
        ("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))", "constant expression required"),
        ("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))", "unknown global 0"),
        ("(module (memory 1) (global i32 (i32.const 0)) (data (global.get 0) \"a\"))", "unknown global 0"),
    ],
)
def test_webassembly_2_0_refuses_them(text: str, message: str) -> None:
    wasmkit.Module(text)  # valid in 3.0
    with pytest.raises(ValidationError) as info:
        wasmkit.Module(text, features=WASM_2_0)
    assert info.value.message == message


@pytest.mark.parametrize(
    "text, message",
    [
        ("(module (global i32 (global.get 1)) (global i32 (i32.const 0)))", "unknown global 1"),  # a later one
        ("(module (global i32 (global.get 0)))", "unknown global 0"),  # itself
        ("(module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))", "constant expression required"),
        ("(module (global i32 (i32.div_s (i32.const 1) (i32.const 1))))", "constant expression required"),
        ("(module (global f32 (f32.add (f32.const 1) (f32.const 1))))", "constant expression required"),
    ],
)
def test_what_3_0_still_refuses(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        wasmkit.Module(text)
    assert info.value.message == message


def test_the_command_line_names_the_feature_it_was_told_to_refuse(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "extended.wat"
    path.write_text("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))")
    assert main(["validate", str(path)]) == 0
    assert main(["validate", "--disable-extended-const", str(path)]) == 1
    assert "arithmetic in a constant expression needs the extended-const feature" in capsys.readouterr().err
    path.write_text("(module (global i32 (i32.const 1)) (global i32 (global.get 0)))")
    assert main(["validate", "--disable-gc", str(path)]) == 1
    assert f"needs the {Feature.GC.value} feature" in capsys.readouterr().err
