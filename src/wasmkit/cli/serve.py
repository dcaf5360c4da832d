"""`wasmkit serve`: answer HTTP requests with WebAssembly modules, as WAGI routes them, and
with `wasi:http/proxy` components, as `wasmtime serve` does.

    wasmkit serve CONFIG [--listen HOST:PORT] [--workers N] [--threads N] [--engine E]
                         [--env NAME[=VALUE]]... [--reload-interval SECONDS]
                         [--header-timeout SECONDS] [--max-connections N]

CONFIG is a WAGI modules.toml (see docs/edge.md), whose routes name WAGI modules or
components, or a single component (or module) to serve on every path. It and every module are checked, and the
address is bound, before the server starts, so that a mistake or an address in use is one line
on stderr and exit status 1, not a worker that fails to boot. The server is uvicorn with N
worker processes (default 1; see edge/workers.py for how connections are spread across them),
each running up to --threads requests at once (edge/capacity.py says how the default is
chosen); each worker loads the routes itself and reloads them when a file changes. `--env`
sets variables every module sees (below the route's `environment` and the request's CGI
variables). Once a worker answers, one log line says where the server listens; every log line
is JSON (edge/logs.py).

Needs the `serve` extra: pip install 'wasmkit[serve]'.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
from typing import TYPE_CHECKING

from ..edge.capacity import default_threads
from ..edge.limits import DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, ProtocolLimits
from ..engine.registry import cached_engine, compiled_first, get_engine
from .common import CliError, add_engine_option, env_from_flags

if TYPE_CHECKING:
    from ..edge.config import EdgeConfig

__all__ = ["register"]

DEFAULT_LISTEN = "127.0.0.1:8080"
_ANNOUNCE_SECONDS = 120.0  # how long to wait for a worker to answer before giving up on the line


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("serve", help="serve HTTP requests with WebAssembly modules (WAGI modules.toml) or a wasi:http component")
    p.add_argument("config", help="the modules.toml naming each route's module or component, or one component to serve")
    p.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help=f"where to listen (default {DEFAULT_LISTEN})")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument(
        "--threads", type=int, default=None, metavar="N",
        help="requests each worker runs at once (default: from the CPUs, the memory and the routes' memory_mb)",
    )
    add_engine_option(p)
    p.add_argument(
        "--env", action="append", default=[], metavar="NAME[=VALUE]", help="set (or pass through) a variable for every module"
    )
    p.add_argument(
        "--reload-interval", type=float, default=1.0, metavar="SECONDS",
        help="how often to look for changed files (default 1; 0 turns reloading off)",
    )
    p.add_argument(
        "--header-timeout", type=float, default=DEFAULT_HEADER_TIMEOUT, metavar="SECONDS",
        help=f"how long a client may take to send a request's line and headers (default {DEFAULT_HEADER_TIMEOUT:g})",
    )
    p.add_argument(
        "--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS, metavar="N",
        help=f"connections each worker keeps open at once; more get a 503 (default {DEFAULT_MAX_CONNECTIONS})",
    )
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    # Set before the metrics are first imported (edge.app imports them, and prometheus_client
    # chooses how values are kept when imported): every process records into this directory,
    # also this one when it is the only worker.
    metrics_dir = tempfile.mkdtemp(prefix="wasmkit-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        return _serve_in(args)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_in(args: argparse.Namespace) -> int:
    # The server's own modules come with the serve extra (and take a tenth of a second to
    # import): imported here, not by every command (nor are the configuration's and the logs').
    try:
        import uvicorn

        from ..edge.app import ENV_CONFIG, ENV_ENGINE, ENV_MODULE_ENV, ENV_RELOAD, ENV_THREADS, HEALTH_PATH
        from ..edge.protocol import protocol_factory
    except ImportError:
        raise CliError("wasmkit serve needs the serve extra: pip install 'wasmkit[serve]'") from None
    from ..edge.logs import setup_logging
    from ..edge.workers import reserve_address, serve_workers
    host, port = _listen_address(args.listen)
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    if args.threads is not None and args.threads < 1:
        raise CliError("--threads must be at least 1")
    if not args.header_timeout > 0:
        raise CliError("--header-timeout must be more than 0 seconds")
    if args.max_connections < 1:
        raise CliError("--max-connections must be at least 1")
    try:
        # `auto` serves native code, compiled (and cached) here before the workers start: tiers
        # in each worker would compile the same module once per worker.
        engine = compiled_first(args.engine)
        get_engine(engine)
    except ValueError as err:
        raise CliError(str(err)) from None
    module_env = env_from_flags(args.env)
    config_file = _check_routes(args.config, engine, module_env)
    threads = args.threads or default_threads((route.memory_mb for route in config_file.routes), args.workers)
    try:
        sock = reserve_address(host, port, args.workers)
    except OSError as err:
        raise CliError(f"cannot listen on {args.listen}: {err.strerror or err}") from None
    port = sock.getsockname()[1]  # the port the system chose, for --listen HOST:0
    os.environ.update(
        {
            ENV_CONFIG: os.path.abspath(args.config),
            ENV_ENGINE: engine,
            ENV_MODULE_ENV: json.dumps(module_env),
            ENV_RELOAD: str(args.reload_interval),
            ENV_THREADS: str(threads),
        }
    )
    config = uvicorn.Config(
        "wasmkit.edge.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,  # uvicorn's loggers write JSON lines through edge/logs.py
        access_log=False,  # the app writes its own
        lifespan="on",
        http=protocol_factory(ProtocolLimits(args.header_timeout, args.max_connections)),  # httptools, bounded
        timeout_graceful_shutdown=10,
    )
    setup_logging()
    stopped = threading.Event()
    what = f"{args.workers} worker{'s' if args.workers > 1 else ''}, {threads} threads each, {engine} engine"
    announcer = threading.Thread(target=_announce, args=(host, port, HEALTH_PATH, what, stopped), name="wasmkit-serve-announce", daemon=True)
    announcer.start()
    try:
        if args.workers == 1:
            server = uvicorn.Server(config)
            server.run(sockets=[sock])
            return 0 if server.started else 1
        return serve_workers(config, args.workers, sock)
    finally:
        stopped.set()  # stops the announcer if it is still waiting
        sock.close()


def _announce(host: str, port: int, health_path: str, what: str, stop: threading.Event) -> None:
    """Log one line saying where the server listens, once a worker answers its health page."""
    import http.client  # only the announcer needs it, not the `wasmkit run` that imports this module

    from ..edge.logs import SERVER

    url_host = f"[{host}]" if ":" in host else host
    probe_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    while not stop.wait(0.05):
        connection = http.client.HTTPConnection(probe_host, port, timeout=_ANNOUNCE_SECONDS)
        try:
            connection.request("GET", health_path)
            if connection.getresponse().status != 200:
                continue
        except (OSError, http.client.HTTPException):
            continue
        finally:
            connection.close()
        url = f"http://{url_host}:{port}"
        SERVER.info(f"wasmkit serve: listening on {url} ({what})", extra={"url": url})
        return


def _listen_address(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CliError(f"--listen {text}: expected HOST:PORT, such as 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


def _check_routes(config: str, engine: str, module_env: dict[str, str]) -> EdgeConfig:
    """Load the configuration and every module once, so that mistakes stop the start."""
    from ..edge.config import ConfigError
    from ..edge.handler import HandlerLoadError
    from ..edge.site import load_routes

    try:
        return load_routes(config, cached_engine(engine), module_env).config
    except (ConfigError, HandlerLoadError) as err:
        raise CliError(str(err)) from None
