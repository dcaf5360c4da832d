"""Running the async component model (WASI 0.3): tasks of callback-lifted exports, their
scheduler, waitables and waitable sets, and the canonical built-ins over them. See
docs/components-async.md for the design."""

from .lift import AsyncLiftedFunction
from .scheduler import Scheduler
from .tasks import AsyncState, CallbackCode, Task
from .waitables import EventCode, Waitable, WaitableSet

__all__ = ["AsyncLiftedFunction", "AsyncState", "CallbackCode", "Scheduler", "Task", "EventCode", "Waitable", "WaitableSet"]
