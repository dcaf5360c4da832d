"""The Python API's view of a component instance (what `wasmkit.load` returns for a
component): exports found by their WIT names or as attributes, and a class per exported
resource with its methods.

    inst = wasmkit.load("shapes.wasm", imports={...})
    inst.exports["example:shapes/geometry"]["area"](shape)   # WIT names
    inst.exports.geometry.area(shape)                        # attributes (see below)
    with inst.exports.geometry.Shape(2.0) as s:              # a resource: constructor, methods
        s.area()

`exports[name]` takes the export's WIT name (an interface's also without its `@version`),
or its attribute name.
Attributes are the names in snake_case: a function `get-size` is `get_size`; an interface
`example:shapes/geometry@1.0.0` is `example_shapes_geometry` and, when no other export has
the same last part, `geometry`; a resource `shape` is `Shape` (its class), as is a record,
variant, enum or flags type (`point` is `Point`, the class of its values). An exported
instance is an `Exports` again; a function is a callable taking Python values (docs/
components.md, "Values"). A resource's class is a `ResourceObject` subclass: calling it calls
`[constructor]shape`, its methods are `[method]shape.name` in snake_case (the object passed
as the borrowed `self`) and `[static]shape.name` are static methods; `close()` or `with`
drops an owned one (running the component's destructor), and so does garbage collection
(the destructor then runs as the instance is next called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .abi import CanonicalAbi, GivenClasses, ResourceType, pascal_case, snake_case
from .instance import ComponentInstance
from .instantiate import NestedComponent
from .resource_types import DefinedResource, GuestResource
from .types import Val

if TYPE_CHECKING:
    from ..wasi.preview2 import WasiPreview2

__all__ = ["Instance", "Exports", "attribute_names", "runtime_instance"]


def _identifier(name: str) -> str:
    return snake_case("".join(c if c.isalnum() else "_" for c in name.partition("@")[0]))


def attribute_names(name: str, value: object) -> list[str]:
    """The attribute names of export `name` (most specific first), given its API value."""
    if isinstance(value, type):  # a resource's, record's, variant's, enum's or flags' class
        return [pascal_case(name)]
    if ":" in name:  # an interface `ns:pkg/iface@version`
        short = name.partition("@")[0].rpartition("/")[2]
        return [_identifier(name), _identifier(short)]
    return [_identifier(name)]


class Exports:
    """One instance's exports (see the module's doc). It has no methods of its own but the
    special ones, so that no export name is hidden: `name in exports`, `len`, iteration over
    the WIT names, `exports[name]`, and attributes."""

    __slots__ = ("__items", "__attrs", "__instance", "__weakref__")

    def __init__(self, instance: ComponentInstance, abi: CanonicalAbi) -> None:
        self.__instance = instance
        items: dict[str, object] = {}
        for name, value in instance.exports.items():
            items[name] = _api_value(value, abi)
        attrs: dict[str, object] = {}
        taken: dict[str, int] = {}
        for name, value in items.items():
            if name.startswith("[") or value is None:
                continue  # a resource's function (reached through its class), or a type of no class
            for attr in attribute_names(name, value):
                taken[attr] = taken.get(attr, 0) + 1
        for name, value in items.items():
            if name.startswith("[") or value is None:
                continue
            for attr in attribute_names(name, value):
                if taken[attr] == 1:
                    attrs[attr] = value
        self.__items = items
        self.__attrs = attrs

    def __getitem__(self, name: str) -> Any:
        items = self.__items
        if name in items:
            return items[name]
        for full, value in items.items():
            if full.partition("@")[0] == name:
                return value
        if name in self.__attrs:  # the snake_case name (`use_sink`)
            return self.__attrs[name]
        raise KeyError(name)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__attrs[name]
        except KeyError:
            raise AttributeError(f"no export named {name!r} (exports: {', '.join(self.__items)})") from None

    def __contains__(self, name: object) -> bool:
        return name in self.__items

    def __iter__(self) -> Iterator[str]:
        return iter(self.__items)

    def __len__(self) -> int:
        return len(self.__items)

    def __dir__(self) -> list[str]:
        return list(self.__attrs)

    def __repr__(self) -> str:
        return f"<component exports {', '.join(self.__items)}>"


def runtime_instance(value: object) -> object:
    """The `ComponentInstance` behind `value` when it is an `Exports` (an instance another
    component exports, given as an import), else `value` itself."""
    if isinstance(value, Exports):
        return value._Exports__instance
    return value


def _api_value(value: object, abi: CanonicalAbi) -> object:
    """An export's value for Python code: an instance's `Exports`, a type's class (None
    for a type of no class: a list, tuple, option, result or an imported resource)."""
    if isinstance(value, ComponentInstance):
        return Exports(value, abi)
    if isinstance(value, DefinedResource):
        return value.object_class
    if isinstance(value, Val):
        return getattr(abi.codec(value), "cls", None)
    if isinstance(value, (ResourceType, NestedComponent)):
        return None  # an imported resource type, or a component: nothing to call yet
    return value


def attach_resource_classes(instance: ComponentInstance, bases: Mapping[tuple[str, str], type] | None = None, within: str = "") -> None:
    """Give each resource `instance` exports (at any depth) a class with the methods its
    instance exports beside it: `[constructor]r`, `[method]r.name`, `[static]r.name`. The
    class subclasses the one `bases` gives for (the top-level instance's export name without
    its version, or "" for the component's own, resource name), else `GuestResource`."""
    for name, value in instance.exports.items():
        if isinstance(value, ComponentInstance):
            attach_resource_classes(value, bases, within or name.partition("@")[0])
        elif isinstance(value, DefinedResource) and value.object_class is GuestResource:
            base = (bases or {}).get((within, name), GuestResource)
            if not (isinstance(base, type) and issubclass(base, GuestResource)):
                raise TypeError(f"the class given for resource {name!r} must subclass GuestResource, not {base!r}")
            value.object_class = _resource_class(name, instance.exports, base)


def _resource_class(name: str, exports: dict[str, object], base: type[GuestResource] = GuestResource) -> type[GuestResource]:
    namespace: dict[str, Any] = {"__slots__": (), "__doc__": f"The component resource `{name}`."}
    constructor = exports.get(f"[constructor]{name}")
    if callable(constructor):
        namespace["__new__"] = _constructor(constructor)
        namespace["__init__"] = _no_init
    for export, func in exports.items():
        kind, _, member = export.partition("]")
        if not callable(func) or not member.startswith(f"{name}."):
            continue
        attr = snake_case(member[len(name) + 1 :])
        if kind == "[method":
            namespace[attr] = _method(func)
        elif kind == "[static":
            namespace[attr] = staticmethod(func)
    return type(base.__name__ if base is not GuestResource else pascal_case(name), (base,), namespace)


def _constructor(func: Callable[..., object]) -> Callable[..., object]:
    def __new__(cls: type, *args: object) -> object:
        return func(*args)

    return __new__


def _no_init(self: object, *args: object) -> None:
    """The object is made by the constructor export (`__new__`): nothing more to do."""


def _method(func: Callable[..., object]) -> Callable[..., object]:
    def method(self: object, *args: object) -> object:
        return func(self, *args)

    method.__name__ = getattr(func, "name", "method")
    return method


class Instance:
    """A component instance for Python code: `exports` (an `Exports`), the `store` its core
    instances live in, `runtime`, the `ComponentInstance` itself, and `wasi`, the state of its
    WASI 0.2 host when it was given one (`wasi.preview2.WasiPreview2`: captured output,
    `close()`), else None."""

    __slots__ = ("runtime", "store", "exports", "wasi")

    def __init__(
        self, runtime: ComponentInstance, store: object, abi: CanonicalAbi, wasi: WasiPreview2 | None = None,
        classes: GivenClasses | None = None,
    ) -> None:
        attach_resource_classes(runtime, None if classes is None else classes.resources)
        self.runtime = runtime
        self.store = store
        self.exports = Exports(runtime, abi)
        self.wasi: WasiPreview2 | None = wasi

    def __repr__(self) -> str:
        return f"<component instance: {', '.join(self.exports)}>"
