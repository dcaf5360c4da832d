"""`wasmkit bindgen COMPONENT|WIT -o out.py`: a typed Python module for a component's world
(`component.bindgen`), for editors and type checkers."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from .common import CliError, read_input, write_output

if TYPE_CHECKING:
    from ..component.wit import Resolve

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("bindgen", help="write a typed Python module for a component's world")
    p.add_argument("file", metavar="COMPONENT|WIT", help="a binary component (.wasm), a .wit file or a WIT directory, or - for stdin")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the module (default: stdout)")
    p.add_argument("--world", metavar="NAME", help="the world to bind, for a WIT package of several")
    p.set_defaults(handler=_bindgen)


def _bindgen(args: argparse.Namespace) -> int:
    from ..component.bindgen import bindgen_component, generate  # what only components need, on first need

    source = os.path.basename(args.file) if args.file != "-" else "stdin"
    if args.file.endswith(".wit") or os.path.isdir(args.file):
        text = generate(_read_wit(args.file), args.world, source)
    else:
        if args.world is not None:
            raise CliError("--world is for a WIT package: a component has one world")
        data = read_input(args.file)
        if not data:
            raise CliError(f"{args.file}: the file is empty (neither a binary component nor WIT)")
        if data.lstrip().startswith(b"(component"):
            raise CliError(f"{args.file}: a component in the text format: wasmkit reads components in the binary format only")
        if data[:4] != b"\0asm":
            raise CliError(f"{args.file}: not a binary component (nor a .wit file or a directory of WIT)")
        text = bindgen_component(data, source)
    write_output(args.output, text.encode())
    return 0


def _read_wit(path: str) -> Resolve:
    """The `wit.Resolve` of the WIT package at `path` (a .wit file or a directory)."""
    from ..component.wit_parse import load_path

    return load_path(path)
