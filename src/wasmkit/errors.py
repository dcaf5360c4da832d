"""The one exception hierarchy of wasmkit.

Every error wasmkit raises for a user's input is a `WasmError`, one subclass per phase, each
carrying where it happened. Messages begin with the wording of the WebAssembly reference
interpreter ("unexpected end", "type mismatch", "integer divide by zero", ...) so that the
expectations of the official .wast scripts can be checked by prefix.
"""

from __future__ import annotations

import enum

__all__ = [
    "WasmError",
    "DecodeError",
    "ParseError",
    "ValidationError",
    "LinkError",
    "Trap",
    "WitError",
    "TrapKind",
    "ExitTrap",
    "describe_error",
]


class WasmError(Exception):
    """Root of every error that wasmkit raises for a module, a script or a running program."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DecodeError(WasmError):
    """A malformed binary module; `offset` is the byte offset of the fault in the input."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at byte offset {self.offset:#x})"


class ParseError(WasmError):
    """Malformed text (WAT or .wast), located by 1-based `line` and `column`.

    `source_line` holds the text of the offending line, so that `__str__` can show it with a
    caret under the fault.
    """

    def __init__(
        self, message: str, line: int, column: int, source_line: str = "", filename: str = ""
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.source_line = source_line
        self.filename = filename

    def __str__(self) -> str:
        where = f"{self.filename}:" if self.filename else ""
        text = f"{where}{self.line}:{self.column}: {self.message}"
        if self.source_line:
            text += f"\n  {self.source_line}\n  {' ' * (self.column - 1)}^"
        return text


class ValidationError(WasmError):
    """An invalid module.

    `func_index` is the index (in the function index space) of the function whose body is at
    fault, and `offset` the byte offset of the instruction within the module, when known.
    """

    def __init__(self, message: str, func_index: int | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.func_index = func_index
        self.offset = offset

    def __str__(self) -> str:
        where = []
        if self.func_index is not None:
            where.append(f"in function {self.func_index}")
        if self.offset is not None:
            where.append(f"at byte offset {self.offset:#x}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class WitError(WasmError):
    """A component whose world cannot be written in WIT (`wasmkit wit`), a file that is not a
    component, or malformed or unresolvable WIT text: then located by `filename` and 1-based
    `line` and `column` (0 when the fault has no one place)."""

    def __init__(self, message: str, filename: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.filename = filename
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if not self.line:
            return f"{self.filename}: {self.message}" if self.filename else self.message
        return f"{self.filename}:{self.line}:{self.column}: {self.message}"


class LinkError(WasmError):
    """An import that cannot be satisfied: missing ("unknown import") or of the wrong type
    ("incompatible import type")."""


class TrapKind(enum.Enum):
    """Why execution trapped; each value is the reference interpreter's message."""

    UNREACHABLE = "unreachable"
    INTEGER_DIVIDE_BY_ZERO = "integer divide by zero"
    INTEGER_OVERFLOW = "integer overflow"
    INVALID_CONVERSION = "invalid conversion to integer"
    OUT_OF_BOUNDS_MEMORY = "out of bounds memory access"
    OUT_OF_BOUNDS_TABLE = "out of bounds table access"
    UNDEFINED_ELEMENT = "undefined element"
    UNINITIALIZED_ELEMENT = "uninitialized element"
    INDIRECT_CALL_TYPE_MISMATCH = "indirect call type mismatch"
    NULL_FUNCTION_REFERENCE = "null function reference"
    NULL_REFERENCE = "null reference"
    NULL_STRUCTURE_REFERENCE = "null structure reference"
    NULL_ARRAY_REFERENCE = "null array reference"
    NULL_I31_REFERENCE = "null i31 reference"
    OUT_OF_BOUNDS_ARRAY = "out of bounds array access"
    CAST_FAILURE = "cast failure"
    ALLOCATION_TOO_LARGE = "allocation size too large"
    NULL_EXCEPTION_REFERENCE = "null exception reference"
    CALL_STACK_EXHAUSTED = "call stack exhausted"
    OUT_OF_FUEL = "out of fuel"
    INTERRUPTED = "interrupted"
    UNALIGNED_ATOMIC = "unaligned atomic memory access"  # threads
    UNSHARED_WAIT = "expected shared memory"  # threads: memory.atomic.wait on an unshared memory
    HOST = "host error"
    # The canonical ABI (components): a value or handle a component gave that its type forbids.
    INVALID_VALUE = "invalid value"
    INVALID_HANDLE = "invalid handle"
    # The async component model (tasks, waitables, streams): a built-in used against its rules.
    ASYNC = "async component model misuse"


class Trap(WasmError):
    """Execution trapped. `kind` says why; `frames` lists the wasm functions on the call stack,
    innermost first, when known (the innermost ones only: `more_frames` counts the rest)."""

    def __init__(
        self, kind: TrapKind, message: str | None = None, frames: list[str] | None = None, more_frames: int = 0
    ) -> None:
        super().__init__(message if message is not None else kind.value)
        self.kind = kind
        self.frames: list[str] = frames or []
        self.more_frames = more_frames

    def __str__(self) -> str:
        if not self.frames:
            return self.message
        return "\n".join([self.message, "wasm backtrace:", *_backtrace_lines(self.frames, self.more_frames)])


def _backtrace_lines(frames: list[str], more: int) -> list[str]:
    """One line per frame, numbered as wasmtime does, with a run of one function calling
    itself shown as Python shows it: its first frame, then how many more there are."""
    lines = []
    index = 0
    while index < len(frames):
        run = index + 1
        while run < len(frames) and frames[run] == frames[index]:
            run += 1
        lines.append(f"  {index}: {frames[index]}")
        if run - index > 1:
            lines.append(f"  [previous frame repeated {run - index - 1} more times]")
        index = run
    if more:
        lines.append(f"  ... {more} more frames")
    return lines


class ExitTrap(WasmError):
    """A WASI program called `proc_exit`; `code` is its exit status."""

    def __init__(self, code: int) -> None:
        super().__init__(f"exit with status {code}")
        self.code = code


def describe_error(err: WasmError, path: str | None) -> str:
    """One line: where (file and position) and what."""
    where = path or "<input>"
    if isinstance(err, DecodeError):
        return f"{where}:{err.offset:#x}: {err.message}"
    if isinstance(err, ParseError):
        return f"{where}:{err.line}:{err.column}: {err.message}"
    if isinstance(err, ValidationError):
        parts = []
        if err.func_index is not None:
            parts.append(f"func {err.func_index}")
        if err.offset is not None:
            parts.append(f"{err.offset:#x}")
        location = f":{' '.join(parts)}" if parts else ""
        return f"{where}{location}: {err.message}"
    if isinstance(err, WitError) and err.filename:
        return str(err)
    return f"{where}: {err}"
