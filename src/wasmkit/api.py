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

import errno
import inspect
import os
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from .runtime.func import Caller, Func
from .runtime.instance import Extern, Instance
from .runtime.module import Module, ModuleSource
from .runtime.store import Store
from .syntax.module import Module as SyntaxModule
from .syntax.types import FuncType, ValType

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


def _takes_caller(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        return False
    return bool(params) and hints.get(params[0].name) is Caller


def _skip_space_and_comments(text: str) -> str:
    """`text` from its first character that is neither white space nor in a WAT comment."""
    position = 0
    while position < len(text):
        if text[position] in " \t\n\r":
            position += 1
        elif text.startswith(";;", position):
            end = text.find("\n", position)
            position = len(text) if end < 0 else end + 1
        elif text.startswith("(;", position):
            depth, position = 1, position + 2
            while depth and position < len(text):
                if text.startswith("(;", position):
                    depth, position = depth + 1, position + 2
                elif text.startswith(";)", position):
                    depth, position = depth - 1, position + 2
                else:
                    position += 1
        else:
            break
    return text[position:]


def _is_path(source: str | bytes) -> bool:
    """Whether `load` should take `source` for a file's path: it is not a wasm binary (bytes
    starting with \\0asm, or any bytes holding a NUL or not UTF-8, which then fail to decode as
    a binary or text module should), and not WAT text (white space and comments, then `(`)."""
    if isinstance(source, bytes):
        if b"\0" in source:
            return False
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not _skip_space_and_comments(source).startswith("(")


def _module(source: ModuleSource | os.PathLike[str] | Module) -> Module:
    """The module `source` stands for, deciding by content whether it is one or a path."""
    if isinstance(source, (Module, SyntaxModule)):
        return source if isinstance(source, Module) else Module(source)
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if isinstance(source, os.PathLike) or _is_path(source):
        path = os.fsdecode(os.fspath(source))
        if not os.path.exists(path):
            raise FileNotFoundError(
                errno.ENOENT,
                "no such module file (wasmkit.load takes a path, wasm bytes, or WAT text that starts with '(' after comments)",
                path,
            )
        return Module.from_file(path)
    return Module(source)


def load(
    source: ModuleSource | os.PathLike[str] | Module,
    imports: Mapping[str, Mapping[str, ImportValue]] | None = None,
    wasi: Any = None,
    *,
    store: Store | None = None,
    engine: str = "python",
) -> Instance:
    """Load and instantiate a module from a path, bytes (binary or text), WAT source or a
    `Module`.

    `imports` maps module names to {name: item}; an item is a `Func`, `Table`, `Memory` or
    `Global`, or any Python callable (typed as the module declares the import). `wasi` is a
    `wasmkit.wasi.WasiConfig` (or True for a default one) for modules that import WASI; the
    instance's WASI state (captured output, `close()`) is then `instance.wasi`. Run a WASI
    program with `instance.exports._start()`; `proc_exit` raises `ExitTrap`.
    """
    module = _module(source)
    store = store or Store(engine)
    # Each module's items: a mapping, or another instance's `Exports`.
    given = {module_name: {name: items[name] for name in items} for module_name, items in (imports or {}).items()}
    wasi_state = None
    if wasi is not None:
        from .wasi import MODULE, WasiConfig, WasiPreview1, wasi_funcs

        wasi_state = WasiPreview1(WasiConfig() if wasi is True else wasi)
        for name, func in wasi_funcs(wasi_state).items():
            given.setdefault(MODULE, {}).setdefault(name, func)
    resolved: dict[str, dict[str, Extern]] = {}
    for module_name, name, declared in module.imports:
        item = given.get(module_name, {}).get(name)
        if callable(item) and not isinstance(item, Func) and isinstance(declared, FuncType):
            item = Func.host(declared, item, f"{module_name}.{name}", access_caller=_takes_caller(item))
        if item is not None:
            resolved.setdefault(module_name, {})[name] = item  # type: ignore[assignment]
    instance = Instance(module, resolved, store=store)
    instance.wasi = wasi_state
    return instance
