"""The Python classes of component values that are the same for every type: `Some` (an
option's value where `None` would be ambiguous), `Ok` and `Err` (a result's cases), and
`VariantCase` (the base of every variant's case classes, made per type by `classes`).

A result is `Ok(value)` or `Err(value)` wherever it sits in a value; a function's own result,
when it is a `result`, is its ok value as the function's return value and its err value
raised as `Err` (an exception) instead: `Err` is both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Some", "Ok", "Err", "VariantCase"]


@dataclass(frozen=True, slots=True)
class Some:
    """`option<option<T>>`'s `some(none)` is `Some(None)`: an option of an option wraps its
    present value in `Some`, so that `None` stays the outer option's `none`."""

    value: Any


@dataclass(frozen=True, slots=True)
class Ok:
    """The ok case of a result (`value` None when the case has no type)."""

    value: Any = None


class Err(Exception):
    """The error case of a result: a value inside other values, or raised as an exception
    for a function's result (and raised by a host function to return its error)."""

    def __init__(self, value: Any = None) -> None:
        super().__init__(value)
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Err) and bool(other.value == self.value)

    def __hash__(self) -> int:
        return hash(("Err", self.value))

    def __repr__(self) -> str:
        return f"Err({self.value!r})"

    def __str__(self) -> str:
        return repr(self.value)


class VariantCase:
    """The base of each variant type's class, whose case classes (one per case, a dataclass
    with a `value` field when the case has a payload) it holds as attributes: a variant
    `shape { circle(f64), none }` named `shape` is `Shape`, with `Shape.Circle(value=1.0)` and
    `Shape.None_()`. Each case class knows its WIT label as `wit_case`."""

    __slots__ = ()
    wit_case: str = ""
