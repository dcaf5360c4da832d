"""A component's world in WIT's terms (`wit`'s model), found as wit-component finds it
(wit-parser's `decoding.rs`) from the validated component's imports and exports; or the WIT
package a component encodes (`_decode_package`), with the doc comments and feature gates of
its `package-docs` custom section (`wit_metadata`).

The world is `root:component/root`. Each import or export of an instance named
`ns:pkg/iface@version` is that interface of package `ns:pkg@version`, holding the types and
functions the instance has (an interface both imported and exported gets what both have);
an instance with a plain name is an interface written inline in the world; functions and types
are the world's own. A type that an instance exports is a new declaration, unless it names
anew a type that an earlier interface (or this one) named: then it is an alias of it, which
WIT writes `use iface.{name}` (or `type x = y` within one interface). Which type a name
stands for is followed through the validator's types: an import or export makes a new object
that keeps the one it names as its `origin` (`named.created`), and an instantiation puts the
types given for its type imports in what the instance exports (`matching.substitute`).
"""

from __future__ import annotations

from typing import cast

from ..errors import WitError
from .header import is_component
from .names import interface_name
from .reader import read_component
from . import wit_metadata
from .syntax import Component, Export, Import, Prim, SectionId, Sort
from .types import ComponentT, Entity, Func, InstanceT, Resource, Val
from .validate import validate_component
from .wit import Function, Interface, Package, Resolve, TypeDef, World, WitType, print_wit

__all__ = ["decode_world", "component_wit"]


def decode_world(component: Component, component_type: ComponentT) -> Resolve:
    """The WIT of `component` (validated, of type `component_type`): its world, and the
    packages whose interfaces it imports and exports; or, for a WIT package encoded as a
    component, that package."""
    exports = component_type.exports.values()
    if exports and all(e.sort == Sort.TYPE and isinstance(e.type, ComponentT) for e in exports) and not component_type.imports:
        return _decode_package(component, component_type)
    decoder = _Decoder()
    world = World("root")
    main = Package("root", "component", worlds={"root": world})
    for item in _externs(component):
        name = item.name.name
        if isinstance(item, Import):
            decoder.import_(world, name, component_type.imports[name])
        else:
            decoder.export(world, name, component_type.exports[name])
    _inject_metadata(component, main)
    return decoder.finish(main)


def _inject_metadata(component: Component, package: Package) -> None:
    """The docs and gates of the component's package-docs section, if it has one, put in
    `package`."""
    sections = [item for item in component.items(SectionId.CUSTOM) if getattr(item, "name", None) == wit_metadata.SECTION_NAME]
    if len(sections) > 1:
        raise WitError(f'multiple "{wit_metadata.SECTION_NAME}" sections')
    if sections:
        wit_metadata.inject(sections[0].data, package)  # type: ignore[attr-defined]


def _decode_package(component: Component, component_type: ComponentT) -> Resolve:
    """A WIT package encoded as a component (as `wasm-tools component wit --wasm` writes one):
    each export is a component type that exports one interface (importing the interfaces it
    uses) or one world."""
    decoder = _Decoder()
    main: Package | None = None
    for entity in component_type.exports.values():
        encoded = cast(ComponentT, entity.type)
        if len(encoded.exports) != 1:
            raise WitError(f"Expected a single export, but found {len(encoded.exports)} instead")
        [(name, item)] = encoded.exports.items()
        parsed = interface_name(name)
        if parsed is None:
            raise WitError("expected world name to be fully qualified")
        namespace, package_name, item_name, version = parsed
        if main is None:
            main = Package(namespace, package_name, version)
        elif (namespace, package_name, version) != (main.namespace, main.name, main.version):
            raise WitError("item defined with mismatched package name")
        if item.sort == Sort.INSTANCE:
            for used, imported in encoded.imports.items():
                decoder.world_instance(used, imported)
            interface = Interface(item_name, main)
            for export, member in cast(InstanceT, item.type).exports.items():
                decoder.add_member(interface, export, member)
            main.interfaces[item_name] = decoder.local[name] = interface
        elif item.sort == Sort.COMPONENT:
            main.worlds[item_name] = decoder.world(item_name, cast(ComponentT, item.type))
        else:
            raise WitError(f"package export `{name}` is not an instance or component")
    if main is None:
        raise WitError("no exported component type found")
    _inject_metadata(component, main)
    return decoder.finish(main)


def _externs(component: Component) -> list[Import | Export]:
    """The component's imports and exports, in the order its sections give them."""
    return [item for section in component.sections for item in section.items if isinstance(item, (Import, Export))]


class _Decoder:
    def __init__(self) -> None:
        self.type_map: dict[int, TypeDef] = {}  # id of a validator type -> what it is in WIT
        self.kept: list[object] = []  # the validator types mapped, so that their ids stay theirs
        self.packages: dict[str, Package] = {}  # the foreign packages, by `ns:pkg@version`
        self.resources: dict[int, dict[str, TypeDef]] = {}  # per owner (its id), its resources by name
        self.local: dict[str, Interface] = {}  # a WIT package's own interfaces, by `ns:pkg/iface@version`

    # -- the world's imports and exports --

    def import_(self, world: World, name: str, entity: Entity) -> None:
        if entity.sort == Sort.INSTANCE:
            key, item = self.world_instance(name, entity)
            world.imports[key] = item
            if entity.external_id is not None:
                world.external_ids["import", key] = entity.external_id
        elif entity.sort == Sort.FUNC:
            world.imports[name] = self.function(name, entity, world)
        elif entity.sort == Sort.TYPE:
            world.imports[name] = self.type_export(name, entity, world)
        # core modules and components imported are not part of a world

    def export(self, world: World, name: str, entity: Entity) -> None:
        if entity.sort == Sort.INSTANCE:
            key, item = self.world_instance(name, entity)
            world.exports[key] = item
            if entity.external_id is not None:
                world.external_ids["export", key] = entity.external_id
        elif entity.sort == Sort.FUNC:
            world.exports[name] = self.function(name, entity, world)
        else:
            raise WitError(f"component export `{name}` was not a function or instance")

    def world(self, name: str, component_type: ComponentT) -> World:
        """A world of a WIT package: what its component type imports and exports."""
        world = World(name)
        for import_name, entity in component_type.imports.items():
            if entity.sort not in (Sort.INSTANCE, Sort.FUNC, Sort.TYPE):
                raise WitError(f"component import `{import_name}` is not an instance, func, or type")
            self.import_(world, import_name, entity)
        for export_name, entity in component_type.exports.items():
            self.export(world, export_name, entity)
        return world

    def world_instance(self, name: str, entity: Entity) -> tuple[str | Interface, Interface]:
        """The interface an instance import or export is, and its key in the world: the
        interface itself if `name` names it, else `name` (`import label: ns:pkg/iface` when it
        `implements` one, an interface written inline otherwise)."""
        instance = cast(InstanceT, entity.type)
        implemented = None if entity.implements is None else interface_name(entity.implements)
        if implemented is not None:
            return name, self.named_interface(implemented, instance)
        parsed = interface_name(name)
        if parsed is not None:
            interface = self.named_interface(parsed, instance)
            return interface, interface
        interface = Interface(None)
        for export, entity in instance.exports.items():
            self.add_member(interface, export, entity)
        return name, interface

    def named_interface(self, parsed: tuple[str, str, str, str | None], instance: InstanceT) -> Interface:
        """Interface `ns:pkg/iface@version`, with what `instance` adds to it (nothing to one
        of the WIT package's own, which has it all)."""
        namespace, package_name, name, version = parsed
        key = f"{namespace}:{package_name}" + (f"@{version}" if version else "")
        interface = self.local.get(f"{namespace}:{package_name}/{name}" + (f"@{version}" if version else ""))
        is_local = interface is not None
        if interface is None:
            package = self.packages.setdefault(key, Package(namespace, package_name, version))
            interface = package.interfaces.get(name)
            if interface is None:
                interface = package.interfaces[name] = Interface(name, package)
        for export, entity in instance.exports.items():
            if entity.sort == Sort.TYPE and export in interface.types:
                self.remember(entity.type, interface.types[export])  # seen before: the same type
            elif entity.sort == Sort.FUNC and export in interface.functions:
                continue
            elif is_local:
                raise WitError(f"instance type export `{export}` not defined in interface")
            else:
                self.add_member(interface, export, entity)
        return interface

    def add_member(self, interface: Interface, name: str, entity: Entity) -> None:
        if entity.sort == Sort.TYPE:
            interface.types[name] = self.type_export(name, entity, interface)
        elif entity.sort == Sort.FUNC:
            interface.functions[name] = self.function(name, entity, interface)
        else:
            raise WitError(f"instance type export `{name}` is not a type or function")

    # -- types --

    def remember(self, found: object, typedef: TypeDef) -> None:
        if not _is_primitive(found):
            self.type_map[id(found)] = typedef
            self.kept.append(found)

    def find_alias(self, found: object) -> TypeDef | None:
        """What `found`, or the type it names anew (and so on), already is in WIT."""
        while found is not None:
            known = self.type_map.get(id(found))
            if known is not None:
                return known
            found = getattr(found, "origin", None)
        return None

    def type_export(self, name: str, entity: Entity, owner: Interface | World) -> TypeDef:
        """The type named `name` by an export of `owner` (or a world's import): an alias of the
        type it names anew if that has a name already, else a new declaration."""
        found = entity.type
        referenced = getattr(found, "origin", None) or found
        known = None if _is_primitive(referenced) else self.find_alias(referenced)
        if known is not None:
            typedef = TypeDef(name, "alias", (known,), owner)
        elif isinstance(referenced, Resource):
            typedef = TypeDef(name, "resource", (), owner)
            self.resources.setdefault(id(owner), {})[name] = typedef
        elif _is_primitive(referenced):
            typedef = TypeDef(name, "alias", (referenced,), owner)
        elif isinstance(referenced, Val):
            kind, parts = self.defined(referenced)
            typedef = TypeDef(name, kind, parts, owner)
        else:  # a function, component or instance type
            raise WitError(f"type `{name}` is not a value type or a resource: WIT cannot declare it")
        if id(found) in self.type_map and not _is_primitive(found):
            raise WitError(
                f"cannot represent this component in WIT: the type `{name}` appears more than once "
                "(for example, when an imported instance is re-exported under a new name)"
            )
        typedef.external_id = entity.external_id
        self.remember(found, typedef)
        return typedef

    def value(self, found: object) -> WitType:
        """A value type used in a signature or another type: its name if it has one, else
        its structure."""
        known = self.type_map.get(id(found))
        if known is not None:
            return known
        if isinstance(found, Prim):
            return Prim(int(found))
        found = cast(Val, found)
        if found.kind in ("record", "variant", "enum", "flags"):
            known = self.find_alias(found)
            if known is None:
                raise WitError(f"an unnamed {found.kind} type cannot be written in WIT")
            return known
        kind, parts = self.defined(found)
        typedef = TypeDef(None, kind, parts)
        self.remember(found, typedef)
        return typedef

    def defined(self, found: Val) -> tuple[str, tuple[object, ...]]:
        """A defined value type's kind and parts in WIT's terms."""
        kind, parts = found.kind, found.parts
        if kind == "record":
            return kind, tuple((label, self.value(t)) for label, t in cast(tuple[tuple[str, object], ...], parts))
        if kind == "variant":
            cases = cast(tuple[tuple[str, object], ...], parts)
            return kind, tuple((label, None if t is None else self.value(t)) for label, t in cases)
        if kind in ("enum", "flags"):
            return kind, parts
        if kind in ("own", "borrow"):
            return kind, (self.resource(parts[0]),)
        return kind, tuple(None if t is None else self.value(t) for t in parts)  # list, tuple, option, result, ...

    def resource(self, found: object) -> TypeDef:
        known = self.find_alias(found)
        if known is None:
            raise WitError("a handle of a resource that has no name cannot be written in WIT")
        return known

    # -- functions --

    def function(self, name: str, entity: Entity, owner: Interface | World) -> Function:
        func = cast(Func, entity.type)
        params = tuple((label, self.value(t)) for label, t in func.params)
        result = None if func.result is None else self.value(func.result)
        for prefix, kind in (("[constructor]", "constructor"), ("[method]", "method"), ("[static]", "static")):
            if name.startswith(prefix):
                resource_name = name[len(prefix):].partition(".")[0]
                resource = self.resources.get(id(owner), {}).get(resource_name)
                if resource is None:
                    raise WitError(f"function `{name}` of a resource `{resource_name}` that is not defined here")
                return Function(name, kind, params, result, func.is_async, resource, entity.external_id)
        return Function(name, "freestanding", params, result, func.is_async, external_id=entity.external_id)

    # -- the packages --

    def finish(self, main: Package) -> Resolve:
        """The packages in an order where each comes after those it uses types of."""
        order: list[Package] = []
        for package in self.packages.values():
            self.visit(package, order, set())
        for world in main.worlds.values():
            world.package = main
            for item in (*world.imports.values(), *world.exports.values()):
                if isinstance(item, Interface) and item.name is None:
                    item.package = main
        return Resolve(main, order)

    def visit(self, package: Package, order: list[Package], visiting: set[int]) -> None:
        """Put `package` in `order` after the packages it uses (a cycle, which WIT cannot
        have, is cut where it closes)."""
        if id(package) in visiting or any(p is package for p in order):
            return
        visiting.add(id(package))
        for interface in package.interfaces.values():
            for typedef in interface.types.values():
                target = typedef.parts[0] if typedef.kind == "alias" else None
                if isinstance(target, TypeDef) and isinstance(target.owner, Interface) and target.owner is not interface:
                    used = target.owner.package
                    if used is not None and used is not package:
                        self.visit(used, order, visiting)
        order.append(package)


def _is_primitive(found: object) -> bool:
    """Whether `found` is a primitive type itself (not one named anew: `named.created`)."""
    return isinstance(found, Prim) and Prim(int(found)) is found


def component_wit(data: bytes) -> str:
    """The WIT of the component `data` (a binary component: its world, or the WIT package it
    encodes), as `wasm-tools component wit` prints it: DecodeError or ValidationError if it is
    malformed or invalid, WitError if it is not a component or its world cannot be written in
    WIT."""
    if data[:4] == b"\0asm" and not is_component(data):
        raise WitError("not a component: only a component has a WIT world (a core module has none)")
    component = read_component(data)
    return print_wit(decode_world(component, validate_component(component).type))
