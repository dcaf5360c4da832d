"""Where wasm runs: on threads with a big stack, with the recursion limit raised only meanwhile.

Python frames serve as the wasm call stack, so a deep wasm call needs a recursion limit far
above Python's default (MAX_WASM_DEPTH). In CPython 3.11 that limit also bounds recursion
through C code (`sum(map(f, ...))`, `sorted(key=...)`, `json.loads`), which does use the C
stack: at 50,000 levels it runs off an ordinary 8 MiB thread stack and the process dies with a
segfault instead of a RecursionError. So:

- the limit is raised when the first wasm call of the process begins and put back to what it
  was when the last one ends (the limit is process-wide: while wasm runs on one thread, the
  others see it raised too);
- outermost wasm calls run on threads of this module, whose stacks (WASM_STACK_BYTES) hold
  C recursion up to that limit; a thread that is not one of them hands its call to one and
  waits (about 15 µs per call, measured on this project's machine); calls made from host
  functions are already on such a thread and run where they are;
- a `KeyboardInterrupt` (or any exception) that reaches the waiting thread is raised in the
  wasm thread too (`stop`), so Ctrl-C stops wasm code as it did when it ran on the main thread;
  the waiting thread then waits for the wasm thread to finish before it raises.

Idle threads are kept for the next call; there are as many as calls ever ran at once.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, cast

__all__ = [
    "MAX_WASM_DEPTH",
    "WASM_STACK_BYTES",
    "RECURSION_LIMIT",
    "Cancelled",
    "WasmThread",
    "on_wasm_thread",
    "take_wasm_thread",
    "release_wasm_thread",
    "run_on_wasm_thread",
    "run_async",
]

# How deep wasm calls may nest before "call stack exhausted": the recursion limit while wasm runs.
MAX_WASM_DEPTH = 50_000
# Measured here: C recursion to 50,000 levels through `sorted(key=...)`, the deepest user of C
# stack per level found, needs between 64 and 128 MiB. Only what is touched is committed.
WASM_STACK_BYTES = 256 << 20


class Cancelled(BaseException):
    """Raised inside a wasm thread to stop the call it runs (see `WasmThread.stop`). A
    BaseException, so that neither host functions nor engines take it for their own error."""


_local = threading.local()


def on_wasm_thread() -> bool:
    """Whether the current thread is one of this module's wasm threads."""
    return getattr(_local, "wasm_thread", False)


class _RecursionLimit:
    """The recursion limit, raised while any wasm call runs and put back after the last one.
    Threads that hand a call to a wasm thread count it, not the wasm thread itself, so that
    a `stop` can never land in this bookkeeping."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved = 0

    def enter(self) -> None:
        with self._lock:
            if self._active == 0:
                self._saved = sys.getrecursionlimit()
                if self._saved < MAX_WASM_DEPTH:
                    sys.setrecursionlimit(MAX_WASM_DEPTH)
            self._active += 1

    def exit(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._saved < MAX_WASM_DEPTH:
                sys.setrecursionlimit(self._saved)

    def reset(self) -> None:
        """In a forked child: no call runs there (only the forking thread survives)."""
        self._lock = threading.Lock()
        if self._active and self._saved < MAX_WASM_DEPTH:
            sys.setrecursionlimit(self._saved)
        self._active = 0


RECURSION_LIMIT = _RecursionLimit()


class WasmThread:
    """A daemon thread with a WASM_STACK_BYTES stack that runs one call at a time: `start`
    it, `wait` for it, take its `result`; `stop` ends it early."""

    def __init__(self) -> None:
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._job: tuple[Callable[..., Any], tuple] | None = None
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        # Whether a call runs, and whether it was stopped: `stop` and `wait` may race (a task
        # cancelled as its call ends), so they decide under this lock.
        self._state = threading.Lock()
        self._running = False
        self._stopped = False
        previous = threading.stack_size(WASM_STACK_BYTES)
        try:
            thread = threading.Thread(target=self._serve, name="wasmkit-wasm", daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
        self._ident = ctypes.c_ulong(cast(int, thread.ident))  # set once the thread has started

    def _serve(self) -> None:
        _local.wasm_thread = True
        # Two loops: a stop that arrives after its call ended is caught by the inner `except`
        # wherever in the inner loop it lands, and `wait` clears one that was not delivered.
        while True:
            try:
                while True:
                    self._serve_one()
            except Cancelled:
                pass

    def _serve_one(self) -> None:
        self._go.acquire()
        outcome: tuple[Any, BaseException | None] = (None, None)
        try:
            fn, args = self._job  # type: ignore[misc]
            self._job = None
            outcome = (fn(*args), None)
        except BaseException as err:  # noqa: B036 - handed to the waiting thread, which raises it
            outcome = (None, err)
        finally:
            self._outcome = outcome
            self._done.release()

    def start(self, fn: Callable[..., Any], args: tuple) -> None:
        """Begin running `fn(*args)` on this thread."""
        self._job = (fn, args)
        self._running = True
        self._go.release()

    def wait(self, timeout: float = -1) -> bool:
        """Wait until the call has ended (True), or `timeout` seconds have passed (False)."""
        if not self._done.acquire(timeout=timeout):
            return False
        with self._state:
            self._running = False
            if self._stopped:  # a stop not delivered (the call ended first) must not hit the next
                self._stopped = False
                ctypes.pythonapi.PyThreadState_SetAsyncExc(self._ident, None)
        return True

    def result(self) -> Any:
        """What the ended call returned; what it raised is raised here."""
        value, error = self._outcome
        self._outcome = (None, None)
        if error is not None:
            raise error
        return value

    def stop(self) -> None:
        """Raise `Cancelled` in the running call, at its next Python instruction (native code
        sees it when it next calls back into Python). Once per call."""
        with self._state:
            if self._running and not self._stopped:
                self._stopped = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(self._ident, ctypes.py_object(Cancelled))

    def run(self, fn: Callable[..., Any], args: tuple) -> Any:
        """`fn(*args)` on this thread; an exception that interrupts the wait (Ctrl-C) stops
        the call, and is raised once the call has ended."""
        self.start(fn, args)
        try:
            self.wait()
        except BaseException:
            self.stop()
            while True:
                try:
                    self.wait()
                    break
                except BaseException:  # noqa: B036 - another Ctrl-C: the call is being stopped
                    continue
            self._outcome = (None, None)
            raise
        return self.result()


_IDLE: list[WasmThread] = []


def take_wasm_thread() -> WasmThread:
    """An idle wasm thread (a new one if none is idle); give it back with `release_wasm_thread`
    once its call has ended."""
    try:
        return _IDLE.pop()
    except IndexError:
        return WasmThread()


def release_wasm_thread(thread: WasmThread) -> None:
    _IDLE.append(thread)


def run_on_wasm_thread(fn: Callable[..., Any], args: tuple, thread: WasmThread | None = None) -> Any:
    """`fn(*args)` on a wasm thread (`thread`, taken with `take_wasm_thread`, or an idle one),
    with the recursion limit raised meanwhile; the thread is given back afterwards."""
    thread = thread or take_wasm_thread()
    RECURSION_LIMIT.enter()
    try:
        return thread.run(fn, args)
    finally:
        RECURSION_LIMIT.exit()
        release_wasm_thread(thread)


def _finish(thread: WasmThread) -> tuple[Any, BaseException | None]:
    """Wait for `thread`'s call, let go of what it held, and say how the call ended."""
    thread.wait()
    RECURSION_LIMIT.exit()
    try:
        outcome: tuple[Any, BaseException | None] = (thread.result(), None)
    except BaseException as err:  # noqa: B036 - raised in the awaiting task instead
        outcome = (None, err)
    release_wasm_thread(thread)
    return outcome


async def run_async(fn: Callable[..., Any], args: tuple, stop: Callable[[], None] | None) -> Any:
    """`fn(*args)` on a wasm thread, awaited off the event loop. If the awaiting task is
    cancelled, the call is stopped with `stop()`, or when that is None by raising `Cancelled`
    in it; a helper thread waits for it to end and lets go of the wasm thread (the task does
    not wait for that)."""
    import asyncio  # only asyncio programs pay for importing it

    thread = take_wasm_thread()
    RECURSION_LIMIT.enter()
    thread.start(fn, args)
    finished = asyncio.get_running_loop().run_in_executor(None, _finish, thread)
    try:
        value, error = await asyncio.shield(finished)
    except asyncio.CancelledError:
        if stop is not None:
            stop()
        else:
            thread.stop()
        raise
    if error is not None:
        raise error
    return value


def _after_fork_in_child() -> None:
    _IDLE.clear()  # their threads did not survive the fork
    RECURSION_LIMIT.reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
