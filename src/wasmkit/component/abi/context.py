"""What lifting and lowering work over: a linear memory, a `realloc` function, a string
encoding, and the handle table of the component instance on the core side of the call.

This is the interface between the canonical ABI and whoever runs the core code (either
engine, through instantiation); nothing here knows an engine:

- `LinearMemory`: `len(memory)` is its size in bytes, `read(offset, length)` gives bytes and
  `write(offset, data)` stores them (`runtime.Memory` is one; `BytesMemory` wraps a
  `bytearray`). The ABI checks every range itself before it reads or writes, and rereads the
  size after each `realloc`, which may grow the memory.
- `Realloc`: the core function of the `realloc` option, called as
  `realloc(old_ptr, old_size, alignment, new_size) -> ptr` (ints; a negative result, as a
  signed i32, is taken modulo 2**32).
- `Options`: a `canon lift` or `canon lower`'s options (memory, realloc, string encoding),
  made once per canonical definition.
- `Context`: one call's view: the options, the instance's `HandleTable`, the instance itself
  (any object; `lower_borrow` compares it with a resource's `impl`), the call's borrow scope
  (see `resources`) and the run-time type of each resource type the values name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Union

from ...bits import MASK32
from .traps import invalid, out_of_bounds

if TYPE_CHECKING:
    from ..types import Resource
    from .resources import BorrowScope, HandleTable, LendScope, ResourceType

__all__ = ["LinearMemory", "BytesMemory", "Realloc", "StringEncoding", "Options", "Context"]

Realloc = Callable[[int, int, int, int], int]


class LinearMemory(Protocol):
    def __len__(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes: ...

    def write(self, offset: int, data: bytes) -> None: ...


class BytesMemory:
    """A `LinearMemory` over a `bytearray` (host buffers, tests)."""

    __slots__ = ("data",)

    def __init__(self, data: bytearray) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self.data[offset : offset + length])

    def write(self, offset: int, data: bytes) -> None:
        self.data[offset : offset + len(data)] = data


class StringEncoding(enum.Enum):
    """The `string-encoding` option; the value is the Explainer's spelling."""

    UTF8 = "utf8"
    UTF16 = "utf16"
    LATIN1_UTF16 = "latin1+utf16"


@dataclass(frozen=True)
class Options:
    """A canonical definition's options that values depend on."""

    memory: LinearMemory | None = None
    realloc: Realloc | None = None
    encoding: StringEncoding = StringEncoding.UTF8


ResourceTypes = Union[Mapping["Resource", "ResourceType"], Callable[["Resource"], "ResourceType"]]


class Context:
    """One call's lifting or lowering: `Options` plus the instance's state. `scope` is the
    callee's `BorrowScope` when values are lowered into a callee (`canon lift`: borrowed
    handles it gets must be dropped before it returns), the caller's `LendScope` when they
    are lifted out of a caller (`canon lower`: handles it lends stay lent until the call
    returns)."""

    __slots__ = ("options", "memory", "realloc", "encoding", "handles", "instance", "scope", "_resource_types")

    def __init__(
        self, options: Options, handles: HandleTable | None = None, *, instance: object = None,
        scope: BorrowScope | LendScope | None = None, resource_types: ResourceTypes | None = None,
    ) -> None:  # fmt: skip
        self.options = options
        self.memory = options.memory
        self.realloc = options.realloc
        self.encoding = options.encoding
        self.handles = handles
        self.instance = instance
        self.scope = scope
        self._resource_types = resource_types

    # -- memory --

    def mem(self) -> LinearMemory:
        if self.memory is None:
            raise ValueError("this value passes through linear memory: the canonical option `memory` is required")
        return self.memory

    def check_range(self, ptr: int, size: int, align: int, what: str) -> None:
        """Trap unless `size` bytes at `ptr` are aligned to `align` and inside memory."""
        if ptr & (align - 1):
            raise invalid(f"{what} pointer {ptr:#x} is not aligned to {align}")
        if ptr + size > len(self.mem()):
            raise out_of_bounds(f"{what} pointer/length out of bounds of memory ({size} bytes at {ptr:#x})")

    def read(self, ptr: int, length: int) -> bytes:
        return self.mem().read(ptr, length)

    def write(self, ptr: int, data: bytes) -> None:
        self.mem().write(ptr, data)

    # -- allocation --

    def reallocate(self, old: int, old_size: int, align: int, new_size: int) -> int:
        """Call `realloc` and check what it gives: aligned, and `new_size` bytes inside memory."""
        if self.realloc is None:
            raise ValueError("this value is allocated by the callee: the canonical option `realloc` is required")
        ptr = self.realloc(old, old_size, align, new_size) & MASK32
        if ptr & (align - 1):
            raise invalid(f"realloc return: result {ptr:#x} not aligned to {align}")
        if ptr + new_size > len(self.mem()):
            raise out_of_bounds(f"realloc return: beyond end of memory ({new_size} bytes at {ptr:#x})")
        return ptr

    def allocate(self, align: int, size: int) -> int:
        return self.reallocate(0, 0, align, size)

    # -- resources --

    def resource_type(self, resource: Resource) -> ResourceType:
        """The run-time type of `resource` (a type-level `types.Resource`) in this call."""
        found = self._resource_types
        if found is None:
            raise ValueError("this value holds resource handles: the context needs its resource types")
        return found(resource) if callable(found) else found[resource]

    def table(self) -> HandleTable:
        if self.handles is None:
            raise ValueError("this value holds resource handles: the context needs the instance's handle table")
        return self.handles
