"""WASI functions as runtime host functions: what links a `WasiPreview1` into an instance.

Each function takes the engines' internal values (already unsigned, as the WASI functions
want them) and reaches the memory of the instance that calls it through its `Caller`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..runtime.func import Caller, Func
from ..runtime.linker import Linker
from .config import WasiConfig
from .preview1 import MODULE, WasiPreview1

__all__ = ["wasi_funcs", "define_wasi"]


def _bind(function: Callable[..., int | None]) -> Callable[..., int | None]:
    def call(caller: Caller, *args: int) -> int | None:
        return function(caller.memory, *args)

    return call


def wasi_funcs(wasi: WasiPreview1) -> dict[str, Func]:
    """`wasi`'s functions by name, ready to import as `wasi_snapshot_preview1.NAME`."""
    return {
        name: Func.raw(func_type, _bind(function), f"{MODULE}.{name}", access_caller=True)
        for name, (func_type, function) in wasi.host_functions().items()
    }


def define_wasi(linker: Linker, config: WasiConfig) -> WasiPreview1:
    """Define every WASI function in `linker`; return the WASI state (captured output, close)."""
    wasi = WasiPreview1(config)
    for name, func in wasi_funcs(wasi).items():
        linker.define(MODULE, name, func)
    return wasi
