"""Type definitions in the text format: `(func ...)`, `(struct (field ...)*)`, `(array ...)`,
each possibly inside `(sub final? $super* ...)`, as `(type ...)` fields hold them."""

from __future__ import annotations

import dataclasses

from ..syntax.types import ArrayType, DefinedType, FieldType, FuncType, PackedType, StorageType, StructType, ValueType
from .cursor import Cursor, Space, unexpected
from .lexer import Form, Source

__all__ = ["parse_definition", "take_params", "take_results", "DEFINITION_HEADS"]

DEFINITION_HEADS = frozenset({"func", "struct", "array", "sub"})
_PACKED = {"i8": PackedType.I8, "i16": PackedType.I16}


def parse_definition(source: Source, form: Form, types: Space) -> tuple[DefinedType, Space]:
    """The definition a `(func ...)`, `(struct ...)`, `(array ...)` or `(sub ...)` form gives,
    and the names of its fields (a struct's; empty for the others)."""
    cursor = Cursor(source, form)
    if form.head == "sub":
        final = cursor.take_if_keyword("final")
        supertypes = []
        while types.peek_index(cursor):
            supertypes.append(types.resolve(cursor))
        inner = cursor.take()
        if not isinstance(inner, Form) or inner.head not in DEFINITION_HEADS - {"sub"}:
            unexpected(cursor, inner)
        cursor.expect_end()
        definition, fields = parse_definition(source, inner, types)
        return dataclasses.replace(definition, supertypes=tuple(supertypes), final=final), fields
    fields = Space("field")
    if form.head == "func":
        params, _ = take_params(cursor, types, allow_names=True)
        results = take_results(cursor, types)
        cursor.expect_end()
        return FuncType(tuple(params), tuple(results)), fields
    if form.head == "struct":
        field_types: list[FieldType] = []
        for item in cursor.take_forms("field"):
            inner_cursor = Cursor(source, item)
            name = inner_cursor.take_id()
            if name is not None:
                fields.define(name, inner_cursor, item)
                field_types.append(_field_type(inner_cursor, types))
                inner_cursor.expect_end()
                continue
            while not inner_cursor.at_end():
                fields.define(None, inner_cursor)
                field_types.append(_field_type(inner_cursor, types))
        cursor.expect_end()
        return StructType(tuple(field_types)), fields
    element = _field_type(cursor, types)
    cursor.expect_end()
    return ArrayType(element), fields


def take_params(cursor: Cursor, types: Space, allow_names: bool) -> tuple[list[ValueType], list[str | None]]:
    """`(param $id? t)` and `(param t*)` forms: their types, and the name of each (or None)."""
    params: list[ValueType] = []
    names: list[str | None] = []
    for form in cursor.take_forms("param"):
        inner = Cursor(cursor.source, form)
        name_item = inner.peek()
        name = inner.take_id()
        if name is not None:
            if not allow_names:
                inner.fail("unexpected token", name_item)
            params.append(inner.take_valtype(types))
            names.append(name)
            inner.expect_end()
            continue
        while not inner.at_end():
            params.append(inner.take_valtype(types))
            names.append(None)
    return params, names


def take_results(cursor: Cursor, types: Space) -> list[ValueType]:
    """`(result t*)` forms: their types."""
    results: list[ValueType] = []
    for form in cursor.take_forms("result"):
        inner = Cursor(cursor.source, form)
        while not inner.at_end():
            results.append(inner.take_valtype(types))
    return results


def _field_type(cursor: Cursor, types: Space) -> FieldType:
    """`storage` or `(mut storage)`, storage a value type or `i8`/`i16`."""
    mut = cursor.take_form("mut")
    if mut is not None:
        inner = Cursor(cursor.source, mut)
        storage = _storage_type(inner, types)
        inner.expect_end()
        return FieldType(storage, True)
    return FieldType(_storage_type(cursor, types), False)


def _storage_type(cursor: Cursor, types: Space) -> StorageType:
    packed = _PACKED.get(cursor.peek_atom() or "")
    if packed is not None:
        cursor.pos += 1
        return packed
    return cursor.take_valtype(types)
