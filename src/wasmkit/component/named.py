"""Which types a component's imports and exports may use: only named ones, as wasm-tools
requires (so that every record, variant, enum, flags and resource an interface uses has a
name in it, as WIT needs).

A type is named by importing or exporting it (`(import "r" (type (eq $t)))`, `(export "r"
(type $t))`), and the name makes it a new type index: uses of that index are named, uses of
the type's first index are not, although both are the same type. So an import or export of a
type gives a new object for it (`created`: a copy of a value type, an alias of a resource),
and what is named is that object. A function, instance or type imported or exported must
then use, at any depth through tuples, lists, options, results, maps, streams and futures,
only records, variants, enums, flags and handle resources that are named; an instance's own
type exports become named as it is imported or exported. Import names count for exports too.
Component and instance types are checked as they are made: an instance type's declarations
are not held to this rule, a component type's are.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import ValidationError
from .matching import SORT_NAMES
from .syntax import Prim, Sort
from .types import ComponentT, Entity, Func, InstanceT, Resource, Val, named_prim

__all__ = ["NamedTypes", "created", "resources_in"]

_NOMINAL = frozenset({"record", "variant", "enum", "flags"})


def created(found: object) -> object:
    """The new type an import or export of type `found` makes: a copy or an alias of it."""
    if isinstance(found, Val):
        return Val(found.kind, found.parts, found.children, origin=found)
    if isinstance(found, Resource):
        return found.alias()
    if isinstance(found, Prim):
        return named_prim(found)
    return found


class NamedTypes:
    """The types named so far by one component's (or component type's) imports and exports."""

    def __init__(self) -> None:
        self._imported: set[int] = set()  # ids of the types named
        self._exported: set[int] = set()
        self._kept: list[object] = []  # the named types themselves, so that their ids stay theirs

    def check(self, entity: Entity, imported: bool) -> None:
        """A ValidationError unless `entity`, imported or exported, uses only named types;
        the types it names are named from then on."""
        if not self._valid(entity, imported):
            raise ValidationError(f"{SORT_NAMES[entity.sort]} not valid to be used as {'import' if imported else 'export'}")

    def _valid(self, entity: Entity, imported: bool) -> bool:
        named = self._imported if imported else self._exported
        if entity.sort == Sort.TYPE:
            if not self._layer_named(entity.type, named):
                return False
            self._exported.add(id(entity.type))
            if imported:
                self._imported.add(id(entity.type))
            self._kept.append(entity.type)
            return True
        if entity.sort == Sort.INSTANCE and isinstance(entity.type, InstanceT):
            return all(self._valid(export, imported) for export in entity.type.exports.values())
        if entity.sort == Sort.FUNC and isinstance(entity.type, Func):
            return _func_named(entity.type, named)
        return True

    def _layer_named(self, found: object, named: set[int]) -> bool:
        """Whether the types that type `found` is made of are named."""
        if isinstance(found, Val):
            if found.kind in ("own", "borrow"):
                return id(found.parts[0]) in named
            return all(_named(child, named) for child in found.children)
        if isinstance(found, Func):
            return _func_named(found, named)
        if isinstance(found, InstanceT):
            return all(self._instance_export_named(export, named) for export in found.exports.values())
        return True  # a primitive, a resource, a component type

    def _instance_export_named(self, export: Entity, named: set[int]) -> bool:
        if export.sort == Sort.FUNC and isinstance(export.type, Func):
            return _func_named(export.type, named)
        if export.sort in (Sort.TYPE, Sort.INSTANCE):
            return self._layer_named(export.type, named)
        return True


def _func_named(func: Func, named: set[int]) -> bool:
    types = [t for _, t in func.params] + ([] if func.result is None else [func.result])
    return all(_named(t, named) for t in types)


def _named(found: object, named: set[int]) -> bool:
    """Whether value type `found`, used inside another type, is named (or needs no name)."""
    if isinstance(found, Prim) or not isinstance(found, Val):
        return True
    if found.kind in _NOMINAL:
        return id(found) in named
    if found.kind in ("own", "borrow"):
        return id(found.parts[0]) in named
    return all(_named(child, named) for child in found.children)


def resources_in(found: object) -> Iterator[Resource]:
    """Every resource that type `found` uses, at any depth, other than those that component
    and instance types declare (which those types bind)."""
    if isinstance(found, Resource):
        if not found.in_type:
            yield found
    elif isinstance(found, Entity):
        yield from resources_in(found.type)
    elif isinstance(found, Val):
        for part in found.parts:
            yield from resources_in(part)
    elif isinstance(found, tuple):
        for part in found:
            yield from resources_in(part)
    elif isinstance(found, Func):
        yield from resources_in(found.params)
        yield from resources_in(found.result)
    elif isinstance(found, InstanceT):
        for export in found.exports.values():
            yield from resources_in(export)
    elif isinstance(found, ComponentT):
        for entity in (*found.imports.values(), *found.exports.values()):
            yield from resources_in(entity)
