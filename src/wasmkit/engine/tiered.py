"""The `auto` engine: a module runs on the Python engine at once, and moves to native code that
the native engine compiles meanwhile on a thread of its own.

Why: the native engine's code is 100 times faster or more, but LLVM takes seconds to compile a
module (minutes for a large one), while the Python engine starts in milliseconds (it compiles
each function to Python on its first call). With both, the first call answers at the Python
engine's latency and later ones run at native speed.

How an instance moves: once the native code is ready, each instance bound to the Python code
is bound again to the native code, under its store's lock, so never while a call runs in the
store (a call in progress finishes on the tier it started on; a long single call, such as a
WASI command's `_start`, stays on the Python engine throughout). The globals the Python engine
kept to itself are handed over (`Instance.engine_globals`); memories, tables and the other
globals are the runtime's objects, which both engines share. Callers outside the instance
(importing instances, tables, Python) reach a defined function through its `Func.fn`, which
here is a `_Current`: the function's code on the tier it runs on now, so that none of them
keeps calling the Python code once the instance has moved (whose globals would be stale).

The native engine may refuse a module (a feature it does not run yet): the module then stays
on the Python engine. Metered stores (fuel, interruption, a call-depth limit) count on one
meter per store, so their modules go to one tier only: the native engine's when it can run
them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..errors import WasmError
from ..validate import ValidModule
from .base import BoundInstance, CompiledModule, Engine

__all__ = ["TieredEngine", "TieredModule"]


class TieredEngine:
    """The Python engine first, the native engine's code as soon as it is compiled. The native
    engine is made on first need, off the caller's thread where it can be (importing LLVM
    takes a tenth of a second: the first call should not wait for it)."""

    name = "auto"

    def __init__(self, first: Engine, make_second: Callable[[], Engine]) -> None:
        self.first = first
        self._make_second = make_second
        self._second: Engine | None = None
        self._lock = threading.Lock()

    @property
    def second(self) -> Engine:
        with self._lock:
            if self._second is None:
                self._second = self._make_second()
            return self._second

    def compile(self, module: ValidModule, metered: bool = False, profiled: bool = False) -> CompiledModule:
        if metered:
            try:
                return self.second.compile(module, metered, profiled=profiled)
            except WasmError:  # the native engine cannot run it: the Python engine can
                return self.first.compile(module, metered)
        return TieredModule(self.first.compile(module), lambda: self.second.compile(module, profiled=profiled))


class _Current:
    """A defined function's code for callers outside its instance: the tier's code it runs on
    now (see the module's docstring)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


class TieredModule:
    """A module bound to the Python engine's code until the native engine's is compiled, on a
    thread started here; then bound to the native code (see the module's docstring)."""

    def __init__(self, first: CompiledModule, compile_second: Callable[[], CompiledModule]) -> None:
        self.first = first
        self.second: CompiledModule | None = None
        # Why the native code will not come (a feature the native engine refuses), if so.
        self.refused: BaseException | None = None
        self._compile_second = compile_second
        self._lock = threading.Lock()
        self._waiting: weakref.WeakSet[Any] = weakref.WeakSet()  # instances on the first tier
        self._native: weakref.WeakSet[Any] = weakref.WeakSet()  # instances on the second
        self._ready = threading.Event()  # set when the native code is bound, or refused
        threading.Thread(target=self._compile, name="wasmkit-tier-up", daemon=True).start()

    def bind(self, instance: BoundInstance) -> None:
        with self._lock:
            second = self.second
            if second is None:
                self.first.bind(instance)
                _route_through_current(instance)
                if self.refused is None:
                    self._waiting.add(instance)
                return
        second.bind(instance)
        self._native.add(instance)

    def compile_all(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Compile every function for the Python engine now (the native code comes on its
        own thread)."""
        self.first.compile_all(progress)

    def runs_natively(self, instance: BoundInstance) -> bool:
        """Whether `instance` runs the native engine's code now."""
        return instance in self._native

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every instance bound so far runs native code, or the native engine has
        refused the module; whether that happened within `timeout` seconds."""
        return self._ready.wait(timeout)

    def _compile(self) -> None:
        try:
            second = self._compile_second()
            second.compile_all()
        # Whatever stops the native compile (a refused feature, memory, an error in the native
        # engine itself), the module runs on the Python engine as it does now; `refused` says why.
        except Exception as err:  # noqa: BLE001
            with self._lock:
                self.refused = err
                self._waiting.clear()
            self._ready.set()
            return
        with self._lock:
            self.second = second
            waiting = list(self._waiting)
            self._waiting.clear()
        for instance in waiting:
            _move(instance, second)
            self._native.add(instance)
        self._ready.set()


def _defined(instance: Any) -> list[Any]:
    """The instance's own functions (every one is made by then: the Python engine's binding
    makes them all)."""
    funcs = instance.funcs
    return [func for func in funcs if funcs.defined_index(func) is not None]


def _route_through_current(instance: BoundInstance) -> None:
    """Give each of the instance's defined functions a `_Current` as its `Func.fn`."""
    for func in _defined(instance):
        func.fn = _Current(func.fn)
        func.tail = None  # a tail call of it from elsewhere goes through `fn` too


def _move(instance: Any, second: CompiledModule) -> None:
    """Bind `instance` to the native code, once no call runs in its store, handing over the
    globals the Python engine kept."""
    with instance.store.lock:
        defined = _defined(instance)
        current = [func.fn for func in defined]
        kept = dict(instance.engine_globals)
        second.bind(instance)
        for index, value in kept.items():
            instance.engine_globals[index] = value
        for func, entry in zip(defined, current):
            entry.fn = func.fn
            func.fn = entry
