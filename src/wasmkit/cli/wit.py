"""`wasmkit wit COMPONENT`: a component's world (or the WIT package it encodes) in WIT, as
`wasm-tools component wit` prints it."""

from __future__ import annotations

import argparse
import os
import sys

from .common import CliError, read_input

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("wit", help="print a component's world (or the WIT package it encodes) in WIT")
    p.add_argument("file", metavar="COMPONENT", help="a binary component (.wasm), or - for stdin")
    p.set_defaults(handler=_wit)


def _wit(args: argparse.Namespace) -> int:
    from ..component.wit_decode import component_wit  # what only components need, on first need

    if args.file.endswith(".wit") or os.path.isdir(args.file):
        what = "Is a directory" if os.path.isdir(args.file) else "WIT sources"
        raise CliError(f"{args.file}: {what}: `wasmkit wit` prints the world of a binary component, it does not read WIT")
    data = read_input(args.file)
    if not data:
        raise CliError(f"{args.file}: the file is empty (neither a binary module nor text)")
    if data.lstrip().startswith(b"(component"):
        raise CliError(f"{args.file}: a component in the text format: wasmkit reads components in the binary format only")
    sys.stdout.write(component_wit(data))
    return 0
