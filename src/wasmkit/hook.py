"""Importing wasm modules like Python modules.

After `import wasmkit.hook` (or `wasmkit.install_import_hook()`), `import fib` finds `fib.wasm`
or `fib.wat` on `sys.path` (or in the package being imported from) and instantiates it; its
exports become the module's attributes, and the instance is `fib.__wasm_instance__`.

Trust: a wasm file on `sys.path` is found as a `.py` file would be, but it runs sandboxed, and
it gets only what the program gave the hook. Its imports are resolved from

- `wasi_snapshot_preview1`: WASI configured by `configure(wasi=...)`; by default no
  environment variables, no arguments but the file's path, no directories, inherited stdio;
- a module name given to `provide(name, items)`: those items (a mapping, or an object such
  as a Python module whose attributes of those names are used);
- another wasm module that the hook finds the same way (it gets the same treatment);

and nothing else: a Python module is reached only when provided, so that a .wasm file cannot
call `os.system` just by importing "os" "system". `configure(python_modules=True)` restores
the earlier behaviour (any importable Python module's attributes), for programs that trust
every wasm file on their path as they trust its Python files.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from .api import ImportValue, load
from .runtime.instance import Exports
from .runtime.module import Module

__all__ = ["install_import_hook", "provide", "configure", "WasmFinder"]

_SUFFIXES = (".wasm", ".wat")
WASI_MODULE = "wasi_snapshot_preview1"


class _Policy:
    """What wasm modules imported through the hook may reach (see the module's docstring)."""

    def __init__(self) -> None:
        self.provided: dict[str, Any] = {}
        self.wasi: Any = None  # a wasmkit.wasi.WasiConfig; None: the safe default per module
        self.python_modules = False


_POLICY = _Policy()


def provide(module_name: str, items: Mapping[str, ImportValue] | object) -> None:
    """Let wasm modules imported through the hook import `module_name`'s names from `items`:
    a mapping of names to functions, memories, tables or globals (Python callables become host
    functions of the type the module declares) such as an instance's `exports`, or an object,
    such as a Python module, whose attributes of those names are used. Replaces what was provided under that name before."""
    _POLICY.provided[module_name] = items


def configure(*, wasi: Any = None, python_modules: bool | None = None) -> None:
    """Set the WASI configuration (a `wasmkit.wasi.WasiConfig`) given to wasm modules that
    import WASI (None: the default, with no environment), and whether their imports may come
    from any importable Python module (`python_modules=True`: trust them as Python code;
    None leaves the setting as it is)."""
    _POLICY.wasi = wasi
    if python_modules is not None:
        _POLICY.python_modules = python_modules


def _wasi_config(path: str) -> Any:
    from .wasi import WasiConfig

    if _POLICY.wasi is not None:
        return _POLICY.wasi
    return WasiConfig(argv=[path])  # stdio inherited, no environment, no directories


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
        instance = load(wasm, imports, _wasi_config(self.path) if needs_wasi else None)
        module.__wasm_instance__ = instance  # type: ignore[attr-defined]
        module.__file__ = self.path
        for name in instance.exports:
            setattr(module, name, instance.exports[name])


def _resolve_import(module_name: str, name: str, importer: str) -> ImportValue:
    if module_name in _POLICY.provided:
        provider = _POLICY.provided[module_name]
    else:
        provider = _wasm_module(module_name)
        if provider is None:
            if not _POLICY.python_modules:
                raise ImportError(
                    f"{importer}: its wasm import {module_name}.{name} is not provided: no wasm module "
                    f"{module_name!r} was found, and Python modules are reached only through "
                    f"wasmkit.hook.provide({module_name!r}, ...)",
                    name=module_name,
                )
            provider = _python_module(module_name, name, importer)
    item = _item(provider, name)
    if item is None:
        raise ImportError(f"{importer}: its wasm import {module_name}.{name} is not defined by {module_name!r}")
    return item


def _item(provider: object, name: str) -> Any:
    """`name` from a provided mapping or instance's exports, a wasm module's exports or an
    object's attributes."""
    instance = getattr(provider, "__wasm_instance__", None)
    if instance is not None:
        provider = instance.exports
    if isinstance(provider, (Mapping, Exports)):
        return provider[name] if name in provider else None
    return getattr(provider, name, None)


def _wasm_module(module_name: str) -> ModuleType | None:
    """The wasm module `module_name` as the hook imports it (imported now if need be), or None
    if there is none: never a Python module of that name."""
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        return loaded if hasattr(loaded, "__wasm_instance__") else None
    if not module_name.isidentifier():
        return None
    spec = WasmFinder().find_spec(module_name, None)
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _python_module(module_name: str, name: str, importer: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError as err:
        raise ImportError(
            f"{importer}: its wasm import {module_name}.{name} needs a module {module_name!r}, "
            f"which cannot be imported ({err})",
            name=module_name,
        ) from None


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
