"""WASI functions as runtime host functions: what links a `WasiPreview1` into an instance.

Each function takes the engines' internal values (already unsigned, as the WASI functions
want them) and reaches the memory of the instance that calls it through its `Caller`; the
caller's store is what a long WASI call watches for an interrupt (`wasmkit.wasi.interrupt`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from ..runtime.func import Caller, Func
from ..runtime.linker import Linker
from ..runtime.module import Module
from .config import WasiConfig
from .interrupt import Interruption
from .preview1 import MODULE, WasiPreview1

__all__ = ["wasi_funcs", "wasi_imports", "define_wasi"]


def _bind(function: Callable[..., int | None], interruption: Interruption) -> Callable[..., int | None]:
    def call(caller: Caller, *args: int) -> int | None:
        instance = caller.instance
        interruption.store = None if instance is None else instance.store
        return function(caller.memory, *args)

    return call


def wasi_funcs(wasi: WasiPreview1, names: Collection[str] | None = None) -> dict[str, Func]:
    """`wasi`'s functions (those in `names`, when given) by name, ready to import as
    `wasi_snapshot_preview1.NAME`."""
    return {
        name: Func.raw(func_type, _bind(function, wasi.interruption), f"{MODULE}.{name}", access_caller=True)
        for name, (func_type, function) in wasi.host_functions(names).items()
    }


def wasi_imports(module: Module) -> frozenset[str]:
    """The names of the WASI functions `module` imports: all that an instance of it needs
    defined (a server instantiating a module per request defines only these)."""
    return frozenset(name for module_name, name, _ in module.imports if module_name == MODULE)


def define_wasi(linker: Linker, config: WasiConfig, names: Collection[str] | None = None) -> WasiPreview1:
    """Define every WASI function (or those in `names`) in `linker`; return the WASI state
    (captured output, close)."""
    wasi = WasiPreview1(config)
    for name, func in wasi_funcs(wasi, names).items():
        linker.define(MODULE, name, func)
    return wasi
