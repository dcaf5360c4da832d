"""The Pythonic layer: load a module in one call, write host functions as plain Python.

    instance = wasmkit.load("fib.wasm")
    instance.exports.fib(10)

    @wasmkit.host
    def log(x: wasmkit.i64, scale: float) -> None: ...

    instance = wasmkit.load("app.wat", imports={"env": {"log": log, "now": time.time_ns}})

A plain Python callable given as an import takes the type the module declares for it; one
made with `host` is typed from its annotations (`int` is i32, `float` f64, or the aliases
`i32`, `i64`, `f32`, `f64`, `v128`; a first parameter annotated `Caller` receives the calling
instance).
"""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from .component.header import is_component
from .runtime.func import Caller, Func
from .runtime.instance import Exports, Extern, Instance
from .runtime.module import Module, ModuleSource
from .runtime.source import read_source
from .runtime.store import Store
from .syntax.types import FuncType, ValType

if TYPE_CHECKING:
    from .component.loader import Component

__all__ = ["load", "host", "i32", "i64", "f32", "f64", "v128", "funcref", "externref"]

i32 = Annotated[int, ValType.I32]
i64 = Annotated[int, ValType.I64]
f32 = Annotated[float, ValType.F32]
f64 = Annotated[float, ValType.F64]
v128 = Annotated[int, ValType.V128]
funcref = Annotated[Union[Func, None], ValType.FUNCREF]
externref = Annotated[Any, ValType.EXTERNREF]

_PLAIN_TYPES = {int: ValType.I32, bool: ValType.I32, float: ValType.F64}

ImportValue = Union[Extern, Callable[..., Any]]


def _valtype(annotation: Any, where: str) -> ValType:
    if get_origin(annotation) is Annotated:
        for extra in get_args(annotation)[1:]:
            if isinstance(extra, ValType):
                return extra
    if annotation in _PLAIN_TYPES:
        return _PLAIN_TYPES[annotation]
    raise TypeError(f"{where}: cannot map the annotation {annotation!r} to a wasm type")


def _signature(fn: Callable[..., Any]) -> tuple[FuncType, bool]:
    """The wasm type of `fn` from its annotations, and whether it takes the caller first."""
    name = getattr(fn, "__qualname__", repr(fn))
    hints = typing.get_type_hints(fn, include_extras=True)
    params = list(inspect.signature(fn).parameters.values())
    access_caller = bool(params) and hints.get(params[0].name) is Caller
    if access_caller:
        params = params[1:]
    missing = [p.name for p in params if p.name not in hints]
    if missing:
        raise TypeError(f"{name}: parameters {missing} need type annotations (or give the function as an import)")
    param_types = tuple(_valtype(hints[p.name], f"{name}({p.name})") for p in params)
    returns = hints.get("return", type(None))
    if returns is type(None):
        result_types: tuple[ValType, ...] = ()
    elif get_origin(returns) is tuple:
        result_types = tuple(_valtype(t, f"{name} result") for t in get_args(returns))
    else:
        result_types = (_valtype(returns, f"{name} result"),)
    return FuncType(param_types, result_types), access_caller


def host(fn: Callable[..., Any]) -> Func:
    """A host function typed from `fn`'s annotations (usable as a decorator)."""
    func_type, access_caller = _signature(fn)
    return Func.host(func_type, fn, getattr(fn, "__name__", ""), access_caller=access_caller)


def _module_or_component(source: object) -> Any:
    """The module or component `source` stands for: a `Module` or a
    `component.loader.Component` as it is, else what its content is (a component's binary
    starts with the component layer's header)."""
    if isinstance(source, Module):
        return source
    loader = sys.modules.get("wasmkit.component.loader")  # a `Component` was made only if it was imported
    if loader is not None and isinstance(source, loader.Component):
        return source
    content, name = read_source(source)
    if isinstance(content, bytes) and is_component(content):
        from .component.loader import Component

        return Component(content, name)
    return Module.from_content(content, name)


def _wasi_config(wasi: Any) -> Any:
    """The WasiConfig `load`'s `wasi` argument stands for (a WasiConfig, or True for a default one)."""
    from .wasi import WasiConfig

    if wasi is True:
        return WasiConfig()
    if not isinstance(wasi, WasiConfig):
        raise TypeError(f"wasi= takes a wasmkit.wasi.WasiConfig or True, not {type(wasi).__name__}")
    return wasi


def _wasi_state(wasi: Any) -> Any:
    """The WASI preview 1 state for `load`'s `wasi` argument."""
    from .wasi import WasiPreview1

    return WasiPreview1(_wasi_config(wasi))


def load(
    source: ModuleSource | Module | Component,
    imports: Mapping[str, Mapping[str, ImportValue]] | Mapping[str, Any] | None = None,
    wasi: Any = None,
    *,
    store: Store | None = None,
    engine: str = "python",
    profiling: bool = False,
    classes: Any = None,
) -> Any:
    """Load and instantiate a module from a path, bytes (binary or text), WAT source or a
    `Module`; or a component, from a path, its bytes or a `component.loader.Component`.

    For a component, `imports` maps import names to values (docs/components.md, "Imports")
    and the result is a `component.bindings.Instance`: `inst.exports["greet"]("Ada")`.

    `imports` maps module names to {name: item}; an item is a `Func`, `Table`, `Memory` or
    `Global`, or any Python callable (typed as the module declares the import). `wasi` is a
    `wasmkit.wasi.WasiConfig` (or True for a default one) for modules that import WASI; the
    instance's WASI state (captured output, `close()`) is then `instance.wasi`. Run a WASI
    program with `instance.exports._start()`; `proc_exit` raises `ExitTrap`. A wasi-threads
    program (wasm32-wasip1-threads) gets `wasi.thread-spawn` and its shared memory, made to
    the type it imports; its spawned threads are `instance.wasi_threads` (see
    `wasmkit.wasi.threads`).

    `profiling=True` makes the new store's native code visible to `wasmkit.Profiler` (the
    Python engine's always is); with `store=`, the store's own setting holds. `classes`, for a
    component only, gives the classes of its values (`component.abi.GivenClasses`; a module
    `wasmkit bindgen` writes passes its own).
    """
    module = _module_or_component(source)
    if not isinstance(module, Module):
        wasi_value = None if wasi is None else _wasi_config(wasi)
        return module.instantiate(imports, store or Store(engine, profiling=profiling), wasi_value, classes=classes)
    if classes is not None:
        raise TypeError("classes= is for a component, not a core module")
    if imports is not None and not isinstance(imports, Mapping):
        raise TypeError(f"imports= takes a dict {{module: {{name: item}}}}, not {type(imports).__name__}")
    store = store or Store(engine, profiling=profiling)
    # Each module's items: a mapping, or another instance's `Exports`.
    given: dict[str, dict[str, ImportValue]] = {}
    for module_name, items in (imports or {}).items():
        if not isinstance(items, (Mapping, Exports)):
            raise TypeError(
                f"imports[{module_name!r}] must map names to items ({{name: item}}), not {type(items).__name__}"
            )
        given[module_name] = {name: items[name] for name in items}
    wasi_state = threads = None
    if wasi is not None:
        from .wasi import MODULE, wasi_funcs
        from .wasi.threads import WasiThreads, thread_imports

        wasi_state = _wasi_state(wasi)
        for name, func in wasi_funcs(wasi_state).items():
            given.setdefault(MODULE, {}).setdefault(name, func)
        threads = WasiThreads()
        needed = thread_imports(module, threads, lambda name, field: field in given.get(name, {}), store.limits.memory_bytes)
        for module_name, items in needed.items():
            given.setdefault(module_name, {}).update(items)
    instance = Instance(module, given, store=store)
    instance.wasi = wasi_state
    instance.wasi_threads = threads
    return instance
