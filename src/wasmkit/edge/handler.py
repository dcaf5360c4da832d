"""A route's module, and how one request runs on a fresh instance of it.

A `ModuleHandler` is made once per route when the configuration loads: it reads and validates
the module, checks its entrypoint, and compiles it (the metered variant, since every request
can be stopped). When the module exports `wizer.initialize`, the handler also runs it once
and keeps the memory and mutable globals it leaves: each request's instance starts from that
snapshot instead of running the initialisation again.

Each request then gets its own `Store` and instance: nothing one request writes is seen by the
next. Its limits come from the route: fuel, a memory cap, a response size cap, and a
`RunControl` through which the server stops it when its time is up.
"""

from __future__ import annotations

import errno
import threading
from http import HTTPStatus
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine.base import Engine
from ..errors import ExitTrap, LinkError, Trap, TrapKind, WasmError, describe_error
from ..runtime import Func, Instance, Linker, Module, Store, StoreLimits
from ..syntax.types import PAGE_SIZE, MemoryType, TableType, ValType
from ..wasi import DirPerms, FilePerms, OutputLimitError, WasiConfig, WasiPreview1, define_wasi, wasi_imports
from ..wasi import MODULE as WASI_MODULE
from .budget import STDERR_LIMIT, RequestBudget
from .cgi import CgiOutputError, CgiRequest, cgi_argv, cgi_environment, parse_cgi_output
from .config import RouteConfig
from .routing import RouteMatch

if TYPE_CHECKING:
    from ..wasi.preview2 import WasiPreview2

__all__ = ["HandlerLoadError", "ModuleHandler", "Outcome", "RUN_FAILURES", "RunControl", "PREINIT_EXPORT", "TEXT_PLAIN", "route_budget", "run_failure"]

PREINIT_EXPORT = "wizer.initialize"
TEXT_PLAIN = [(b"content-type", b"text/plain; charset=utf-8")]  # the server's own answers
# Globals a snapshot keeps: a reference would point into the instance that was initialised.
_NUMERIC = {ValType.I32, ValType.I64, ValType.F32, ValType.F64, ValType.V128}


class HandlerLoadError(Exception):
    """A route's module cannot be served; the message names the module and says why."""


@dataclass
class Outcome:
    """What became of one request: the response to send, and for the log what went wrong
    (`error`: a short kind such as "trap" or "timeout"; `detail`: the full message)."""

    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None
    detail: str = ""
    stderr: bytes = b""
    stdout: bytes = b""  # a component's, for the log (a WAGI module's stdout is the response)
    instance_seconds: float = 0.0

    @classmethod
    def failure(cls, status: int, error: str, detail: str) -> Outcome:
        """A response the server gives for a request that failed: the status and its phrase,
        as plain text (the details go to the log, not to the client)."""
        body = f"{status} {HTTPStatus(status).phrase}\n".encode()
        return cls(status, list(TEXT_PLAIN), body, error, detail)


class RunControl:
    """Stops a request's instance from another thread (the server's, when time is up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._running: list[tuple[Store, WasiPreview1 | WasiPreview2]] = []

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Interrupt the instance: wasm traps with "interrupted", WASI waits end."""
        with self._lock:
            self._stopped = True
            for store, wasi in self._running:
                store.set_deadline(0)  # this call and any later one
                wasi.interrupt()

    def _attach(self, store: Store, wasi: WasiPreview1 | WasiPreview2) -> None:
        with self._lock:
            self._running.append((store, wasi))
            if self._stopped:
                store.set_deadline(0)  # this call and any later one
                wasi.interrupt()


@dataclass(frozen=True)
class _Snapshot:
    """The state `wizer.initialize` left: the bytes of each memory the module defines, and
    the values of its mutable numeric globals (by index in the global index space)."""

    first_memory: int  # index of the first memory the module defines (after imported ones)
    memories: list[bytes]
    globals: dict[int, object]



def route_budget(route: RouteConfig, mems: Sequence[MemoryType], tables: Sequence[TableType]) -> RequestBudget:
    """`route`'s `memory_mb` split over the memories and tables `mems` and `tables` (a
    module's, or all of a component's core modules'; see edge/budget.py); HandlerLoadError
    if an initial size does not fit."""
    budget = RequestBudget.split(route.memory_mb, route.max_body_bytes, route.max_response_bytes, len(mems), len(tables))
    for memory in mems:
        if memory.limits.min * PAGE_SIZE > budget.memory_bytes:
            raise HandlerLoadError(
                f"{route.module}: its initial memory of {memory.limits.min * PAGE_SIZE} bytes exceeds the"
                f" {budget.memory_bytes} bytes of linear memory that memory_mb = {route.memory_mb} leaves"
            )
    for table in tables:
        if table.limits.min > budget.table_elements:
            raise HandlerLoadError(
                f"{route.module}: its table of {table.limits.min} elements exceeds the limit of {budget.table_elements}"
            )
    return budget

class ModuleHandler:
    """Serves one route: its module loaded, checked and compiled, ready to instantiate."""

    def __init__(self, route: RouteConfig, engine: Engine, base_env: dict[str, str] | None = None) -> None:
        self.route = route
        self.engine = engine
        self.base_env = dict(base_env or {})
        try:
            self.module = Module.from_file(route.module)
            self.module.compiled(engine, metered=True).compile_all()
        except OSError as err:
            raise HandlerLoadError(f"{route.module}: cannot read: {err.strerror or err}") from None
        except WasmError as err:
            raise HandlerLoadError(describe_error(err, str(route.module))) from None
        exports = dict(self.module.exports)
        if route.entrypoint not in exports:
            raise HandlerLoadError(f"{route.module}: no exported function {route.entrypoint!r} (the route's entrypoint)")
        unknown = sorted({name for name, _, _ in self.module.imports if name != WASI_MODULE})
        if unknown:
            raise HandlerLoadError(f"{route.module}: imports from {', '.join(unknown)}; only {WASI_MODULE} is provided")
        self.wasi_names = wasi_imports(self.module)  # an instance needs only these defined
        self.budget = self._budget()
        self.snapshot = self._preinitialise() if PREINIT_EXPORT in exports else None

    # -- per request --

    def handle(self, request: CgiRequest, match: RouteMatch, control: RunControl | None = None) -> Outcome:
        """Run the module for `request` on a fresh instance; never raises for what the module
        does (traps, limits, bad output all become an `Outcome` with a 5xx status)."""
        route = self.route
        env = {**self.base_env, **route.environment, **cgi_environment(request, route.route.text, match)}
        config = WasiConfig(argv=cgi_argv(route.argv, match.script_name, request.query_string), env=env)
        config.stdin_bytes(request.body)
        config.capture_stdout(max_bytes=route.max_response_bytes)
        config.capture_stderr(max_bytes=STDERR_LIMIT)
        for guest, host in route.volumes.items():
            config.preopen_dir(host, guest, DirPerms.READ_ONLY, FilePerms.READ_ONLY)
        store = Store(self.engine, self._limits(), fuel=route.fuel, interruptible=True)
        linker = Linker(store)
        try:
            wasi = define_wasi(linker, config, self.wasi_names)
        except OSError as err:
            return Outcome.failure(500, "volume", f"cannot open a volume: {err}")
        started = time.perf_counter()
        try:
            if control is not None:
                control._attach(store, wasi)
            outcome = self._run(linker, wasi, control)
            outcome.stderr = wasi.captured_stderr
        finally:
            wasi.close()
        outcome.instance_seconds = time.perf_counter() - started
        return outcome

    def _run(self, linker: Linker, wasi: WasiPreview1, control: RunControl | None) -> Outcome:
        try:
            instance = linker.instantiate(self.module)
            if self.snapshot is not None:
                _restore(instance, self.snapshot)
            entry = instance.exports[self.route.entrypoint]
            if not isinstance(entry, Func):
                return Outcome.failure(500, "entrypoint", f"export {self.route.entrypoint!r} is not a function")
            initialize = instance.exports["_initialize"] if "_initialize" in instance.exports else None
            if self.route.entrypoint != "_start" and isinstance(initialize, Func):
                initialize()
            entry()
        except ExitTrap as exit_:
            if exit_.code != 0:
                return Outcome.failure(500, "exit", f"the module exited with status {exit_.code}")
        except RUN_FAILURES as err:
            return run_failure(err, control)
        try:
            response = parse_cgi_output(wasi.captured_stdout)
        except CgiOutputError as err:
            return Outcome.failure(500, "bad_output", str(err))
        return Outcome(response.status, response.headers, response.body)

    # -- the memory budget --

    def _budget(self) -> RequestBudget:
        """The route's `memory_mb` split over this module's memories and tables (see
        edge/budget.py); a module whose initial memory or tables do not fit cannot be served."""
        syntax = self.module.valid.module
        return route_budget(self.route, syntax.mems, syntax.tables)

    def _limits(self) -> StoreLimits:
        return StoreLimits(memory_bytes=self.budget.memory_bytes, table_elements=self.budget.table_elements)

    # -- pre-initialisation --

    def _preinitialise(self) -> _Snapshot:
        """Run `wizer.initialize` once on an instance of its own and keep what it leaves."""
        store = Store(self.engine, self._limits())
        linker = Linker(store)
        config = WasiConfig(argv=[self.route.module.name], env={**self.base_env, **self.route.environment})
        config.stdin_bytes(b"")
        config.capture_stdout(max_bytes=STDERR_LIMIT)
        config.capture_stderr(max_bytes=STDERR_LIMIT)
        wasi = define_wasi(linker, config, self.wasi_names)
        try:
            instance = linker.instantiate(self.module)
            initialize = instance.exports[PREINIT_EXPORT]
            if not isinstance(initialize, Func):
                raise HandlerLoadError(f"{self.route.module}: export {PREINIT_EXPORT!r} is not a function")
            initialize()
        except WasmError as err:
            raise HandlerLoadError(f"{self.route.module}: {PREINIT_EXPORT} failed: {err}") from None
        finally:
            wasi.close()
        valid = self.module.valid
        first_memory = len(valid.memory_types) - len(valid.module.mems)
        first_global = len(valid.global_types) - len(valid.module.globals)
        memories = [memory.read(0, memory.size) for memory in instance.mems[first_memory:]]
        values = {
            index: instance.global_internal(index)
            for index, glob in enumerate(instance.globals)
            if index >= first_global and glob.type.mutable and glob.type.valtype in _NUMERIC
        }
        return _Snapshot(first_memory, memories, values)


# What running a request's Wasm (module or component) may raise that answers the request with
# an error (see `run_failure`); an OSError other than ENOMEM is re-raised there.
RUN_FAILURES = (Trap, OutputLimitError, WasmError, MemoryError, OSError)


def run_failure(err: BaseException, control: RunControl | None) -> Outcome:
    """The answer to a request whose Wasm raised `err` (one of RUN_FAILURES, not an exit):
    504 when the route's timeout stopped it (`control`), 503 when the host ran out of memory
    for it, else 500 naming what went wrong."""
    if isinstance(err, Trap):
        if err.kind is TrapKind.INTERRUPTED and control is not None and control.stopped:
            return Outcome.failure(504, "timeout", "stopped after the route's timeout")
        kind = "fuel" if err.kind is TrapKind.OUT_OF_FUEL else "trap"
        return Outcome.failure(500, kind, f"trap: {err}")
    if isinstance(err, OutputLimitError):
        return Outcome.failure(500, "response_size", str(err))
    if isinstance(err, LinkError):
        return Outcome.failure(500, "instantiate", f"cannot instantiate: {err}")
    if isinstance(err, WasmError):
        return Outcome.failure(500, "error", str(err))
    if isinstance(err, MemoryError):
        return Outcome.failure(503, "capacity", "the worker ran out of memory for this request")
    if isinstance(err, OSError) and err.errno == errno.ENOMEM:
        # The host could not map the instance's memory: the machine is short, not the Wasm at
        # fault; 503 tells a load balancer to try elsewhere.
        return Outcome.failure(503, "capacity", f"cannot allocate the instance: {err.strerror}")
    raise err


def _restore(instance: Instance, snapshot: _Snapshot) -> None:
    """Start `instance` from `snapshot` instead of its initial state."""
    for memory, data in zip(instance.mems[snapshot.first_memory :], snapshot.memories):
        missing = len(data) - memory.size
        if missing > 0 and memory.grow(missing // PAGE_SIZE) < 0:
            raise LinkError("the pre-initialised memory exceeds the route's memory cap")
        memory.write(0, data)
    for index, value in snapshot.globals.items():
        instance.set_global_internal(index, value)
