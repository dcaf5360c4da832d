"""How much of the thread's real stack native code may use, so that runaway recursion traps
"call stack exhausted" instead of running off the end of the stack.

Native code compares the stack pointer with a limit in its context on every function entry.
The limit belongs to the thread, not to an instance: the first call from Python into native
code on a thread (the outermost entry) sets it to the higher of

- BUDGET below the stack pointer at that entry (wasmtime's `max_wasm_stack` is 512 KiB of
  Cranelift's compact frames; LLVM's fast tier, which large modules get, makes frames several
  times larger, and yosys.wasm's Verilog parser recursed past 2 MiB of them), and
- the floor: RESERVE above the low end of the thread's stack, as the system reports it
  (`pthread_getattr_np`, which for the main thread follows `ulimit -s`),

and every call into native code nested inside it (wasm -> host function -> wasm of any
instance) keeps that limit, so that however the calls are chained, the native frames and the
Python frames between them never reach past the floor. RESERVE is what is left for the code
that runs below the limit: a host function or runtime helper called by the deepest wasm frame.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Any

__all__ = ["BUDGET", "RESERVE", "call_native", "outermost_entry_sp", "thread_stack_bounds"]

BUDGET = 64 * 1024 * 1024
RESERVE = 256 * 1024


def thread_stack_bounds() -> tuple[int, int] | None:
    """The (low, high) addresses of the current thread's stack, or None where the system
    does not say (the budget alone then bounds native code, as before the floor existed)."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if sys.platform == "darwin":
        libc.pthread_self.restype = ctypes.c_void_p
        libc.pthread_get_stackaddr_np.restype = ctypes.c_void_p
        libc.pthread_get_stackaddr_np.argtypes = [ctypes.c_void_p]
        libc.pthread_get_stacksize_np.restype = ctypes.c_size_t
        libc.pthread_get_stacksize_np.argtypes = [ctypes.c_void_p]
        this = libc.pthread_self()
        high = libc.pthread_get_stackaddr_np(this) or 0
        return high - libc.pthread_get_stacksize_np(this), high
    getattr_np = getattr(libc, "pthread_getattr_np", None)
    if getattr_np is None:
        return None
    libc.pthread_self.restype = ctypes.c_void_p
    getattr_np.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    attr = ctypes.create_string_buffer(256)  # a pthread_attr_t (56 or 64 bytes) fits
    if getattr_np(libc.pthread_self(), attr) != 0:
        return None
    address, size = ctypes.c_void_p(), ctypes.c_size_t()
    try:
        if libc.pthread_attr_getstack(attr, ctypes.byref(address), ctypes.byref(size)) != 0:
            return None
    finally:
        libc.pthread_attr_destroy(attr)
    low = address.value or 0
    return low, low + size.value


class _ThreadStack(threading.local):
    """Per thread: the floor of its stack, and the context of its outermost active entry
    into native code (whose limit nested entries keep)."""

    def __init__(self) -> None:
        bounds = thread_stack_bounds()
        self.floor = bounds[0] + RESERVE if bounds is not None else 0
        self.outer: Any = None
        self.entry_sp_field = 0


_THREAD = _ThreadStack()


def call_native(entry: Any, context: Any, address: int, limit_field: int, cells: Any, entry_sp_field: int) -> int:
    """Call the native `entry` with the instance context at `address` (the ctypes array
    `context`) and its argument cells, with the thread's stack limit in `context[limit_field]`;
    the entry's status. The entry itself raises the limit to BUDGET below its stack pointer
    if that is higher, which it never is in a nested entry (see the module's docstring).
    The outermost entry also records its stack pointer in `context[entry_sp_field]` (the entry
    writes it where it finds 0), where `outermost_entry_sp` finds it."""
    thread = _THREAD
    outer = thread.outer
    if outer is not None:
        context[limit_field] = outer[limit_field]
        return entry(address, cells)
    context[limit_field] = thread.floor
    context[entry_sp_field] = 0
    thread.outer = context
    thread.entry_sp_field = entry_sp_field
    try:
        return entry(address, cells)
    finally:
        thread.outer = None
        context[entry_sp_field] = 0


def outermost_entry_sp() -> int:
    """The stack pointer at the outermost entry into native code active on this thread, or 0
    when native code is not running on it: the native stack in use lies below it."""
    thread = _THREAD
    outer = thread.outer
    return 0 if outer is None else int(outer[thread.entry_sp_field])
