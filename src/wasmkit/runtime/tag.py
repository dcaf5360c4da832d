"""Exception tags and the exceptions wasm throws.

A `Tag` is an exception tag: what a `throw` names and a `catch` clause matches, by identity
(each instance makes its own tags, so two instances of one module throw different exceptions;
an imported tag is the exporter's object). A `WasmException` is one exception in flight: its
tag and its payload, the values of the tag's parameter types. Wasm code raises it with `throw`;
it crosses the host boundary as itself, both ways: a call into wasm that ends in an uncaught
exception raises it in Python, and a host function that raises one throws it into the wasm
code that called it, where a `try_table` may catch it. Traps are never exceptions: no catch
clause stops them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import Trap, TrapKind, WasmError
from ..syntax.types import FuncType, ValueType
from .call import Thrown
from .func import type_id
from .values import ExceptionReference, to_api, to_internal

__all__ = ["Tag", "WasmException", "throw_ref"]


class Tag:
    """An exception tag whose payload has the types `params` (a `FuncType` without results,
    as a module declares a tag, or the parameter types themselves). A tag import accepts a
    tag of an equivalent type (`type_id`, as for functions: see `runtime.func.type_id`)."""

    __slots__ = ("type", "type_id", "name", "__weakref__")

    def __init__(
        self, params: FuncType | Sequence[ValueType], name: str = "", known_type_id: int | None = None
    ) -> None:
        func_type = params if isinstance(params, FuncType) else FuncType(tuple(params), ())
        if func_type.results:
            raise ValueError(f"a tag has no results, {func_type} has")
        self.type = func_type
        # An instance passes the id of the type as its module declares it (types naming others
        # have ids by their canonical key); a type written here names no other.
        self.type_id = type_id(func_type) if known_type_id is None else known_type_id
        self.name = name

    def __repr__(self) -> str:
        label = f" {self.name}" if self.name else ""
        return f"<Tag{label} {self.type}>"


class WasmException(WasmError, Thrown, ExceptionReference):
    """A wasm exception: `tag` and its `payload` (Python values, as DESIGN.md §3 gives them).

    Raise one from a host function to throw it into wasm; catch it around a call into wasm to
    handle one that wasm code threw and did not catch."""

    # How many more handlers an exception that a legacy `delegate` passes on skips (set by
    # the Python engine in flight, back to 0 before it leaves the function that set it).
    skip = 0
    message = "uncaught exception"  # WasmError's, the same for every one (made without __init__)

    def __init__(self, tag: Tag, payload: Sequence[Any] = ()) -> None:
        if not isinstance(tag, Tag):
            raise TypeError(f"WasmException takes a wasmkit.Tag first, not {type(tag).__name__}")
        params = tag.type.params
        if len(payload) != len(params):
            raise TypeError(f"{tag!r} carries {len(params)} value(s), got {len(payload)}")
        self.tag = tag
        self.internal = tuple(to_internal(t, v) for t, v in zip(params, payload))  # as the engines hold it

    @classmethod
    def thrown(cls, tag: Tag, internal: tuple) -> "WasmException":
        """The exception wasm code throws, its payload already in the engines' representation
        (made without `__init__`, which checks and converts: a throw costs one allocation)."""
        exc = cls.__new__(cls)
        exc.tag = tag
        exc.internal = internal
        return exc

    @property
    def payload(self) -> tuple:
        """The payload as Python values."""
        return tuple(to_api(t, v) for t, v in zip(self.tag.type.params, self.internal))

    def __str__(self) -> str:
        return f"uncaught exception: {self.tag!r} with payload {self.payload}"


def throw_ref(exception: WasmException | None) -> WasmException:
    """What `throw_ref` throws: the exception an exnref holds, without the traceback it
    gathered before (re-thrown in a loop, it would grow); a null reference traps."""
    if exception is None:
        raise Trap(TrapKind.NULL_EXCEPTION_REFERENCE)
    return exception.with_traceback(None)
