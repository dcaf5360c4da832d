"""What a world becomes once its own items are resolved (wit-parser's `resolve/mod.rs`):
its `include`s copied in (`include`), then its elaboration (`elaborate`): every interface
that an import needs imported before it, the exports' needs imported or exported, and the
items sorted as WIT prints them (interfaces, used types, declared types, functions)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Union

from ..wit import Function, Interface, Stability, TypeDef, World, WorldItem
from . import ast

__all__ = ["include", "elaborate"]

Key = Union[str, Interface]


def _rename(original: str, old: str, new: str) -> str | None:
    """`original` (a name, or a resource function's `[kind]resource.name`) with `old` renamed
    to `new`, or None if it is not `old`'s."""
    if original == old:
        return new
    kind, bracket, rest = original.partition("]")
    if not bracket:
        return None
    resource, dot, name = rest.partition(".")
    if dot and resource == old:
        return f"{kind}]{new}.{name}"
    return f"{kind}]{new}" if rest == old else None


def include(world: World, included: World, names: list[tuple[ast.Id, ast.Id]], where: ast.Id) -> None:
    """Copy the imports and exports of `included` into `world`, renamed by `names` (`include
    w with { a as b }`); the types that `included` declares become `world`'s own."""
    keys = [k for k in (*included.imports, *included.exports) if isinstance(k, str)]
    for old, _ in names:
        if not any(_rename(k, old.name, "") is not None for k in keys):
            raise where.source.error(f"no import or export kebab-name `{old.name}`. Note that an ID does not support renaming", where.at)
    cloned: dict[int, TypeDef] = {}
    for direction in ("import", "export"):
        source = included.imports if direction == "import" else included.exports
        target = world.imports if direction == "import" else world.exports
        for key, item in source.items():
            new_key: Key = key
            if isinstance(key, str):
                new_key = next((n for n in (_rename(key, o.name, a.name) for o, a in names) if n is not None), key)
                if new_key in target:
                    raise where.source.error(f"{direction} of `{new_key}` shadows previously {direction}ed items", where.at)
                target[new_key] = _clone(item, str(new_key), world, included, cloned)
            else:
                if key not in target:
                    target[key] = item
                    _copy_meta(included, world, direction, key, new_key)
                _merge_stability(included, world, (direction, key), where)
                continue
            _copy_meta(included, world, direction, key, new_key)


def _merge_stability(included: World, world: World, key: tuple[str, Key], where: ast.Id) -> None:
    """The gate of an interface that both `world` and the world it includes import (or
    export): the one that has one, the same, or none when another package's `@since` (as
    wit-parser)."""
    given, mine = included.item_stability.get(key), world.item_stability.get(key)
    if included.package is not world.package and given is not None and given[0] == "stable":
        world.item_stability.pop(key, None)
    elif given is not None and given != mine:
        if mine is not None:
            raise where.source.error(f"mismatch in stability from '{_gate_text(given)}' to '{_gate_text(mine)}'", where.at)
        world.item_stability[key] = given


def _gate_text(gate: Stability) -> str:
    kind, value, _ = gate
    return f"@since(version = {value})" if kind == "stable" else f"@unstable(feature = {value})"


def _copy_meta(source: World, target: World, direction: str, key: Key, new_key: Key) -> None:
    for name in ("item_docs", "item_stability", "external_ids"):
        found = getattr(source, name).get((direction, key))
        if found is not None:
            getattr(target, name)[direction, new_key] = found


def _clone(item: WorldItem, name: str, world: World, included: World, cloned: dict[int, TypeDef]) -> WorldItem:
    """`item` of world `included` as an item of `world` named `name`."""
    if isinstance(item, TypeDef):
        if item.owner is not included:
            return item
        copy = replace(item, name=name, owner=world, parts=_remap(item.parts, cloned), item_docs=dict(item.item_docs))
        cloned[id(item)] = copy
        return copy
    if isinstance(item, Function):
        resource = cloned.get(id(item.resource), item.resource) if item.resource is not None else None
        return replace(item, name=name, params=_remap(item.params, cloned), result=_remap(item.result, cloned), resource=resource)
    return item


def _remap(value: Any, cloned: dict[int, TypeDef]) -> Any:
    """`value` (a type, or parts of one) with the types in `cloned` replaced by their copies."""
    if isinstance(value, tuple):
        return tuple(_remap(v, cloned) for v in value)
    if isinstance(value, TypeDef):
        if id(value) in cloned:
            return cloned[id(value)]
        if value.name is None:
            parts = _remap(value.parts, cloned)
            if any(a is not b for a, b in zip(parts, value.parts)):
                return TypeDef(None, value.kind, parts)
    return value


def _type_interface_dep(typedef: TypeDef) -> Interface | None:
    """The interface whose type `typedef` uses (`use iface.{t}`), if it uses one."""
    target = typedef.parts[0] if typedef.kind == "alias" and typedef.parts else None
    if isinstance(target, TypeDef) and target.owner is not typedef.owner and isinstance(target.owner, Interface):
        return target.owner
    return None


def _direct_deps(interface: Interface) -> list[Interface]:
    return [dep for dep in map(_type_interface_dep, interface.types.values()) if dep is not None]


def _sort_key(item: WorldItem) -> int:
    if isinstance(item, Interface):
        return 0
    if isinstance(item, TypeDef):
        return 1 if _uses_other_owner(item) else 2
    return 3 if item.resource is None else 4


def _uses_other_owner(typedef: TypeDef) -> bool:
    target = typedef.parts[0] if typedef.kind == "alias" and typedef.parts else None
    return isinstance(target, TypeDef) and target.owner is not typedef.owner


# An item's docs, gate and external-id, as the world keeps them per import or export.
_Meta = tuple[Union[str, None], Union[Stability, None], Union[str, None]]


def _meta(world: World, direction: str, key: Key) -> _Meta:
    k = (direction, key)
    return world.item_docs.get(k), world.item_stability.get(k), world.external_ids.get(k)


def elaborate(world: World, where: ast.Id) -> None:
    """List every interface the world's imports and exports need, in an order where each
    comes after those it needs; refuse exports that would need an interface both imported
    and exported."""
    imports: dict[Key, WorldItem] = {}
    meta: dict[tuple[str, Key], _Meta] = {}

    def add_import(key: Key, interface: Interface, item_meta: _Meta) -> None:
        if key in imports:
            return
        for dep in _direct_deps(interface):
            add_import(dep, dep, (None, item_meta[1], None))
        imports[key] = interface
        meta["import", key] = item_meta

    for key, item in sorted(world.imports.items(), key=lambda pair: _sort_key(pair[1])):
        if isinstance(item, Interface):
            add_import(key, item, _meta(world, "import", key))
        elif isinstance(item, TypeDef):
            dep = _type_interface_dep(item)
            if dep is not None:
                add_import(dep, dep, (None, item.stability, None))
            imports[key] = item
        else:
            imports[key] = item

    exports: dict[Key, WorldItem] = {k: v for k, v in world.exports.items() if isinstance(v, Function)}
    exported = {k: v for k, v in world.exports.items() if isinstance(v, Interface)}
    required: set[int] = set()

    def add_export(key: Key, interface: Interface, adding: bool, item_meta: _Meta) -> bool:
        if key in exports:
            return adding
        if not adding and id(interface) in required:
            return True
        for dep in _direct_deps(interface):
            if not add_export(dep, dep, adding and dep in exported, (None, item_meta[1], item_meta[2])):
                return False
        if adding:
            if id(interface) in required:
                return False
            exports[key] = interface
            meta["export", key] = item_meta
        else:
            required.add(id(interface))
            if key not in imports:
                imports[key] = interface
                meta["import", key] = (None, item_meta[1], item_meta[2])
        return True

    for key, interface in exported.items():
        if not add_export(key, interface, True, _meta(world, "export", key)):
            name = key if isinstance(key, str) else key.id
            raise where.source.error(f"interface `{name}` transitively depends on an interface in incompatible ways", where.at)

    world.imports = dict(sorted(imports.items(), key=lambda pair: _sort_key(pair[1])))
    world.exports = exports
    for direction, items in (("import", world.imports), ("export", world.exports)):
        for key in items:
            found = meta.get((direction, key)) or _meta(world, direction, key)
            meta[direction, key] = found
    world.item_docs, world.item_stability, world.external_ids = {}, {}, {}
    for k, (docs, stability, external_id) in meta.items():
        if docs is not None:
            world.item_docs[k] = docs
        if stability is not None:
            world.item_stability[k] = stability
        if external_id is not None:
            world.external_ids[k] = external_id


