"""The text format: WAT modules and .wast scripts, parsed and printed."""

from typing import Any

from .lexer import Source
from .parser import parse_module

__all__ = ["parse_module", "parse_script", "print_module", "Source", "decode_source"]


def __getattr__(name: str) -> Any:
    """The printer and the script reader load on first use: running a module needs neither."""
    if name == "print_module":
        from .printer import print_module

        return print_module
    if name == "parse_script":
        from .script import parse_script

        return parse_script
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def decode_source(data: bytes, name: str = "") -> str:
    """Source bytes as text: UTF-8, with a ParseError (line and column) where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        good = data[: err.start].decode("utf-8")
        raise Source(good + "\ufffd", name).error("malformed UTF-8 encoding", len(good)) from None
