"""The embedder's imports as run-time values: what `instantiate`'s `imports` mapping gives
for each import of a component, found by its WIT name.

The convention (docs/components.md, "Imports"):

- The mapping is keyed by import name: `"example:shapes/geometry"` (an interface; the key
  without its `@version` is accepted too) or a plain name (`"log"`).
- A function import is a Python callable taking the parameters' Python values; it returns
  the result's value (for a `result`, the ok value, or raises or returns `Err(error)`).
- An instance import is a mapping of its exports: a function by its WIT name or that name in
  snake_case (`get-size` or `get_size`); a resource by its WIT name, snake_case or PascalCase
  (`output-stream`, `output_stream`, `OutputStream`), given as a Python class whose objects
  stand for resources (`HostResource`). A resource's functions come from its class unless the
  mapping names them (`"[method]shape.area"`): `[constructor]r` calls the class,
  `[method]r.name` calls the object's snake_case method, `[static]r.name` the class's
  attribute. A resource given no class takes any Python object.
- A resource type import (`(import "r" (type (sub resource)))`) is a class, or None.
- An instance import may also be another component instance's export (`ComponentInstance`),
  whose functions and resources are then shared as they are.

So WASI's host mapping and the application's merge into one dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from ..errors import LinkError
from .abi import pascal_case, snake_case
from .instance import ComponentInstance
from .resource_types import HostResource
from .syntax import Sort
from .types import Entity, InstanceT, Resource

__all__ = ["lookup_import", "is_missing", "host_value"]

_MISSING = object()


def lookup_import(imports: Mapping[str, object], name: str) -> object:
    """The embedder's value for import `name` (`_MISSING` if none): by the name itself, or
    without its `@version`."""
    if name in imports:
        return imports[name]
    bare = name.partition("@")[0]
    if bare != name and bare in imports:
        return imports[bare]
    return _MISSING


def is_missing(value: object) -> bool:
    return value is _MISSING


def host_value(name: str, entity: Entity, given: object) -> object:
    """The run-time value of import `name` (of type `entity`) that the embedder gives as `given`."""
    if entity.sort == Sort.FUNC:
        if not callable(given):
            raise LinkError(f"import `{name}` is a function: expected a callable, got {type(given).__name__}")
        return given
    if entity.sort == Sort.TYPE:
        return _resource(name, entity, given)
    if entity.sort == Sort.INSTANCE:
        if isinstance(given, ComponentInstance):  # another component's: its exports as they are
            missing = [export for export in cast("InstanceT", entity.type).exports if export not in given.exports]
            if missing:
                raise LinkError(f"unknown import: the instance given for `{name}` has no export `{missing[0]}`")
            return given
        if not isinstance(given, Mapping):
            raise LinkError(f"import `{name}` is an instance: expected a mapping of its exports, got {type(given).__name__}")
        return _instance(name, cast("InstanceT", entity.type), given)
    raise LinkError(f"import `{name}`: importing a {Sort(entity.sort).name.lower()} from the host is not supported")


def _resource(name: str, entity: Entity, given: object) -> object:
    if not isinstance(entity.type, Resource):
        return None  # a value type imported by name: nothing at run time
    if given is not None and not isinstance(given, type):
        raise LinkError(f"import `{name}` is a resource: expected a class, got {type(given).__name__}")
    return HostResource(name, given)


def _find(mapping: Mapping[str, object], *names: str) -> object:
    for name in names:
        if name in mapping:
            return mapping[name]
    return _MISSING


def _instance(name: str, itype: InstanceT, given: Mapping[str, object]) -> ComponentInstance:
    instance = ComponentInstance(name)
    classes: dict[str, type | None] = {}
    named: dict[int, HostResource] = {}  # by the resource's base: `type trailers = fields` is fields
    for export, entity in itype.exports.items():  # resources first: functions name them
        if entity.sort == Sort.TYPE and isinstance(entity.type, Resource) and id(entity.type.base) in named:
            instance.exports[export] = same = named[id(entity.type.base)]
            classes[export] = same.cls
        elif entity.sort == Sort.TYPE:
            found = _find(given, export, snake_case(export), pascal_case(export))
            cls = None if found is _MISSING else found
            value = _resource(f"{name}/{export}", entity, cls)
            if isinstance(value, HostResource):
                value.name = export
                classes[export] = value.cls
                named[id(cast(Resource, entity.type).base)] = value
            instance.exports[export] = value
    for export, entity in itype.exports.items():
        if entity.sort == Sort.TYPE:
            continue
        if entity.sort != Sort.FUNC:
            found = _find(given, export, snake_case(export))
            if found is _MISSING:
                raise LinkError(f"unknown import: `{name}` has no export `{export}`")
            instance.exports[export] = host_value(f"{name}/{export}", entity, found)
            continue
        found = _find(given, export, snake_case(export))
        if found is _MISSING:
            found = _resource_function(name, export, classes)
        if not callable(found):
            raise LinkError(f"import `{name}` function `{export}`: expected a callable, got {type(found).__name__}")
        instance.exports[export] = found
    return instance


def _resource_function(name: str, export: str, classes: Mapping[str, type | None]) -> Callable[..., object]:
    """`[constructor]r`, `[method]r.m` or `[static]r.m` from the class given for `r`."""
    where = f"unknown import: `{name}` has no function `{export}`"
    if not export.startswith("["):
        raise LinkError(where)
    kind, _, rest = export[1:].partition("]")
    resource, _, member = rest.partition(".")
    if resource not in classes:
        raise LinkError(where)
    cls = classes[resource]
    if kind == "method":
        attr = snake_case(member)
        if cls is not None and not hasattr(cls, attr):
            raise LinkError(f"{where} (class {cls.__name__} has no method `{attr}`)")
        return lambda obj, *args: getattr(obj, attr)(*args)
    if cls is None:
        raise LinkError(f"{where} (no class given for resource `{resource}`)")
    if kind == "constructor":
        return cls
    attr = snake_case(member)
    found = getattr(cls, attr, None)
    if not callable(found):
        raise LinkError(f"{where} (class {cls.__name__} has no attribute `{attr}`)")
    return found
