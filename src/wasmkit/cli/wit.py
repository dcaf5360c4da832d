"""`wasmkit wit PATH`: WIT as `wasm-tools component wit` prints it, of a component's world (or
the WIT package it encodes), or of WIT text: a `.wit` file, or a package directory with its
`deps/`."""

from __future__ import annotations

import argparse
import os
import sys

from .common import CliError, read_input

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("wit", help="print the WIT of a component, of a WIT package it encodes, or of WIT files")
    p.add_argument("file", metavar="PATH", help="a binary component (.wasm, or - for stdin), a .wit file, or a WIT package directory")
    p.add_argument("--features", action="append", default=[], metavar="F[,F...]",
                   help="features of @unstable items to keep (as wasm-tools: the others are left out)")
    p.add_argument("--all-features", action="store_true", help="keep every @unstable item")
    p.set_defaults(handler=_wit)


def _wit(args: argparse.Namespace) -> int:
    if args.file.endswith(".wit") or os.path.isdir(args.file):
        from ..component.wit import print_wit
        from ..component.wit_parse import load_path

        features = [f.strip() for group in args.features for f in group.split(",") if f.strip()]
        sys.stdout.write(print_wit(load_path(args.file, features, args.all_features)))
        return 0
    from ..component.wit_decode import component_wit  # what only components need, on first need

    data = read_input(args.file)
    if not data:
        raise CliError(f"{args.file}: the file is empty (neither a binary module nor text)")
    if data.lstrip().startswith(b"(component"):
        raise CliError(f"{args.file}: a component in the text format: wasmkit reads components in the binary format only")
    sys.stdout.write(component_wit(data))
    return 0
