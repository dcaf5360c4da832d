"""A configuration loaded for serving: every route's handler, and the state of the files it
came from (what reloading compares against).

A route's `module` is a WAGI module (a core module run as a CGI program, edge/handler.py)
or a `wasi:http/proxy` component (edge/component.py): its first bytes say which."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..engine.base import Engine
from .component import ComponentHandler, is_component
from .config import EdgeConfig, RouteConfig, load_config
from .handler import ModuleHandler
from .routing import Router

__all__ = ["RouteHandler", "Routes", "file_state", "load_handler", "load_routes"]

RouteHandler = ModuleHandler | ComponentHandler


@dataclass(frozen=True)
class Routes:
    """A loaded configuration: its routes with their handlers, and the files it came from
    with their state when loaded (what reloading compares against)."""

    config: EdgeConfig
    router: Router[RouteHandler]
    files: dict[Path, tuple[int, int] | None]


def load_routes(config_path: str | os.PathLike[str], engine: Engine, module_env: dict[str, str]) -> Routes:
    """Read the configuration and load every route's module. Raises `ConfigError` or
    `HandlerLoadError`."""
    config = load_config(config_path)
    files = {path: file_state(path) for path in config.watched_files()}
    handlers = [(route.route, load_handler(route, engine, module_env)) for route in config.routes]
    return Routes(config, Router(handlers), files)


def load_handler(route: RouteConfig, engine: Engine, module_env: dict[str, str]) -> RouteHandler:
    """The handler for `route`'s module or component. Raises `HandlerLoadError`."""
    if is_component(route.module):
        return ComponentHandler(route, engine, module_env)
    return ModuleHandler(route, engine, module_env)


def file_state(path: Path) -> tuple[int, int] | None:
    """A file's modification time and size (None when it cannot be read)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
