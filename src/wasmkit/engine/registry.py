"""The engines by name: what `Store("native")`, the command line and the server ask for.

It sits above both engines (it imports them, on first use), so that neither the engines nor
`base`, which they build on, import the other tier or the runtime's store.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .base import Engine
from .cache_dir import default_cache_dir, shared_engine_cache_dir

__all__ = ["get_engine", "cached_engine", "resolve_engine_name", "compiled_first"]

_ENGINES: dict[tuple[str, bool], Engine] = {}


def resolve_engine_name(name: str) -> str:
    """`name`, with "auto" resolved: itself (the Python engine first, then native code: see
    `tiered`) when llvmlite is installed, else the Python engine."""
    if name != "auto":
        return name
    return "auto" if importlib.util.find_spec("llvmlite") is not None else "python"


def compiled_first(name: str) -> str:
    """`name` resolved for a host whose code should be compiled before it runs: "auto" is the
    native engine when llvmlite is installed, not the tiers, since an instance moves to native
    code only between calls and such hosts make one long call (a WASI command's `_start`),
    compile once for several processes (`wasmkit serve`), or promise compiled code (the
    wasmtime-py layer). See `tiered`."""
    resolved = resolve_engine_name(name)
    return "native" if resolved == "auto" else resolved


def get_engine(name: str = "python", *, cache: bool = True) -> Engine:
    """The engine called `name` ("python", "native" or "auto"; one shared instance per name
    and `cache`): keeping compiled code on disk where `cache_dir.shared_engine_cache_dir`
    says, unless `cache` is False."""
    name = resolve_engine_name(name)
    engine = _ENGINES.get((name, cache))
    if engine is None:
        engine = _ENGINES[(name, cache)] = _new_engine(name, shared_engine_cache_dir(name) if cache else None)
    return engine


def cached_engine(name: str = "python") -> Engine:
    """A new engine called `name` that keeps compiled code on disk (in `$WASMKIT_CACHE_DIR`,
    else `$XDG_CACHE_HOME/wasmkit`, else `~/.cache/wasmkit`), for programs that start often:
    the command line and the server's worker processes."""
    return _new_engine(resolve_engine_name(name), default_cache_dir())


def _new_engine(name: str, cache_dir: Path | None) -> Engine:
    """A new engine called `name`, keeping compiled code in `cache_dir` if one is given."""
    if name == "python":
        from .python import PythonEngine

        return PythonEngine(cache_dir=cache_dir)
    if name == "native":
        try:
            from .native import NativeEngine
        except ImportError:
            raise ValueError("the native engine needs llvmlite: pip install 'wasmkit[native]'") from None
        return NativeEngine(cache_dir=cache_dir)
    if name == "auto":
        from .tiered import TieredEngine

        return TieredEngine(_new_engine("python", cache_dir), lambda: _new_engine("native", cache_dir))
    raise ValueError(f"unknown engine {name!r} (available: python, native, auto)")
