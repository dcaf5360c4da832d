"""Tasks of callback-lifted exports and the scheduler that runs them (CanonicalABI.md,
"Task State", `canon lift` with `async` and `callback`).

A call of an async export is a `Task`. Its core function runs once, then returns a packed
callback code: EXIT (the task is over; it must have called `task.return`), YIELD (call the
callback again when others had their turn), or WAIT on a waitable set (call it with the
set's next event). Between calls the guest's stack is empty, so a task is a small state
machine, and no stack switching is needed: the `Scheduler` (one per instantiation) steps,
in turn, each task that can make progress. Each step is one synchronous core call holding
the instance's `exclusive` flag (at most one task runs core code in an instance at a time);
a task whose instance has backpressure waits before it starts.

When no task can make progress, host calls (`async def` imports) under way run on an asyncio
event loop until one finishes; when there are none either and the one the caller waits for
has not returned, it never will: a deadlock, which traps (wasmtime waits forever instead).

Blocking inside core code (`waitable-set.wait`, `thread.yield`) steps the other tasks
(those of other instances: this one is exclusively held) on the same Python stack.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING

from ...runtime.call import call_wasm
from ..abi import BorrowScope
from .waitables import Event, EventCode, WaitableSet, misuse, waitable_set

if TYPE_CHECKING:
    from ..abi import FunctionAbi, HandleTable
    from ..functions import LiftedFunction
    from ..instance import ComponentInstance

__all__ = ["CallbackCode", "AsyncState", "state_of", "sync_task", "blocking_call", "Task", "HostCall", "Scheduler", "DEADLOCK"]

DEADLOCK = "deadlock detected: event loop cannot make further progress"
_MAX_BACKPRESSURE = 1 << 16


class CallbackCode(enum.IntEnum):
    EXIT = 0
    YIELD = 1
    WAIT = 2


class AsyncState:
    """A component instance's part in the async ABI: its backpressure counter, whether a
    task runs its core code (`exclusive`), and which (`current`, for `task.return` and
    `context.*`)."""

    __slots__ = ("handles", "scheduler", "guard", "backpressure", "exclusive", "current")

    def __init__(self, handles: HandleTable, scheduler: Scheduler, guard: AbstractContextManager[object]) -> None:
        self.handles = handles
        self.scheduler = scheduler
        self.guard = guard  # the store's: core code runs holding it
        self.backpressure = 0
        self.exclusive = False
        self.current: Task | None = None

    def task(self, what: str) -> Task:
        """The task running core code now, for built-in `what`."""
        if self.current is None:
            raise misuse(f"`{what}` called outside of an async task")
        return self.current

    def may_block(self) -> None:
        """Trap if the running task may not wait: one of a function of a synchronous type
        (only async-typed functions may block before they return)."""
        task = self.current
        if task is not None and not task.lifted.func.is_async:
            raise misuse("cannot block a synchronous task before returning")

    def change_backpressure(self, delta: int) -> None:
        value = self.backpressure + delta
        if not 0 <= value < _MAX_BACKPRESSURE:
            raise misuse("backpressure counter overflow")
        self.backpressure = value


def state_of(instance: ComponentInstance) -> AsyncState:
    """The async state of `instance`, which instantiation made for its async definitions."""
    state = instance.async_state
    assert state is not None, "an async definition's instance has its async state"
    return state


@contextmanager
def sync_task(lifted: LiftedFunction) -> Iterator[None]:
    """A synchronously lifted call into an instance that uses the async ABI: a task of its own
    (for `context.*`, and to wait inside its core code) that holds the instance exclusively
    until it returns; `task.return` is not its way to return."""
    state = state_of(lifted.site.instance)
    previous = (state.exclusive, state.current)
    state.exclusive, state.current = True, Task(lifted, lifted.abi, ())
    try:
        yield
    finally:
        state.exclusive, state.current = previous


class _Cancel(enum.Enum):
    NONE = "none"
    PENDING = "pending"  # requested, to be delivered at the task's next wait or yield
    DELIVERED = "delivered"  # the callback got TASK_CANCELLED: it may call `task.cancel`


class _State(enum.Enum):
    STARTING = "starting"  # waits for backpressure to clear, then calls the core function
    YIELDED = "yielded"
    WAITING = "waiting"
    DONE = "done"


class Task:
    """One call of a callback-lifted export: its state, its context slot, its result once
    `task.return` gave it."""

    __slots__ = (
        "lifted", "abi", "args", "state", "wset", "context", "resolved", "cancelled", "result", "scope", "on_resolve",
        "entered", "cancel", "on_start",
    )  # fmt: skip

    def __init__(self, lifted: LiftedFunction, abi: FunctionAbi, args: Sequence[object]) -> None:
        self.lifted = lifted
        self.abi = abi
        self.args = args
        self.state = _State.STARTING
        self.wset: WaitableSet | None = None
        self.context = 0  # `context.get/set`'s slot 0
        self.resolved = False
        self.result: object = None
        self.scope = BorrowScope()
        self.cancelled = False  # resolved by `task.cancel` (or before it started), with no result
        self.on_resolve: Callable[[Task], None] | None = None
        self.on_start: Callable[[], None] | None = None  # told as the task starts (past backpressure)
        self.cancel = _Cancel.NONE
        self.entered = False  # its core code ran: a trap leaves the instance in whatever state

    @property
    def done(self) -> bool:
        return self.state is _State.DONE

    @property
    def async_state(self) -> AsyncState:
        return state_of(self.lifted.site.instance)

    def runnable(self) -> bool:
        state = self.async_state
        if state.exclusive:
            return False
        if self.state is _State.STARTING:
            return state.backpressure == 0
        if self.cancel is _Cancel.PENDING and self.state in (_State.WAITING, _State.YIELDED):
            return True
        if self.state is _State.WAITING:
            return self.wset is not None and self.wset.has_pending()
        return self.state is _State.YIELDED

    def return_(self, value: object) -> None:
        """`task.return`: the result, given once."""
        if self.resolved:
            raise misuse("`task.return` or `task.cancel` called more than once for current task")
        self.scope.finish()
        self.resolved = True
        self.result = value
        if self.on_resolve is not None:
            self.on_resolve(self)

    def cancel_(self) -> None:
        """`task.cancel`: the task ends without a result, after cancellation was delivered."""
        if self.resolved:
            raise misuse("`task.return` or `task.cancel` called more than once for current task")
        if self.cancel is not _Cancel.DELIVERED:
            raise misuse("`task.cancel` called by non-cancelled task")
        self.scope.finish()
        self.resolved = self.cancelled = True
        if self.on_resolve is not None:
            self.on_resolve(self)

    def take_cancellation(self) -> bool:
        """For a cancellable built-in: whether cancellation was requested and not yet
        delivered (it is delivered now)."""
        if self.cancel is _Cancel.PENDING:
            self.cancel = _Cancel.DELIVERED
            return True
        return False

    def request_cancellation(self) -> None:
        """The caller no longer wants the result: a task not started yet ends at once (its
        arguments never lowered); one under way gets TASK_CANCELLED at its next wait or yield."""
        if self.resolved or self.cancel is not _Cancel.NONE:
            return
        if self.state is _State.STARTING:
            self.state = _State.DONE
            self.cancel = _Cancel.DELIVERED
            self.resolved = self.cancelled = True
            if self.on_resolve is not None:
                self.on_resolve(self)
        else:
            self.cancel = _Cancel.PENDING

    def step(self) -> None:
        """Run the task's next core call: the core function, or the callback with the event
        it waited for; then take the callback code it returned."""
        lifted = self.lifted
        if self.state is _State.STARTING:
            cx = lifted.site.context(lifted.options, self.scope)
            flat = self.abi.lower_args(cx, self.args)
            if self.on_start is not None:
                self.on_start()
            packed = self._call(lifted.core, flat)
        else:
            wset, self.wset = self.wset, None
            if wset is not None:
                wset.waiting -= 1
            if self.take_cancellation():
                event: Event = (EventCode.TASK_CANCELLED, 0, 0)
            elif wset is not None:
                event = wset.take_pending()
            else:
                event = (EventCode.NONE, 0, 0)
            callback = lifted.callback  # type: ignore[attr-defined]
            packed = self._call(callback, [int(event[0]), event[1], event[2]])
        self._after(packed)

    def _call(self, func: Callable[..., object], args: Sequence[object]) -> int:
        state = self.async_state
        state.exclusive = True
        state.current = self
        self.entered = True
        try:
            result = func(*args)
        finally:
            state.exclusive = False
            state.current = None
        return int(result) & 0xFFFFFFFF  # type: ignore[call-overload]

    def _after(self, packed: int) -> None:
        code, index = packed & 0xF, packed >> 4
        if code == CallbackCode.EXIT:
            if not self.resolved:
                raise misuse("async-lifted export failed to produce a result")
            self.state = _State.DONE
        elif code == CallbackCode.YIELD:
            self.state = _State.YIELDED
        elif code == CallbackCode.WAIT:
            wset = waitable_set(self.async_state.handles, index)
            wset.waiting += 1
            self.wset = wset
            self.state = _State.WAITING
        else:
            raise misuse("unsupported callback code")

    def abandon(self) -> None:
        """The task failed: it is over, and its instance is not entered again if its core
        code ran (arguments that do not fit their types change nothing)."""
        if self.wset is not None:
            self.wset.waiting -= 1
            self.wset = None
        self.state = _State.DONE
        if self.entered:
            self.lifted.site.instance.poisoned = True


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
        try:
            loop.run_until_complete(asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED))
            self._deliver()
        finally:
            if not self.host_calls:  # none left on it: the loop goes (a new one serves the next)
                self._loop = None
                loop.close()
        return True

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
            assert future is not None
            call.on_done(future.result)


def blocking_call(state: AsyncState, target: Callable[..., object]) -> Callable[..., object]:
    """`target` for a synchronous lowering of an async function type: the caller's core code
    waits until the callee returns (a trap if the caller is of a synchronous type and the
    callee, another component's async export, did not return at once); an `async def` host
    function's coroutine runs as a host call while other tasks take their steps."""

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
        state.scheduler.host_calls.append(HostCall(made, outcome.append))
        state.scheduler.run_until(lambda: bool(outcome))
        return outcome[0]()

    return call
