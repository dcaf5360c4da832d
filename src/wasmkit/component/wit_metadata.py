"""The `package-docs` custom section (wit-parser's `metadata.rs`): a version byte (0 or 1), then
JSON with the doc comments and feature gates (`@since`, `@unstable`, `@deprecated`) of a
package's interfaces and worlds and of what is in them, which the binary format has no place
for. `inject` puts them in `wit`'s model of the package, for the printer.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import WitError
from .wit import Function, Interface, Package, Stability, TypeDef, World

__all__ = ["SECTION_NAME", "inject"]

SECTION_NAME = "package-docs"


def inject(data: bytes, package: Package) -> None:
    """Put the docs and gates of a package-docs section's `data` in `package`."""
    if data[:1] not in (b"\x00", b"\x01"):
        raise WitError(f"expected package-docs version 1, got {data[0] if data else None}")
    try:
        found = json.loads(data[1:])
    except ValueError as err:
        raise WitError(f"malformed package-docs section: {err}") from None
    if not isinstance(found, dict):
        raise WitError("malformed package-docs section: not a JSON object")
    try:
        _package(found, package)
    except (AttributeError, KeyError, TypeError) as err:  # JSON not of the shape described
        raise WitError(f"malformed package-docs section: {type(err).__name__}: {err}") from None


def _package(found: dict[str, Any], package: Package) -> None:
    for name, meta in found.get("worlds", {}).items():
        world = package.worlds.get(name)
        if world is None:
            raise WitError(f'missing world "{name}"')
        _world(meta, world)
    for name, meta in found.get("interfaces", {}).items():
        interface = package.interfaces.get(name)
        if interface is None:
            raise WitError(f'missing interface "{name}"')
        _interface(meta, interface)
    package.docs = found.get("docs", package.docs)


def _stability(meta: Any) -> Stability | None:
    if not meta or meta == "unknown":
        return None
    if "stable" in meta:
        return ("stable", meta["stable"]["since"], meta["stable"].get("deprecated"))
    return ("unstable", meta["unstable"]["feature"], meta["unstable"].get("deprecated"))


def _interface(meta: dict[str, Any], interface: Interface) -> None:
    for name, type_meta in meta.get("types", {}).items():
        typedef = interface.types.get(name)
        if typedef is None:
            raise WitError(f'missing type "{name}"')
        _type(type_meta, typedef)
    for name, func_meta in meta.get("funcs", {}).items():
        func = interface.functions.get(name)
        if func is None:
            raise WitError(f'missing func "{name}"')
        _function(func_meta, func)
    interface.docs = meta.get("docs", interface.docs)
    interface.stability = _stability(meta.get("stability"))


def _type(meta: dict[str, Any], typedef: TypeDef) -> None:
    typedef.item_docs.update(meta.get("items", {}))
    typedef.docs = meta.get("docs", typedef.docs)
    typedef.stability = _stability(meta.get("stability"))


def _function(meta: Any, func: Function) -> None:
    if meta is None or isinstance(meta, str):  # the first format: the docs only
        func.docs = meta
        return
    func.docs = meta.get("docs")
    func.stability = _stability(meta.get("stability"))


def _world(meta: dict[str, Any], world: World) -> None:
    for names, only_exports in (("interfaces", False), ("interface_exports", True)):
        for name, interface_meta in meta.get(names, {}).items():
            keyword = "export" if only_exports or name not in world.imports else "import"
            item = (world.exports if keyword == "export" else world.imports).get(name)
            if not isinstance(item, Interface):
                raise WitError(f'missing interface "{name}"')
            gate = _stability(interface_meta.get("stability"))
            if gate is not None:
                world.item_stability[keyword, name] = gate
            _interface(interface_meta, item)
    for name, type_meta in meta.get("types", {}).items():
        typedef = world.imports.get(name)
        if not isinstance(typedef, TypeDef):
            raise WitError(f'missing type "{name}"')
        _type(type_meta, typedef)
    keys = {  # what `name_world_key` calls each interface imported or exported
        (keyword, key if isinstance(key, str) else key.id): key
        for keyword, items in (("import", world.imports), ("export", world.exports))
        for key, item in items.items()
        if isinstance(item, Interface)
    }
    for keyword in ("import", "export"):
        for name, value in meta.get(f"interface_{keyword}_stability", {}).items():
            gate = _stability(value)
            if gate is not None:
                world.item_stability[keyword, _key(keys, keyword, name)] = gate
        for name, value in meta.get(f"interface_{keyword}_docs", {}).items():
            world.item_docs[keyword, _key(keys, keyword, name)] = value
    for names, only_exports in (("funcs", False), ("func_exports", True)):
        for name, func_meta in meta.get(names, {}).items():
            func = world.exports.get(name) if only_exports else world.imports.get(name, world.exports.get(name))
            if not isinstance(func, Function):
                raise WitError(f'missing func "{name}"')
            _function(func_meta, func)
    world.docs = meta.get("docs", world.docs)
    world.stability = _stability(meta.get("stability"))


def _key(keys: dict[tuple[str, str], str | Interface], keyword: str, name: str) -> str | Interface:
    key = keys.get((keyword, name))
    if key is None:
        raise WitError(f"missing interface `{name}`")
    return key

