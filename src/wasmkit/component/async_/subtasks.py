"""Async-lowered imports (`canon lower ... async`, CanonicalABI.md "Subtask State"): the
caller's core code calls the import and gets back at once either RETURNED (the callee gave
its result, already written through the out-pointer) or STARTED with the handle of a
`Subtask`, a waitable whose event (`SUBTASK`, handle, RETURNED) comes when the callee
returns; `subtask.drop` then frees it.

The callee is a host function or another component's export. A plain Python function (or a
synchronously lifted export) returns at once. An `async def` host function gives a coroutine:
it becomes a `HostCall` of the scheduler, run on an asyncio event loop by whoever drives the
scheduler (`Scheduler.run_until`/`run_until_async`). An async-lifted export becomes a task
of its own.

Arguments are read when the call is made (at most `MAX_FLAT_ASYNC_PARAMS` core values, else
a pointer to them), so the callee is always past STARTING; handles they lend stay lent until
it returns.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ...bits import MASK32
from ..abi.codec import FlatReader
from ..abi.resources import LendScope
from ..abi.values import Err
from ..types import MAX_FLAT_ASYNC_PARAMS
from .scheduler import HostCall
from .tasks import DEADLOCK, Task, state_of
from .waitables import EventCode, Waitable, misuse

if TYPE_CHECKING:
    from ..abi.calls import FunctionAbi
    from ..abi.context import Options
    from ..abi.resources import HandleTable
    from ..functions import CallSite
    from ..types import Func

__all__ = ["SubtaskState", "Subtask", "async_lowered", "subtask_drop", "subtask_cancel"]


class SubtaskState(enum.IntEnum):
    STARTING = 0
    STARTED = 1
    RETURNED = 2
    CANCELLED_BEFORE_STARTED = 3
    CANCELLED_BEFORE_RETURNED = 4


class Subtask(Waitable):
    """A call the caller's core code made through an async lowering, until it resolves
    (returns, or ends cancelled); `on_cancel` asks the callee to stop."""

    __slots__ = ("state", "delivered", "on_cancel", "cancel_requested")

    def __init__(self) -> None:
        super().__init__()
        self.state = SubtaskState.STARTED
        self.delivered = False
        self.on_cancel: Callable[[], None] = lambda: None
        self.cancel_requested = False

    @property
    def resolved(self) -> bool:
        return self.state >= SubtaskState.RETURNED

    def start(self, index: int) -> None:
        """The callee, held back by backpressure, started (its arguments are its own now)."""
        self.state = SubtaskState.STARTED
        self._notify(index)

    def resolve(self, index: int, state: SubtaskState) -> None:
        """The callee returned or ended cancelled."""
        self.state = state
        self._notify(index)

    def _notify(self, index: int) -> None:
        """The subtask's event, for the handle at `index`: its state as it is when delivered
        (a STARTED event not yet delivered when the callee returns says RETURNED)."""

        def event() -> tuple[int, int, int]:
            if self.resolved:
                self.delivered = True
            return (EventCode.SUBTASK, index, int(self.state))

        self.set_pending(event)

    def drop(self) -> None:
        if not self.delivered:
            raise misuse("cannot drop a subtask which has not yet resolved")
        self.leave()


def _subtask(table: HandleTable, index: int) -> Subtask:
    found = table.get(index)
    if not isinstance(found, Subtask):
        raise misuse("handle is not a subtask")
    return found


def subtask_drop(site: CallSite) -> Callable[[int], None]:
    """`subtask.drop`: free a subtask whose resolution was delivered."""
    table = site.instance.handles

    def call(index: int) -> None:
        _subtask(table, index).drop()
        table.remove(index)

    return call


def subtask_cancel(site: CallSite) -> Callable[[int], int]:
    """`subtask.cancel` (synchronous): ask the callee to stop and wait until it resolves; the
    subtask's final state (RETURNED if it returned first)."""
    table = site.instance.handles

    def call(index: int) -> int:
        subtask = _subtask(table, index)
        if subtask.delivered:
            raise misuse("cannot cancel a subtask which has already resolved")
        if subtask.cancel_requested:
            raise misuse("cannot cancel a subtask twice")
        if subtask.wset is not None:
            raise misuse("cannot synchronously cancel a subtask in a waitable set")
        if not subtask.resolved:
            subtask.cancel_requested = True
            subtask.on_cancel()
            scheduler = state_of(site.instance).scheduler
            while not subtask.has_pending():
                if not scheduler.progress():
                    raise misuse(DEADLOCK)
        return subtask.take_pending()[2]

    return call


def _lift_args(abi: FunctionAbi, cx: object, flat: Sequence[object]) -> list[object]:
    """The arguments of an async lowering: flat up to `MAX_FLAT_ASYNC_PARAMS` core values, else
    behind the one pointer."""
    count = sum(len(codec.flat) for codec in abi.params)
    if count > MAX_FLAT_ASYNC_PARAMS:
        block = abi.param_block
        ptr = flat[0] & MASK32  # type: ignore[operator]
        cx.check_range(ptr, block.size, block.align, "parameter")  # type: ignore[attr-defined]
        return list(block.load(cx, ptr))  # type: ignore[arg-type, call-overload]
    reader = FlatReader(flat)
    return [codec.lift_flat(cx, reader) for codec in abi.params]  # type: ignore[arg-type]


def async_lowered(site: CallSite, target: Callable[..., object], func: Func, options: Options) -> Callable[..., int]:
    """`canon lower` with `async` of component function `target`: the core function."""
    holder: list[FunctionAbi] = []
    table = site.instance.handles

    def call(*flat: object) -> int:
        if not holder:
            holder.append(site.abi.function(func))
        abi = holder[0]
        scope = LendScope()
        cx = site.context(options, scope)
        args = _lift_args(abi, cx, flat)
        out = flat[-1] & MASK32 if func.result is not None else None  # type: ignore[operator]

        def finish(value: object) -> None:
            """The callee's result written through the out-pointer; its borrows returned."""
            if out is not None and abi.result is not None:
                result = abi.result
                cx.check_range(out, result.size, result.align, "return")
                result.store(site.context(options, LendScope()), value, out)
            scope.finish()

        start_task = getattr(target, "start_subtask", None)
        if start_task is not None:  # an async-lifted export: a task of its own
            task = start_task(args)
            if task.resolved and not task.cancelled:
                finish(task.result)
                return int(SubtaskState.RETURNED)
            subtask = Subtask()
            index = table.add(subtask)
            subtask.state = SubtaskState.STARTED if task.entered else SubtaskState.STARTING

            def on_task_resolve(task: Task) -> None:
                if task.cancelled:
                    scope.finish()
                    started = task.entered
                    subtask.resolve(index, SubtaskState.CANCELLED_BEFORE_RETURNED if started else SubtaskState.CANCELLED_BEFORE_STARTED)
                else:
                    finish(task.result)
                    subtask.resolve(index, SubtaskState.RETURNED)

            task.on_resolve = on_task_resolve
            if subtask.state is SubtaskState.STARTING:
                task.on_start = lambda: subtask.start(index)
            subtask.on_cancel = task.request_cancellation
            return int(subtask.state) | (index << 4)
        try:
            made = target(*args)
        except Err as err:
            if not abi.is_result:
                raise
            made = err
        if inspect.isawaitable(made):  # an `async def` host function: run by the scheduler's driver
            subtask = Subtask()
            index = table.add(subtask)

            def on_host_done(outcome: Callable[[], object]) -> None:
                try:
                    value = abi.from_python(outcome)
                except asyncio.CancelledError:
                    scope.finish()
                    subtask.resolve(index, SubtaskState.CANCELLED_BEFORE_RETURNED)
                    return
                finish(value)
                subtask.resolve(index, SubtaskState.RETURNED)

            scheduler = state_of(site.instance).scheduler
            host_call = HostCall(made, on_host_done)
            scheduler.host_calls.append(host_call)
            subtask.on_cancel = lambda: scheduler.cancel(host_call)
            return int(SubtaskState.STARTED) | (index << 4)
        finish(abi.from_python(lambda: made))
        return int(SubtaskState.RETURNED)

    return call
