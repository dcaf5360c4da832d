"""Importing wasm modules like Python modules.

After `import wasmkit.hook` (or `wasmkit.install_import_hook()`), `import fib` finds `fib.wasm`
or `fib.wat` on `sys.path` (or in the package being imported from) and instantiates it; its
exports become the module's attributes, and the instance is `fib.__wasm_instance__`.

The wasm module's own imports are resolved by importing their module names: another wasm
module found the same way, or a Python module whose attributes of those names are functions,
memories, tables or globals (Python callables become host functions of the declared type).
`wasi_snapshot_preview1` imports get a default WASI configuration: the program's arguments and
environment are those of the Python process, stdio is inherited, no directory is preopened.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from .api import ImportValue, load
from .runtime.module import Module

__all__ = ["install_import_hook", "WasmFinder"]

_SUFFIXES = (".wasm", ".wat")
WASI_MODULE = "wasi_snapshot_preview1"


class WasmLoader(importlib.abc.Loader):
    def __init__(self, path: str) -> None:
        self.path = path

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        wasm = Module.from_file(self.path)
        imports: dict[str, dict[str, ImportValue]] = {}
        needs_wasi = False
        for module_name, name, _ in wasm.imports:
            if module_name == WASI_MODULE:
                needs_wasi = True
                continue
            imports.setdefault(module_name, {})[name] = _resolve_import(module_name, name, module.__name__)
        wasi = None
        if needs_wasi:
            from .wasi import WasiConfig

            wasi = WasiConfig(argv=list(sys.argv), env=dict(os.environ))
        instance = load(wasm, imports, wasi)
        module.__wasm_instance__ = instance  # type: ignore[attr-defined]
        module.__file__ = self.path
        for name in instance.exports:
            setattr(module, name, instance.exports[name])


def _resolve_import(module_name: str, name: str, importer: str) -> ImportValue:
    try:
        provider = importlib.import_module(module_name)
    except ImportError as err:
        raise ImportError(
            f"{importer}: its wasm import {module_name}.{name} needs a module {module_name!r}, "
            f"which cannot be imported ({err})",
            name=module_name,
        ) from None
    instance = getattr(provider, "__wasm_instance__", None)
    if instance is not None:
        item = instance.exports[name] if name in instance.exports else None
    else:
        item = getattr(provider, name, None)
    if item is None:
        raise ImportError(f"{importer}: its wasm import {module_name}.{name} is not defined by {module_name!r}")
    return item


class WasmFinder(importlib.abc.MetaPathFinder):
    """Finds `NAME.wasm` and `NAME.wat` files for imports."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        leaf = fullname.rpartition(".")[2]
        for directory in path if path is not None else sys.path:
            for suffix in _SUFFIXES:
                candidate = os.path.join(directory or ".", leaf + suffix)
                if os.path.isfile(candidate):
                    return importlib.machinery.ModuleSpec(fullname, WasmLoader(candidate), origin=candidate)
        return None


def install_import_hook() -> None:
    """Make `import NAME` find NAME.wasm / NAME.wat (idempotent)."""
    if not any(isinstance(finder, WasmFinder) for finder in sys.meta_path):
        sys.meta_path.append(WasmFinder())


install_import_hook()
