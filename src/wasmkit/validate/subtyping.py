"""Matching of value types: when a value of one type may stand where another is expected, and
the rules of the type section that subtyping rests on.

Numbers and vectors match only themselves. A reference type `(ref null? h1)` matches
`(ref null? h2)` when a null is allowed where one may come (nullable only into nullable) and
heap type h1 is a subtype of h2. The abstract heap types form four hierarchies, each with a
bottom:

    none <: i31, struct, array <: eq <: any      nofunc <: func
    noextern <: extern                            noexn <: exn

A defined type (a type index) sits under the abstract type of its kind (a struct type under
`struct`) and over that hierarchy's bottom, and under the supertype it declares, if any.

Types are equal when they are equivalent: iso-recursive equality, where a recursion group is
compared as a whole, its references to its own members by position and its references to
earlier types by what those are (`key`). `UNKNOWN` (0), the type of a value popped from the
polymorphic stack of unreachable code, matches everything.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from ..errors import ValidationError
from ..syntax.types import (
    ArrayType,
    DefinedType,
    FieldType,
    FuncType,
    HeapType,
    PackedType,
    RefType,
    StorageType,
    StructType,
    ValueType,
)

__all__ = ["TypeRelation", "UNKNOWN", "ABSTRACT_SUPERTYPES", "BOTTOM"]

UNKNOWN = 0

_H = HeapType
# Each abstract heap type's supertypes, itself included.
ABSTRACT_SUPERTYPES: dict[HeapType, frozenset[HeapType]] = {
    _H.ANY: frozenset({_H.ANY}),
    _H.EQ: frozenset({_H.EQ, _H.ANY}),
    _H.I31: frozenset({_H.I31, _H.EQ, _H.ANY}),
    _H.STRUCT: frozenset({_H.STRUCT, _H.EQ, _H.ANY}),
    _H.ARRAY: frozenset({_H.ARRAY, _H.EQ, _H.ANY}),
    _H.NONE: frozenset({_H.NONE, _H.I31, _H.STRUCT, _H.ARRAY, _H.EQ, _H.ANY}),
    _H.FUNC: frozenset({_H.FUNC}),
    _H.NOFUNC: frozenset({_H.NOFUNC, _H.FUNC}),
    _H.EXTERN: frozenset({_H.EXTERN}),
    _H.NOEXTERN: frozenset({_H.NOEXTERN, _H.EXTERN}),
    _H.EXN: frozenset({_H.EXN}),
    _H.NOEXN: frozenset({_H.NOEXN, _H.EXN}),
}
# The top of each abstract heap type's hierarchy.
_TOP = {
    **dict.fromkeys((_H.ANY, _H.EQ, _H.I31, _H.STRUCT, _H.ARRAY, _H.NONE), _H.ANY),
    **dict.fromkeys((_H.FUNC, _H.NOFUNC), _H.FUNC),
    **dict.fromkeys((_H.EXTERN, _H.NOEXTERN), _H.EXTERN),
    **dict.fromkeys((_H.EXN, _H.NOEXN), _H.EXN),
}
# The bottom under the defined types of each kind.
BOTTOM = {_H.FUNC: _H.NOFUNC, _H.STRUCT: _H.NONE, _H.ARRAY: _H.NONE}


def _indices_in(definition: DefinedType) -> list[int]:
    """The type indices a definition's fields, parameters and results name."""
    return [t.heap for t in definition.storage_types() if isinstance(t, RefType) and not isinstance(t.heap, HeapType)]


class TypeRelation:
    """Subtyping and equivalence over the types of one module (its type section)."""

    __slots__ = ("types", "_group_of", "_keys", "_group_keys")

    def __init__(self, types: Sequence[DefinedType], rec_groups: Sequence[tuple[int, int]] = ()) -> None:
        self.types = types
        # The (first index, count) of the recursion group of each type.
        self._group_of: list[tuple[int, int]] = [(i, 1) for i in range(len(types))]
        for start, count in rec_groups:
            for i in range(start, start + count):
                self._group_of[i] = (start, count)
        self._keys: dict[int, Hashable] = {}
        self._group_keys: dict[int, Hashable] = {}

    # -- the type section's own rules --

    def check_definitions(self) -> None:
        """Every type index inside a definition names a type of its recursion group or of an
        earlier one; a declared supertype comes before, is open to subtypes, and the
        definition matches it."""
        for index, definition in enumerate(self.types):
            start, count = self._group_of[index]
            for named in _indices_in(definition):
                if named >= start + count:
                    raise ValidationError(f"unknown type {named}")
            for super_index in definition.supertypes:
                if super_index >= len(self.types):
                    raise ValidationError(f"unknown type {super_index}")
                if super_index >= index:
                    raise ValidationError(f"forward use of type {super_index} in sub type definition")
                supertype = self.types[super_index]
                if supertype.final:
                    raise ValidationError(f"sub type {index} has final super type {super_index}")
                if not self.definition_matches(definition, supertype):
                    raise ValidationError(f"sub type {index} does not match super type {super_index}")

    def check_valtype(self, vt: ValueType | StorageType) -> None:
        """A value type's type index, if any, names a type."""
        if isinstance(vt, RefType) and not isinstance(vt.heap, HeapType) and vt.heap >= len(self.types):
            raise ValidationError(f"unknown type {vt.heap}")

    # -- equivalence --

    def key(self, index: int) -> Hashable:
        """A value equal for two type indices, of this module or another, exactly when they
        name equivalent types: a final function type with no supertype that names no other
        type, alone in its group, is its own key (so that a host function's FuncType has the
        same); any other is its group's key and its place in the group."""
        found = self._keys.get(index)
        if found is None:
            definition = self.types[index]
            start, count = self._group_of[index]
            if (
                count == 1 and isinstance(definition, FuncType) and definition.final
                and not definition.supertypes and not _indices_in(definition)
            ):  # fmt: skip
                found = definition
            else:
                found = (self._group_key(start, count), index - start)
            self._keys[index] = found
        return found

    def keys(self) -> tuple[Hashable, ...]:
        return tuple(self.key(i) for i in range(len(self.types)))

    def _group_key(self, start: int, count: int) -> Hashable:
        found = self._group_keys.get(start)
        if found is None:

            def named(index: int) -> Hashable:
                return ("rec", index - start) if start <= index < start + count else self.key(index)

            def storage(st: StorageType) -> Hashable:
                if isinstance(st, RefType) and not isinstance(st.heap, HeapType):
                    return ("ref", st.nullable, named(st.heap))
                return st

            members = []
            for definition in self.types[start : start + count]:
                supers = tuple(named(s) for s in definition.supertypes)
                if isinstance(definition, FuncType):
                    body: Hashable = ("func", tuple(map(storage, definition.params)), tuple(map(storage, definition.results)))
                elif isinstance(definition, StructType):
                    body = ("struct", tuple((storage(f.storage), f.mutable) for f in definition.fields))
                else:
                    body = ("array", storage(definition.element.storage), definition.element.mutable)
                members.append((definition.final, supers, body))
            found = self._group_keys[start] = tuple(members)
        return found

    # -- subtyping --

    def top(self, heap: HeapType | int) -> HeapType:
        """The top of the hierarchy a heap type is in: any, func, extern or exn."""
        if not isinstance(heap, HeapType):
            return _H.FUNC if self.kind(heap) is _H.FUNC else _H.ANY
        return _TOP[heap]

    def kind(self, index: int) -> HeapType:
        """The abstract heap type right over a defined type: func, struct or array."""
        return self.types[index].kind

    def index_matches(self, sub: int, sup: int) -> bool:
        """Whether defined type `sub` is `sup` (or equivalent) or declares it, directly or
        through its supertypes."""
        while True:
            if sub == sup or self.key(sub) == self.key(sup):
                return True
            supers = self.types[sub].supertypes
            if not supers:
                return False
            sub = supers[0]

    def heap_matches(self, sub: HeapType | int, sup: HeapType | int) -> bool:
        if sub == sup:
            return True
        if isinstance(sub, HeapType):
            if isinstance(sup, HeapType):
                return sup in ABSTRACT_SUPERTYPES[sub]
            return sub == BOTTOM[self.kind(sup)]
        if isinstance(sup, HeapType):
            return sup in ABSTRACT_SUPERTYPES[self.kind(sub)]
        return self.index_matches(sub, sup)

    def matches(self, sub: ValueType | int, sup: ValueType | int) -> bool:
        """Whether a value of type `sub` may stand where `sup` is expected."""
        if sub == sup or sub == UNKNOWN or sup == UNKNOWN:
            return True
        if not (getattr(sub, "is_ref", False) and getattr(sup, "is_ref", False)):
            return False
        if sub.nullable and not sup.nullable:  # type: ignore[union-attr]
            return False
        return self.heap_matches(sub.heap, sup.heap)  # type: ignore[union-attr]

    def all_match(self, subs: Sequence[ValueType], sups: Sequence[ValueType]) -> bool:
        return len(subs) == len(sups) and all(self.matches(a, b) for a, b in zip(subs, sups))

    def storage_matches(self, sub: StorageType, sup: StorageType) -> bool:
        if isinstance(sub, PackedType) or isinstance(sup, PackedType):
            return sub == sup
        return self.matches(sub, sup)

    def field_matches(self, sub: FieldType, sup: FieldType) -> bool:
        """Immutable fields are covariant; mutable ones must be the same type both ways."""
        if sub.mutable != sup.mutable:
            return False
        if not self.storage_matches(sub.storage, sup.storage):
            return False
        return not sub.mutable or self.storage_matches(sup.storage, sub.storage)

    def definition_matches(self, sub: DefinedType, sup: DefinedType) -> bool:
        """Whether definition `sub` may declare `sup` as its supertype: functions with
        contravariant parameters and covariant results; structs with at least `sup`'s fields,
        each matching; arrays with matching elements."""
        if isinstance(sub, FuncType) and isinstance(sup, FuncType):
            return self.all_match(sup.params, sub.params) and self.all_match(sub.results, sup.results)
        if isinstance(sub, StructType) and isinstance(sup, StructType):
            return len(sub.fields) >= len(sup.fields) and all(
                self.field_matches(a, b) for a, b in zip(sub.fields, sup.fields)
            )
        if isinstance(sub, ArrayType) and isinstance(sup, ArrayType):
            return self.field_matches(sub.element, sup.element)
        return False
