"""`wasmkit serve`: answer HTTP requests with WebAssembly modules, as WAGI routes them.

    wasmkit serve CONFIG [--listen HOST:PORT] [--workers N] [--engine E] [--env NAME[=VALUE]]...
                         [--reload-interval SECONDS] [--header-timeout SECONDS]

CONFIG is a WAGI modules.toml (see docs/edge.md). It and every module are checked before the
server starts, so that a mistake is one line on stderr and exit status 1, not a worker that
fails to boot. The server is uvicorn with N worker processes (default 1; see edge/workers.py
for how connections are spread across them); each worker loads the routes itself and reloads
them when a file changes. `--env` sets variables every module sees
(below the route's `environment` and the request's CGI variables).

Needs the `serve` extra: pip install 'wasmkit[serve]'.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile

from ..edge.config import ConfigError
from ..edge.protocol import DEFAULT_HEADER_TIMEOUT, ProtocolLimits, protocol_factory
from ..edge.workers import serve_workers
from ..engine.base import cached_engine, get_engine
from .common import CliError, add_engine_option, env_from_flags

__all__ = ["register"]

DEFAULT_LISTEN = "127.0.0.1:8080"


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("serve", help="serve HTTP requests with WebAssembly modules (WAGI modules.toml)")
    p.add_argument("config", help="the modules.toml naming each route's module")
    p.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help=f"where to listen (default {DEFAULT_LISTEN})")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default 1)")
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
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise CliError("wasmkit serve needs the serve extra: pip install 'wasmkit[serve]'") from None
    host, port = _listen_address(args.listen)
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    if not args.header_timeout > 0:
        raise CliError("--header-timeout must be more than 0 seconds")
    try:
        get_engine(args.engine)
    except ValueError as err:
        raise CliError(str(err)) from None
    module_env = env_from_flags(args.env)
    _check_routes(args.config, args.engine, module_env)
    # Set before the metrics are first imported: every process records into this directory.
    metrics_dir = tempfile.mkdtemp(prefix="wasmkit-metrics-")
    os.environ.update(
        {
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
            "WASMKIT_SERVE_CONFIG": os.path.abspath(args.config),
            "WASMKIT_SERVE_ENGINE": args.engine,
            "WASMKIT_SERVE_ENV": json.dumps(module_env),
            "WASMKIT_SERVE_RELOAD_INTERVAL": str(args.reload_interval),
        }
    )
    config = uvicorn.Config(
        "wasmkit.edge.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,  # the app writes its own, as JSON
        lifespan="on",
        http=protocol_factory(ProtocolLimits(header_timeout=args.header_timeout)),  # httptools, bounded
        timeout_graceful_shutdown=10,
    )
    try:
        if args.workers == 1:
            server = uvicorn.Server(config)
            server.run()
            return 0 if server.started else 1
        return serve_workers(config, args.workers)
    except OSError as err:
        raise CliError(f"cannot listen on {args.listen}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _listen_address(text: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CliError(f"--listen {text}: expected HOST:PORT, such as 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


def _check_routes(config: str, engine: str, module_env: dict[str, str]) -> None:
    """Load the configuration and every module once, so that mistakes stop the start."""
    from ..edge.site import load_routes
    from ..edge.handler import HandlerLoadError

    try:
        load_routes(config, cached_engine(engine), module_env)
    except (ConfigError, HandlerLoadError) as err:
        raise CliError(str(err)) from None
