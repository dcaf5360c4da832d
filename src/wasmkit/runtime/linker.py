"""The linker: resolves a module's imports by module and name, then instantiates it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..syntax.types import FuncType
from .func import Func
from .instance import Extern, Instance, missing_import
from .module import Module
from .store import Store

__all__ = ["Linker"]


class Linker:
    """Definitions of importable items, by (module, name)."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self._items: dict[tuple[str, str], Extern] = {}

    def define(self, module: str, name: str, item: Extern) -> None:
        self._items[(module, name)] = item

    def define_func(self, module: str, name: str, func_type: FuncType, fn: Callable[..., Any]) -> Func:
        """Define a host function from a Python callable; return it."""
        func = Func.host(func_type, fn, name=f"{module}.{name}")
        self.define(module, name, func)
        return func

    def define_instance(self, module: str, instance: Instance) -> None:
        """Make every export of `instance` importable under `module`."""
        for name in instance.exports:
            self.define(module, name, instance.exports[name])

    def get(self, module: str, name: str) -> Extern | None:
        return self._items.get((module, name))

    def __repr__(self) -> str:
        names = ", ".join(f"{module}.{name}" for module, name in self._items)
        return f"<Linker {len(self._items)} definitions{': ' + names if names else ''}>"

    def instantiate(self, module: Module) -> Instance:
        externs = []
        for imp in module.syntax.imports:
            item = self._items.get((imp.module, imp.name))
            if item is None:
                raise missing_import(imp, "has not been defined")
            externs.append(item)
        return Instance(module, externs, store=self.store)
