"""The component values the WASI 0.2 host gives and takes, in the forms the canonical ABI
(`wasmkit.component.abi`) lowers and lifts.

Given to a guest: a record is a dataclass with the WIT fields in snake_case, an enum its label
(`"no-entry"`), flags a set of labels, a variant case an instance of a class whose `wit_case`
is the label (with the payload as `value`), an error `Err(...)` raised. Taken from a guest:
the lifted forms (an `enum.Enum` valued by its label, an `enum.Flag` with UPPER_SNAKE
members, a case instance with `wit_case`, a record dataclass), and, for calls made directly
from Python (tests, embedders), the plain forms above; `label`, `flag_labels` and `field`
accept both.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ...component.abi.values import Err, Ok

__all__ = [
    "Datetime",
    "Err",
    "Ok",
    "Case",
    "case",
    "field",
    "flag_labels",
    "label",
]


@dataclass(frozen=True, slots=True)
class Datetime:
    """wasi:clocks/wall-clock `datetime`: seconds and nanoseconds since the Unix epoch."""

    seconds: int
    nanoseconds: int

    @classmethod
    def from_ns(cls, ns: int) -> Datetime:
        return cls(*divmod(max(ns, 0), 1_000_000_000))

    def to_ns(self) -> int:
        return self.seconds * 1_000_000_000 + self.nanoseconds


class Case:
    """A variant case given to a guest: `wit_case` names it, `value` is its payload (None
    for a case without one). Made by `case`; equal when label and payload are."""

    __slots__ = ("value",)
    wit_case: ClassVar[str] = ""

    def __init__(self, value: Any = None) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return getattr(type(other), "wit_case", None) == self.wit_case and getattr(other, "value", None) == self.value

    def __hash__(self) -> int:
        return hash((self.wit_case, self.value))

    def __repr__(self) -> str:
        return f"case({self.wit_case!r}, {self.value!r})" if self.value is not None else f"case({self.wit_case!r})"


_CASES: dict[str, type[Case]] = {}


def case(wit_label: str, value: Any = None) -> Case:
    """A variant case value labelled `wit_label` (one class per label, made once)."""
    cls = _CASES.get(wit_label)
    if cls is None:
        cls = _CASES.setdefault(wit_label, type(f"Case[{wit_label}]", (Case,), {"__slots__": (), "wit_case": wit_label}))
    return cls(value)


def label(value: object) -> str:
    """The WIT label of an enum value or variant case as a guest or a Python caller gives it."""
    if isinstance(value, str):
        return value
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    found = getattr(type(value), "wit_case", None)
    if isinstance(found, str):
        return found
    raise TypeError(f"expected a WIT label, got {type(value).__name__}")


def flag_labels(value: object) -> frozenset[str]:
    """The labels of a flags value: an `enum.Flag` (UPPER_SNAKE members), or labels."""
    if isinstance(value, enum.Flag):
        return frozenset(m.name.lower().replace("_", "-") for m in type(value) if m in value and m.name)
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, Iterable):
        return frozenset(label(item) for item in value)
    raise TypeError(f"expected flags, got {type(value).__name__}")


def field(record: object, name: str) -> Any:
    """Field `name` (snake_case) of a record: a dataclass or object, or a dict keyed by the
    field's name or WIT label."""
    if isinstance(record, Mapping):
        return record[name] if name in record else record[name.replace("_", "-")]
    return getattr(record, name)
