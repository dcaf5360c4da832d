"""The objects of the GC heap, as every layer sees them: structs, arrays, and the wrappers
that keep host values and i31s apart when they cross between `anyref` and `externref`; and
the supertypes each run-time type declares, for casts. Imports nothing of the runtime, so that
value conversion (`values`) can know these."""

from __future__ import annotations

import threading

__all__ = ["Struct", "Array", "Internalized", "Externalized", "register_supertype", "is_subtype_id"]


class Struct:
    """A struct: its type's run-time id and its fields."""

    __slots__ = ("type_id", "fields", "__weakref__")

    def __init__(self, type_id: int, fields: list[object]) -> None:
        self.type_id = type_id
        self.fields = fields

    def __repr__(self) -> str:
        return f"<wasm struct of {len(self.fields)} fields>"


class Array:
    """An array: its type's run-time id and its elements."""

    __slots__ = ("type_id", "items", "__weakref__")

    def __init__(self, type_id: int, items: list[object]) -> None:
        self.type_id = type_id
        self.items = items

    def __repr__(self) -> str:
        return f"<wasm array of {len(self.items)} elements>"


class Internalized:
    """A host (extern) value seen as an `anyref`."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Internalized) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"<anyref of {self.value!r}>"


class Externalized:
    """An i31 seen as an `externref`."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Externalized) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"<externref of i31 {self.value}>"


# Each run-time type id's declared supertypes' ids, transitively, itself included; types that
# declare none are absent (their only supertype is themselves).
_SUPERTYPES: dict[int, frozenset[int]] = {}
_LOCK = threading.Lock()


def register_supertype(type_id: int, supertype_id: int) -> None:
    """Record that the type with run-time id `type_id` declares `supertype_id`."""
    with _LOCK:
        _SUPERTYPES[type_id] = frozenset({type_id}) | _SUPERTYPES.get(supertype_id, frozenset({supertype_id}))


def is_subtype_id(sub: int, sup: int) -> bool:
    """Whether the type with run-time id `sub` is `sup` or declares it as a supertype."""
    return sub == sup or sup in _SUPERTYPES.get(sub, ())
