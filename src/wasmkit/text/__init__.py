"""The text format: WAT modules and .wast scripts, parsed and printed."""

from .lexer import Source
from .parser import parse_module
from .printer import print_module
from .script import parse_script

__all__ = ["parse_module", "parse_script", "print_module", "Source", "decode_source"]


def decode_source(data: bytes, name: str = "") -> str:
    """Source bytes as text: UTF-8, with a ParseError (line and column) where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        good = data[: err.start].decode("utf-8")
        raise Source(good + "\ufffd", name).error("malformed UTF-8 encoding", len(good)) from None
