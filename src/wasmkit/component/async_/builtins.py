"""The async ABI's canonical built-ins of tasks and waitables, as core host functions over a
component instance's `AsyncState` (CanonicalABI.md, the 🔀 built-ins): `task.return`,
`context.get/set`, `backpressure.inc/dec`, `thread.yield`, `waitable-set.new/wait/poll/drop`
and `waitable.join`, and those of streams and futures. Each traps as wasmtime does when used against the rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ..abi.context import Options
from ..abi.resources import LendScope
from ..types import Func
from .streams import GuestBuffer, cancel_copy, copy, drop_end, new_pair
from .tasks import DEADLOCK, AsyncState, state_of
from .waitables import EventCode, Waitable, WaitableSet, misuse, store_event, waitable, waitable_set

if TYPE_CHECKING:
    from ..functions import CallSite
    from ..types import VType

__all__ = ["task_return", "simple_builtin", "thread_yield", "wait_or_poll", "stream_builtin", "SIMPLE", "STREAM_ACTIONS"]

# The `stream.*` and `future.*` built-ins run (`forward`, a gated feature, is not).
STREAM_ACTIONS = frozenset({"new", "read", "write", "cancel-read", "cancel-write", "drop-readable", "drop-writable"})


def task_return(site: CallSite, result: VType | None, options: Options) -> Callable[..., None]:
    """`task.return` of a result of type `result` (None: no result), lifted with `options`:
    it must be the running task's result type, with the task's own options."""
    func = Func(() if result is None else (("v", result),), None)
    state = state_of(site.instance)
    holder: list[object] = []

    def call(*flat: object) -> None:
        task = state.task("task.return")
        lifted, given = task.lifted, task.lifted.options
        same_options = given.memory is options.memory and given.encoding == options.encoding
        if not hasattr(lifted, "callback") or lifted.func.result != result or not same_options:
            raise misuse("invalid `task.return` signature and/or options for current task")
        if task.resolved:
            raise misuse("`task.return` or `task.cancel` called more than once for current task")
        if not holder:
            holder.append(site.abi.function(func))
        values = holder[0].lift_args(site.context(options, LendScope()), flat)  # type: ignore[attr-defined]
        task.return_(values[0] if values else None)

    return call


def _context_get(state: AsyncState) -> Callable[[], int]:
    return lambda: state.task("context.get").context


def _context_set(state: AsyncState) -> Callable[[int], None]:
    def call(value: int) -> None:
        state.task("context.set").context = value & 0xFFFFFFFF

    return call


def thread_yield(state: AsyncState, cancellable: bool) -> Callable[[], int]:
    """`thread.yield` in core code: another task (of another instance: this one is held)
    takes a step if one can; 1 if it is `cancellable` and the task's cancellation was
    requested (which is then delivered), else 0."""

    def call() -> int:
        task = state.task("thread.yield")
        if cancellable and task.take_cancellation():
            return 1
        state.scheduler.step()
        return 0

    return call


def _task_cancel(state: AsyncState) -> Callable[[], None]:
    def call() -> None:
        task = state.task("task.cancel")
        if not hasattr(task.lifted, "callback"):
            raise misuse("`task.cancel` called by a synchronously lifted function")
        task.cancel_()

    return call


def _waitable_set_new(state: AsyncState) -> Callable[[], int]:
    return lambda: state.handles.add(WaitableSet())


def _waitable_set_drop(state: AsyncState) -> Callable[[int], None]:
    def call(index: int) -> None:
        waitable_set(state.handles, index).drop()
        state.handles.remove(index)

    return call


def _waitable_join(state: AsyncState) -> Callable[[int, int], None]:
    def call(index: int, set_index: int) -> None:
        member: Waitable = waitable(state.handles, index)
        member.join(None if set_index == 0 else waitable_set(state.handles, set_index))

    return call


def _backpressure(state: AsyncState, delta: int) -> Callable[[], None]:
    return lambda: state.change_backpressure(delta)


SIMPLE: dict[str, Callable[[AsyncState], Callable[..., object]]] = {
    "context.get": _context_get, "context.set": _context_set, "task.cancel": _task_cancel,
    "waitable-set.new": _waitable_set_new, "waitable-set.drop": _waitable_set_drop,
    "waitable.join": _waitable_join,
    "backpressure.inc": lambda state: _backpressure(state, 1), "backpressure.dec": lambda state: _backpressure(state, -1),
}  # fmt: skip


def simple_builtin(name: str, state: AsyncState) -> Callable[..., object]:
    """The built-in `name` of no options (a key of `SIMPLE`) over `state`."""
    return SIMPLE[name](state)


def wait_or_poll(state: AsyncState, memory: object, wait: bool, cancellable: bool) -> Callable[[int, int], int]:
    """`waitable-set.wait` (`wait`) or `waitable-set.poll`: the event's code, its p1 and p2
    stored at the pointer (TASK_CANCELLED if `cancellable` and the task's cancellation was
    requested). Waiting in core code steps other instances' tasks and host calls until the
    set has an event; a deadlock trap if none can make progress."""

    def call(set_index: int, ptr: int) -> int:
        task = state.task("waitable-set.wait" if wait else "waitable-set.poll")
        wset = waitable_set(state.handles, set_index)
        if cancellable and task.take_cancellation():
            return store_event(memory.write, len(memory), ptr & 0xFFFFFFFF, (EventCode.TASK_CANCELLED, 0, 0))  # type: ignore[attr-defined, arg-type]
        if wait:
            if not wset.has_pending():
                state.may_block()
            wset.waiting += 1
            try:
                while not wset.has_pending():
                    if not state.scheduler.progress():
                        raise misuse(DEADLOCK)
            finally:
                wset.waiting -= 1
        event = wset.poll()
        return store_event(memory.write, len(memory), ptr & 0xFFFFFFFF, event)  # type: ignore[attr-defined, arg-type]

    return call


def stream_builtin(site: CallSite, name: str, elem: VType | None, options: Options | None) -> Callable[..., object]:
    """`stream.*` or `future.*` built-in `name` of element type `elem` (None: of nothing);
    `options` (memory, realloc) for `read` and `write`."""
    table = site.instance.handles
    kind, _, action = name.partition(".")
    is_future = kind == "future"
    if action == "new":
        return lambda: new_pair(table, elem, is_future)
    if action in ("read", "write"):
        options = cast("Options", options)  # read and write have their canonical options
        codec = None if elem is None else site.abi.codec(elem)
        reading = action == "read"

        def call(index: int, ptr: int, length: int = 1) -> int:
            cx = site.context(options, LendScope())
            buffer = GuestBuffer(codec, cx, ptr & 0xFFFFFFFF, length & 0xFFFFFFFF)
            return copy(table, index, reading, elem, is_future, buffer)

        return call
    if action in ("cancel-read", "cancel-write"):
        return lambda index: cancel_copy(table, index, action == "cancel-read", elem, is_future)
    if action in ("drop-readable", "drop-writable"):
        return lambda index: drop_end(table, index, action == "drop-readable", elem, is_future)
    raise KeyError(name)
