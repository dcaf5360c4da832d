"""`wasmkit explore`: a module or component as one self-contained HTML page (sections and
their sizes, the biggest functions, imports and exports, the call graph around a function,
each function's disassembly, and with --engine what that engine makes of it)."""

from __future__ import annotations

import argparse
import importlib.util
import os

from ..binary import write_module
from ..binary.reader import looks_binary
from ..component import is_component
from .common import CliError, module_from_bytes, read_input, write_output

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("explore", help="show a module or component as a web page (one HTML file)")
    p.add_argument("file", help="a .wasm or .wat file, or - for stdin")
    p.add_argument("-o", "--output", help="the HTML file to write (default: FILE with .html; - for stdout)")
    p.add_argument(
        "--engine",
        choices=("python", "native"),
        help="beside each function, what this engine makes of it: python (its Python source) or native"
        " (LLVM IR and assembly, for the biggest functions)",
    )
    p.set_defaults(handler=_explore)


def _explore(args: argparse.Namespace) -> int:
    from ..explore import explore_page  # the page's code only when asked for

    if args.engine == "native" and importlib.util.find_spec("llvmlite") is None:
        raise CliError("the native engine needs llvmlite: pip install 'wasmkit[native]'")
    data = read_input(args.file)
    if not is_component(data) and not looks_binary(data):  # text: the binary it encodes to
        data = write_module(module_from_bytes(data, args.file, debug_names=True))
    name = "stdin" if args.file == "-" else os.path.basename(args.file)
    output = args.output
    if output is None:
        output = "-" if args.file == "-" else os.path.splitext(args.file)[0] + ".html"
    write_output(output, explore_page(data, name, args.engine).encode("utf-8"))
    return 0
