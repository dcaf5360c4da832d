"""What the modules `wasmkit bindgen` writes call at run time, besides `wasmkit.load`."""

from __future__ import annotations

__all__ = ["unbound"]


def unbound(name: str) -> TypeError:
    """The error of calling a generated resource class's own method: only the class a loaded
    instance gives (`root.ops.Counter`, a subclass with the component's functions) runs them."""
    return TypeError(f"{name}: call it on the class a loaded instance gives (the component's exports), not on the generated class")
