"""GC type definitions (WebAssembly 3.0): structs, arrays, recursion groups and declared
supertypes, in the formats and the validator."""

from __future__ import annotations

import pytest

from wasmkit.binary import read_module, write_module
from wasmkit.errors import ValidationError
from wasmkit.syntax.types import ArrayType, FieldType, PackedType, StructType, ValType
from wasmkit.text import parse_module, print_module
from wasmkit.validate import validate
from wasmkit.validate.subtyping import TypeRelation

TYPES = """
(module
  (rec
    (type $node (sub (struct (field $value i32) (field $next (ref null $node)))))
    (type $nodes (array (mut (ref null $node)))))
  (type $named (sub final $node (struct (field i32) (field (ref null $node)) (field (mut i8)))))
  (type $bytes (array (mut i8)))
)
"""


def test_definitions_round_trip_through_binary_and_text() -> None:
    module = parse_module(TYPES)
    assert module.rec_groups == ((0, 2),)
    assert module.types[3] == ArrayType(FieldType(PackedType.I8, True))
    assert isinstance(module.types[2], StructType) and module.types[2].supertypes == (0,)
    binary = write_module(module)
    assert read_module(binary) == module
    assert write_module(parse_module(print_module(module))) == binary
    validate(module)


def test_a_subtype_matches_its_declared_supertype() -> None:
    module = parse_module(TYPES)
    relation = TypeRelation(module.types, module.rec_groups)
    assert relation.index_matches(2, 0) and not relation.index_matches(0, 2)


@pytest.mark.parametrize(
    ("definitions", "message"),
    [
        ("(type (struct)) (type (sub 0 (struct)))", "sub type 1 has final super type 0"),
        ("(type (sub (struct (field i32)))) (type (sub 0 (struct (field i64))))", "sub type 1 does not match super type 0"),
        ("(type (sub (struct (field (mut i32))))) (type (sub 0 (struct (field i32))))", "sub type 1 does not match super type 0"),
        ("(type (struct (field (ref 1)))) (type (struct))", "unknown type 1"),
    ],
)
def test_the_rules_of_the_type_section(definitions: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate(parse_module(f"(module {definitions})"))


def test_equivalent_recursive_types_are_one_type() -> None:
    """Two recursion groups of the same shape define the same types."""
    module = parse_module(
        "(module (rec (type (struct (field (ref null 0))))) (rec (type (struct (field (ref null 1))))))"
    )
    relation = TypeRelation(module.types, module.rec_groups)
    assert relation.key(0) == relation.key(1)
    assert relation.matches(ValType.STRUCTREF, ValType.ANYREF)
