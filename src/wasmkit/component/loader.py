"""A component loaded for running: read, validated, its core modules compiled once, and
instantiated as often as wanted (each instance in its store, on the store's engine).

    component = Component(data)           # bytes, or a path
    instance = component.instantiate({"log": print}, Store("native"))
    instance.exports["greet"]("Ada")

`wasmkit.load` does this for a component in one call.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ..runtime.module import Module
from ..runtime.store import Store
from .abi import GivenClasses
from .bindings import Instance, runtime_instance
from .instantiate import Linking, ModuleCache, instantiate
from .reader import read_component
from .type_trace import TypeTrace
from .validate import ValidComponent, validate_component

if TYPE_CHECKING:
    from ..wasi import WasiConfig
    from ..wasi.preview2.host import HostImports

__all__ = ["Component"]


class Component:
    """A valid component (DecodeError or ValidationError if it is not), from its bytes or
    the path of a file holding them."""

    def __init__(self, source: bytes | bytearray | memoryview | str | os.PathLike[str], name: str = "") -> None:
        if isinstance(source, (str, os.PathLike)):
            name = name or os.fspath(source)
            with open(source, "rb") as f:
                data = f.read()
        else:
            data = bytes(source)
        self.name = name
        self.data = data
        self._modules = ModuleCache()
        self._types = TypeTrace()  # recorded by the first instantiation, replayed by the others
        self.valid: ValidComponent = validate_component(read_component(data), core_modules=self._modules.syntax)

    def instantiate(
        self,
        imports: Mapping[str, object] | None = None,
        store: Store | None = None,
        wasi: WasiConfig | HostImports | None = None,
        classes: GivenClasses | None = None,
    ) -> Instance:
        """A new instance, with the embedder's `imports` (docs/components.md, "Imports"), in
        `store` (a new one on the Python engine by default). An instance import may also be
        an interface another component instance exports (its `exports.name`). With `wasi`, the
        WASI 0.2 and 0.3 interfaces the component imports (any 0.2.x, 0.3.x) come from a host
        made of that configuration (`wasi.preview2.host_imports`), unless `imports` names them; or `wasi`
        is such a host, made by the caller (with its options, for this `store`). With
        `classes` (`abi.GivenClasses`, as a module `wasmkit bindgen` wrote gives), the
        component's records, variants, enums, flags and exported resources are of those
        classes."""
        if imports is not None and not isinstance(imports, Mapping):
            raise TypeError(f"imports= takes a dict {{import name: value}}, not {type(imports).__name__}")
        store = store or Store()
        if classes is not None and not isinstance(classes, GivenClasses):
            raise TypeError(f"classes= takes a wasmkit.component.abi.GivenClasses, not {type(classes).__name__}")
        linking = Linking(store, self._modules, classes, self._types)
        given: Mapping[str, object] = {name: runtime_instance(value) for name, value in (imports or {}).items()}
        host = None
        if wasi is not None:
            from ..wasi.preview2 import HostImports, host_imports

            host = wasi if isinstance(wasi, HostImports) else host_imports(wasi, store)
            given = _WithWasi(given, host)
        runtime = instantiate(self.valid, given, linking=linking)
        return Instance(runtime, store, linking.abi, None if host is None else host.wasi, classes)

    def core_modules(self) -> list[Module]:
        """The core modules the component holds (nested ones too), each once."""
        return self._modules.modules()

    def __repr__(self) -> str:
        return f"<Component {self.name or '?'}>"


class _WithWasi(Mapping[str, object]):
    """The embedder's imports, then a WASI 0.2 host's: an import the embedder names (with or
    without its version) is theirs; any other WASI 0.2 interface is the host's."""

    def __init__(self, given: Mapping[str, object], host: HostImports) -> None:
        self._given = given
        self._host = host

    def _theirs(self, name: str) -> bool:
        return name in self._given or name.partition("@")[0] in self._given

    def __getitem__(self, name: str) -> object:
        if self._theirs(name):
            return self._given[name] if name in self._given else self._given[name.partition("@")[0]]
        found = self._host.find(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (self._theirs(name) or self._host.find(name) is not None)

    def __iter__(self) -> Iterator[str]:
        yield from self._given
        yield from (name for name in self._host if name not in self._given)

    def __len__(self) -> int:
        return sum(1 for _ in self)

