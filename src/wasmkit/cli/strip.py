"""`wasmkit strip`: drop a module's custom sections (debug names, DWARF, producers, ...), as
wabt's wasm-strip does.

    wasmkit strip FILE [-o OUT] [-k NAME]... [-R NAME]...

Without `-o` the file is rewritten in place. `-k NAME` keeps the custom sections called NAME;
`-R NAME` removes only the custom sections called NAME (and then `-k` changes nothing), as
wasm-strip does. Known sections are never removed; every byte kept is copied as it was.
"""

from __future__ import annotations

import argparse

from ..binary.leb128 import read_u32
from ..binary.reader import SectionId, looks_binary, read_module_layout
from .common import CliError, read_input, write_output

__all__ = ["register", "strip_sections"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("strip", help="remove custom sections from a binary module")
    p.add_argument("file", help="a .wasm file, or - for stdin")
    p.add_argument("-o", "--output", help="output file (default: rewrite FILE; - for stdout)")
    p.add_argument(
        "-k", "--keep-section", action="append", default=[], metavar="NAME", help="keep the custom sections called NAME"
    )
    p.add_argument(
        "-R",
        "--remove-section",
        action="append",
        default=[],
        metavar="NAME",
        help="remove only the custom sections called NAME",
    )
    p.set_defaults(handler=_strip)


def _strip(args: argparse.Namespace) -> int:
    data = read_input(args.file)
    if not looks_binary(data):
        raise CliError(f"{args.file}: not a binary module (strip reads .wasm files)")
    read_module_layout(data)  # a malformed module is reported as one, before anything is written
    output = args.output if args.output is not None else (None if args.file == "-" else args.file)
    write_output(output, strip_sections(data, set(args.keep_section), set(args.remove_section)), binary=True)
    return 0


def _custom_name(data: bytes, content: int) -> str:
    length, start = read_u32(data, content)
    return data[start : start + length].decode("utf-8")


def strip_sections(data: bytes, keep: set[str], remove: set[str]) -> bytes:
    """`data` (a well-formed binary module) without the custom sections asked away: with
    `remove`, those named in it; else every one not named in `keep`."""
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        section_id = data[pos]
        size, content = read_u32(data, pos + 1)
        end = content + size
        if section_id == SectionId.CUSTOM:
            name = _custom_name(data, content)
            dropped = name in remove if remove else name not in keep
        else:
            dropped = False
        if not dropped:
            out += data[pos:end]
        pos = end
    return bytes(out)
