"""Validation: the WebAssembly 2.0 type system, module-level rules and function bodies."""

from .module import ValidModule, validate

__all__ = ["validate", "ValidModule"]
