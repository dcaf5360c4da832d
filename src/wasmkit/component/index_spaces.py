"""A component's index spaces: what each index of each sort names, built as the definitions
come (each definition can use only what comes before it), and every index a definition uses
checked against the space it names, in its scope.

A component has an index space per sort: the core sorts (func, table, memory, global, tag, type,
module, instance) and its own (func, value, type, component, instance). Core modules, core
instances, core types, components, instances, types, canonical definitions, imports, aliases
and exports each add to one of them (an export too: it names its item anew). A component type
or instance type is a scope of its own, with its own spaces (its declarations use types and
core types, and its aliases reach outward); a core module type likewise for core types.
`index_spaces` returns the outermost scope's spaces; a ValidationError says which index of
which sort is out of range, in which definition. It also notes which indices each definition
of a component (nested ones too) got (`Scope.placed`), which `wasmkit objdump -x` shows; for
that, `checked=False` builds the spaces of a component that may be invalid, checking nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ValidationError
from .syntax import (
    CANON_FORMS, AliasCoreExport, AliasExport, AliasOuter, Canon, CanonOpt, CanonOptKind, Component,
    ComponentType, CoreAliasOuter, CoreExportDecl, CoreInlineExports, CoreInstantiate, CoreModule,
    CoreModuleType, CoreRecType, CoreSort, CustomSection, Export, ExportDecl, ExternType,
    Import, InlineExports, Instantiate, InstanceType, Section, SectionId, Sort, SortIdx,
    Borrow, Enum, Flags, FuncType, Future, List, Map, Option, Own, Prim, Record, ResourceType, Result,
    Stream, Tuple, Variant,
)  # fmt: skip

__all__ = ["Scope", "index_spaces", "Space", "space_name"]

# A space's key: ("core", CoreSort) or ("", Sort).
Space = tuple[str, int]
_CORE_TYPE: Space = ("core", CoreSort.TYPE)
_TYPE: Space = ("", Sort.TYPE)

_EXTERN_SPACES: dict[Sort, Space] = {  # what an import or export declaration of each kind adds
    Sort.CORE: ("core", CoreSort.MODULE),
    Sort.FUNC: ("", Sort.FUNC),
    Sort.VALUE: ("", Sort.VALUE),
    Sort.TYPE: _TYPE,
    Sort.COMPONENT: ("", Sort.COMPONENT),
    Sort.INSTANCE: ("", Sort.INSTANCE),
}
_SECTION_SPACES: dict[SectionId, Space] = {
    SectionId.CORE_MODULE: ("core", CoreSort.MODULE),
    SectionId.CORE_INSTANCE: ("core", CoreSort.INSTANCE),
    SectionId.CORE_TYPE: _CORE_TYPE,
    SectionId.COMPONENT: ("", Sort.COMPONENT),
    SectionId.INSTANCE: ("", Sort.INSTANCE),
    SectionId.TYPE: _TYPE,
}


def _space_of(sort: SortIdx) -> Space:
    return ("core", sort.core) if sort.sort == Sort.CORE and sort.core is not None else ("", sort.sort)


def space_name(space: Space) -> str:
    """A space as messages name it: `core func`, `type`."""
    core, sort = space
    name = (CoreSort(sort) if core else Sort(sort)).name.lower()
    return f"core {name}" if core else name


@dataclass
class Scope:
    """One scope's index spaces: per space, what each index is (the definition that made it),
    and the scope around it."""

    outer: Scope | None = None
    spaces: dict[Space, list[object]] = field(default_factory=dict)
    checked: bool = True
    # per definition of a component (its section's id and its place there): the indices it got;
    # one table for a component and the components nested in it
    placed: dict[tuple[int, int], list[tuple[Space, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outer is not None:
            self.checked, self.placed = self.outer.checked, self.outer.placed

    def count(self, space: Space) -> int:
        return len(self.spaces.get(space, ()))

    def add(self, space: Space, definition: object) -> int:
        items = self.spaces.setdefault(space, [])
        items.append(definition)
        return len(items) - 1

    def check(self, space: Space, index: int, where: str) -> None:
        if self.checked and not 0 <= index < self.count(space):
            raise ValidationError(f"unknown {space_name(space)} {index}: {where} (there are {self.count(space)})")

    def outward(self, count: int, where: str) -> Scope:
        scope: Scope | None = self
        for _ in range(count):
            scope = scope.outer if scope is not None else None
        if scope is None:
            raise ValidationError(f"alias outer {count}: there are not that many enclosing scopes: {where}")
        return scope


def index_spaces(component: Component, checked: bool = True) -> Scope:
    """Build and check the outermost scope's index spaces (ValidationError if an index is
    out of range; nothing is checked unless `checked`)."""
    scope = Scope(checked=checked)
    _component(component, scope)
    return scope


def _component(component: Component, scope: Scope) -> None:
    for section in component.sections:
        for n, item in enumerate(section.items):
            where = f"{_section_name(section)} {n} at offset {section.offset}"
            before = {space: len(items) for space, items in scope.spaces.items()}
            _definition(section, item, scope, where)
            scope.placed[id(section), n] = [
                (space, i) for space, items in scope.spaces.items() for i in range(before.get(space, 0), len(items))
            ]


def _section_name(section: Section) -> str:
    return section.id.name.lower().replace("_", " ") + " section"


def _definition(section: Section, item: object, scope: Scope, where: str) -> None:
    if isinstance(item, CustomSection):
        return
    if isinstance(item, CoreModule):
        scope.add(_SECTION_SPACES[section.id], item)
    elif isinstance(item, Component):
        _component(item, Scope(scope))
        scope.add(_SECTION_SPACES[section.id], item)
    elif isinstance(item, CoreInstantiate):
        scope.check(("core", CoreSort.MODULE), item.module, where)
        for _, instance in item.args:
            scope.check(("core", CoreSort.INSTANCE), instance, where)
        scope.add(("core", CoreSort.INSTANCE), item)
    elif isinstance(item, CoreInlineExports):
        for _, core_item in item.exports:
            scope.check(("core", core_item.sort), core_item.index, where)
        scope.add(("core", CoreSort.INSTANCE), item)
    elif isinstance(item, Instantiate):
        scope.check(("", Sort.COMPONENT), item.component, where)
        for _, argument in item.args:
            scope.check(_space_of(argument), argument.index, where)
        scope.add(("", Sort.INSTANCE), item)
    elif isinstance(item, InlineExports):
        for _, exported in item.exports:
            scope.check(_space_of(exported), exported.index, where)
        scope.add(("", Sort.INSTANCE), item)
    elif isinstance(item, (AliasExport, AliasCoreExport, AliasOuter)):
        _alias(item, scope, where)
    elif isinstance(item, Canon):
        _canon(item, scope, where)
    elif isinstance(item, Import):
        _extern_decl(item, scope, where)
    elif isinstance(item, Export):
        scope.check(_space_of(item.item), item.item.index, where)
        if item.type is not None:
            _extern_type(item.type, scope, where)
        scope.add(_space_of(item.item), item)
    elif section.id == SectionId.CORE_TYPE:
        _core_type(item, scope, where)
    else:
        _type(item, scope, where)


def _alias(item: AliasExport | AliasCoreExport | AliasOuter, scope: Scope, where: str) -> None:
    if isinstance(item, AliasExport):
        scope.check(("", Sort.INSTANCE), item.instance, where)
        scope.add(_space_of(item.sort), item)
    elif isinstance(item, AliasCoreExport):
        scope.check(("core", CoreSort.INSTANCE), item.instance, where)
        scope.add(("core", item.sort), item)
    else:
        space = _space_of(item.sort)
        if scope.checked:
            if space not in (_TYPE, _CORE_TYPE, ("", Sort.COMPONENT), ("core", CoreSort.MODULE)):
                raise ValidationError(f"alias outer of a {space_name(space)}: only types, core types, components and core modules: {where}")
            scope.outward(item.count, where).check(space, item.index, where)
        scope.add(space, item)


def _canon(item: Canon, scope: Scope, where: str) -> None:
    name, kinds = CANON_FORMS[item.code]
    for kind, value in zip(kinds, item.immediates):
        if kind == "core func":
            scope.check(("core", CoreSort.FUNC), value, where)  # type: ignore[arg-type]
        elif kind == "func":
            scope.check(("", Sort.FUNC), value, where)  # type: ignore[arg-type]
        elif kind == "type":
            scope.check(_TYPE, value, where)  # type: ignore[arg-type]
        elif kind == "core type":
            scope.check(_CORE_TYPE, value, where)  # type: ignore[arg-type]
        elif kind == "memory":
            scope.check(("core", CoreSort.MEMORY), value, where)  # type: ignore[arg-type]
        elif kind == "table":
            scope.check(("core", CoreSort.TABLE), value, where)  # type: ignore[arg-type]
        elif kind == "opts":
            for opt in value:  # type: ignore[attr-defined]
                _canon_opt(opt, scope, where)
        elif kind == "results" and value is not None:
            _val_type(value, scope, where)
    scope.add(("", Sort.FUNC) if name == "lift" else ("core", CoreSort.FUNC), item)


def _canon_opt(opt: CanonOpt, scope: Scope, where: str) -> None:
    if opt.index is None:
        return
    if opt.kind == CanonOptKind.CORE_TYPE:
        scope.check(_CORE_TYPE, opt.index, where)
        return
    space = ("core", CoreSort.MEMORY) if opt.kind == CanonOptKind.MEMORY else ("core", CoreSort.FUNC)
    scope.check(space, opt.index, where)


def _extern_type(extern: ExternType, scope: Scope, where: str) -> None:
    if extern.kind == Sort.CORE:
        scope.check(_CORE_TYPE, extern.index, where)  # type: ignore[arg-type]
    elif extern.kind == Sort.TYPE:
        if extern.bound is not None and extern.bound.index is not None:
            scope.check(_TYPE, extern.bound.index, where)
    elif extern.index is not None:
        scope.check(_TYPE, extern.index, where)


def _core_type(item: object, scope: Scope, where: str) -> None:
    if isinstance(item, CoreRecType):
        for core_type in item.types:
            scope.add(_CORE_TYPE, core_type)
        return
    if not isinstance(item, CoreModuleType):
        raise TypeError(f"not a core type: {item!r}")
    inner = Scope(scope)
    for decl in item.decls:
        if isinstance(decl, (CoreRecType, CoreModuleType)):
            _core_type(decl, inner, where)
        elif isinstance(decl, CoreAliasOuter):
            if inner.checked:
                inner.outward(decl.count, where).check(_CORE_TYPE, decl.index, where)
            inner.add(_CORE_TYPE, decl)
        else:  # a core import or export declaration
            _core_desc(decl.desc, inner, where)
    scope.add(_CORE_TYPE, item)


def _core_desc(desc: object, scope: Scope, where: str) -> None:
    """A core import's or export's description: a function's type index is checked."""
    if isinstance(desc, int):
        scope.check(_CORE_TYPE, desc, where)


def _type(item: object, scope: Scope, where: str) -> None:
    if isinstance(item, (ComponentType, InstanceType)):
        inner = Scope(scope)
        for decl in item.decls:
            _decl(decl, inner, where)
    elif isinstance(item, FuncType):
        for _, param in item.params:
            _val_type(param, scope, where)
        if item.result is not None:
            _val_type(item.result, scope, where)
    elif isinstance(item, ResourceType):
        if item.dtor is not None:
            scope.check(("core", CoreSort.FUNC), item.dtor, where)
    else:
        for used in _used_types(item):
            _val_type(used, scope, where)
    scope.add(_TYPE, item)


def _decl(decl: object, scope: Scope, where: str) -> None:
    if isinstance(decl, (CoreRecType, CoreModuleType)):
        _core_type(decl, scope, where)
    elif isinstance(decl, (AliasExport, AliasCoreExport, AliasOuter)):
        _alias(decl, scope, where)
    elif isinstance(decl, (Import, ExportDecl)):
        _extern_decl(decl, scope, where)
    else:
        _type(decl, scope, where)


def _extern_decl(decl: Import | ExportDecl, scope: Scope, where: str) -> None:
    """An import, or a type's export declaration: its type checked, and a new index of its kind."""
    _extern_type(decl.type, scope, where)
    scope.add(_EXTERN_SPACES[decl.type.kind], decl)


def _used_types(item: object) -> Iterator[object]:
    """The value types a defined value type names (a type index among them is checked)."""
    if isinstance(item, Record):
        yield from (t for _, t in item.fields)
    elif isinstance(item, Variant):
        yield from (case.type for case in item.cases if case.type is not None)
    elif isinstance(item, (List, Option)):
        yield item.element if isinstance(item, List) else item.type
    elif isinstance(item, Tuple):
        yield from item.types
    elif isinstance(item, Result):
        yield from (t for t in (item.ok, item.error) if t is not None)
    elif isinstance(item, (Own, Borrow)):
        yield item.resource
    elif isinstance(item, (Stream, Future)):
        if item.element is not None:
            yield item.element
    elif isinstance(item, Map):
        yield from (item.key, item.value)
    elif not isinstance(item, (Prim, Flags, Enum)):
        raise TypeError(f"not a defined value type: {item!r}")


def _val_type(value: object, scope: Scope, where: str) -> None:
    if isinstance(value, int) and not isinstance(value, Prim):
        scope.check(_TYPE, value, where)
