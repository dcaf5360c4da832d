"""A configuration loaded for serving: every route's handler, and the state of the files it
came from (what reloading compares against)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..engine.base import Engine
from .config import EdgeConfig, load_config
from .handler import ModuleHandler
from .routing import Router

__all__ = ["Routes", "file_state", "load_routes"]


@dataclass(frozen=True)
class Routes:
    """A loaded configuration: its routes with their handlers, and the files it came from
    with their state when loaded (what reloading compares against)."""

    config: EdgeConfig
    router: Router[ModuleHandler]
    files: dict[Path, tuple[int, int] | None]


def load_routes(config_path: str | os.PathLike[str], engine: Engine, module_env: dict[str, str]) -> Routes:
    """Read the configuration and load every route's module. Raises `ConfigError` or
    `HandlerLoadError`."""
    config = load_config(config_path)
    files = {path: file_state(path) for path in config.watched_files()}
    handlers = [(route.route, ModuleHandler(route, engine, module_env)) for route in config.routes]
    return Routes(config, Router(handlers), files)


def file_state(path: Path) -> tuple[int, int] | None:
    """A file's modification time and size (None when it cannot be read)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
