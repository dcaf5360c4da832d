"""What a module source given to `Module` or `wasmkit.load` stands for: a file's path, a wasm
binary, WAT text, or an already parsed module. Decided in this one place by content, so that
every entry point takes the same things."""

from __future__ import annotations

import errno
import os
from typing import Union

from ..binary.reader import MAGIC
from ..syntax.module import Module as SyntaxModule
from ..text.lexer import skip_trivia

__all__ = ["ModuleSource", "read_source", "is_native_artifact"]

ModuleSource = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", SyntaxModule]

ACCEPTED = "a path, wasm bytes, WAT text (starting with '(' after comments) or a parsed module"


def _is_path(source: str | bytes) -> bool:
    """Whether `source` is a file's path: it is not a wasm binary (bytes starting with \\0asm,
    or any bytes holding a NUL or not UTF-8, which then fail to decode as a binary or text
    module should), and not WAT text (white space and comments, then `(`)."""
    if isinstance(source, bytes):
        if b"\0" in source:
            return False
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not source.startswith("(", skip_trivia(source))


def read_source(source: object, name: str = "") -> tuple[bytes | str | SyntaxModule, str]:
    """The module content `source` stands for, and its name (a file's path names it).

    Raises TypeError for anything else than what `ACCEPTED` says, and FileNotFoundError for a
    path that names no file."""
    if isinstance(source, SyntaxModule):
        return source, name
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if not isinstance(source, (str, bytes, os.PathLike)):
        raise TypeError(f"a module source is {ACCEPTED}, not {type(source).__name__}")
    if isinstance(source, os.PathLike) or _is_path(source):
        path = os.fsdecode(os.fspath(source))
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, f"no such module file (a module source is {ACCEPTED})", path)
        with open(path, "rb") as f:
            return f.read(), name or path
    return source, name


def is_native_artifact(data: bytes) -> bool:
    """Whether `data` is machine code for the native engine (`wasmkit compile --engine native
    -o`); never without llvmlite, which that engine needs."""
    if data.startswith(MAGIC) or data[:1] != b"\0":
        return False
    try:
        from ..engine.native.artifact import is_artifact
    except ImportError:
        return False
    return is_artifact(data)
