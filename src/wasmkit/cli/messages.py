"""What the command line prints when a module is at fault: where and what, in one line."""

from __future__ import annotations

from ..errors import ParseError, ValidationError, WasmError, describe_error
from .common import text_source
from .text_positions import locate_validation_error

__all__ = ["error_message"]


def error_message(err: WasmError, path: str | None) -> str:
    """What to print for `err`, found in the file `path`: where and what, in one line; for a
    fault in text, also the source line with a caret under the fault."""
    if isinstance(err, ParseError):
        return str(err) if err.filename else f"{path or '<input>'}:{err}"
    if isinstance(err, ValidationError) and path is not None:
        source = text_source(path)
        located = source and locate_validation_error(err, source[1], source[0], path)
        if located:
            return str(located)
    return describe_error(err, path)
