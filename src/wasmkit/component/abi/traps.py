"""The traps of the canonical ABI: what a component gave that its types forbid.

Three kinds, so that a caller can tell them apart without parsing messages: a pointer or
length past the end of memory (`TrapKind.OUT_OF_BOUNDS_MEMORY`, as a core load would report
it), a bad value (`TrapKind.INVALID_VALUE`: invalid UTF-8 or UTF-16, a discriminant out of
range, a `char` that is no Unicode scalar value, a misaligned pointer, a string or list past
the ABI's length limit), and a misused resource handle (`TrapKind.INVALID_HANDLE`). Messages
follow wasmtime's where it has one, with the offending number added.
"""

from __future__ import annotations

from ...errors import Trap, TrapKind

__all__ = ["invalid", "out_of_bounds", "bad_handle"]


def invalid(message: str) -> Trap:
    return Trap(TrapKind.INVALID_VALUE, message)


def out_of_bounds(message: str) -> Trap:
    return Trap(TrapKind.OUT_OF_BOUNDS_MEMORY, message)


def bad_handle(message: str) -> Trap:
    return Trap(TrapKind.INVALID_HANDLE, message)
