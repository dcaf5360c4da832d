"""Components (the component model): the binary format's syntax and reader. Nothing below
`runtime/` knows of components (see DESIGN.md section 11)."""

from .reader import is_component, read_component
from .syntax import Component

__all__ = ["Component", "is_component", "read_component"]
