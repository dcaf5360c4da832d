"""The wasmtime-py API, on wasmkit: a program written for wasmtime-py runs after changing
`import wasmtime` to `from wasmkit.compat import wasmtime`.

The classes mirror wasmtime-py's (stores passed explicitly, `Instance.exports(store)[name]`,
`func(store, *args)`, `Memory.read/write/data_len/grow/size/data_ptr`, fuel, `WasiConfig`);
each wraps the wasmkit object it stands for. wasmkit's errors come out as wasmtime-py's:
`Trap` (with a `TrapCode`), `ExitTrap` and `WasmtimeError`.
"""

from __future__ import annotations

import ctypes
import enum
import os
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .. import errors
from .. import runtime as rt
from ..binary import write_module
from ..engine.cache_dir import shared_engine_cache_dir
from ..engine.registry import compiled_first
from ..runtime.source import is_native_artifact
from ..syntax import types as wt
from ..text import parse_module
from ..wasi import MODULE as WASI_MODULE
from ..wasi import DirPerms, FilePerms, WasiPreview1, wasi_funcs
from ..wasi import WasiConfig as _WasiConfig

__all__ = [
    "Config",
    "Engine",
    "Store",
    "Module",
    "Instance",
    "Linker",
    "Func",
    "Caller",
    "Memory",
    "Table",
    "Global",
    "FuncType",
    "ValType",
    "Limits",
    "MemoryType",
    "TableType",
    "GlobalType",
    "ImportType",
    "ExportType",
    "WasiConfig",
    "DirPerms",
    "FilePerms",
    "Trap",
    "TrapCode",
    "ExitTrap",
    "WasmtimeError",
    "wat2wasm",
]


# -- errors --


class WasmtimeError(Exception):
    """An error that is not a trap: a malformed, invalid or unlinkable module, misuse."""


class TrapCode(enum.Enum):
    STACK_OVERFLOW = 0
    MEMORY_OUT_OF_BOUNDS = 1
    HEAP_MISALIGNED = 2
    TABLE_OUT_OF_BOUNDS = 3
    INDIRECT_CALL_TO_NULL = 4
    BAD_SIGNATURE = 5
    INTEGER_OVERFLOW = 6
    INTEGER_DIVISION_BY_ZERO = 7
    BAD_CONVERSION_TO_INTEGER = 8
    UNREACHABLE = 9
    INTERRUPT = 10
    OUT_OF_FUEL = 11
    ATOMIC_WAIT_NON_SHARED_MEMORY = 12


_TRAP_CODES = {
    errors.TrapKind.CALL_STACK_EXHAUSTED: TrapCode.STACK_OVERFLOW,
    errors.TrapKind.OUT_OF_BOUNDS_MEMORY: TrapCode.MEMORY_OUT_OF_BOUNDS,
    errors.TrapKind.OUT_OF_BOUNDS_TABLE: TrapCode.TABLE_OUT_OF_BOUNDS,
    errors.TrapKind.UNDEFINED_ELEMENT: TrapCode.TABLE_OUT_OF_BOUNDS,
    errors.TrapKind.UNINITIALIZED_ELEMENT: TrapCode.INDIRECT_CALL_TO_NULL,
    errors.TrapKind.INDIRECT_CALL_TYPE_MISMATCH: TrapCode.BAD_SIGNATURE,
    errors.TrapKind.INTEGER_OVERFLOW: TrapCode.INTEGER_OVERFLOW,
    errors.TrapKind.INTEGER_DIVIDE_BY_ZERO: TrapCode.INTEGER_DIVISION_BY_ZERO,
    errors.TrapKind.INVALID_CONVERSION: TrapCode.BAD_CONVERSION_TO_INTEGER,
    errors.TrapKind.UNREACHABLE: TrapCode.UNREACHABLE,
    errors.TrapKind.INTERRUPTED: TrapCode.INTERRUPT,
    errors.TrapKind.OUT_OF_FUEL: TrapCode.OUT_OF_FUEL,
    errors.TrapKind.UNALIGNED_ATOMIC: TrapCode.HEAP_MISALIGNED,
    errors.TrapKind.UNSHARED_WAIT: TrapCode.ATOMIC_WAIT_NON_SHARED_MEMORY,
}


class Trap(Exception):
    """A wasm trap, as wasmtime-py reports it."""

    def __init__(self, message: str, trap_code: TrapCode | None = None, frames: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.trap_code = trap_code
        self.frames = list(frames)


class ExitTrap(WasmtimeError):
    """A WASI program exited; `code` is its status."""

    def __init__(self, code: int) -> None:
        super().__init__(f"Exited with i32 exit status {code}")
        self.code = code


def _translate(err: BaseException) -> BaseException:
    if isinstance(err, errors.ExitTrap):
        return ExitTrap(err.code)
    if isinstance(err, errors.Trap):
        return Trap(f"wasm trap: {err.message}", _TRAP_CODES.get(err.kind), err.frames)
    if isinstance(err, errors.WasmError):
        return WasmtimeError(str(err))
    return err


def _guard(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except errors.WasmError as err:
        raise _translate(err) from None


# -- types --


class ValType:
    """A value type: `ValType.i32()`, ... (comparable, printable as in wasmtime-py)."""

    def __init__(self, kind: wt.ValueType) -> None:
        self._kind = kind

    @classmethod
    def i32(cls) -> "ValType":
        return cls(wt.ValType.I32)

    @classmethod
    def i64(cls) -> "ValType":
        return cls(wt.ValType.I64)

    @classmethod
    def f32(cls) -> "ValType":
        return cls(wt.ValType.F32)

    @classmethod
    def f64(cls) -> "ValType":
        return cls(wt.ValType.F64)

    @classmethod
    def v128(cls) -> "ValType":
        return cls(wt.ValType.V128)

    @classmethod
    def externref(cls) -> "ValType":
        return cls(wt.ValType.EXTERNREF)

    @classmethod
    def funcref(cls) -> "ValType":
        return cls(wt.ValType.FUNCREF)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ValType) and other._kind == self._kind

    def __hash__(self) -> int:
        return hash(self._kind)

    def __str__(self) -> str:
        return self._kind.text

    __repr__ = __str__


class FuncType:
    def __init__(self, params: Iterable[ValType], results: Iterable[ValType]) -> None:
        self._type = wt.FuncType(tuple(p._kind for p in params), tuple(r._kind for r in results))

    @classmethod
    def _wrap(cls, func_type: wt.FuncType) -> "FuncType":
        return cls([ValType(t) for t in func_type.params], [ValType(t) for t in func_type.results])

    @property
    def params(self) -> list[ValType]:
        return [ValType(t) for t in self._type.params]

    @property
    def results(self) -> list[ValType]:
        return [ValType(t) for t in self._type.results]


class Limits:
    def __init__(self, min: int, max: int | None) -> None:  # noqa: A002 - wasmtime-py's names
        self.min = min
        self.max = max

    def _limits(self) -> wt.Limits:
        return wt.Limits(self.min, self.max)


class MemoryType:
    def __init__(self, limits: Limits, is_64: bool = False, shared: bool = False) -> None:
        if shared:
            raise WasmtimeError("shared memories are not supported")
        self.limits = limits
        self._is_64 = is_64

    @property
    def is_64(self) -> bool:
        """Whether the memory has 64-bit addresses (memory64)."""
        return self._is_64

    @property
    def is_shared(self) -> bool:
        return False

    def _type(self) -> wt.MemoryType:
        return wt.MemoryType(self.limits._limits(), wt.ValType.I64 if self._is_64 else wt.ValType.I32)


class TableType:
    def __init__(self, valtype: ValType, limits: Limits) -> None:
        self.element = valtype
        self.limits = limits

    def _type(self) -> wt.TableType:
        return wt.TableType(self.limits._limits(), self.element._kind)


class GlobalType:
    def __init__(self, valtype: ValType, mutable: bool) -> None:
        self.content = valtype
        self.mutable = mutable

    def _type(self) -> wt.GlobalType:
        return wt.GlobalType(self.content._kind, self.mutable)


def _extern_type(extern: Any) -> Any:
    if isinstance(extern, wt.FuncType):
        return FuncType._wrap(extern)
    if isinstance(extern, wt.MemoryType):
        return MemoryType(Limits(extern.limits.min, extern.limits.max), is_64=extern.is_64)
    if isinstance(extern, wt.TableType):
        return TableType(ValType(extern.elem), Limits(extern.limits.min, extern.limits.max))
    return GlobalType(ValType(extern.valtype), extern.mutable)


class ImportType:
    def __init__(self, module: str, name: str, ty: Any) -> None:
        self.module = module
        self.name = name
        self.type = ty


class ExportType:
    def __init__(self, name: str, ty: Any) -> None:
        self.name = name
        self.type = ty


# -- engine, store, modules --


class Config:
    """Compilation settings. wasmkit honours `consume_fuel` and `epoch_interruption`; the
    others are accepted and have no effect. `wasmkit_engine`, wasmkit's own, picks the engine
    that runs the code: "auto" (the default: the native engine when llvmlite is installed,
    else the Python engine; its code compiled before it runs, as wasmtime's is), "native" or
    "python"."""

    def __init__(self) -> None:
        self.consume_fuel = False
        self.epoch_interruption = False
        self.wasmkit_engine = "auto"


def _engine_name(config: Config) -> str:
    """The engine a configuration asks for, compiled before it runs as wasmtime's is (the
    programs written for it mostly make one long call, a WASI command's `_start`)."""
    return compiled_first(config.wasmkit_engine)


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self._epoch = 0
        # The stores with an epoch deadline, which a new epoch may pass; weakly, so that the
        # engine (which programs keep for their whole life) keeps no store alive.
        self._waiting: weakref.WeakSet[Store] = weakref.WeakSet()

    def increment_epoch(self) -> None:
        self._epoch += 1
        for store in list(self._waiting):
            store._check_epoch()


class Store:
    def __init__(self, engine: Engine | None = None, data: Any = None) -> None:
        self.engine = engine or Engine()
        config = self.engine.config
        self._store = rt.Store(
            _engine_name(config), fuel=0 if config.consume_fuel else None, interruptible=config.epoch_interruption
        )
        self._data = data
        self._wasi: _WasiConfig | None = None
        self._wasi_state: WasiPreview1 | None = None  # made on first use, one per store
        self._epoch_deadline: int | None = None

    def data(self) -> Any:
        return self._data

    def gc(self) -> None:
        """Reference counting frees what is unreachable; nothing to do."""

    def set_fuel(self, fuel: int) -> None:
        self._require_fuel().set_fuel(fuel)

    def get_fuel(self) -> int:
        return self._require_fuel().fuel

    def _require_fuel(self) -> rt.Store:
        if not self.engine.config.consume_fuel:
            raise WasmtimeError("fuel is not configured in this store")
        return self._store

    def set_wasi(self, wasi: "WasiConfig") -> None:
        self._wasi = wasi._config

    def set_epoch_deadline(self, ticks_after_current: int) -> None:
        self._epoch_deadline = self.engine._epoch + ticks_after_current
        self.engine._waiting.add(self)
        self._check_epoch()

    def _check_epoch(self) -> None:
        """The store's deadline from the epoch's: passed (calls running and starting trap) or
        not yet (none), as wasmtime's epoch deadline works."""
        if self._epoch_deadline is not None:
            self._store.set_deadline(0 if self.engine._epoch >= self._epoch_deadline else None)

    def set_limits(
        self,
        memory_size: int = -1,
        table_elements: int = -1,
        instances: int = -1,
        tables: int = -1,
        memories: int = -1,
    ) -> None:
        limits = self._store.limits
        limits.memory_bytes = None if memory_size < 0 else memory_size
        limits.table_elements = None if table_elements < 0 else table_elements


def wat2wasm(wat: str | bytes) -> bytearray:
    """The binary encoding of a module in the text format."""
    text = wat.decode("utf-8") if isinstance(wat, bytes) else wat
    return bytearray(_guard(lambda: write_module(parse_module(text))))


class Module:
    def __init__(self, engine: Engine, wasm: str | bytes | bytearray) -> None:
        self.engine = engine
        self._module: rt.Module = _guard(lambda: rt.Module.from_content(wasm))

    @classmethod
    def from_file(cls, engine: Engine, path: str | bytes | os.PathLike[str]) -> "Module":
        with open(os.fsdecode(path), "rb") as f:
            return cls(engine, f.read())

    @classmethod
    def validate(cls, engine: Engine, wasm: bytes | bytearray) -> None:
        _guard(lambda: rt.Module.from_content(wasm))

    def serialize(self) -> bytearray:
        """The module as bytes `deserialize` takes back. On the native engine, as wasmtime's
        holds compiled code, an artifact with the machine code too (`wasmkit compile -o`'s
        format: it loads without compiling, on this kind of machine with this wasmkit and
        LLVM); on the Python engine, the module's binary encoding."""
        if _engine_name(self.engine.config) != "native":
            return bytearray(write_module(self._module.syntax))
        from ..engine.native.module import artifact_of

        return bytearray(_guard(lambda: artifact_of(self._module.valid, shared_engine_cache_dir("native"))))

    @classmethod
    def deserialize(cls, engine: Engine, encoded: bytes | bytearray) -> "Module":
        """The module `serialize` made (an artifact's machine code is used, not compiled
        again), or any module's binary encoding. Anything else (text, an empty or cut file) is
        refused with `WasmtimeError`, as wasmtime refuses it: yowasp's runtime compiles again
        when its cached file does not load, and leaves an empty one when `serialize` failed."""
        data = bytes(encoded)
        if is_native_artifact(data):
            from ..engine.native.artifact import read_artifact

            data = _guard(lambda: read_artifact(data))
        elif not data.startswith(b"\0asm"):
            raise WasmtimeError("failed to deserialize: neither a serialized module nor a module's binary encoding")
        return cls(engine, data)

    @classmethod
    def deserialize_file(cls, engine: Engine, path: str) -> "Module":
        with open(os.fsdecode(path), "rb") as f:
            return cls.deserialize(engine, f.read())

    @property
    def imports(self) -> list[ImportType]:
        return [ImportType(m, n, _extern_type(t)) for m, n, t in self._module.imports]

    @property
    def exports(self) -> list[ExportType]:
        return [ExportType(n, _extern_type(t)) for n, t in self._module.exports]


# -- externs --


def _wrap_extern(item: Any) -> Any:
    if isinstance(item, rt.Func):
        return Func._wrap(item)
    if isinstance(item, rt.Memory):
        return Memory._wrap(item)
    if isinstance(item, rt.Table):
        return Table._wrap(item)
    if isinstance(item, rt.Global):
        return Global._wrap(item)
    return item


def _unwrap_extern(item: Any) -> Any:
    inner = getattr(item, "_inner", None)
    if inner is None:
        raise WasmtimeError(f"{item!r} is not a function, memory, table or global")
    return inner


class Caller:
    """What a host function defined with `access_caller=True` sees of its caller."""

    def __init__(self, caller: rt.Caller) -> None:
        self._caller = caller

    def get(self, name: str) -> Any:
        item = self._caller.get(name)
        return None if item is None else _wrap_extern(item)

    def __getitem__(self, name: str) -> Any:
        item = self.get(name)
        if item is None:
            raise KeyError(name)
        return item


class Func:
    def __init__(self, store: Store, ty: FuncType, func: Callable[..., Any], access_caller: bool = False) -> None:
        self._inner = _host(ty, func, access_caller, getattr(func, "__name__", ""))

    @classmethod
    def _wrap(cls, inner: rt.Func) -> "Func":
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    def type(self, store: Store) -> FuncType:
        return FuncType._wrap(self._inner.type)

    def __call__(self, store: Store, *args: Any) -> Any:
        # wasmtime-py checks the count itself, and says so with a WasmtimeError (not a TypeError).
        expected = len(self._inner.type.params)
        if len(args) != expected:
            amount = "many" if len(args) > expected else "few"
            raise WasmtimeError(f"too {amount} parameters provided: given {len(args)}, expected {expected}")
        result = _guard(lambda: self._inner(*args))
        if isinstance(result, tuple):
            return list(result)
        return result


def _host(ty: FuncType, func: Callable[..., Any], access_caller: bool, name: str) -> rt.Func:
    if access_caller:

        def call(caller: rt.Caller, *args: Any) -> Any:
            return func(Caller(caller), *args)

        return rt.Func.host(ty._type, call, name, access_caller=True)
    return rt.Func.host(ty._type, func, name)


class Memory:
    def __init__(self, store: Store, ty: MemoryType) -> None:
        self._inner = rt.Memory(ty._type(), max_bytes=store._store.limits.memory_bytes)

    @classmethod
    def _wrap(cls, inner: rt.Memory) -> "Memory":
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    def type(self, store: Store) -> MemoryType:
        limits = self._inner.limits
        return MemoryType(Limits(limits.min, limits.max), is_64=self._inner.type.is_64)

    def size(self, store: Store) -> int:
        return self._inner.pages

    def data_len(self, store: Store) -> int:
        return self._inner.size

    def grow(self, store: Store, delta: int) -> int:
        if delta < 0:
            raise WasmtimeError("cannot grow by negative amount")
        old = self._inner.grow(delta)
        if old < 0:
            raise WasmtimeError("failed to grow memory")
        return old

    def read(self, store: Store, start: int | None = 0, stop: int | None = None) -> bytearray:
        return bytearray(self._inner.view[start:stop])

    def write(self, store: Store, value: bytes | bytearray, start: int | None = None) -> int:
        start = start or 0
        if start < 0 or start + len(value) > self._inner.size:
            raise IndexError("write out of bounds of memory")
        self._inner.write(start, value)
        return len(value)

    def data_ptr(self, store: Store) -> Any:
        """A raw pointer to the memory's first byte; stable, since memory never moves (except
        a 64-bit memory growing past 4 GiB: see `runtime.memory`)."""
        view = self._inner.view
        buffer = (ctypes.c_ubyte * len(view)).from_buffer(view) if len(view) else (ctypes.c_ubyte * 1)()
        return ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ubyte))


class Table:
    def __init__(self, store: Store, ty: TableType, init: Any) -> None:
        self._inner = rt.Table(ty._type(), _unwrap_ref(init))

    @classmethod
    def _wrap(cls, inner: rt.Table) -> "Table":
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    def type(self, store: Store) -> TableType:
        table_type = self._inner.type
        return TableType(ValType(table_type.elem), Limits(table_type.limits.min, table_type.limits.max))

    def size(self, store: Store) -> int:
        return self._inner.size

    def grow(self, store: Store, amt: int, init: Any) -> int:
        old = self._inner.grow(amt, _unwrap_ref(init))
        if old < 0:
            raise WasmtimeError("failed to grow table")
        return old

    def get(self, store: Store, idx: int) -> Any:
        if not 0 <= idx < self._inner.size:
            return None
        return _wrap_extern(self._inner.get(idx))

    def set(self, store: Store, idx: int, val: Any) -> None:
        try:
            self._inner.set(idx, _unwrap_ref(val))
        except IndexError as err:
            raise WasmtimeError(str(err)) from None


def _unwrap_ref(value: Any) -> Any:
    return value._inner if isinstance(value, Func) else value


class Global:
    def __init__(self, store: Store, ty: GlobalType, val: Any) -> None:
        self._inner = rt.Global(ty._type(), _unwrap_ref(val))

    @classmethod
    def _wrap(cls, inner: rt.Global) -> "Global":
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    def type(self, store: Store) -> GlobalType:
        global_type = self._inner.type
        return GlobalType(ValType(global_type.valtype), global_type.mutable)

    def value(self, store: Store) -> Any:
        return _wrap_extern(self._inner.value)

    def set_value(self, store: Store, val: Any) -> None:
        if not self._inner.type.mutable:
            raise WasmtimeError("global is immutable")
        self._inner.value = _unwrap_ref(val)


# -- instances and linking --


class InstanceExports(Mapping[str, Any]):
    """An instance's exports by name, a read-only mapping as in wasmtime-py (`keys`, `items`,
    `get`, ...), and in the module's order through `by_index`."""

    def __init__(self, exports: rt.Exports) -> None:
        self._exports = exports

    @property
    def by_index(self) -> Sequence[Any]:
        return tuple(_wrap_extern(self._exports[name]) for name in self._exports)

    def __getitem__(self, name: str) -> Any:
        return _wrap_extern(self._exports[name])

    def __contains__(self, name: object) -> bool:
        return name in self._exports

    def __iter__(self) -> Iterator[str]:
        return iter(self._exports)

    def __len__(self) -> int:
        return len(self._exports)


class Instance:
    def __init__(self, store: Store, module: Module, imports: Sequence[Any]) -> None:
        externs = [_unwrap_extern(item) for item in imports]
        self._inner: rt.Instance = _guard(lambda: rt.Instance(module._module, externs, store=store._store))

    @classmethod
    def _wrap(cls, inner: rt.Instance) -> "Instance":
        obj = cls.__new__(cls)
        obj._inner = inner
        return obj

    def exports(self, store: Store) -> InstanceExports:
        return InstanceExports(self._inner.exports)


class Linker:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._items: dict[tuple[str, str], Any] = {}
        self._shadowing = False
        self._wasi = False

    def allow_shadowing(self, allow: bool) -> None:
        self._shadowing = allow

    def _define(self, module: str, name: str, item: Any) -> None:
        if (module, name) in self._items and not self._shadowing:
            raise WasmtimeError(f"import of `{module}::{name}` defined twice")
        self._items[(module, name)] = item

    def define(self, store: Store, module: str, name: str, item: Any) -> None:
        self._define(module, name, _unwrap_extern(item))

    def define_func(self, module: str, name: str, ty: FuncType, func: Callable[..., Any], access_caller: bool = False) -> None:
        self._define(module, name, _host(ty, func, access_caller, f"{module}.{name}"))

    def define_instance(self, store: Store, name: str, instance: Instance) -> None:
        exports = instance._inner.exports
        for export_name in exports:
            self._define(name, export_name, exports[export_name])

    def define_module(self, store: Store, name: str, module: Module) -> None:
        self.define_instance(store, name, self.instantiate(store, module))

    def define_wasi(self) -> None:
        """WASI for instances made by this linker, configured by the store's `set_wasi`."""
        self._wasi = True

    def get(self, store: Store, module: str, name: str) -> Any:
        item = self._items.get((module, name))
        if item is None:
            raise WasmtimeError(f"no item named `{module}::{name}` in linker")
        return _wrap_extern(item)

    def get_default(self, store: Store, name: str) -> Func:
        item = self._items.get((name, ""))
        if not isinstance(item, rt.Func):
            raise WasmtimeError(f"no default function for `{name}`")
        return Func._wrap(item)

    def instantiate(self, store: Store, module: Module) -> Instance:
        linker = rt.Linker(store._store)
        if self._wasi:
            if store._wasi_state is None:
                store._wasi_state = WasiPreview1(store._wasi or _WasiConfig())
            for name, func in wasi_funcs(store._wasi_state).items():
                linker.define(WASI_MODULE, name, func)
        for (module_name, name), item in self._items.items():
            linker.define(module_name, name, item)  # what the user defined takes precedence
        instance = _guard(lambda: linker.instantiate(module._module))
        instance.wasi = store._wasi_state
        return Instance._wrap(instance)


# -- WASI --


class WasiConfig:
    """wasmtime-py's WASI configuration, over `wasmkit.wasi.WasiConfig`."""

    def __init__(self) -> None:
        self._config = _WasiConfig()

    @property
    def argv(self) -> list[str]:
        return self._config.argv

    @argv.setter
    def argv(self, argv: Sequence[str]) -> None:
        self._config.argv = list(argv)

    def inherit_argv(self) -> None:
        self._config.inherit_argv()

    @property
    def env(self) -> list[tuple[str, str]]:
        return list(self._config.env.items())

    @env.setter
    def env(self, pairs: Iterable[Iterable[str]]) -> None:
        self._config.env = {str(k): str(v) for k, v in pairs}

    def inherit_env(self) -> None:
        self._config.inherit_env()

    def preopen_dir(
        self,
        path: str,
        guest_path: str,
        dir_perms: DirPerms | bool = DirPerms.READ_WRITE,
        file_perms: FilePerms = FilePerms.READ_WRITE,
        *,
        fs_mutable: bool | None = None,
    ) -> None:
        """Both wasmtime-py signatures: (path, guest, DirPerms, FilePerms) and (path, guest,
        fs_mutable)."""
        if isinstance(dir_perms, bool) or fs_mutable is not None:
            mutable = dir_perms if isinstance(dir_perms, bool) else bool(fs_mutable)
            dir_perms = DirPerms.READ_WRITE if mutable else DirPerms.READ_ONLY
            file_perms = FilePerms.READ_WRITE if mutable else FilePerms.READ_ONLY
        self._config.preopen_dir(path, guest_path, dir_perms, file_perms)

    def inherit_stdin(self) -> None:
        self._config.inherit_stdin()

    def inherit_stdout(self) -> None:
        self._config.inherit_stdout()

    def inherit_stderr(self) -> None:
        self._config.inherit_stderr()

    @property
    def stdin_file(self) -> None:
        raise AttributeError("stdin_file can only be set")

    @stdin_file.setter
    def stdin_file(self, path: str | os.PathLike[str]) -> None:
        self._config.stdin_file(path)

    @property
    def stdout_file(self) -> None:
        raise AttributeError("stdout_file can only be set")

    @stdout_file.setter
    def stdout_file(self, path: str | os.PathLike[str]) -> None:
        self._config.stdout_file(path)

    @property
    def stderr_file(self) -> None:
        raise AttributeError("stderr_file can only be set")

    @stderr_file.setter
    def stderr_file(self, path: str | os.PathLike[str]) -> None:
        self._config.stderr_file(path)
