"""Helpers shared by the subcommands: reading inputs, writing outputs, the `--engine` and
`--env` flags."""

from __future__ import annotations

import argparse
import os
import sys

from ..binary import read_module
from ..binary.reader import looks_binary
from ..errors import ParseError
from ..runtime.source import is_native_artifact
from ..syntax.module import Module
from ..text import decode_source, parse_module

__all__ = [
    "CliError",
    "ENGINE_NAMES",
    "add_engine_option",
    "env_from_flags",
    "load_module",
    "module_from_bytes",
    "parse_text",
    "read_input",
    "text_source",
    "write_output",
]


ENGINE_NAMES = ("python", "native", "auto")


class CliError(Exception):
    """A mistake in how the command was used (a missing file, say): reported in one line."""


def read_input(path: str) -> bytes:
    """The bytes of `path`, or of stdin for `-`."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise CliError(f"{path}: {err.strerror or err}") from None


def write_output(path: str | None, data: bytes, binary: bool = False) -> None:
    """Write `data` to `path`, or to stdout when `path` is None or `-`; a `binary` module is
    not written to a terminal, where it would only garble the screen (as wasm-tools refuses)."""
    if path is None or path == "-":
        if binary and sys.stdout.isatty():
            raise CliError("not writing a binary module to the terminal: give -o FILE, or pipe the output")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as err:
        raise CliError(f"{path}: {err.strerror or err}") from None


def load_module(path: str, debug_names: bool = False) -> Module:
    """Read a module from a file: binary or text (see `looks_binary`)."""
    return module_from_bytes(read_input(path), path, debug_names)


def module_from_bytes(data: bytes, path: str, debug_names: bool = False) -> Module:
    """The module in `data` (read from `path`): binary, text, or a native artifact (whose
    machine code the native engine then uses). With `debug_names`, a text module keeps its
    `$names` in a name section (for backtraces and disassembly)."""
    if not data:
        raise CliError(f"{path}: the file is empty (neither a binary module nor text)")
    if is_native_artifact(data):
        from ..engine.native.artifact import read_artifact

        return read_module(read_artifact(data))
    if looks_binary(data):
        return read_module(data)
    return parse_text(data, path, debug_names)


def parse_text(data: bytes, path: str, debug_names: bool = False) -> Module:
    """The module in the text `data` (read from `path`), remembered for `text_source`."""
    text = decode_source(data, path)
    try:
        module = parse_module(text, path, debug_names)
    except ParseError:
        if path.endswith(".wast"):  # a script of modules and assertions, not one module
            raise CliError(f"{path}: this is a .wast script, not a module (wasmkit wast runs it)") from None
        raise
    _TEXT_SOURCES[path] = (text, module)
    return module


def text_source(path: str) -> tuple[str, Module] | None:
    """The text that the module read from `path` was parsed from, and that module (None if it
    was binary or not read): so that an error found later can be shown in the text."""
    return _TEXT_SOURCES.get(path)


# The text modules read by this command, by path (a command reads one or two).
_TEXT_SOURCES: dict[str, tuple[str, Module]] = {}


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """The `--engine` flag of the commands that run modules."""
    parser.add_argument(
        "--engine",
        default="python",
        choices=ENGINE_NAMES,
        help="python, native (LLVM) or auto: when llvmlite is installed, the Python engine at once and"
        " native code once compiled, else python; a command (_start) runs on native code (default: python)",
    )


def env_from_flags(items: list[str]) -> dict[str, str]:
    """The variables of `--env NAME=VALUE` flags, as wasmtime reads them: `--env NAME` passes
    the host's value through (nothing if the host has none)."""
    env = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not name:
            raise CliError(f"--env {item}: expected NAME=VALUE or NAME")
        if equals:
            env[name] = value
        elif name in os.environ:
            env[name] = os.environ[name]
    return env
