"""The ASGI application behind `wasmkit serve`: routes requests to modules, one fresh instance
per request, and keeps the routes current as their files change.

Each request runs on a worker thread, so that the event loop keeps answering while modules
run; the route's timeout is kept by the loop, which stops the instance (through its
`RunControl`) and answers 504 when it passes. Some paths belong to the server and are answered
before any route: `/.well-known/wasmkit/health`, `/metrics`, and the status page
`/.well-known/wasmkit/` with the JSON it reads, `/.well-known/wasmkit/metrics.json` (status.py).

Reloading: a task compares the modification times and sizes of the configuration and every
module once a second (by default). When one changes, the routes are loaded anew beside the old
ones and swapped in at once: requests already running finish on the handlers they started
with, so none is dropped. A configuration or module that fails to load is logged and the old
routes stay.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import collector
from ..engine.base import Engine
from ..engine.registry import cached_engine
from . import metrics, status
from .cgi import CgiRequest
from .config import ConfigError, RouteConfig
from .handler import TEXT_PLAIN, HandlerLoadError, Outcome, RunControl
from .site import RouteHandler, Routes, file_state, load_routes
from .logs import ACCESS, SERVER, log_module_stderr, setup_logging
from .routing import RouteMatch

__all__ = [
    "EdgeApp", "create_app", "HEALTH_PATH", "METRICS_PATH",
    "ENV_CONFIG", "ENV_ENGINE", "ENV_MODULE_ENV", "ENV_RELOAD", "ENV_THREADS",
]  # fmt: skip

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HEALTH_PATH = "/.well-known/wasmkit/health"
METRICS_PATH = "/metrics"
_NO_BODY_STATUSES = {204, 304}

# What `wasmkit serve` tells each worker process, through its environment.
ENV_CONFIG = "WASMKIT_SERVE_CONFIG"
ENV_ENGINE = "WASMKIT_SERVE_ENGINE"
ENV_MODULE_ENV = "WASMKIT_SERVE_ENV"
ENV_RELOAD = "WASMKIT_SERVE_RELOAD_INTERVAL"
ENV_THREADS = "WASMKIT_SERVE_THREADS"


class EdgeApp:
    """The ASGI app. `routes` may be swapped at any time (reloading does); each request reads
    it once. `threads` requests run at once (see edge/capacity.py for how `wasmkit serve`
    chooses it); more wait their turn."""

    def __init__(
        self,
        config_path: str | os.PathLike[str],
        engine: Engine,
        module_env: dict[str, str] | None = None,
        reload_interval: float = 1.0,
        threads: int = 1,
    ) -> None:
        self.config_path = Path(config_path)
        self.engine = engine
        self.module_env = dict(module_env or {})
        self.reload_interval = reload_interval
        self.routes: Routes | None = None
        self.threads = threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="wasmkit-request")
        self._watcher: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    # -- start, stop, reload --

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except (ConfigError, HandlerLoadError) as err:
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start(self) -> None:
        """Load the routes and start watching their files."""
        setup_logging()
        loop = asyncio.get_running_loop()
        self.routes = await loop.run_in_executor(
            self._executor, load_routes, self.config_path, self.engine, self.module_env
        )
        SERVER.info("serving %d route(s) from %s", len(self.routes.config.routes), self.config_path,
                    extra={"pid": os.getpid(), "threads": self.threads})
        for warning in self.routes.config.warnings:
            SERVER.warning(warning)
        if self.reload_interval > 0:
            self._watcher = asyncio.create_task(self._watch())
        _freeze_what_was_loaded()

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        metrics.worker_exited()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.reload_interval)
            routes = self.routes
            if routes is None:
                continue
            changed = [path for path, state in routes.files.items() if file_state(path) != state]
            if changed:
                await self.reload(routes, changed)

    async def reload(self, old: Routes, changed: list[Path]) -> None:
        """Load the routes anew and swap them in; keep `old` if that fails."""
        loop = asyncio.get_running_loop()
        names = ", ".join(str(path) for path in changed)
        try:
            self.routes = await loop.run_in_executor(
                self._executor, load_routes, self.config_path, self.engine, self.module_env
            )
        except (ConfigError, HandlerLoadError) as err:
            # Remember what was seen, so that the next change (the fix) is noticed.
            self.routes = Routes(old.config, old.router, {path: file_state(path) for path in old.files})
            metrics.RELOADS.labels("failed").inc()
            SERVER.error("reload after a change to %s failed, still serving the previous routes: %s", names, err)
            return
        metrics.RELOADS.labels("ok").inc()
        SERVER.info("reloaded %d route(s) after a change to %s", len(self.routes.config.routes), names)

    # -- requests --

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        raw_path = _raw_path(scope)
        routes = self.routes
        if raw_path == HEALTH_PATH:
            count = len(routes.config.routes) if routes else 0
            body = json.dumps({"status": "ok" if routes else "starting", "routes": count, "worker": os.getpid()}).encode()
            await _respond(send, scope, 200 if routes else 503, [(b"content-type", b"application/json")], body, request_id)
            return
        if raw_path == METRICS_PATH:
            await _respond(send, scope, 200, [(b"content-type", metrics.CONTENT_TYPE.encode())], metrics.exposition(), request_id)
            return
        if raw_path == status.STATUS_PATH:
            await _respond(send, scope, 200, status.PAGE_HEADERS, status.PAGE, request_id)
            return
        if raw_path == status.STATUS_JSON_PATH:
            await _respond(send, scope, 200, status.JSON_HEADERS, status.metrics_json(), request_id)
            return
        if raw_path == status.STATUS_PATH.rstrip("/"):  # so that the page's relative links resolve
            await _respond(send, scope, 308, [(b"location", status.STATUS_PATH.encode()), *TEXT_PLAIN], b"", request_id)
            return
        found = routes.router.find(raw_path) if routes else None
        if found is None:
            await _respond(send, scope, 404, TEXT_PLAIN, b"no route matches this path\n", request_id)
            self._access(scope, request_id, None, 404, started)
            return
        pattern, handler, match = found
        outcome = await self._serve(scope, raw_path, receive, handler, match, request_id)
        route = pattern.text
        await _respond(send, scope, outcome.status, outcome.headers, outcome.body, request_id)
        elapsed = time.perf_counter() - started
        metrics.REQUESTS.labels(route, str(outcome.status)).inc()
        metrics.REQUEST_SECONDS.labels(route).observe(elapsed)
        if outcome.error is not None:
            metrics.ERRORS.labels(route, outcome.error).inc()
            SERVER.error("%s %s: %s", route, outcome.error, outcome.detail, extra={"request_id": request_id, "route": route})
        self._access(scope, request_id, route, outcome.status, started, outcome)

    async def _serve(
        self, scope: Scope, raw_path: str, receive: Receive, handler: RouteHandler, match: RouteMatch, request_id: str
    ) -> Outcome:
        """Read the body within the route's limits, run the module, and keep its timeout."""
        limits = handler.route
        deadline = time.monotonic() + limits.timeout_ms / 1000
        declared = _content_length(scope)
        if declared is not None and declared > limits.max_body_bytes:
            return Outcome.failure(413, "body_size", f"Content-Length {declared} exceeds the route's limit of {limits.max_body_bytes} bytes")
        try:
            body = await asyncio.wait_for(_read_body(receive, limits.max_body_bytes), limits.timeout_ms / 1000)
        except _BodyTooLarge:
            return Outcome.failure(413, "body_size", f"the body exceeds the route's limit of {limits.max_body_bytes} bytes")
        except asyncio.TimeoutError:
            return Outcome.failure(408, "body_timeout", "the body did not arrive within the route's timeout")
        except _Disconnected:
            return Outcome.failure(400, "disconnected", "the client went away before sending the whole body")
        request = _cgi_request(scope, raw_path, body)
        control = RunControl()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, _run_counted, handler, request, match, control, request_id)
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(future), remaining)
        except asyncio.TimeoutError:
            control.stop()
            stopped_at = time.perf_counter()
            future.add_done_callback(lambda _: _log_stopped(request_id, limits, stopped_at))
            return Outcome.failure(504, "timeout", f"no response within the route's timeout of {limits.timeout_ms} ms")
        metrics.INSTANCE_SECONDS.labels(limits.route.text).observe(outcome.instance_seconds)
        return outcome

    def _access(
        self, scope: Scope, request_id: str, route: str | None, status: int, started: float, outcome: Outcome | None = None
    ) -> None:
        client = scope.get("client") or ("", 0)
        query = scope.get("query_string", b"").decode("latin-1")
        ACCESS.info(
            "%s %s %d", scope["method"], scope["path"], status,
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "query": query,
                "route": route,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "instance_ms": round(outcome.instance_seconds * 1000, 3) if outcome else None,
                "bytes": len(outcome.body) if outcome else None,
                "client": client[0],
                "error": outcome.error if outcome else None,
            },
        )


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _raw_path(scope: Scope) -> str:
    """The path as the client sent it (still percent-encoded), without the query."""
    return (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1").split("?", 1)[0]


def _cgi_request(scope: Scope, raw_path: str, body: bytes) -> CgiRequest:
    client = scope.get("client") or ("", 0)
    server = scope.get("server") or ("", 0)
    return CgiRequest(
        method=scope["method"],
        raw_path=raw_path,
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in scope["headers"]],
        body=body,
        scheme=scope.get("scheme", "http"),
        http_version=scope.get("http_version", "1.1"),
        client=(client[0], client[1]),
        server=(server[0], server[1] or 0),
    )


def _run_counted(
    handler: RouteHandler, request: CgiRequest, match: RouteMatch, control: RunControl, request_id: str
) -> Outcome:
    """Run a request on a worker thread, counted among the running instances, and log what
    its module wrote to stderr (a component's stdout too) there too (off the event loop, and also when the request
    timed out)."""
    metrics.INSTANCES_RUNNING.inc()
    try:
        outcome = handler.handle(request, match, control)
    finally:
        metrics.INSTANCES_RUNNING.dec()
    if outcome.stdout:
        log_module_stderr(outcome.stdout, request_id, handler.route.route.text, "stdout")
    log_module_stderr(outcome.stderr, request_id, handler.route.route.text)
    outcome.stderr = outcome.stdout = b""
    return outcome


def _log_stopped(request_id: str, route: RouteConfig, stopped_at: float) -> None:
    SERVER.info(
        "instance stopped %.1f ms after its timeout", (time.perf_counter() - stopped_at) * 1000,
        extra={"request_id": request_id, "route": route.route.text},
    )


async def _respond(
    send: Send, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes, request_id: str
) -> None:
    if status in _NO_BODY_STATUSES:
        body = b""
    else:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    headers = [*headers, (b"x-request-id", request_id.encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _freeze_what_was_loaded() -> None:
    """Take what a worker loaded at start (modules, compiled code), which stays for its
    lifetime, out of the collector's generations, so that full collections do not traverse it
    again. The young generation keeps Python's default threshold: each request leaves a few
    hundred objects of cyclic garbage (its instance), and collecting them little and often
    keeps each pause short (a threshold of 20,000 made 3-10 ms pauses that set the p99)."""
    gc.collect()
    collector.keep_loaded()


def create_app() -> EdgeApp:
    """The app as `wasmkit serve` configures it, from the environment it gives each worker."""
    config_path = os.environ[ENV_CONFIG]
    module_env = json.loads(os.environ.get(ENV_MODULE_ENV, "{}"))
    reload_interval = float(os.environ.get(ENV_RELOAD, "1.0"))
    threads = int(os.environ.get(ENV_THREADS, "1"))
    engine = cached_engine(os.environ.get(ENV_ENGINE, "python"))
    return EdgeApp(config_path, engine, module_env, reload_interval, threads)
