"""`wasmkit run`: run a module, with the flags of `wasmtime run`.

`--invoke NAME` calls an exported function with the arguments given after the file, parsed by
the function's parameter types, and prints each result on its own line. Exit status: the
program's, 1 for a wasmkit error (missing file, malformed or invalid module, bad arguments),
134 after a trap (the trap and its wasm backtrace go to stderr), as wasmtime does.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import Trap
from ..runtime import Func, Instance, Module, Store
from ..syntax.types import ValType
from .common import CliError, read_input

__all__ = ["register", "TRAP_EXIT_STATUS"]

TRAP_EXIT_STATUS = 134


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("run", help="run a WebAssembly module")
    p.add_argument("--invoke", metavar="NAME", help="call the exported function NAME")
    p.add_argument("--engine", default="python", help="the engine to run on (default: python)")
    p.add_argument("file", help="the .wasm or .wat file")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the function or program")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    module = Module(read_input(args.file), name=args.file)
    if module.syntax.imports:
        names = ", ".join(f"{m}.{n}" for m, n, _ in module.imports)
        raise CliError(f"{args.file}: the module imports {names}, which wasmkit run cannot provide")
    name = args.invoke or "_start"
    try:
        instance = Instance(module, store=Store(args.engine))
        func = instance.exports.get(name)
        if not isinstance(func, Func):
            raise CliError(f"{args.file}: no exported function {name!r}" + ("" if args.invoke else " (use --invoke)"))
        values = [_parse_argument(vt, text, name) for vt, text in zip(func.type.params, args.args)]
        if len(args.args) != len(func.type.params):
            raise CliError(f"{name}{func.type} takes {len(func.type.params)} argument(s), got {len(args.args)}")
        result = func(*values)
    except Trap as trap:
        print(f"wasmkit: trap: {trap}", file=sys.stderr)
        return TRAP_EXIT_STATUS
    results = result if isinstance(result, tuple) else () if result is None else (result,)
    for value in results:
        print(value)
    return 0


def _parse_argument(vt: ValType, text: str, name: str) -> object:
    try:
        if vt in (ValType.I32, ValType.I64, ValType.V128):
            return int(text, 0)
        if vt in (ValType.F32, ValType.F64):
            return float(text)
    except ValueError:
        raise CliError(f"{name}: cannot read {text!r} as {vt.text}") from None
    raise CliError(f"{name}: arguments of type {vt.text} cannot be given on the command line")
