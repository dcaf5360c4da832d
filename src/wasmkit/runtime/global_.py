"""Globals: a typed cell, shared by every instance that imports or exports it."""

from __future__ import annotations

from ..syntax.types import GlobalType

__all__ = ["Global"]


class Global:
    """A global instance. `value` is in the engines' internal representation (see
    `wasmkit.runtime.values`); the public API converts at its edge."""

    __slots__ = ("type", "value")

    def __init__(self, global_type: GlobalType, value: object) -> None:
        self.type = global_type
        self.value = value
