"""The engine protocol: what every tier (Python, native) provides, and what they share. The
engines depend on this; the registry that picks one by name (`registry`) sits above them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Protocol

from ..opcodes import WASM_2_0, Feature
from ..syntax.types import ExternKind
from ..validate import ValidModule

if TYPE_CHECKING:
    from ..runtime.functions import FunctionSpace
    from ..runtime.global_ import Global
    from ..runtime.memory import Memory
    from ..runtime.store import Store
    from ..runtime.table import Table
    from ..runtime.tag import Tag

__all__ = ["Engine", "CompiledModule", "BoundInstance", "EngineGlobals", "shared_globals", "RUNNABLE_FEATURES"]

# The features both engines run (the rest validate, and an engine refuses to compile them, as
# the native engine does GC's instructions): what the engine tests require handlers for, and
# what the fuzzers that compare the engines generate. (GC's rule that a constant expression may
# read the module's own globals runs on both, but GC is more than that.)
RUNNABLE_FEATURES = WASM_2_0 | {Feature.EXTENDED_CONST, Feature.RELAXED_SIMD}


class BoundInstance(Protocol):
    """What an engine sees of an instance when it binds code to it: the index spaces, the
    segments, the store (its meter) and where the engine's own globals are reached. The engines
    depend on this, not on `runtime.instance.Instance`."""

    store: "Store"
    funcs: "FunctionSpace"
    tables: list["Table"]
    mems: list["Memory"]
    globals: list["Global"]
    tags: list["Tag"]
    elems: list[list[object]]
    datas: list[bytes]
    engine_globals: MutableMapping[int, object]


class CompiledModule(Protocol):
    """A module compiled by an engine, ready to be bound to instances."""

    def bind(self, instance: BoundInstance) -> None:
        """Give the instance's defined functions their code (`Func.fn`), reading and writing
        the instance's memories, tables and globals."""

    def compile_all(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Compile every function now rather than on first call (a server does this at load,
        so that no request pays for it), reporting (done, total)."""


def shared_globals(valid: ValidModule) -> frozenset[int]:
    """The mutable globals someone outside the instance can see (imported or exported): an
    engine keeps these in their `Global` objects, and may keep every other one its own way."""
    module = valid.module
    exported = {e.index for e in module.exports if e.kind == ExternKind.GLOBAL}
    imported = len(valid.global_types) - len(module.globals)
    return frozenset(
        i for i, gt in enumerate(valid.global_types) if gt.mutable and (i < imported or i in exported)
    )


class EngineGlobals(MutableMapping[int, object]):
    """The globals an engine keeps out of their `Global` objects (those no one outside the
    instance sees), by index, read and written through the engine: what
    `Instance.engine_globals` holds, so that `Instance.global_internal` reaches them."""

    def __init__(
        self, indices: Iterable[int], read: Callable[[int], object], write: Callable[[int, object], None]
    ) -> None:
        self._indices = frozenset(indices)
        self._read = read
        self._write = write

    def __getitem__(self, index: int) -> object:
        if index not in self._indices:
            raise KeyError(index)
        return self._read(index)

    def __setitem__(self, index: int, value: object) -> None:
        if index not in self._indices:
            raise KeyError(index)
        self._write(index, value)

    def __delitem__(self, index: int) -> None:
        raise TypeError("globals cannot be removed")

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._indices))

    def __len__(self) -> int:
        return len(self._indices)


class Engine(Protocol):
    name: str

    def compile(self, module: ValidModule, metered: bool = False, profiled: bool = False) -> CompiledModule:
        """Compile a validated module (raising WasmError for what the engine cannot run).
        Metered code charges the store's fuel and checks for interruption at function entries
        and loop iterations; plain code pays nothing for either. Profiled code lets
        `wasmkit.Profiler` see its wasm frames (the native engine's keeps a shadow stack; the
        Python engine's frames are Python's, so its code is the same)."""
