"""What engines call for the instructions on typed references: each checks a reference that
validation cannot prove non-null, and traps with the reference interpreter's words if it is
null."""

from __future__ import annotations

from typing import TypeVar, cast

from ..errors import Trap, TrapKind
from .func import Func

__all__ = ["ref_callee", "ref_as_non_null"]

T = TypeVar("T")


def ref_callee(reference: object) -> Func:
    """The function `call_ref` calls: `reference`, unless it is null."""
    if reference is None:
        raise Trap(TrapKind.NULL_FUNCTION_REFERENCE)
    return cast(Func, reference)


def ref_as_non_null(reference: T | None) -> T:
    """`reference`, unless it is null."""
    if reference is None:
        raise Trap(TrapKind.NULL_REFERENCE)
    return reference
