"""Tail calls in the Python engine, with constant Python stack.

A function whose body holds a `return_call*` is compiled in two parts: its body `t<i>`, which
ends a tail call by returning a `TailCall` (what to call next, and with what) instead of
calling, and `f<i>`, a trampoline that calls the body and then each callee a `TailCall` names
until one returns values. The trampoline calls the callee's own body (`Func.tail`) when it has
one, so a chain of tail calls between such functions runs in one loop however long it is;
other callees (functions that never tail-call, host functions) are called as usual and just
return. Functions without `return_call*` are compiled as before and pay nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...runtime.func import Func

__all__ = ["TailCall", "tail_callee"]


class TailCall:
    """Returned by a function body in place of its results: call `fn(*args)` next, and return
    what it returns."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        self.fn = fn
        self.args = args


def tail_callee(func: "Func") -> Callable[..., Any]:
    """What a tail call of `func` calls: its body when it can itself tail-call (so that the
    trampoline already running goes on with it), else its usual callable. The one place that
    turns a callee into a tail call's target (return_call_indirect, later return_call_ref)."""
    return func.tail or func.fn
