"""Tasks of callback-lifted exports (CanonicalABI.md, "Task State", `canon lift` with
`async` and `callback`), and each instance's part in the async ABI (`AsyncState`).

A call of an async export is a `Task`. Its core function runs once, then returns a packed
callback code: EXIT (the task is over; it must have called `task.return`), YIELD (call the
callback again when others had their turn), or WAIT on a waitable set (call it with the
set's next event). Between calls the guest's stack is empty, so a task is a small state
machine, and no stack switching is needed: the `scheduler.Scheduler` steps it. Each step is
one synchronous core call holding the instance's `exclusive` flag (at most one task runs
core code in an instance at a time); a task whose instance has backpressure waits before it
starts. Cancellation, once requested, is delivered at the task's next wait or yield.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, cast

from ..abi.resources import BorrowScope
from .waitables import Event, EventCode, WaitableSet, misuse, waitable_set

if TYPE_CHECKING:
    from ..abi.calls import FunctionAbi
    from ..abi.resources import HandleTable
    from ..functions import LiftedFunction
    from ..instance import ComponentInstance
    from .scheduler import Scheduler

__all__ = ["CallbackCode", "AsyncState", "state_of", "sync_task", "Task", "DEADLOCK"]

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

    def may_wait(self) -> bool:
        """Whether the running task may wait: only one of a function of an async type may
        block before it returns."""
        task = self.current
        return task is None or task.lifted.func.is_async

    def may_block(self) -> None:
        """Trap unless the running task may wait (`may_wait`)."""
        if not self.may_wait():
            raise misuse("cannot block a synchronous task before returning")

    def change_backpressure(self, delta: int) -> None:
        value = self.backpressure + delta
        if not 0 <= value < _MAX_BACKPRESSURE:
            raise misuse("backpressure counter overflow")
        self.backpressure = value


def state_of(instance: ComponentInstance) -> AsyncState:
    """The async state of `instance`, which instantiation made for its async definitions."""
    state = instance.async_state
    return cast(AsyncState, state)  # instantiation made it for the instance's async definitions


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
