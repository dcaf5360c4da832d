"""The scheduler of an instantiation's tasks, and the host calls they wait for.

The `Scheduler` (one per instantiation) steps, in turn, each task that can make progress.
When none can, host calls (`async def` imports) under way run on an asyncio event loop until
one finishes; when there are none either and the one the caller waits for has not returned,
it never will: a deadlock, which traps (wasmtime waits forever instead).

Blocking inside core code (`waitable-set.wait`, `thread.yield`, a synchronous lowering of an
async function) steps the other tasks (those of other instances: this one is exclusively
held) and host calls on the same Python stack.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import cast

from ...runtime.call import call_wasm
from .tasks import DEADLOCK, AsyncState, Task
from .waitables import misuse

__all__ = ["HostCall", "Scheduler", "blocking_call"]


class HostCall:
    """A call of an `async def` host function (a subtask's callee): its coroutine, started on
    the driver's event loop as an asyncio task, and what to do with its outcome (given as a
    callable that returns the result or raises)."""

    __slots__ = ("awaitable", "on_done", "future")

    def __init__(self, awaitable: Awaitable[object], on_done: Callable[[Callable[[], object]], None]) -> None:
        self.awaitable = awaitable
        self.on_done = on_done
        self.future: asyncio.Future[object] | None = None


async def _wrap(awaitable: Awaitable[object]) -> object:
    return await awaitable


class Scheduler:
    """The tasks of one instantiation (its component instances share one), stepped in turn,
    and the host calls they wait for.

    Host calls run on an event loop: the running one when the scheduler is driven from
    asyncio (`run_until_async`), else a private loop of the scheduler's own, run while no
    task can make progress (`run_until`). One scheduler is driven one way or the other while
    host calls are under way, not both."""

    __slots__ = ("tasks", "host_calls", "_loop")

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.host_calls: list[HostCall] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, task: Task) -> None:
        self.tasks.append(task)

    def step(self, only: Task | None = None) -> bool:
        """Step one task that can make progress (the one that waited longest first, or
        `only`); whether there was one. A trap in it propagates (the task is dropped first)."""
        self.tasks = [task for task in self.tasks if not task.done]  # those cancelled before they started
        for i, task in enumerate(self.tasks):
            if (only is None or task is only) and task.runnable():
                del self.tasks[i]
                try:
                    task.step()
                except BaseException:
                    task.abandon()
                    raise
                if not task.done:
                    self.tasks.append(task)
                return True
        return False

    def run_until(self, finished: Callable[[], bool]) -> None:
        """Step tasks until `finished()`, running host calls on the private event loop while
        no task can make progress; a deadlock trap if nothing can."""
        while not finished():
            if not self.progress():
                raise misuse(DEADLOCK)

    def progress(self) -> bool:
        """Step a task, or else run host calls on the private event loop until one finishes;
        whether anything happened."""
        if self.step():
            return True
        if not self.host_calls:
            return False
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        loop = self._loop
        futures = [self._start(call, loop) for call in self.host_calls]
        self._run_private(asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED))
        return True

    def try_at_once(self, call: HostCall) -> bool:
        """Give host call `call` one turn of the private event loop: whether it finished
        (its outcome delivered). One that did not is cancelled (its outcome, a
        CancelledError, delivered too): for a caller that may not wait."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        future = self._start(call, self._loop)
        self._run_private(asyncio.sleep(0))
        if call not in self.host_calls:
            return True
        future.cancel()
        self._run_private(asyncio.wait([future]))
        return False

    def _run_private(self, awaitable: Awaitable[object]) -> None:
        """Run the private event loop until `awaitable` is done, then deliver what finished."""
        loop = self._loop
        loop = cast(asyncio.AbstractEventLoop, loop)  # made before anything runs on it
        try:
            loop.run_until_complete(awaitable)
            self._deliver()
        finally:
            if not self.host_calls:  # none left on it: the loop goes (a new one serves the next)
                self._loop = None
                loop.close()

    async def run_until_async(self, finished: Callable[[], bool], guard: AbstractContextManager[object]) -> None:
        """`run_until` from asyncio code: host calls run on the running loop, and the loop
        gets a turn after each step (core code runs on a wasm thread, holding `guard`)."""
        loop = asyncio.get_running_loop()
        while not finished():
            if call_wasm(self.step, (), guard):
                await asyncio.sleep(0)
                continue
            if not self.host_calls:
                raise misuse(DEADLOCK)
            futures = [self._start(call, loop) for call in self.host_calls]
            await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
            call_wasm(self._deliver, (), guard)

    def _start(self, call: HostCall, loop: asyncio.AbstractEventLoop) -> asyncio.Future[object]:
        if call.future is None:
            call.future = loop.create_task(_wrap(call.awaitable))
        elif call.future.get_loop() is not loop:
            raise RuntimeError("a host call started on one event loop is awaited on another")
        return call.future

    def cancel(self, call: HostCall) -> None:
        """Ask host call `call` to stop: one not started yet never runs; a running one has
        its asyncio task cancelled (its subtask learns the outcome as it ends)."""
        if call.future is not None:
            call.future.cancel()
            return
        self.host_calls.remove(call)
        close = getattr(call.awaitable, "close", None)
        if close is not None:
            close()

        def cancelled() -> object:
            raise asyncio.CancelledError

        call.on_done(cancelled)

    def _deliver(self) -> None:
        """Give each finished host call's outcome to its subtask."""
        done = [call for call in self.host_calls if call.future is not None and call.future.done()]
        for call in done:
            self.host_calls.remove(call)
            future = call.future
            future = cast("asyncio.Future[object]", future)  # a finished call has its future
            call.on_done(future.result)


def blocking_call(state: AsyncState, target: Callable[..., object]) -> Callable[..., object]:
    """`target` for a synchronous lowering of an async function type: the caller's core code
    waits until the callee returns (a trap if the caller is of a synchronous type and the
    callee did not return at once); an `async def` host function's coroutine runs as a host
    call while other tasks take their steps."""

    def call(*args: object) -> object:
        start_task = getattr(target, "start_subtask", None)
        if start_task is not None:  # an async-lifted export: its task, waited for
            task: Task = start_task(args)
            if not task.resolved:
                state.may_block()
                state.scheduler.run_until(lambda: task.resolved)
            return task.abi.to_python(task.result)
        made = target(*args)
        if not inspect.isawaitable(made):
            return made
        outcome: list[Callable[[], object]] = []
        host_call = HostCall(made, outcome.append)
        state.scheduler.host_calls.append(host_call)
        if not state.may_wait() and not state.scheduler.try_at_once(host_call):
            state.may_block()  # it traps
        state.scheduler.run_until(lambda: bool(outcome))
        return outcome[0]()

    return call
