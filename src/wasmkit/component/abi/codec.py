"""The shape every value type's codec has, and the helpers they share.

A `Codec` knows one value type's layout (size and alignment in memory, its flattening into
core value types) and moves its values both ways: `lift_flat` takes core values from a
`FlatReader`, `lower_flat` appends them to a list, `load` reads a value at an address and
`store` writes one. Lifting turns what a component gave into a Python value and traps on what
its type forbids; lowering turns a Python value into what a component gets, with TypeError
or ValueError for a Python value that does not fit the type.

Core values: an i32 or i64 is lowered as an unsigned int and lifted from a signed or unsigned
one (both are masked); f32 and f64 are floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...bits import MASK32, MASK64
from ...runtime.values import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from ...syntax.types import ValType

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Codec", "FlatReader", "align_to", "coerce_lifted", "coerce_lowered", "I32", "I64", "F32", "F64"]

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64


def align_to(offset: int, align: int) -> int:
    return (offset + align - 1) & -align


class FlatReader:
    """Core values being lifted, taken one by one."""

    __slots__ = ("values", "pos")

    def __init__(self, values: Sequence[object], pos: int = 0) -> None:
        self.values = values
        self.pos = pos

    def take(self) -> object:
        value = self.values[self.pos]
        self.pos += 1
        return value

    def take_int(self) -> int:
        value = self.values[self.pos]
        self.pos += 1
        return value  # type: ignore[return-value]


class Codec:
    """One value type's layout and conversions (see the module's doc)."""

    __slots__ = ("size", "align", "flat", "name")

    size: int
    align: int
    flat: tuple[ValType, ...]
    name: str  # the type as WIT writes it, for messages

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        raise NotImplementedError

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        raise NotImplementedError

    def load(self, cx: Context, ptr: int) -> object:
        raise NotImplementedError

    def store(self, cx: Context, value: object, ptr: int) -> None:
        raise NotImplementedError

    def mismatch(self, value: object) -> TypeError:
        return TypeError(f"expected a value of {self.name}, got {type(value).__name__}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def coerce_lifted(values: list[object], have: Sequence[ValType], want: Sequence[ValType]) -> list[object]:
    """A variant case's core values read at the variant's joined types (`have`) as the
    case's own types (`want`): the reinterpretations `lift_flat_variant` makes."""
    out: list[object] = []
    for value, got, wanted in zip(values, have, want):
        if got is wanted:
            out.append(value)
        elif wanted is F32:
            out.append(f32_from_bits(value & MASK32))  # type: ignore[operator]
        elif wanted is F64:
            out.append(f64_from_bits(value & MASK64))  # type: ignore[operator]
        else:  # an i32 carried in an i64
            out.append(value & MASK32)  # type: ignore[operator]
    return out


def coerce_lowered(values: list[object], have: Sequence[ValType], want: Sequence[ValType]) -> list[object]:
    """A variant case's core values (`have`) as the variant's joined types (`want`), padded
    with zeros to their number."""
    out: list[object] = []
    for value, got, wanted in zip(values, have, want):
        if got is wanted:
            out.append(value)
        elif got is F32:
            out.append(f32_to_bits(value))  # type: ignore[arg-type]
        elif got is F64:
            out.append(f64_to_bits(value))  # type: ignore[arg-type]
        else:  # an i32 into an i64
            out.append(value)
    out += [0.0 if t is F32 or t is F64 else 0 for t in want[len(out) :]]
    return out
