"""Component functions at run time: `canon lift` makes a `LiftedFunction` of a core function
(a Python callable taking and returning component values, as `abi.FunctionAbi.run_lift` moves
them), `canon lower` makes a core host function of a component function (`lowered_func`: its
core arguments lifted, the component function called, its result lowered back, as
`run_lower` does).

A component function is any Python callable taking component values: a `LiftedFunction`
(another component's export), or a host function given as an import. It returns its result's
Python value; for a `result` type the ok value, with the error raised as `Err`.

Entering a component instance is refused while it is already in a call (the ABI's
`may_enter`): a host function that calls back into the instance that called it traps, and
so does any call after one that trapped (or whose host function raised) once its core code
ran, as wasmtime does: the instance's state is whatever the trap left. A
call runs as a core call does (`runtime.call.call_wasm`: on a wasm thread, holding the
store's guard, so that calls from other threads wait for it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from ..errors import Trap, TrapKind, WasmError
from ..runtime.call import call_wasm
from ..runtime.func import Func as CoreFunc
from .abi import BorrowScope, Context, LendScope, Options, StringEncoding
from .syntax import CanonOpt, CanonOptKind

if TYPE_CHECKING:
    from ..syntax.types import FuncType as CoreFuncType
    from .abi import CanonicalAbi, FunctionAbi, HandleTable, ResourceType
    from .instance import ComponentInstance
    from .types import Func, Resource

__all__ = ["CallSite", "LiftedFunction", "NotSupported", "lowered_func", "canon_options", "not_supported"]

_ENCODINGS = {
    CanonOptKind.UTF8: StringEncoding.UTF8, CanonOptKind.UTF16: StringEncoding.UTF16,
    CanonOptKind.LATIN1_UTF16: StringEncoding.LATIN1_UTF16,
}  # fmt: skip


class NotSupported(WasmError, NotImplementedError):
    """What a component uses that wasmkit does not run yet (the async ABI: async lifts and
    lowers, `task.*`, streams, futures, waitables)."""


def not_supported(what: str) -> NotSupported:
    return NotSupported(f"{what} is not supported yet")


def async_not_supported(what: str) -> NotSupported:
    """What of the async component model (WASI 0.3's tasks, streams, futures, waitables) a
    component uses: validated, not run yet."""
    return NotSupported(f"async component model not supported yet: {what}")


class CallSite:
    """What a lift or lower works in: the component instance whose core code is on one side
    (its handle table, its `busy` flag), the component's `CanonicalAbi`, and the run-time
    type of each type-level resource (filled as instantiation binds them)."""

    __slots__ = ("instance", "handles", "abi", "resources", "guard")

    def __init__(
        self, instance: ComponentInstance, handles: HandleTable, abi: CanonicalAbi,
        resources: Mapping[Resource, ResourceType], guard: AbstractContextManager[object],
    ) -> None:  # fmt: skip
        self.instance = instance
        self.handles = handles
        self.abi = abi
        self.resources = resources
        self.guard = guard  # the store's `guard`, held by each call: other threads' calls wait

    def resource_type(self, resource: Resource) -> ResourceType:
        found = self.resources.get(resource)
        if found is None:
            raise not_supported("a resource type that instantiation did not bind")
        return found

    def context(self, options: Options, scope: BorrowScope | LendScope) -> Context:
        return Context(options, self.handles, instance=self.instance, scope=scope, resource_types=self.resource_type)


def _sync_task(lifted: LiftedFunction) -> AbstractContextManager[None]:
    from .async_.tasks import sync_task  # the async runtime builds on this module

    return sync_task(lifted)


def canon_options(
    opts: Sequence[CanonOpt], memories: Sequence[object], core_funcs: Sequence[CoreFunc]
) -> tuple[Options, CoreFunc | None]:
    """A canonical definition's `Options` (memory, realloc, string encoding) and its
    post-return function; the caller takes the async options (`async`, `callback`)."""
    memory = realloc = post_return = None
    encoding = StringEncoding.UTF8
    for opt in opts:
        if opt.kind in _ENCODINGS:
            encoding = _ENCODINGS[opt.kind]
        elif opt.kind == CanonOptKind.MEMORY:
            memory = memories[opt.index]  # type: ignore[index]
        elif opt.kind == CanonOptKind.REALLOC:
            realloc = _realloc(core_funcs[opt.index])  # type: ignore[index]
        elif opt.kind == CanonOptKind.POST_RETURN:
            post_return = core_funcs[opt.index]  # type: ignore[index]
        # `async` and `callback` are the async lift's (`async_.AsyncLiftedFunction`)
    return Options(memory, realloc, encoding), post_return  # type: ignore[arg-type]


def _realloc(func: CoreFunc) -> Callable[[int, int, int, int], int]:
    def realloc(old: int, old_size: int, align: int, new_size: int) -> int:
        return func(old, old_size, align, new_size)

    return realloc


def _results(value: object) -> Sequence[object]:
    """A core function's results as a sequence (`Func.__call__` gives None, a value or a tuple)."""
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


class LiftedFunction:
    """A core function lifted to a component function (`canon lift`): called with Python
    values, it lowers them into the instance, runs the core function and lifts its result."""

    __slots__ = ("site", "core", "func", "options", "post_return", "name", "_abi")

    def __init__(
        self, site: CallSite, core: CoreFunc, func: Func, options: Options, post_return: CoreFunc | None, name: str = ""
    ) -> None:
        self.site = site
        self.core = core
        self.func = func
        self.options = options
        self.post_return = post_return
        self.name = name
        self._abi: FunctionAbi | None = None  # made at the first call, once every type has its name

    @property
    def abi(self) -> FunctionAbi:
        if self._abi is None:
            self._abi = self.site.abi.function(self.func)
        return self._abi

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.func.params)

    def __call__(self, *args: object) -> object:
        # On a wasm thread, holding the store's guard, as a core call runs (`call_wasm`).
        return self.abi.to_python(call_wasm(self._enter, args, self.site.guard))

    def _enter(self, *args: object) -> object:
        site = self.site
        instance = site.instance
        if instance.poisoned:
            raise Trap(TrapKind.HOST, "cannot enter component instance: an earlier call into it trapped")
        if instance.busy:
            raise Trap(TrapKind.HOST, "cannot enter component instance: it is already in a call")
        if instance.pending_drops:
            instance.run_pending_drops()
        instance.busy = True
        entered = False

        def core(*flat: object) -> Sequence[object]:
            nonlocal entered
            entered = True
            return _results(self.core(*flat))

        try:
            cx = site.context(self.options, BorrowScope())
            post = self.post_return
            if instance.async_state is not None:  # the instance's async built-ins see this call as a task
                with _sync_task(self):
                    return self.abi.run_lift(cx, core, args, None if post is None else lambda *r: post(*r))
            return self.abi.run_lift(cx, core, args, None if post is None else lambda *r: post(*r))
        except BaseException:
            # Past the arguments (a Python value that does not fit its type changes nothing),
            # the instance's state is whatever the trap left: it is not entered again.
            instance.poisoned = entered
            raise
        finally:
            instance.busy = False

    def __repr__(self) -> str:
        params = ", ".join(self.param_names)
        return f"<component function {self.name or '?'}({params})>"


def lowered_func(
    site: CallSite, target: Callable[..., object], func: Func, options: Options, core_type: CoreFuncType, name: str = ""
) -> CoreFunc:
    """`canon lower`: a core host function of `core_type` that calls component function
    `target` (of type `func`) with its arguments lifted out of the instance."""
    holder: list[FunctionAbi] = []

    def call(*flat: object) -> object:
        if not holder:
            holder.append(site.abi.function(func))
        results = holder[0].run_lower(site.context(options, LendScope()), target, flat)
        return results[0] if results else None

    return CoreFunc.raw(core_type, call, name=name or getattr(target, "__name__", "component function"))
