"""What a route's `memory_mb` covers: the whole request, not only the guest's linear memory.

A request holds, besides its instance's linear memory, memory the host allocates on its behalf:
the request body (stdin), what the module writes to stdout (the response, captured) and to
stderr (captured for the log), and its tables (a Python slot and a native mirror entry per
element). `memory_mb` bounds their sum. Each of those host buffers has a cap of its own, so the
budget reserves each cap in full and the guest's linear memory gets what is left, the same for
every request (so whether `memory.grow` succeeds never depends on the size of a request):

    linear memory = memory_mb MiB - max_body_bytes - max_response_bytes - STDERR_LIMIT
                    - TABLE_ELEMENTS * TABLE_ELEMENT_BYTES

shared equally by the memories the module defines (multi-memory), as `TABLE_ELEMENTS` is by
its tables. Not covered: the Python objects of the instance itself (a few hundred, a few tens
of KiB), the thread's stack, and the copy of stdout made when the response is parsed (at most
`max_response_bytes`, while the response is sent).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.types import PAGE_SIZE

__all__ = ["MIB", "RequestBudget", "STDERR_LIMIT", "TABLE_ELEMENTS", "TABLE_ELEMENT_BYTES", "host_reserve"]

MIB = 1024 * 1024
STDERR_LIMIT = 1 * MIB  # what a request's module may write to stderr (it goes to the log)
TABLE_ELEMENTS = 65_536  # elements of all a request's tables together
TABLE_ELEMENT_BYTES = 24  # host memory per table element: a list slot and a native mirror entry


def host_reserve(max_body_bytes: int, max_response_bytes: int) -> int:
    """The bytes of a route's budget the host keeps for the request's buffers and tables."""
    return max_body_bytes + max_response_bytes + STDERR_LIMIT + TABLE_ELEMENTS * TABLE_ELEMENT_BYTES


@dataclass(frozen=True)
class RequestBudget:
    """The caps a request's store gets from its route: bytes per linear memory and elements
    per table, for a module defining `memories` memories and `tables` tables."""

    memory_bytes: int
    table_elements: int

    @classmethod
    def split(cls, memory_mb: int, max_body_bytes: int, max_response_bytes: int, memories: int, tables: int) -> RequestBudget:
        guest = memory_mb * MIB - host_reserve(max_body_bytes, max_response_bytes)
        per_memory = guest // max(memories, 1) // PAGE_SIZE * PAGE_SIZE
        return cls(max(per_memory, 0), TABLE_ELEMENTS // max(tables, 1))
