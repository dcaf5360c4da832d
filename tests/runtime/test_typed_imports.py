"""Imports of tables and globals whose types name defined types: a type index means something
only in its own module, so an import matches by the types themselves (as the spec's
iso-recursive equivalence and subtyping say), whatever index each module gives them; and the
error names the types in full."""

from __future__ import annotations

import pytest

import wasmkit

EXPORTER = """(module
  (type $other (func (param i64)))
  (type $t (func (param i32) (result i32)))
  (func $f (type $t) (local.get 0))
  (table (export "table") 2 (ref null $t))
  (global (export "mutable") (mut (ref null $t)) (ref.null $t))
  (global (export "fixed") (ref $t) (ref.func $f))
  (elem declare func $f))"""


def _link(engine: str, importer: str) -> wasmkit.Instance:
    store = wasmkit.Store(engine)
    exporter = wasmkit.Instance(wasmkit.Module(EXPORTER), store=store)
    return wasmkit.Instance(wasmkit.Module(importer), {"a": exporter.exports}, store=store)


@pytest.mark.parametrize("engine", ["python", "native"])
def test_the_same_type_at_another_index_matches(engine: str) -> None:
    if engine == "native":
        pytest.importorskip("llvmlite")
    instance = _link(
        engine,
        """(module (type $t (func (param i32) (result i32)))
          (import "a" "table" (table 1 (ref null $t)))
          (import "a" "mutable" (global (mut (ref null $t))))
          (import "a" "fixed" (global (ref null func))))""",
    )
    assert instance is not None


@pytest.mark.parametrize(
    "declaration, expected",
    [
        # The same index (1) as the exporter's, another type: no match.
        ("(table 1 (ref null 1))", "expected table of (ref null [f32] -> []) with 1 elements, given table of (ref null [i32] -> [i32])"),
        # A table's element type must be the same both ways, not only a subtype.
        ("(table 1 funcref)", "expected table of funcref with 1 elements, given table of (ref null [i32] -> [i32])"),
        ("(global (mut (ref null 1)))", "expected global mut (ref null [f32] -> []), given global mut (ref null [i32] -> [i32])"),
    ],
)
def test_a_different_type_at_the_same_index_does_not(declaration: str, expected: str) -> None:
    name = "table" if "table" in declaration else "mutable"
    importer = f'(module (type (func (param i64))) (type (func (param f32))) (import "a" "{name}" {declaration}))'
    with pytest.raises(wasmkit.LinkError) as caught:
        _link("python", importer)
    assert expected in str(caught.value)
