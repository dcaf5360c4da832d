"""The Python engine: wasm compiled to Python source, pure standard library."""

from .engine import PythonCompiledModule, PythonEngine

__all__ = ["PythonEngine", "PythonCompiledModule"]
