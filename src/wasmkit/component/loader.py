"""A component loaded for running: read, validated, its core modules compiled once, and
instantiated as often as wanted (each instance in its store, on the store's engine).

    component = Component(data)           # bytes, or a path
    instance = component.instantiate({"log": print}, Store("native"))
    instance.exports["greet"]("Ada")

`wasmkit.load` does this for a component in one call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..runtime.store import Store
from .bindings import Instance, runtime_instance
from .instantiate import Linking, ModuleCache, instantiate
from .reader import read_component
from .validate import ValidComponent, validate_component

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
        self.valid: ValidComponent = validate_component(read_component(data), core_modules=self._modules.syntax)

    def instantiate(self, imports: Mapping[str, object] | None = None, store: Store | None = None) -> Instance:
        """A new instance, with the embedder's `imports` (docs/components.md, "Imports"), in
        `store` (a new one on the Python engine by default). An instance import may also be
        an interface another component instance exports (its `exports.name`)."""
        if imports is not None and not isinstance(imports, Mapping):
            raise TypeError(f"imports= takes a dict {{import name: value}}, not {type(imports).__name__}")
        store = store or Store()
        linking = Linking(store, self._modules)
        given = {name: runtime_instance(value) for name, value in (imports or {}).items()}
        runtime = instantiate(self.valid, given, linking=linking)
        return Instance(runtime, store, linking.abi)

    def __repr__(self) -> str:
        return f"<Component {self.name or '?'}>"
