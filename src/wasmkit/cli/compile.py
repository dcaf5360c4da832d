"""`wasmkit compile`: compile every function of a module ahead of time, so that the first run
starts as fast as later ones (what `wasmtime compile` is for wasmtime).

    wasmkit compile [--engine python|native] [-o OUT] FILE

Compiled code goes into the engine's code cache (`$WASMKIT_CACHE_DIR`, else
`$XDG_CACHE_HOME/wasmkit`, else `~/.cache/wasmkit`), where `wasmkit run`, the Python API (native
engine) and the server find it. With `--engine native -o OUT`, the module and its machine code
are also written to OUT, an artifact that `wasmkit run OUT` runs on the native engine on this
kind of machine with this wasmkit and LLVM (anything else is refused with a clear error).
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ..progress import progress_bar
from .common import CliError, load_module, write_output

if TYPE_CHECKING:
    from ..runtime import Module

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("compile", help="compile a module ahead of time into the code cache or an artifact")
    p.add_argument("file", help="the .wasm or .wat file")
    p.add_argument(
        "--engine", default="python", choices=("python", "native"),
        help="the engine to compile for (default: python)",
    )  # fmt: skip
    p.add_argument(
        "-o", dest="output", metavar="OUT",
        help="native engine: also write the module and its machine code to OUT, for `wasmkit run OUT`",
    )  # fmt: skip
    p.set_defaults(handler=_compile)


def _compile(args: argparse.Namespace) -> int:
    from ..engine.cache_dir import default_cache_dir
    from ..runtime import Module

    if args.output is not None and args.engine != "native":
        raise CliError("-o writes machine code: it needs --engine native")
    start = time.perf_counter()
    module = Module(load_module(args.file), name=args.file)
    if args.engine == "native":
        _compile_native(module, args.output)
    else:
        from ..engine.python import PythonEngine

        compiled = PythonEngine(cache_dir=default_cache_dir()).compile(module.valid)
        with progress_bar("compiling") as progress:
            compiled.compile_all(progress)  # and writes the cache
    count = len(module.syntax.funcs)
    where = f"written to {args.output}" if args.output else f"cached in {default_cache_dir()}"
    print(f"{args.file}: {count} functions compiled in {time.perf_counter() - start:.2f}s, {where}")
    return 0


def _compile_native(module: "Module", output: str | None) -> None:
    """Compile `module` for the native engine into the cache, and into an artifact at `output`."""
    try:
        from ..engine.native.module import NativeCompiledModule, artifact_of
    except ImportError:
        raise CliError("the native engine needs llvmlite: pip install 'wasmkit[native]'") from None
    from ..engine.cache_dir import default_cache_dir

    with progress_bar("compiling") as progress:
        if output is None:
            NativeCompiledModule(module.valid, cache_dir=default_cache_dir()).compile_all(progress)
        else:
            write_output(output, artifact_of(module.valid, default_cache_dir(), progress))
