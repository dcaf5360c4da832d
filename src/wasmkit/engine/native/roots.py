"""Where native code may hold reference handles while Python runs: the words of the native
stack between the current stack pointer and the outermost entry into native code on this
thread (see `handles` for why a conservative scan is enough).

The current stack pointer comes from a small native function that first spills every
callee-saved register into its own frame (`llvm.eh.unwind.init`): a handle that a wasm frame
keeps in such a register, and that nothing between it and Python has saved yet, is then on
the stack too. Called from Python (in a runtime helper that native code called), that frame
lies below every wasm frame, the helper's cells and the Python and ctypes frames between them.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any, Callable

from .codegen import FAST, load_objects, object_file

__all__ = ["stack_pointer", "stack_words"]

_SOURCE = """
declare void @llvm.eh.unwind.init()
declare ptr @llvm.stacksave.p0()
define i64 @wasmkit_stack_pointer() noinline {
  call void @llvm.eh.unwind.init()
  %sp = call ptr @llvm.stacksave.p0()
  %i = ptrtoint ptr %sp to i64
  ret i64 %i
}
"""


@functools.cache
def _compiled() -> tuple[Any, Callable[[], int]]:
    """The execution engine holding the function (kept alive with it) and the function."""
    engine = load_objects([object_file(FAST, _SOURCE)])
    function = ctypes.CFUNCTYPE(ctypes.c_uint64)(engine.get_function_address("wasmkit_stack_pointer"))
    return engine, function


def stack_pointer() -> int:
    """The stack pointer below the caller's frames, callee-saved registers spilled above it."""
    return int(_compiled()[1]())


def stack_words(low: int, high: int) -> set[int]:
    """The distinct 8-byte words of the stack from `low` up to `high` (both aligned down)."""
    low &= ~7
    high &= ~7
    if high <= low:
        return set()
    return set(memoryview(ctypes.string_at(low, high - low)).cast("Q"))
