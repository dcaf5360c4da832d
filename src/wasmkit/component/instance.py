"""A component instance at run time: what instantiation makes of a component (or the host
makes of an instance import): its exports by name, each a component function (a Python
callable), a resource type (`abi.ResourceType`), a nested `ComponentInstance`, or a core
module; the handle table its core code's handles index; and whether it is in a call (the
ABI's `may_enter`), and the destructors due for resources the host dropped by letting go
of them. The Python API's view of it is `bindings.ComponentExports`."""

from __future__ import annotations

from collections.abc import Callable

from typing import TYPE_CHECKING

from .abi import HandleTable

if TYPE_CHECKING:
    from .async_ import AsyncState

__all__ = ["ComponentInstance"]


class ComponentInstance:
    """An instance's exports (`exports[name]`), handle table and call state."""

    __slots__ = ("name", "exports", "handles", "busy", "poisoned", "pending_drops", "async_state")

    def __init__(self, name: str = "", exports: dict[str, object] | None = None) -> None:
        self.name = name
        self.exports: dict[str, object] = exports if exports is not None else {}
        self.handles = HandleTable()
        self.busy = False
        self.poisoned = False  # a call into it trapped: it is not entered again
        # Destructors to run, with their reps, for resources the host let go of unclosed
        # (`resource_types.GuestResource`): run as the instance is next entered.
        self.pending_drops: list[tuple[Callable[[int], object], int]] = []
        # The async ABI's state (`async_.AsyncState`), given by instantiation when the
        # component uses it.
        self.async_state: AsyncState | None = None

    def run_pending_drops(self) -> None:
        while self.pending_drops:
            dtor, rep = self.pending_drops.pop()
            dtor(rep)

    def __repr__(self) -> str:
        return f"<component instance {self.name or '?'}: {', '.join(self.exports)}>"
