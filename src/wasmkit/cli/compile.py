"""`wasmkit compile`: compile every function of a module ahead of time, into the code cache, so
that the first run starts as fast as later ones (what `wasmtime compile` is for wasmtime)."""

from __future__ import annotations

import argparse
import time

from ..progress import progress_bar
from .common import read_input

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("compile", help="compile a module ahead of time into the code cache")
    p.add_argument("file", help="the .wasm or .wat file")
    p.set_defaults(handler=_compile)


def _compile(args: argparse.Namespace) -> int:
    from ..engine.python import PythonEngine
    from ..engine.cache_dir import default_cache_dir
    from ..runtime import Module

    start = time.perf_counter()
    module = Module(read_input(args.file), name=args.file)
    engine = PythonEngine(cache_dir=default_cache_dir())
    compiled = engine.compile(module.valid)
    compiled.compile_all(progress_bar("compiling"))  # and writes the cache
    count = len(module.syntax.funcs)
    print(f"{args.file}: {count} functions compiled in {time.perf_counter() - start:.2f}s, cached in {default_cache_dir()}")
    return 0
