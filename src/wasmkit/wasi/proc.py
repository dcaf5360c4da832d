"""proc_exit, proc_raise, sched_yield.

    proc_exit(rval: exitcode u32) -> ()        never returns
    proc_raise(sig: signal u8) -> errno
    sched_yield() -> errno

proc_exit raises `ExitTrap(code)`, which unwinds the guest; the engine turns it into the
program's exit status. Like wasmtime, a status of 126 or more is refused with a trap ("exit
with invalid exit status outside of [0..126)"), since the shell reserves those values.
proc_raise is not supported, as in wasmtime: NOTSUP for every valid signal (INVAL for a
number outside the enum). sched_yield has nothing to yield to and succeeds.
"""

from __future__ import annotations

from ..errors import ExitTrap, Trap, TrapKind
from .abi import Signal, decode
from .errno import Errno, WasiError
from .memory import GuestMemory
from .syscall import I32, syscall

__all__ = ["Proc"]

MAX_EXIT_STATUS = 125


class Proc:
    """The process functions."""

    @syscall(I32, returns_errno=False)
    def proc_exit(self, mem: GuestMemory, status: int) -> None:
        if status > MAX_EXIT_STATUS:
            raise Trap(TrapKind.HOST, "exit with invalid exit status outside of [0..126)")
        raise ExitTrap(status)

    @syscall(I32)
    def proc_raise(self, mem: GuestMemory, signal: int) -> None:
        decode(Signal, signal)
        raise WasiError(Errno.NOTSUP)

    @syscall()
    def sched_yield(self, mem: GuestMemory) -> None:
        """Nothing to yield to: succeed."""
