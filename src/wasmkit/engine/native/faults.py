"""Out-of-bounds accesses caught by the memory's guard region instead of an explicit check.

Where guard regions are on (runtime.guard_pages), native code accesses a 32-bit memory with
no bounds check: an access out of bounds lands in the inaccessible part of the memory's
reservation and the processor faults. This module turns that fault into the trap the check
would have raised, with two small native functions:

- `wasmkit_guarded_call(entry, ctx, cells)`, through which Python calls every entry of
  guarded code: it pushes a record (a `sigjmp_buf` and the record it hides) for the thread
  (a pthread key: nested entries, wasm -> host -> wasm, each push their own), calls the
  entry and pops the record. When the fault handler jumps back to it, it pops the record,
  stores "out of bounds memory access" in the context as a trap would, and returns that
  trap's code, so that Python raises the same `Trap` as for an explicit check.
- `wasmkit_fault_handler`, the process's SIGSEGV handler: a fault at an address inside a
  listed reservation (guard_pages.RANGES) while a record is pushed on the faulting thread
  jumps to the innermost record (`siglongjmp`; the frames it skips are wasm frames, which
  hold nothing to release: the one thing their epilogues restore, the metered call depth, the
  entry's caller restores after any trap); any other fault puts back the handler that was
  there before (Python's faulthandler, or the default) and returns, so that the faulting
  instruction faults again under it, as if this one had never been there.

The handler is installed at the first binding of guarded code and again whenever another
handler has taken its place since (`ensure_installed`, one system call per binding).
"""

from __future__ import annotations

import ctypes
import functools
import signal
import threading
from typing import Any

from ...errors import TrapKind
from ...runtime import guard_pages
from .codegen import FAST, load_objects, object_file
from .layout import TRAP_CODES, Field

__all__ = ["ensure_installed", "guarded_call", "prepare"]

_JMP_BUF_BYTES = 200  # glibc's sigjmp_buf on x86-64
_SA_SIGINFO = 4
_SA_NODEFER = 0x40000000  # the handler may fault again after a jump out of it

_SOURCE = f"""
@wasmkit_key = global i32 0
@wasmkit_ranges = global ptr null
@wasmkit_previous = global [152 x i8] zeroinitializer

declare i32 @__sigsetjmp(ptr, i32) returns_twice
declare void @siglongjmp(ptr, i32) noreturn
declare ptr @pthread_getspecific(i32)
declare i32 @pthread_setspecific(i32, ptr)
declare i32 @sigaction(i32, ptr, ptr)

define i32 @wasmkit_guarded_call(ptr %entry, ptr %ctx, ptr %cells) noinline {{
start:
  %record = alloca [{_JMP_BUF_BYTES + 16} x i8], align 16
  %hidden = getelementptr i8, ptr %record, i64 {_JMP_BUF_BYTES}
  %saved_ctx = getelementptr i8, ptr %record, i64 {_JMP_BUF_BYTES + 8}
  store volatile ptr %ctx, ptr %saved_ctx
  %key = load i32, ptr @wasmkit_key
  %outer = call ptr @pthread_getspecific(i32 %key)
  store volatile ptr %outer, ptr %hidden
  call i32 @pthread_setspecific(i32 %key, ptr %record)
  %jumped = call i32 @__sigsetjmp(ptr %record, i32 0) returns_twice
  %first = icmp eq i32 %jumped, 0
  br i1 %first, label %run, label %faulted
run:
  %status = call i32 %entry(ptr %ctx, ptr %cells)
  %outer1 = load volatile ptr, ptr %hidden
  %key1 = load i32, ptr @wasmkit_key
  call i32 @pthread_setspecific(i32 %key1, ptr %outer1)
  ret i32 %status
faulted:
  %outer2 = load volatile ptr, ptr %hidden
  %key2 = load i32, ptr @wasmkit_key
  call i32 @pthread_setspecific(i32 %key2, ptr %outer2)
  %ctx2 = load volatile ptr, ptr %saved_ctx
  %trap = getelementptr i8, ptr %ctx2, i64 {8 * Field.TRAP}
  store i64 {TRAP_CODES[TrapKind.OUT_OF_BOUNDS_MEMORY]}, ptr %trap
  ret i32 {TRAP_CODES[TrapKind.OUT_OF_BOUNDS_MEMORY]}
}}

define void @wasmkit_fault_handler(i32 %signal, ptr %info, ptr %context) {{
start:
  %key = load i32, ptr @wasmkit_key
  %record = call ptr @pthread_getspecific(i32 %key)
  %outside = icmp eq ptr %record, null
  br i1 %outside, label %previous, label %scan
scan:
  %at = getelementptr i8, ptr %info, i64 16
  %address = load i64, ptr %at
  %ranges = load ptr, ptr @wasmkit_ranges
  br label %next
next:
  %i = phi i64 [ 0, %scan ], [ %i2, %miss ]
  %pair = getelementptr i64, ptr %ranges, i64 %i
  %low = load volatile i64, ptr %pair
  %high_at = getelementptr i64, ptr %pair, i64 1
  %high = load volatile i64, ptr %high_at
  %above = icmp uge i64 %address, %low
  %below = icmp ult i64 %address, %high
  %inside = and i1 %above, %below
  br i1 %inside, label %trap, label %miss
miss:
  %i2 = add i64 %i, 2
  %done = icmp uge i64 %i2, {2 * guard_pages.CAPACITY}
  br i1 %done, label %previous, label %next
trap:
  call void @siglongjmp(ptr %record, i32 1)
  unreachable
previous:
  call i32 @sigaction(i32 %signal, ptr @wasmkit_previous, ptr null)
  ret void
}}
"""


class _SigAction(ctypes.Structure):
    """glibc's `struct sigaction` on x86-64 (152 bytes)."""

    _fields_ = [
        ("handler", ctypes.c_void_p),
        ("mask", ctypes.c_ulong * 16),
        ("flags", ctypes.c_int),
        ("restorer", ctypes.c_void_p),
    ]


_GUARDED_CALL = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_libc = ctypes.CDLL(None, use_errno=True)
_libc.sigaction.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


_lock = threading.Lock()  # one runtime and one installation at a time, whichever thread binds first


def prepare() -> None:
    """Make the guarded call and the handler now, if not made yet: before a large module's
    working set starts linking on a thread (`pieces`), which holds LLVM's lock for a tenth
    of a second that binding would otherwise wait for."""
    _runtime()


def _runtime() -> tuple[Any, Any, int, int]:
    """The execution engine holding the two functions (kept alive with them), the guarded
    call, the handler's address and the address of the slot for the handler it displaces:
    made once per process, under `_lock` (two made by threads binding at once, the one not
    kept would free the code the other thread's entries and handler run)."""
    with _lock:
        return _make_runtime()


@functools.cache
def _make_runtime() -> tuple[Any, Any, int, int]:
    engine = load_objects([object_file(FAST, _SOURCE)])
    key = ctypes.c_uint()
    if _libc.pthread_key_create(ctypes.byref(key), None) != 0:
        raise OSError(ctypes.get_errno(), "pthread_key_create failed")
    ctypes.c_uint.from_address(engine.get_global_value_address("wasmkit_key")).value = key.value
    ranges = ctypes.c_void_p.from_address(engine.get_global_value_address("wasmkit_ranges"))
    ranges.value = ctypes.addressof(guard_pages.RANGES)
    call = _GUARDED_CALL(engine.get_function_address("wasmkit_guarded_call"))
    return engine, call, engine.get_function_address("wasmkit_fault_handler"), engine.get_global_value_address("wasmkit_previous")


def ensure_installed() -> None:
    """Make `wasmkit_fault_handler` the SIGSEGV handler, keeping the one it displaces (if
    it is not already the handler)."""
    _, _, handler, previous = _runtime()
    with _lock:  # two threads installing at once would keep this handler as the displaced one
        current = _SigAction()
        _libc.sigaction(signal.SIGSEGV, None, ctypes.byref(current))
        if current.handler == handler:
            return
        action = _SigAction(handler=handler, flags=_SA_SIGINFO | _SA_NODEFER)
        if _libc.sigaction(signal.SIGSEGV, ctypes.byref(action), previous) != 0:
            raise OSError(ctypes.get_errno(), "sigaction failed")


def guarded_call(entry: int) -> Any:
    """A callable `(ctx address, cells) -> status` calling the entry at address `entry`
    through `wasmkit_guarded_call`."""
    return functools.partial(_runtime()[1], entry)
