"""Matching of value types: when a value of one type may stand where another is expected.

Numbers and vectors match only themselves. A reference type `(ref null? h1)` matches
`(ref null? h2)` when a null is allowed where one may come (nullable only into nullable) and
heap type h1 is a subtype of h2. The abstract heap types form three hierarchies with a bottom
each, plus exceptions:

    none <: i31, struct, array <: eq <: any      nofunc <: func
    noextern <: extern                            noexn <: exn

A concrete heap type, a type index, sits under the abstract type of its kind (a function type
under `func`) and over that hierarchy's bottom. Two type indices name the same type when their
definitions are equal with every type index inside replaced by the type it names (the spec's
type equivalence; a definition's references to itself stay as such, so the comparison ends).

`UNKNOWN` (0), the type of a value popped from the polymorphic stack of unreachable code,
matches everything.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from ..errors import ValidationError
from ..syntax.types import FuncType, HeapType, RefType, ValueType

__all__ = ["TypeRelation", "UNKNOWN"]

UNKNOWN = 0

_H = HeapType
# Each abstract heap type's supertypes, itself included.
_ABSTRACT_SUPERS: dict[HeapType, frozenset[HeapType]] = {
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
_BOTTOM = {_H.ANY: _H.NONE, _H.FUNC: _H.NOFUNC, _H.EXTERN: _H.NOEXTERN, _H.EXN: _H.NOEXN}


class TypeRelation:
    """Subtyping and equivalence over the types of one module (its type section)."""

    __slots__ = ("types", "_keys")

    def __init__(self, types: Sequence[FuncType]) -> None:
        self.types = types
        self._keys: dict[int, Hashable] = {}

    # -- the type section's own rules --

    def check_definitions(self) -> None:
        """Every type index inside a definition names a type defined before it or itself
        (a definition is its own recursion group)."""
        for index, ft in enumerate(self.types):
            for vt in (*ft.params, *ft.results):
                if isinstance(vt, RefType) and not isinstance(vt.heap, HeapType) and vt.heap > index:
                    raise ValidationError(f"unknown type {vt.heap}")

    def check_valtype(self, vt: ValueType) -> None:
        """A value type's type index, if any, names a type."""
        if isinstance(vt, RefType) and not isinstance(vt.heap, HeapType) and vt.heap >= len(self.types):
            raise ValidationError(f"unknown type {vt.heap}")

    # -- equivalence --

    def key(self, index: int) -> Hashable:
        """A value equal for two type indices, of this module or another, exactly when they
        name equivalent types: the definition itself when it names no other type (so that a
        host function's FuncType has the same key), else the definition with each type index
        replaced by its key."""
        found = self._keys.get(index)
        if found is None:
            ft = self.types[index]
            if any(isinstance(vt, RefType) and not isinstance(vt.heap, HeapType) for vt in (*ft.params, *ft.results)):
                found = ("func", tuple(self._key_of(vt, index) for vt in ft.params), tuple(self._key_of(vt, index) for vt in ft.results))
            else:
                found = ft
            self._keys[index] = found
        return found

    def keys(self) -> tuple[Hashable, ...]:
        return tuple(self.key(i) for i in range(len(self.types)))

    def _key_of(self, vt: ValueType, within: int) -> Hashable:
        if not isinstance(vt, RefType) or isinstance(vt.heap, HeapType):
            return vt
        heap = vt.heap
        return (vt.nullable, "self" if heap == within else self.key(heap))

    # -- subtyping --

    def heap_matches(self, sub: HeapType | int, sup: HeapType | int) -> bool:
        if sub == sup:
            return True
        if isinstance(sub, HeapType):
            if isinstance(sup, HeapType):
                return sup in _ABSTRACT_SUPERS[sub]
            return sub == _BOTTOM[self.kind(sup)]
        if isinstance(sup, HeapType):
            return sup in _ABSTRACT_SUPERS[self.kind(sub)]
        return self.key(sub) == self.key(sup)

    def kind(self, index: int) -> HeapType:
        """The abstract heap type at the top of a defined type's hierarchy (`func`)."""
        return _H.FUNC

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

    def func_matches(self, sub: FuncType, sup: FuncType) -> bool:
        """Function subtyping: parameters contravariant, results covariant."""
        return self.all_match(sup.params, sub.params) and self.all_match(sub.results, sup.results)
