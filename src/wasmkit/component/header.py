"""What tells a component from a core module: the first 8 bytes. Apart from the reader, so
that the commands can ask without importing the component syntax."""

from __future__ import annotations

__all__ = ["is_component", "MAGIC", "COMPONENT_LAYER"]

MAGIC = b"\0asm"
COMPONENT_LAYER = b"\x0d\x00\x01\x00"  # version 0x0d (pre-standard), layer 1


def is_component(data: bytes | bytearray | memoryview) -> bool:
    """Whether `data` starts as a component does (rather than a core module)."""
    return bytes(data[:8]) == MAGIC + COMPONENT_LAYER
