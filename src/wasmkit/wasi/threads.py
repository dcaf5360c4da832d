"""wasi-threads (wasm32-wasip1-threads): `wasi.thread-spawn`, a new instance per thread.

A program built for it imports a shared memory, and `thread-spawn` (param i32) (result i32)
from module `wasi`, and exports `wasi_thread_start` (param i32 i32). Each spawn instantiates
the same module again, with the same imports (the shared memory, the same WASI state), in a
store of its own (the spawner's engine, limits, interruptibility and deadline: one store runs
one call at a time), and calls `wasi_thread_start(tid, start_arg)` there on a new Python
thread. thread-spawn returns the new thread's id (1 to 2**29 - 1), or -1 (which wasi-libc's
pthread_create reads as EAGAIN) when:

- the program already runs `max_threads` spawned threads (a spawn storm stops there);
- the spawner's store counts fuel (fuel cannot be shared out between stores: wasmtime gives
  a spawned thread's store none, so it traps at once);
- the module cannot be instantiated again, or the host cannot start another thread.

In wasi-threads a trap or `proc_exit` in any thread ends the whole program. A library cannot
end its process, so the first such end is recorded (`failure`), every other store of the
program that can be interrupted is, and `on_failure` is called with it: `wasmkit run` exits
there, as wasmtime does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from ..errors import WasmError
from ..runtime.call import call_inline
from ..runtime.func import Caller, Func
from ..runtime.instance import Extern, Instance
from ..runtime.memory import Memory
from ..runtime.module import Module
from ..runtime.store import Store
from ..runtime.wasm_thread import WasmThread, release_wasm_thread, run_on_wasm_thread, take_wasm_thread
from ..syntax.types import FuncType, MemoryType, ValType

__all__ = ["MODULE", "SPAWN", "START", "MAX_THREADS", "WasiThreads", "thread_imports", "uses_threads"]

MODULE, SPAWN, START = "wasi", "thread-spawn", "wasi_thread_start"
SPAWN_TYPE = FuncType((ValType.I32,), (ValType.I32,))
MAX_THREADS = 64  # spawned threads running at once, per program
_MAX_TID = (1 << 29) - 1  # thread ids are 1 .. 2**29 - 1
_FAILED = 0xFFFF_FFFF  # -1 as an i32


class WasiThreads:
    """The spawned threads of one program: the `thread-spawn` function to import, and what
    became of the threads."""

    def __init__(
        self, max_threads: int = MAX_THREADS, on_failure: Callable[[BaseException], None] | None = None
    ) -> None:
        self.max_threads = max_threads
        self.on_failure = on_failure
        self.failure: BaseException | None = None  # the first trap or exit of a spawned thread
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)
        self._running = 0
        self._last_tid = 0
        self._stores: set[Store] = set()  # the program's stores, to interrupt on a failure

    @property
    def running(self) -> int:
        """How many spawned threads run now."""
        with self._lock:
            return self._running

    def func(self) -> Func:
        """The host function to import as `wasi.thread-spawn`."""
        return Func.raw(SPAWN_TYPE, self._spawn, f"{MODULE}.{SPAWN}", access_caller=True)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until no spawned thread runs (True), or `timeout` seconds have passed."""
        with self._ended:
            return self._ended.wait_for(lambda: self._running == 0, timeout)

    def _spawn(self, caller: Caller, start_arg: int) -> int:
        parent = caller.instance
        if parent is None or _counts_fuel(parent.store):
            return _FAILED
        with self._lock:
            if self._running >= self.max_threads or self._last_tid >= _MAX_TID:
                return _FAILED
            self._running += 1
            self._last_tid += 1
            tid = self._last_tid
            self._stores.add(parent.store)
        store: Store | None = None
        try:
            store = _sibling(parent.store)
            instance = Instance(parent.module, _imports_of(parent), store=store)
            start = instance.exports[START] if START in instance.exports else None
            if not isinstance(start, Func) or start.type != FuncType((ValType.I32, ValType.I32), ()):
                raise WasmError(f"a wasi-threads module exports {START} (param i32 i32)")
            wasm_thread = take_wasm_thread()
            try:
                waiter = threading.Thread(
                    target=self._run, args=(instance, start, tid, start_arg, wasm_thread), name=f"wasi-thread-{tid}", daemon=True
                )
                with self._lock:
                    self._stores.add(store)
                waiter.start()
            except BaseException:
                release_wasm_thread(wasm_thread)
                raise
        except (WasmError, RuntimeError, MemoryError):  # RuntimeError: no thread can be started
            self._ended_one(store)
            return _FAILED
        return tid

    def _run(self, instance: Instance, start: Func, tid: int, start_arg: int, wasm_thread: WasmThread) -> None:
        """A spawned thread: wasi_thread_start(tid, start_arg) on its wasm thread; then its
        instance lets go of the memories that outlive it."""
        failure: BaseException | None = None
        try:
            run_on_wasm_thread(call_inline, (start.fn, (tid, start_arg), instance.store.guard), wasm_thread)
        except BaseException as err:  # noqa: B036 - a trap, an exit or a host error ends the program
            failure = err
        for memory in instance.mems:
            memory.remove_listeners(instance)
        self._ended_one(instance.store, failure)

    def _ended_one(self, store: Store | None, failure: BaseException | None = None) -> None:
        with self._lock:
            self._running -= 1
            if store is not None:
                self._stores.discard(store)
            first = failure is not None and self.failure is None
            if first:
                self.failure = failure
            others = list(self._stores) if first else []
            self._ended.notify_all()
        for other in others:
            if other.interruptible:
                other.interrupt()
        if failure is not None and first and self.on_failure is not None:
            self.on_failure(failure)


def _counts_fuel(store: Store) -> bool:
    try:
        store.fuel
    except ValueError:
        return False
    return True


def _sibling(store: Store) -> Store:
    """A store for another thread of `store`'s program: the same engine, limits,
    interruptibility, deadline and profiling (a profiler sees every thread's native code)."""
    sibling = Store(store.engine, store.limits, interruptible=store.interruptible, profiling=store.profiling)
    deadline = store.deadline if store.interruptible else None
    if deadline is not None:
        sibling.set_deadline(max(deadline, 0))
    return sibling


def _imports_of(instance: Instance) -> list[Extern]:
    """What `instance` was given for its imports, in the module's order (each index space
    holds its imports first)."""
    spaces: dict[str, Sequence[Extern]] = {
        "func": instance.funcs, "table": instance.tables, "memory": instance.mems, "global": instance.globals,
    }  # fmt: skip
    taken = dict.fromkeys(spaces, 0)
    externs: list[Extern] = []
    for imp in instance.module.syntax.imports:
        kind = imp.kind.text
        externs.append(spaces[kind][taken[kind]])
        taken[kind] += 1
    return externs


def thread_imports(
    module: Module, threads: WasiThreads, provided: Callable[[str, str], bool], max_memory_bytes: int | None = None
) -> dict[str, dict[str, Extern]]:
    """What a wasi-threads program needs that is not `provided(module, name)`:
    `wasi.thread-spawn` (from `threads`), and each shared memory it imports, made to its
    declared type as wasmtime makes it (within `max_memory_bytes`: ValueError past it)."""
    needed: dict[str, dict[str, Extern]] = {}
    for imp in module.syntax.imports:
        if provided(imp.module, imp.name):
            continue
        if (imp.module, imp.name) == (MODULE, SPAWN):
            needed.setdefault(imp.module, {})[imp.name] = threads.func()
        elif isinstance(imp.desc, MemoryType) and imp.desc.shared:
            needed.setdefault(imp.module, {})[imp.name] = Memory(imp.desc, max_bytes=max_memory_bytes)
    return needed


def uses_threads(module: Module) -> bool:
    """Whether `module` imports `wasi.thread-spawn`."""
    return any((imp.module, imp.name) == (MODULE, SPAWN) for imp in module.syntax.imports)
