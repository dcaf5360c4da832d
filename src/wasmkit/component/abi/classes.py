"""Python classes made from component types: a dataclass per record, a `VariantCase`
subclass per variant (with a dataclass per case), an `enum.Enum` per enum and an
`enum.Flag` per flags type; and the names WIT labels take in Python.

Classes are made once per type and name and shared by everyone who asks while one is alive
(a weak cache), so that values of one type lifted anywhere compare equal and `isinstance`
holds. Types are structural: two records with the same fields and the same name are one class.
The `KEEP` classes asked for last are also held, so that a class outlives the instance that
asked for it: `wasmkit serve` makes an instance per request, and a componentize-py wasi:http
component's asked for 169 classes each time (made with `exec`, and cyclic garbage after).

Names: a field becomes snake_case (`first-name` -> `first_name`, a Python keyword gets a
trailing `_`: `from_`), a type or case PascalCase (`http-error` -> `HttpError`, `none` ->
`None_`), an enum or flag member UPPER_SNAKE (`read-write` -> `READ_WRITE`).

`GivenClasses`: the classes an embedder gives instead (a module `wasmkit bindgen` wrote), so
that the values a component returns are instances of classes that type checkers know.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
import keyword
import threading
import weakref
from collections import OrderedDict
from typing import Any

from ..types import VType
from .values import VariantCase

__all__ = ["GivenClasses", "snake_case", "pascal_case", "upper_case", "record_class", "variant_class", "enum_class", "flags_class"]

_MODULE = __name__
_cache: weakref.WeakValueDictionary[tuple[str, VType, str], type] = weakref.WeakValueDictionary()
KEEP = 1024
_kept: OrderedDict[tuple[str, VType, str], type] = OrderedDict()  # the last KEEP asked for, held
_lock = threading.Lock()
_ENUM: Any = enum.Enum  # the functional API, which type checkers want a literal name for
_FLAG: Any = enum.Flag


@dataclasses.dataclass(frozen=True)
class GivenClasses:
    """Classes to use for a component's values rather than making them.

    `values`: by (kind, WIT name, labels), kind "record", "variant", "enum" or "flags": a
    record's frozen dataclass taking its fields in order; a variant's `VariantCase` subclass
    with its case classes in `cases` (in label order, each with `wit_case` and a `value` field
    when it has a payload); an `enum.Enum` valued by the labels; an `enum.Flag` whose members
    are the labels in UPPER_SNAKE, the first the lowest bit. A type is found by its name and
    labels (a type named anew, `use x.{a as b}`, is given under both names); one of no name by
    its labels alone, when one class of that kind has them.
    `resources`: by (the exported interface's name without its version, or "" for the
    world's own, resource name), the base class of an exported resource's class (a
    `GuestResource` subclass, its methods given by the instance)."""

    values: Mapping[tuple[str, str, tuple[str, ...]], type] = dataclasses.field(default_factory=dict)
    resources: Mapping[tuple[str, str], type] = dataclasses.field(default_factory=dict)

    def value_class(self, kind: str, name: str | None, labels: tuple[str, ...]) -> type | None:
        """The class given for a type of `kind` named `name` with `labels`, or None."""
        if name is not None:
            return self.values.get((kind, name, labels))
        matching = {cls for (k, _, ls), cls in self.values.items() if k == kind and ls == labels}
        return matching.pop() if len(matching) == 1 else None


def snake_case(label: str) -> str:
    name = label.replace("-", "_").lower()
    return name + "_" if keyword.iskeyword(name) else name


def pascal_case(label: str) -> str:
    name = "".join(word[:1].upper() + word[1:] for word in label.split("-"))
    return name + "_" if keyword.iskeyword(name) else name


def upper_case(label: str) -> str:
    return label.replace("-", "_").upper()


def _cached(kind: str, vt: VType, name: str, make: Any) -> Any:
    key = (kind, vt, name)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = make()
            _cache[key] = found
        _kept[key] = found
        _kept.move_to_end(key)
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
        return found


def record_class(vt: VType, labels: tuple[str, ...], name: str | None) -> type:
    """The dataclass of a record type with fields `labels`: frozen, compared by value."""
    class_name = pascal_case(name) if name else "Record"

    def make() -> type:
        cls = dataclasses.make_dataclass(
            class_name, [(snake_case(label), Any) for label in labels], frozen=True, slots=True
        )
        cls.__module__ = _MODULE
        cls.__wit_fields__ = labels  # type: ignore[attr-defined]
        return cls

    return _cached("record", vt, class_name, make)


def variant_class(vt: VType, cases: tuple[tuple[str, bool], ...], name: str | None) -> type[VariantCase]:
    """The class of a variant type whose cases are `(label, has a payload)`; its case
    classes are its attributes, in `cases` order in its `cases` attribute."""
    class_name = pascal_case(name) if name else "Variant"

    def make() -> type:
        base = type(class_name, (VariantCase,), {"__slots__": (), "__module__": _MODULE})
        made = []
        for label, has_payload in cases:
            case_name = pascal_case(label)
            fields = [("value", Any)] if has_payload else []
            case_cls = dataclasses.make_dataclass(
                case_name, fields, bases=(base,), frozen=True, slots=True, namespace={"wit_case": label}
            )
            case_cls.__module__ = _MODULE
            case_cls.__qualname__ = f"{class_name}.{case_name}"
            setattr(base, case_name, case_cls)
            made.append(case_cls)
        base.cases = tuple(made)  # type: ignore[attr-defined]
        return base

    return _cached("variant", vt, class_name, make)


def enum_class(vt: VType, labels: tuple[str, ...], name: str | None) -> type[enum.Enum]:
    """An `enum.Enum` whose members are the labels in UPPER_SNAKE, valued by the WIT label."""
    class_name = pascal_case(name) if name else "Enum"

    def make() -> type:
        return _ENUM(class_name, [(upper_case(label), label) for label in labels], module=_MODULE)

    return _cached("enum", vt, class_name, make)


def flags_class(vt: VType, labels: tuple[str, ...], name: str | None) -> type[enum.Flag]:
    """An `enum.Flag` whose members are the labels in UPPER_SNAKE, the first the lowest bit."""
    class_name = pascal_case(name) if name else "Flags"

    def make() -> type:
        return _FLAG(class_name, [(upper_case(label), 1 << i) for i, label in enumerate(labels)], module=_MODULE)

    return _cached("flags", vt, class_name, make)
