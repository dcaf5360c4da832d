"""A route served by a `wasi:http/proxy` component, as `wasmtime serve -Scli` serves one, or
by a `wasi:http/service` component of WASI 0.3, as `wasmtime serve -Sp3 -Scli
-Wcomponent-model-async` serves one.

A `ComponentHandler` is made once per route when the configuration loads: it reads and
validates the component, checks that it exports `wasi:http/incoming-handler` (any 0.2.x) or
`wasi:http/handler` (0.3.x; a component exporting both is served as 0.2), and
instantiates it once to check that its imports link with the WASI host (which also
compiles its core modules, so the first request does not pay for that).

Each request then gets a fresh instance in a `Store` of its own, as a WAGI module does, with
the route's limits: fuel, the memory cap (`RequestBudget`, over the memories and tables of all
the component's core modules), the `RunControl` that stops it at the timeout, and
`max_response_bytes` for the body it writes (past it the request ends with a 500, as for a
WAGI module's stdout). The request becomes a wasi:http `incoming-request` (method, path with
query, scheme, authority from the Host header, the headers but those wasmtime withholds from a
guest, and the body as a stream), the response is what the guest sets in its
`response-outparam`. What the guest prints to stdout and stderr (each up to `STDERR_LIMIT`) goes
to the log, as a WAGI module's stderr does (`wasmtime serve` prints both to its own stderr).

As with wasmtime: a trap, or a guest that returns without setting a response or sets an
error code, is a 500. The response's body is collected whole before it is sent.

WASI 0.3's `handle` is an async function called with a `request` (its body a stream the guest
reads piece by piece from the request's body) and returning a `response` or an error code
(a 500); the response's body is the guest's stream, read as the guest writes it, up to
`max_response_bytes` (past it the request ends with a 500, as for 0.2), then sent.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..component.async_.values import FutureReader, StreamReader
from ..component.loader import Component
from ..engine.base import Engine
from ..errors import ExitTrap, WasmError, describe_error
from ..runtime import Store, StoreLimits
from ..wasi import DirPerms, FilePerms, WasiConfig
from ..wasi.preview2 import host_imports
from ..wasi.preview2.host import HostImports, interface_key
from ..wasi.preview2.http import FORBIDDEN_HEADERS, Fields, IncomingRequest, OutgoingResponse, ResponseOutparam
from ..wasi.preview2.values import Case, Err, Ok, case
from ..wasi.preview3.http import Request, Response
from ..wasi.stdio import OutputLimitError
from .budget import STDERR_LIMIT, RequestBudget
from .cgi import FRAMING_HEADERS, CgiRequest
from .config import DEFAULT_ARGV, RouteConfig
from .handler import RUN_FAILURES, HandlerLoadError, Outcome, RunControl, route_budget, run_failure
from .routing import RouteMatch

__all__ = ["ComponentHandler", "INCOMING_HANDLER", "is_component"]

INCOMING_HANDLER = "wasi:http/incoming-handler@0.2.0"  # as `interface_key` spells any 0.2.x
HANDLER = "wasi:http/handler@0.3.0"  # WASI 0.3's, as `interface_key` spells any 0.3.x
_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
_COMPONENT_LAYER = b"\x00asm\x0d\x00\x01\x00"  # the preamble of a component (version 0xd, layer 1)


def is_component(path: Path) -> bool:
    """Whether the file at `path` begins as a component does (False if it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(_COMPONENT_LAYER)) == _COMPONENT_LAYER
    except OSError:
        return False


class ComponentHandler:
    """Serves one route with a `wasi:http/proxy` component, a fresh instance per request."""

    def __init__(self, route: RouteConfig, engine: Engine, base_env: dict[str, str] | None = None) -> None:
        self.route = route
        self.engine = engine
        self.base_env = dict(base_env or {})
        try:
            self.component = Component(route.module)
        except OSError as err:
            raise HandlerLoadError(f"{route.module}: cannot read: {err.strerror or err}") from None
        except WasmError as err:
            raise HandlerLoadError(describe_error(err, str(route.module))) from None
        names = self.component.valid.type.exports
        exports = [name for name in names if interface_key(name) == INCOMING_HANDLER]
        services = [name for name in names if interface_key(name) == HANDLER]
        if not exports and not services:
            raise HandlerLoadError(
                f"{route.module}: a component served over HTTP must export wasi:http/incoming-handler@0.2.x"
                " (the wasi:http/proxy world) or wasi:http/handler@0.3.x (the wasi:http/service world)"
            )
        self.export = (exports or services)[0]
        self.wasi_03 = not exports  # served as a WASI 0.3 service
        if route.entrypoint != "_start" or route.argv != DEFAULT_ARGV:
            raise HandlerLoadError(f"{route.module}: entrypoint and argv apply to WAGI modules, not to a component")
        self.budget = self._budget()
        self._check_links()

    # -- per request --

    def handle(self, request: CgiRequest, match: RouteMatch, control: RunControl | None = None) -> Outcome:
        """Answer `request` with a fresh instance; never raises for what the component does
        (traps, limits, no response all become an `Outcome` with a 5xx status)."""
        started = time.perf_counter()
        store = Store(self.engine, self._limits(), fuel=self.route.fuel, interruptible=True)
        try:
            host = host_imports(self._wasi_config(), store, http_body_limit=self.route.max_response_bytes)
        except OSError as err:
            return Outcome.failure(500, "volume", f"cannot open a volume: {err}")
        try:
            if control is not None:
                control._attach(store, host.wasi)
            if self.wasi_03:
                outcome = self._run_03(store, host, request_03(request), control)
            else:
                outcome = self._run(store, host, incoming_request(request), control)
            outcome.stdout = host.wasi.captured_stdout
            outcome.stderr = host.wasi.captured_stderr
        finally:
            host.wasi.close()
        outcome.instance_seconds = time.perf_counter() - started
        return outcome

    def _run(self, store: Store, host: HostImports, request: IncomingRequest, control: RunControl | None) -> Outcome:
        out = ResponseOutparam()
        try:
            instance = self.component.instantiate(store=store, wasi=host)
            instance.exports[self.export]["handle"](request, out)
        except ExitTrap as exit_:
            if exit_.code != 0 or out.response is None:
                return Outcome.failure(500, "exit", f"the component exited with status {exit_.code}")
        except RUN_FAILURES as err:
            return run_failure(err, control)
        return response_outcome(out)

    def _run_03(self, store: Store, host: HostImports, request: Request, control: RunControl | None) -> Outcome:
        try:
            instance = self.component.instantiate(store=store, wasi=host)
            response = instance.exports[self.export]["handle"](request)
            if not isinstance(response, Response):
                return Outcome.failure(500, "error_code", f"the component answered with an unexpected value: {response!r}")
            return response_outcome_03(response, self.route.max_response_bytes)
        except Err as err:
            return Outcome.failure(500, "error_code", f"the component answered with the error {err.value!r}")
        except ExitTrap as exit_:
            return Outcome.failure(500, "exit", f"the component exited with status {exit_.code}")
        except RUN_FAILURES as err:
            return run_failure(err, control)

    def _wasi_config(self) -> WasiConfig:
        config = WasiConfig(argv=[self.route.module.name], env={**self.base_env, **self.route.environment})
        config.stdin_bytes(b"")
        config.capture_stdout(max_bytes=STDERR_LIMIT)
        config.capture_stderr(max_bytes=STDERR_LIMIT)
        for guest, host in self.route.volumes.items():
            config.preopen_dir(host, guest, DirPerms.READ_ONLY, FilePerms.READ_ONLY)
        return config

    # -- loading --

    def _budget(self) -> RequestBudget:
        """The route's `memory_mb` split over the memories and tables the component's core
        modules define (see edge/budget.py); initial sizes that do not fit refuse the route."""
        modules = [module.syntax for module in self.component.core_modules()]
        mems = [memory for module in modules for memory in module.mems]
        return route_budget(self.route, mems, [table for module in modules for table in module.tables])

    def _limits(self) -> StoreLimits:
        return StoreLimits(memory_bytes=self.budget.memory_bytes, table_elements=self.budget.table_elements)

    def _check_links(self) -> None:
        """Instantiate once (its handler not called): the imports must link with the WASI 0.2
        host, and its start must succeed within the route's limits."""
        store = Store(self.engine, self._limits(), fuel=self.route.fuel, interruptible=True)
        try:
            host = host_imports(self._wasi_config(), store, http_body_limit=self.route.max_response_bytes)
        except OSError as err:
            raise HandlerLoadError(f"{self.route.module}: cannot open a volume: {err}") from None
        try:
            self.component.instantiate(store=store, wasi=host)
        except WasmError as err:
            raise HandlerLoadError(f"{self.route.module}: cannot instantiate: {err}") from None
        finally:
            host.wasi.close()


def _request_parts(request: CgiRequest) -> tuple[Case, str, Case, str, list[tuple[str, bytes]]]:
    """What the guest is given of `request`, as wasmtime gives it: the method, the path with
    query, the scheme, the authority from the Host header (else the server's address), and the
    headers but those a guest may not see."""
    method = request.method.upper()
    method_case = case(method.lower()) if method in _METHODS else case("other", request.method)
    scheme = case("HTTPS") if request.scheme == "https" else case("HTTP")
    host = next((value for name, value in request.headers if name == "host"), "")
    authority = host or f"{request.server[0]}:{request.server[1]}"
    path = request.raw_path + (f"?{request.query_string}" if request.query_string else "")
    headers = [
        (name, value.encode("latin-1")) for name, value in request.headers if name not in FORBIDDEN_HEADERS
    ]
    return method_case, path, scheme, authority, headers


def incoming_request(request: CgiRequest) -> IncomingRequest:
    """The wasi:http 0.2 `incoming-request` for `request` (see `_request_parts`)."""
    method, path, scheme, authority, headers = _request_parts(request)
    return IncomingRequest(method, path, scheme, authority, Fields.frozen(headers), request.body)


_BODY_CHUNK = 65536  # bytes of a request's body a guest's read gets at most


def request_03(request: CgiRequest) -> Request:
    """The wasi:http 0.3 `request` for `request` (see `_request_parts`): its body a stream
    the guest reads piece by piece."""
    method, path, scheme, authority, headers = _request_parts(request)
    body = memoryview(request.body)
    chunks = (bytes(body[i : i + _BODY_CHUNK]) for i in range(0, len(body), _BODY_CHUNK))
    return Request.incoming(method, path, scheme, authority, headers, chunks)


def response_outcome_03(response: Response, limit: int | None) -> Outcome:
    """The guest's 0.3 `response`: its status and headers, and its body read as the guest
    writes it, at most `limit` bytes (`OutputLimitError` past it: a 500, as for 0.2). The
    future `response.new` gave the guest resolves once the body has been read."""
    contents, trailers = response.body.take()
    if isinstance(trailers, FutureReader):
        trailers.close()  # trailers are not sent (nor are they by HTTP/1.1 servers mostly)
    parts: list[bytes] = []
    size = 0
    if isinstance(contents, StreamReader):
        for chunk in contents:
            size += len(chunk)
            if limit is not None and size > limit:
                contents.close()
                response.body.sent.resolve(Err(case("HTTP-response-body-size", size)))
                raise OutputLimitError("http body", limit)
            parts.append(bytes(chunk))  # type: ignore[arg-type]
    response.body.sent.resolve(Ok(None))
    headers = [
        (name.encode("latin-1"), value)
        for name, value in response.get_headers().entries()
        if name.encode("latin-1") not in FRAMING_HEADERS
    ]
    return Outcome(response.get_status_code(), headers, b"".join(parts))


def response_outcome(out: ResponseOutparam) -> Outcome:
    """What the guest put in its `response-outparam`: the response, or a 500."""
    response = out.response
    if response is None:
        return Outcome.failure(500, "no_response", "the component returned without setting a response")
    if isinstance(response, Err):
        return Outcome.failure(500, "error_code", f"the component answered with the error {response.value!r}")
    if not (isinstance(response, Ok) and isinstance(response.value, OutgoingResponse)):
        return Outcome.failure(500, "error_code", f"the component set a response of an unexpected kind: {response!r}")
    answer = response.value
    headers = [
        (name.encode("latin-1"), value)
        for name, value in answer.headers().entries()
        if name.encode("latin-1") not in FRAMING_HEADERS
    ]
    return Outcome(answer.status_code(), headers, answer.payload())
