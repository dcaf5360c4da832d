"""The call boundary: where Python enters wasm, and what crosses it on the way out.

A call from Python runs on a wasm thread (`wasm_thread`), with the recursion limit raised
while it runs; calls from host functions back into wasm are already on one. Inside wasm
code, an out-of-bounds memory access is a plain IndexError (or struct.error) from a typed
view, and runaway recursion a RecursionError; the boundary turns them into the
corresponding `Trap`, once, instead of checking on every access. Exceptions raised by host
functions travel through wasm wrapped in `HostError` (so that they cannot be taken for one of
those) and are unwrapped here, with the wasm frames they passed through added as notes.
"""

from __future__ import annotations

import struct
import threading
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from types import FrameType, TracebackType

from ..errors import Trap, TrapKind
from .wasm_thread import MAX_WASM_DEPTH, on_wasm_thread, run_on_wasm_thread

__all__ = ["HostError", "Thrown", "call_wasm", "call_inline", "call_trapping", "wasm_frames", "wasm_stack", "register_code_names", "MAX_WASM_DEPTH"]

# How many times Python may re-enter wasm from host functions called by wasm: each re-entry
# uses C stack, which is bounded.
MAX_REENTRY = 200

_reentry = threading.local()  # per thread: how deep wasm -> host -> wasm nesting is
# Generated code files ("<wasm:...>") and the names of their functions (by the name of the
# Python function that is a wasm function's body), for backtraces and the profiler.
_CODE_NAMES: dict[str, Mapping[str, str]] = {}


class Thrown(Exception):
    """The base of what crosses the call boundary as itself, both ways: wasm exceptions
    (`runtime.tag.WasmException`), which a host function throws into wasm unwrapped."""


class HostError(Exception):
    """An exception raised by a host function, on its way back through wasm frames."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(repr(original))
        self.original = original


def register_code_names(filename: str, names: Mapping[str, str]) -> None:
    """Let backtraces and the profiler name the functions of generated code in `filename`:
    `names` maps the name of each Python function that is a wasm function's body to the wasm
    function's name (any other code of the file, such as an outlined loop, is part of the
    function whose frame called it)."""
    _CODE_NAMES[filename] = names


def wasm_frames(tb: TracebackType | None, limit: int = 64) -> tuple[list[str], int]:
    """The innermost `limit` wasm functions in a traceback, innermost first, and how many
    more frames it holds beyond them (a runaway recursion holds hundreds of thousands)."""
    frames: deque[str] = deque(maxlen=limit)
    total = 0
    while tb is not None:
        code = tb.tb_frame.f_code
        names = _CODE_NAMES.get(code.co_filename)
        if names is not None:
            frames.append(names.get(code.co_name, code.co_name))
            total += 1
        tb = tb.tb_next
    frames.reverse()
    return list(frames), total - len(frames)


def wasm_stack(frame: FrameType | None) -> list[str]:
    """The names of the wasm functions running in the Python engine's code on the stack that
    `frame` is the top of, outermost first (the profiler's sample of a thread)."""
    stack = []
    code_names = _CODE_NAMES
    while frame is not None:
        code = frame.f_code
        names = code_names.get(code.co_filename)
        if names is not None:
            name = names.get(code.co_name)
            if name is not None:
                stack.append(name)
        frame = frame.f_back
    stack.reverse()
    return stack


def _trap(kind: TrapKind, tb: TracebackType | None) -> Trap:
    frames, more = wasm_frames(tb)
    return Trap(kind, frames=frames, more_frames=more)


def call_wasm(fn: Callable[..., object], args: tuple, guard: AbstractContextManager | None = None) -> object:
    """Call internal wasm code `fn` with internal values, holding `guard` (the store's
    `Store.guard`) while it runs; traps come out as `Trap`."""
    if on_wasm_thread():
        return call_inline(fn, args, guard)
    return run_on_wasm_thread(call_inline, (fn, args, guard))


def call_inline(fn: Callable[..., object], args: tuple, guard: AbstractContextManager | None = None) -> object:
    """`call_wasm` on this thread, with the recursion limit as it is: for code that cannot
    nest calls (a host function, or a wasm function that calls nothing), which needs neither
    a raised limit nor a big stack, and for calls already on a wasm thread."""
    depth = getattr(_reentry, "depth", 0)
    if depth >= MAX_REENTRY:
        raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
    _reentry.depth = depth + 1
    try:
        if guard is None:
            return call_trapping(fn, args)
        with guard:
            return call_trapping(fn, args)
    finally:
        _reentry.depth = depth


def call_trapping(fn: Callable[..., object], args: tuple) -> object:
    """Call `fn` on this thread, turning what wasm code raises into what the API raises."""
    try:
        return fn(*args)
    except HostError as err:
        original = err.original
        frames, more = wasm_frames(err.__traceback__)
        if frames and isinstance(original, Exception):
            original.add_note("wasm backtrace: " + " <- ".join(frames) + (f" <- ... {more} more frames" if more else ""))
        raise original from None
    except Trap as err:
        if not err.frames:
            err.frames, err.more_frames = wasm_frames(err.__traceback__)
        raise err.with_traceback(None) from None
    except (IndexError, struct.error) as err:
        raise _trap(TrapKind.OUT_OF_BOUNDS_MEMORY, err.__traceback__) from None
    except RecursionError as err:
        raise _trap(TrapKind.CALL_STACK_EXHAUSTED, err.__traceback__) from None
