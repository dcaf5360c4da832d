"""The server's configuration: WAGI's modules.toml, plus wasmkit's limits per route.

    [[module]]
    route = "/hello/..."                 # exact, a prefix ending in /..., or with :name segments
    module = "examples/edge/hello.wasm"  # a path (or file:// URL); relative to the working directory, as in WAGI
    environment = { GREETING = "hi" }    # extra environment variables
    volumes = { "/data" = "site/data" }  # guest path -> host directory, mounted read-only
    entrypoint = "_start"                # the exported function to call
    argv = "${SCRIPT_NAME} ${ARGS}"      # the program's arguments (${ARGS}: the query's parameters)
    timeout_ms = 10000                   # wall-clock limit: 504 after it
    fuel = 1000000000                    # instruction budget (none by default)
    memory_mb = 128                      # the whole request's memory (see edge/budget.py): growth past it fails
    max_body_bytes = 10485760            # request body limit: 413 past it
    max_response_bytes = 16777216        # response limit: 500 past it

`module` may also name a `wasi:http/proxy` component (edge/component.py; its header says
which it is), which then ignores `argv` and `entrypoint`. Given a Wasm file instead of a
configuration (`wasmkit serve app.wasm`, as `wasmtime serve` takes one), the server serves
that file on every path (`/...`) with the default limits.

Keys WAGI accepts that mean nothing here (`allowed_hosts`, `http_max_concurrency`,
`repository`) are accepted and reported by `EdgeConfig.warnings`; any other key is an error,
so that a misspelt limit is not silently ignored.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..syntax.types import PAGE_SIZE
from .budget import MIB, host_reserve
from .routing import RoutePattern, RouteSyntaxError

__all__ = ["ConfigError", "EdgeConfig", "RouteConfig", "load_config", "DEFAULT_ARGV", "LIMIT_DEFAULTS"]

DEFAULT_ARGV = "${SCRIPT_NAME} ${ARGS}"

# wasmkit's limit keys, with their defaults (None: unlimited).
LIMIT_DEFAULTS: dict[str, int | None] = {
    "timeout_ms": 30_000,
    "fuel": None,
    "memory_mb": 128,
    "max_body_bytes": 10 * MIB,
    "max_response_bytes": 16 * MIB,
}
_WASM_MAGIC = b"\0asm"  # a module's or component's first bytes: a file to serve, not a configuration
_WAGI_IGNORED = ("allowed_hosts", "http_max_concurrency", "repository")
_KNOWN_KEYS = {"route", "module", "environment", "volumes", "entrypoint", "argv", *LIMIT_DEFAULTS, *_WAGI_IGNORED}


class ConfigError(Exception):
    """A configuration that cannot be served; the message names the file and the route."""


@dataclass(frozen=True)
class RouteConfig:
    """One `[[module]]` table, defaults filled in (the limits' defaults are `LIMIT_DEFAULTS`)."""

    route: RoutePattern
    module: Path
    environment: dict[str, str]
    volumes: dict[str, Path]
    entrypoint: str
    argv: str
    timeout_ms: int
    fuel: int | None
    memory_mb: int
    max_body_bytes: int
    max_response_bytes: int


@dataclass(frozen=True)
class EdgeConfig:
    """A whole configuration file: its routes, in the order written."""

    path: Path
    routes: tuple[RouteConfig, ...]
    warnings: tuple[str, ...] = ()

    def watched_files(self) -> list[Path]:
        """The files whose change means reloading: the configuration and every module."""
        return [self.path, *sorted({route.module for route in self.routes} - {self.path})]


def load_config(path: str | os.PathLike[str]) -> EdgeConfig:
    """Read and check a modules.toml (relative paths in it are taken from the working
    directory, as WAGI does). Raises `ConfigError`."""
    config_path = Path(path)
    try:
        with open(config_path, "rb") as f:
            if f.read(len(_WASM_MAGIC)) == _WASM_MAGIC:
                return _single_file(config_path)
        text = config_path.read_bytes().decode("utf-8")
        document = tomllib.loads(text)
    except OSError as err:
        raise ConfigError(f"{config_path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{config_path}: not valid TOML: {err}") from None
    tables = document.get("module")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{config_path}: no [[module]] tables (each route is a [[module]] with route and module)")
    extra = sorted(set(document) - {"module"})
    if extra:
        raise ConfigError(f"{config_path}: unknown top-level key(s) {', '.join(extra)} (only [[module]] tables)")
    routes: list[RouteConfig] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        where = f"{config_path}: [[module]] #{number}"
        if isinstance(table.get("route"), str):
            where += f" ({table['route']})"
        route = _route_config(table, where, warnings)
        previous = seen.setdefault(route.route.text, number)
        if previous != number:
            raise ConfigError(f"{where}: route {route.route.text} is already served by [[module]] #{previous}")
        routes.append(route)
    return EdgeConfig(config_path.resolve(), tuple(routes), tuple(warnings))


def _single_file(path: Path) -> EdgeConfig:
    """The configuration of `wasmkit serve FILE.wasm`: the file on every path, default limits."""
    resolved = path.resolve()
    route = RouteConfig(
        route=RoutePattern.parse("/..."),
        module=resolved,
        environment={},
        volumes={},
        entrypoint="_start",
        argv=DEFAULT_ARGV,
        **LIMIT_DEFAULTS,  # type: ignore[arg-type]
    )
    return EdgeConfig(resolved, (route,))


def _route_config(table: dict[str, Any], where: str, warnings: list[str]) -> RouteConfig:
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KNOWN_KEYS))})")
    for key in _WAGI_IGNORED:
        if key in table:
            warnings.append(f"{where}: {key} has no effect in wasmkit and is ignored")
    try:
        pattern = RoutePattern.parse(_string(table, "route", where, required=True))
    except RouteSyntaxError as err:
        raise ConfigError(f"{where}: {err}") from None
    module = _module_path(_string(table, "module", where, required=True), where)
    limits = {key: _limit(table, key, default, where) for key, default in LIMIT_DEFAULTS.items()}
    reserve = host_reserve(limits["max_body_bytes"], limits["max_response_bytes"])  # type: ignore[arg-type]
    if limits["memory_mb"] * MIB - reserve < PAGE_SIZE:  # type: ignore[operator]
        raise ConfigError(
            f"{where}: memory_mb = {limits['memory_mb']} leaves no room for linear memory: it also covers the"
            f" body (max_body_bytes), the response (max_response_bytes), stderr and tables, {reserve / MIB:.1f} MiB here"
        )
    return RouteConfig(
        route=pattern,
        module=module,
        environment=_environment(table.get("environment", {}), where),
        volumes=_volumes(table.get("volumes", {}), where),
        entrypoint=_string(table, "entrypoint", where) or "_start",
        argv=_string(table, "argv", where) or DEFAULT_ARGV,
        **limits,  # type: ignore[arg-type]
    )


def _string(table: dict[str, Any], key: str, where: str, required: bool = False) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}: {key} is required")
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ConfigError(f"{where}: {key} must be a non-empty string")
    return value


def _module_path(reference: str, where: str) -> Path:
    if reference.startswith("file://"):
        reference = reference[len("file://") :]
    elif ":" in reference.split("/")[0] and not Path(reference).exists():
        scheme = reference.split(":")[0]
        raise ConfigError(f"{where}: module references of the form {scheme}: are not supported (use a path)")
    path = Path(reference).resolve()
    if not path.is_file():
        raise ConfigError(f"{where}: module {reference} is not a file")
    return path


def _environment(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: environment must be a table of NAME = \"value\"")
    env = {}
    for name, text in value.items():
        if not isinstance(text, str) or not name or "=" in name or "\0" in name or "\0" in text:
            raise ConfigError(f"{where}: environment variable {name!r} must be a name without = and a string value")
        env[name] = text
    return env


def _volumes(value: object, where: str) -> dict[str, Path]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: volumes must be a table of \"/guest/path\" = \"/host/directory\"")
    volumes = {}
    for guest, host in value.items():
        if not isinstance(host, str) or not guest.startswith("/"):
            raise ConfigError(f"{where}: volume {guest!r} must map an absolute guest path to a host directory")
        host_path = Path(host).resolve()
        if not host_path.is_dir():
            raise ConfigError(f"{where}: volume {guest}: {host} is not a directory")
        volumes[guest] = host_path
    return volumes


def _limit(table: dict[str, Any], key: str, default: int | None, where: str) -> int | None:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}: {key} must be a positive whole number")
    return value
