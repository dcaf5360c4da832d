"""`wasmkit wat2wasm` and `wasmkit wasm2wat`: between the text and binary formats."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..binary import read_module, write_module
from ..binary.names import encode_names, read_names
from ..binary.reader import looks_binary
from ..syntax.module import Module
from ..validate import validate
from .common import CliError, parse_text, read_input, write_output
from .features import add_feature_options, check_features, disabled_features

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("wat2wasm", help="translate the text format to a binary module")
    p.add_argument("file", help="a .wat file, or - for stdin")
    p.add_argument("-o", "--output", help="output file (default: the input's name with .wasm; - for stdout)")
    p.add_argument("--no-check", action="store_true", help="do not validate the module")
    p.add_argument("--debug-names", action="store_true", help="write the $names of the text into a name section")
    add_feature_options(p)
    p.set_defaults(handler=_wat2wasm)

    p = commands.add_parser("wasm2wat", help="translate a binary module to the text format")
    p.add_argument("file", help="a .wasm file, or - for stdin")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument("--no-check", action="store_true", help="do not validate the module")
    p.set_defaults(handler=_wasm2wat)


def _wat2wasm(args: argparse.Namespace) -> int:
    data = read_input(args.file)
    if looks_binary(data):
        raise CliError(f"{args.file}: this is a binary module, not text (wasm2wat translates it)")
    module = parse_text(data, args.file, debug_names=args.debug_names)
    check_features(module, disabled_features(args))
    if args.debug_names:
        module = _with_wabt_name_section(module)
    if not args.no_check:
        validate(module)
    output = args.output
    if output is None and args.file != "-":
        output = str(Path(args.file).with_suffix(".wasm"))
    write_output(output, write_module(module), binary=True)
    return 0


def _with_wabt_name_section(module: Module) -> Module:
    """`module` with its name section written as wabt writes it (local names listed for every
    function), so that `wat2wasm --debug-names` gives wabt's bytes."""
    content = encode_names(read_names(module), func_count=len(module.func_type_indices()))
    customs = tuple(replace(c, data=content) if c.name == "name" else c for c in module.customs)
    return replace(module, customs=customs)


def _wasm2wat(args: argparse.Namespace) -> int:
    from ..text.printer import print_module

    data = read_input(args.file)
    if data and not looks_binary(data):
        raise CliError(f"{args.file}: this is the text format, not a binary module (wat2wasm translates it)")
    module = read_module(data)
    if not args.no_check:
        validate(module)
    write_output(args.output, print_module(module).encode("utf-8"))
    return 0
