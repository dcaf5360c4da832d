"""The Python engine: wasm compiled to Python source, pure standard library.

The engine's modules are imported when it is first asked for: the native engine reads the
atomic operations' table of `atomics` (and nothing else here), and a process running native
code does not need the compiler."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import PythonCompiledModule, PythonEngine

__all__ = ["PythonEngine", "PythonCompiledModule"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
