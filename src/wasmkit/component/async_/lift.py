"""Async-lifted exports called from Python (`canon lift ... async (callback ...)`).

Calling one makes a `Task` and runs the instantiation's scheduler until the task has
returned (`task.return`): a plain synchronous call, as for any other export, so that
scripts and `wasmkit run --invoke` need no event loop. The task, and any other task still
running, may go on after that (filling a stream it returned, say): they run at the next
call, or as the caller reads what they produce. `await f.call_async(*args)` does the same
from asyncio code, giving the event loop a turn between steps, so that calls made
concurrently (`asyncio.gather`) interleave as the component's tasks do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...errors import Trap, TrapKind
from ...runtime.call import call_wasm
from ..functions import LiftedFunction
from .tasks import Task, state_of

if TYPE_CHECKING:
    from ...runtime.func import Func as CoreFunc
    from ..abi.context import Options
    from ..functions import CallSite
    from ..types import Func

__all__ = ["AsyncLiftedFunction"]


class AsyncLiftedFunction(LiftedFunction):
    """A core function lifted with `async` and a `callback`: each call is a task."""

    __slots__ = ("callback",)

    def __init__(
        self, site: CallSite, core: CoreFunc, func: Func, options: Options, callback: CoreFunc, name: str = ""
    ) -> None:
        super().__init__(site, core, func, options, None, name)
        self.callback = callback

    def _start(self, args: Sequence[object]) -> Task:
        instance = self.site.instance
        if instance.poisoned:
            raise Trap(TrapKind.HOST, "cannot enter component instance: an earlier call into it trapped")
        if instance.busy or state_of(instance).exclusive:  # a host function it called calls back into it
            raise Trap(TrapKind.HOST, "cannot enter component instance: it is already in a call")
        abi = self.abi
        abi._check_count(args)
        task = Task(self, abi, args)
        state_of(instance).scheduler.add(task)
        return task

    def start_subtask(self, args: Sequence[object]) -> Task:
        """A call from another component's async lowering: the task runs its core function at
        once if it can (no backpressure, its instance not running core code), as the caller's
        `canon lower` does before it returns; the scheduler steps it from there."""
        task = self._start(args)
        state_of(self.site.instance).scheduler.step(task)
        return task

    def __call__(self, *args: object) -> object:
        """Run the call's task (and others beside it) until it returns; its result."""
        task = self._start(args)
        scheduler = state_of(self.site.instance).scheduler
        call_wasm(scheduler.run_until, (lambda: task.resolved,), self.site.guard)
        return self.abi.to_python(task.result)

    async def call_async(self, *args: object) -> object:
        """The call as a coroutine: the event loop gets a turn after each step of a task,
        and runs the `async def` host functions the tasks call."""
        task = self._start(args)
        scheduler = state_of(self.site.instance).scheduler
        try:
            await scheduler.run_until_async(lambda: task.resolved, self.site.guard)
        except asyncio.CancelledError:  # the task is told, and may go on until it calls `task.cancel`
            task.request_cancellation()
            raise
        return self.abi.to_python(task.result)
