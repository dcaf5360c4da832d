"""The boundary between the engine and the WASI implementation.

Each WASI function is a method of one of the function-group classes (`ArgsEnv`, `Clocks`,
`FdCalls`, ...), marked with `@syscall(param types)`. `host_functions` collects the marked
methods of some group objects into the table the engine links: name -> (FuncType, callable).
The callable takes the calling instance's memory and the wasm arguments as unsigned ints, and
returns the errno.

This is the one place where failures become errnos: a method signals failure by raising
`WasiError`; a host `OSError` that escaped a filesystem becomes its WASI namesake, and
exhausting host memory NOMEM. Any other exception would be a bug in wasmkit: it is logged and
reported to the guest as IO, so that no Python exception escapes a WASI call. The only
exceptions that do are the ones raised on purpose: `ExitTrap` or `Trap` from `proc_exit`, and
`OutputLimitError` from a capture buffer that is full.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from ..errors import WasmError
from ..syntax.types import FuncType, ValType
from .errno import Errno, WasiError, errno_from_oserror
from .memory import GuestMemory, LinearMemory

__all__ = ["I32", "I64", "HostFunction", "host_functions", "syscall"]

I32 = ValType.I32
I64 = ValType.I64

HostFunction = Callable[..., "int | None"]

_F = TypeVar("_F", bound=Callable[..., None])
_ATTRIBUTE = "__wasi_functype__"
_log = logging.getLogger("wasmkit.wasi")


def syscall(*params: ValType, returns_errno: bool = True) -> Callable[[_F], _F]:
    """Mark a method as the WASI function of the same name, taking `params` (after the
    memory) and returning an errno (`returns_errno`) or nothing (proc_exit)."""

    def mark(method: _F) -> _F:
        setattr(method, _ATTRIBUTE, FuncType(params, (I32,) if returns_errno else ()))
        return method

    return mark


def _boundary(name: str, method: Callable[..., None]) -> HostFunction:
    def call(memory: LinearMemory, *args: int) -> int:
        try:
            method(GuestMemory(memory), *args)
        except WasiError as exc:
            return int(exc.errno)
        except WasmError:
            raise
        except OSError as exc:
            return int(errno_from_oserror(exc))
        except MemoryError:
            return int(Errno.NOMEM)
        except Exception:
            _log.exception("internal error in WASI function %s", name)
            return int(Errno.IO)
        return 0

    call.__name__ = name
    call.__qualname__ = name
    return call


def _no_result(name: str, method: Callable[..., None]) -> HostFunction:
    def call(memory: LinearMemory, *args: int) -> None:
        method(GuestMemory(memory), *args)

    call.__name__ = name
    call.__qualname__ = name
    return call


def host_functions(*groups: Any, names: Collection[str] | None = None) -> dict[str, tuple[FuncType, HostFunction]]:
    """The `@syscall` methods of `groups` (those in `names`, when given), bound and wrapped
    for the engine, by name."""
    table: dict[str, tuple[FuncType, HostFunction]] = {}
    for group in groups:
        for name, functype in _syscalls(type(group)):
            if names is not None and name not in names:
                continue
            wrap = _boundary if functype.results else _no_result
            table[name] = (functype, wrap(name, getattr(group, name)))
    return table


_SYSCALLS: dict[type, list[tuple[str, FuncType]]] = {}


def _syscalls(group: type) -> list[tuple[str, FuncType]]:
    """The names and types of the `@syscall` methods of class `group` (found once per class)."""
    found = _SYSCALLS.get(group)
    if found is None:
        found = _SYSCALLS[group] = []
        for name in dir(group):
            functype = getattr(getattr(group, name), _ATTRIBUTE, None)
            if isinstance(functype, FuncType):
                found.append((name, functype))
    return found
