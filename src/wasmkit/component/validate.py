"""Component validation: `validate_component(component) -> ValidComponent`, the type checking
that the component model requires (design/mvp/Explainer.md), with wasm-tools' wording.

First every index is checked to be in range (`index_spaces`); then the definitions are
walked in order, each given its type (`types`) in its sort's space, and checked:
- core modules are valid modules (wasmkit's core validator), and a core instantiation gives
  each import of the module an export of the named instance, of a matching type (`core`);
- a component instantiation gives each import of the component an argument of its sort and a
  matching type (`matching`); the instance then exports the component's exports;
- `canon lift` and `canon lower` fit the canonical ABI, with their options (`canon`);
- an alias names an export that is there, of the sort it says; an outer alias only a type,
  core type, component or core module (`index_spaces` refuses the others);
- import and export names are valid names, each once in its scope (`names`);
- imports and exports use only named types (`named`), and no import a resource defined here;
- value types are well formed: records, variants, tuples, enums not empty, flags 1 to 32,
  handles of resource types, no `borrow` in a result; no type (value, function, instance or
  component type) nested past 100 levels nor larger than a million parts in all (wasm-tools'
  limits, which bound the work of comparing types); resources defined only in components,
  of an i32 representation and a destructor of type `(func (param i32))`.
A ValidationError says what, and in which definition (section and position).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar, Union, cast

from ..errors import DecodeError, ValidationError
from ..syntax.types import ValType
from ..syntax.types import FuncType as CoreFuncType
from .canon import canon_type
from .core import CORE_KIND_NAMES, core_desc, core_sort, instantiate_module, module_type
from .index_spaces import index_spaces
from .matching import SORT_NAMES, substitute, unify
from .named import NamedTypes, created, resources_in
from .names import NameSet, is_kebab_case
from .syntax import (
    AliasCoreExport, AliasExport, AliasOuter, Borrow, Canon, Component, ComponentType, CoreAliasOuter,
    CoreExportDecl, CoreInlineExports, CoreInstantiate, CoreModule, CoreModuleType, CoreRecType, CoreSort,
    CustomSection, Enum, Export, ExportDecl, ExternName, ExternType, Flags, FuncType, Future, Import, InlineExports,
    Instantiate, InstanceType, List, Map, Option, Own, Prim, Record, ResourceType, Result, Section, Sort,
    SortIdx, Stream, Tuple, Variant,
)  # fmt: skip
from .types import ComponentT, Entity, Func, InstanceT, ModuleT, Resource, Val, VType

__all__ = ["ValidComponent", "validate_component", "TypeScope", "MAX_TYPE_DEPTH", "MAX_TYPE_SIZE"]

MAX_TYPE_DEPTH = 100  # wasm-tools' MAX_WASM_COMPONENT_TYPE_DEPTH
MAX_TYPE_SIZE = 1_000_000  # wasm-tools' MAX_WASM_TYPE_SIZE
MAX_FLAGS = 32

# Whether nested core modules are checked, or the function that reads and checks one.
CoreModules = Union[bool, Callable[[CoreModule], "Module"]]

if TYPE_CHECKING:
    from ..syntax.module import Module

_T = TypeVar("_T")


@dataclass(frozen=True)
class ValidComponent:
    """A component that passed validation, and its type: what it imports and exports."""

    component: Component
    type: ComponentT


def validate_component(component: Component, *, core_modules: CoreModules = True) -> ValidComponent:
    """Check `component` (ValidationError if it is invalid). With `core_modules` false, the
    nested core modules are taken as valid (for a caller that checks them itself); given a
    function, it reads and checks each one (instantiation's, which keeps what it read)."""
    index_spaces(component)
    scope = _Scope("component", None, core_modules)
    scope.component(component)
    return ValidComponent(component, ComponentT(scope.imports, scope.exports, scope.defined))


@dataclass
class _Scope:
    """One component, component type or instance type being checked: the type of each
    index of each sort, and its imports and exports so far."""

    kind: str  # "component", "component type", "instance type"
    outer: _Scope | None
    core_modules: CoreModules
    core: dict[CoreSort, list[object]] = field(default_factory=lambda: {sort: [] for sort in CoreSort})
    spaces: dict[Sort, list[object]] = field(default_factory=lambda: {sort: [] for sort in Sort if sort != Sort.CORE})
    imports: dict[str, Entity] = field(default_factory=dict)
    exports: dict[str, Entity] = field(default_factory=dict)
    defined: list[Resource] = field(default_factory=list)  # resources made here
    # id of each defined value type -> it (so that the id stays its own), its depth and size;
    # one table for all the scopes of a component
    sizes: dict[int, tuple[object, int, int]] = field(default_factory=dict)
    # Whether the component was validated already, so that this scope only gives types (an
    # instantiation's): the checks on names, which give no type, are left out.
    checked: bool = False

    def __post_init__(self) -> None:
        self.import_names = NameSet("import")
        self.export_names = NameSet("export")
        self.named = NamedTypes()
        if self.outer is not None:
            self.sizes = self.outer.sizes
            self.checked = self.checked or self.outer.checked

    # -- walking --

    def component(self, component: Component) -> None:
        for section in component.sections:
            for n, item in enumerate(section.items):
                try:
                    self.definition(section, item)
                except _Located:
                    raise
                except ValidationError as err:
                    raise _Located(f"{err}: {_where(section, n)}") from None

    def definition(self, section: Section, item: object) -> None:
        if isinstance(item, CustomSection):
            return
        if isinstance(item, CoreModule):
            self.core[CoreSort.MODULE].append(self.core_module(item))
        elif isinstance(item, Component):
            inner = _Scope("component", self, self.core_modules)
            inner.component(item)
            self.spaces[Sort.COMPONENT].append(self.measured(ComponentT(inner.imports, inner.exports, inner.defined)))
        elif isinstance(item, CoreInstantiate):
            self.core[CoreSort.INSTANCE].append(self.core_instantiate(item))
        elif isinstance(item, CoreInlineExports):
            exports: dict[str, object] = {}
            for name, core_item in item.exports:
                if name in exports:
                    raise ValidationError(f"duplicate instantiation export name `{name}` already defined")
                if core_item.sort > CoreSort.TAG:
                    what = core_item.sort.name.lower()
                    raise ValidationError(f"a core instance exports functions, tables, memories, globals and tags, not a core {what}")
                exports[name] = self.core[core_item.sort][core_item.index]
            self.core[CoreSort.INSTANCE].append(exports)
        elif isinstance(item, Instantiate):
            self.spaces[Sort.INSTANCE].append(self.instantiate(item))
        elif isinstance(item, InlineExports):
            names = NameSet("export")
            instance = InstanceT()
            for extern_name, exported in item.exports:
                entity = _named(self.entity(exported), extern_name)
                names.add(extern_name.name, entity)
                instance.exports[extern_name.name] = entity
            self.spaces[Sort.INSTANCE].append(self.measured(instance))
        elif isinstance(item, (AliasExport, AliasCoreExport, AliasOuter, CoreAliasOuter)):
            self.alias(item)
        elif isinstance(item, Canon):
            core_funcs, memories = self.core[CoreSort.FUNC], self.core[CoreSort.MEMORY]
            made = canon_type(item, core_funcs, memories, self.spaces[Sort.TYPE], self.spaces[Sort.FUNC])  # type: ignore[arg-type]
            self.add(Sort.FUNC if item.name == "lift" else None, made)
        elif isinstance(item, Import):
            self.import_(item)
        elif isinstance(item, Export):
            self.export(item)
        elif isinstance(item, ExportDecl):
            self.export_decl(item)
        elif isinstance(item, (CoreRecType, CoreModuleType)):
            self.core_type(item)
        else:
            self.spaces[Sort.TYPE].append(self.type(item))

    def add(self, sort: Sort | None, made: object, core: CoreSort = CoreSort.FUNC) -> None:
        """Add `made` to the space of `sort` (None: of the core sort `core`)."""
        (self.core[core] if sort is None or sort == Sort.CORE else self.spaces[sort]).append(made)

    # -- core modules and instances --

    def core_module(self, item: CoreModule) -> ModuleT:
        if callable(self.core_modules):
            return module_type(self.core_modules(item))
        try:
            module = item.module()
        except DecodeError as err:  # where in the component, not in the module's own bytes
            raise DecodeError(f"in a core module: {err.message}", item.offset + err.offset) from None
        if self.core_modules:
            from ..validate import validate  # the core validator, needed only here

            validate(module)
        return module_type(module)

    def core_instantiate(self, item: CoreInstantiate) -> dict[str, object]:
        args: dict[str, dict[str, object]] = {}
        for name, index in item.args:
            if name in args:
                raise ValidationError(f"duplicate module instantiation argument named `{name}`")
            args[name] = self.core[CoreSort.INSTANCE][index]  # type: ignore[assignment]
        return instantiate_module(self.core[CoreSort.MODULE][item.module], args)  # type: ignore[arg-type]

    # -- component instances --

    def instantiate(self, item: Instantiate) -> InstanceT:
        component: ComponentT = self.spaces[Sort.COMPONENT][item.component]  # type: ignore[assignment]
        args: dict[str, Entity] = {}
        for name, given in item.args:
            if name in args:
                raise ValidationError(f"instantiation argument `{name}` conflicts with previous argument `{name}`")
            args[name] = self.entity(given)
        bound: dict[Resource, Resource] = {}
        for name, expected in component.imports.items():
            arg = args.get(name)
            if arg is None:
                raise ValidationError(f"missing import named `{name}`")
            reason = unify(arg, expected, bound)
            if reason is not None:
                raise ValidationError(f"type mismatch for import `{name}`: {reason}")
        fresh = {resource: Resource() for resource in component.defined}

        def replace(resource: Resource) -> Resource:
            return bound.get(resource) or fresh.get(resource) or resource

        # a value type imported `(eq T)` is, in what the instance exports, the type given for it
        imported = component.imports.items()
        types = {id(e.type): args[name].type for name, e in imported if e.sort == Sort.TYPE and isinstance(e.type, (Val, Prim))}
        made = substitute(InstanceT(dict(component.exports)), replace, types)
        return self.measured(cast(InstanceT, made))

    def entity(self, item: SortIdx) -> Entity:
        """What index `item` names, as an import or export of its sort."""
        if item.sort == Sort.CORE:
            if item.core != CoreSort.MODULE:
                raise ValidationError(f"a core {item.core.name.lower() if item.core else ''} cannot be a component's argument or export")
            return Entity(Sort.CORE, self.core[CoreSort.MODULE][item.index])
        if item.sort == Sort.VALUE:
            raise ValidationError("values (a gated feature) are not supported")
        return Entity(item.sort, self.spaces[item.sort][item.index])

    # -- aliases --

    def alias(self, item: AliasExport | AliasCoreExport | AliasOuter | CoreAliasOuter) -> None:
        if isinstance(item, AliasExport):
            instance: InstanceT = self.spaces[Sort.INSTANCE][item.instance]  # type: ignore[assignment]
            found = instance.exports.get(item.name)
            if found is None:
                raise ValidationError(f"instance {item.instance} has no export named `{item.name}`")
            sort = item.sort.sort if item.sort.sort != Sort.CORE else Sort.CORE
            if found.sort != sort:
                raise ValidationError(f"export `{item.name}` for instance {item.instance} is not a {SORT_NAMES[sort]}")
            self.add(sort, found.type, CoreSort.MODULE)
        elif isinstance(item, AliasCoreExport):
            exports: dict[str, object] = self.core[CoreSort.INSTANCE][item.instance]  # type: ignore[assignment]
            desc = exports.get(item.name)
            if desc is None:
                raise ValidationError(f"core instance {item.instance} has no export named `{item.name}`")
            if core_sort(desc) != item.sort:
                raise ValidationError(f"export `{item.name}` for core instance {item.instance} is not a {CORE_KIND_NAMES[item.sort]}")
            self.core[item.sort].append(desc)
        elif isinstance(item, CoreAliasOuter):
            self.core[CoreSort.TYPE].append(self._outward(item.count).core[CoreSort.TYPE][item.index])
        else:
            target = self._outward(item.count)
            if item.sort.sort == Sort.CORE:
                space = item.sort.core or CoreSort.TYPE
                self.core[space].append(target.core[space][item.index])
            else:
                aliased = target.spaces[item.sort.sort][item.index]
                inside = self._outward(item.count - 1) if item.count else None
                if item.sort.sort == Sort.TYPE and inside is not None and inside.kind == "component" and any(resources_in(aliased)):
                    raise ValidationError("cannot alias outer type which transitively refers to resources not defined in the current component")
                self.spaces[item.sort.sort].append(aliased)

    def created(self, found: object) -> object:
        """The new type an import or export of `found` makes (`named.created`), measured as it."""
        made = created(found)
        if id(found) in self.sizes:
            self.sizes[id(made)] = (made, *self.sizes[id(found)][1:])
        return made

    def check_named(self, entity: Entity, imported: bool) -> None:
        if self.kind != "instance type" and not self.checked:
            self.named.check(entity, imported)

    def add_name(self, names: NameSet, name: str, entity: Entity) -> None:
        """Add an import's or export's name to `names`, checked (unless `checked`)."""
        if not self.checked:
            names.add(name, entity)

    def _outward(self, count: int) -> _Scope:
        scope = self
        for _ in range(count):
            if scope.outer is None:  # index_spaces refuses it first
                raise ValidationError(f"invalid outer alias count of {count}")
            scope = scope.outer
        return scope

    # -- imports and exports --

    def import_(self, item: Import) -> None:
        entity = _named(self.extern_type(item.type), item.name)
        self.add_name(self.import_names, item.name.name, entity)
        self.check_named(entity, imported=True)
        if not self.checked and any(resource in self.defined for resource in resources_in(entity)):
            raise ValidationError("local resource type found in imports")
        self.imports[item.name.name] = entity
        self.add(entity.sort, entity.type, CoreSort.MODULE)

    def export(self, item: Export) -> None:
        entity = self.entity(item.item)
        if item.type is not None:
            ascribed = self.extern_type(item.type)
            reason = unify(entity, ascribed, {})
            if reason is not None:
                raise ValidationError(f"type mismatch for export `{item.name.name}`: {reason}")
            if entity.sort != Sort.TYPE:
                entity = ascribed  # what the export is seen as (a type stays itself, named anew)
        if entity.sort == Sort.TYPE:
            entity = Entity(Sort.TYPE, self.created(entity.type))
        entity = _named(entity, item.name)
        self.add_name(self.export_names, item.name.name, entity)
        self.check_named(entity, imported=False)
        self.exports[item.name.name] = entity
        self.add(entity.sort, entity.type, CoreSort.MODULE)

    def export_decl(self, item: ExportDecl) -> None:
        entity = _named(self.extern_type(item.type), item.name)
        self.add_name(self.export_names, item.name.name, entity)
        self.check_named(entity, imported=False)
        self.exports[item.name.name] = entity
        self.add(entity.sort, entity.type, CoreSort.MODULE)

    def extern_type(self, extern: ExternType) -> Entity:
        """The type an import or export declaration gives."""
        if extern.kind == Sort.TYPE:
            if extern.bound is None or extern.bound.index is None:
                return Entity(Sort.TYPE, Resource(in_type=self.kind != "component"))
            return Entity(Sort.TYPE, self.created(self.spaces[Sort.TYPE][extern.bound.index]))
        index = extern.index or 0
        if extern.kind == Sort.CORE:
            found = self.core[CoreSort.TYPE][index]
            if not isinstance(found, ModuleT):
                raise ValidationError(f"core type index {index} is not a module type")
            return Entity(Sort.CORE, found)
        if extern.kind == Sort.VALUE:
            raise ValidationError("values (a gated feature) are not supported")
        found = self.spaces[Sort.TYPE][index]
        wanted = {Sort.FUNC: (Func, "function"), Sort.INSTANCE: (InstanceT, "instance"), Sort.COMPONENT: (ComponentT, "component")}
        cls, what = wanted[extern.kind]
        if not isinstance(found, cls):
            raise ValidationError(f"type index {index} is not {'an' if what == 'instance' else 'a'} {what} type")
        return Entity(extern.kind, found)

    # -- types --

    def core_type(self, item: CoreRecType | CoreModuleType) -> None:
        if isinstance(item, CoreRecType):
            self.core[CoreSort.TYPE].extend(item.types)
            return
        inner = _Scope("module type", self, self.core_modules)
        module = ModuleT()
        for decl in item.decls:
            if isinstance(decl, (CoreRecType, CoreModuleType)):
                inner.core_type(decl)
            elif isinstance(decl, CoreAliasOuter):
                inner.alias(decl)
            elif isinstance(decl, CoreExportDecl):
                module.exports[decl.name] = core_desc(decl.desc, inner.core[CoreSort.TYPE])
            else:  # a core import
                module.imports.append((decl.module, decl.name, core_desc(decl.desc, inner.core[CoreSort.TYPE])))
        self.core[CoreSort.TYPE].append(module)

    def type(self, item: object) -> object:
        if isinstance(item, (ComponentType, InstanceType)):
            kind = "component type" if isinstance(item, ComponentType) else "instance type"
            inner = _Scope(kind, self, self.core_modules)
            for decl in item.decls:
                inner.definition(_DECLS, decl)
            if isinstance(item, InstanceType):
                return self.measured(InstanceT(inner.exports))
            return self.measured(ComponentT(inner.imports, inner.exports, inner.defined))
        if isinstance(item, FuncType):
            return self.func_type(item)
        if isinstance(item, ResourceType):
            return self.resource(item)
        return self.value_type(item)

    def func_type(self, item: FuncType) -> Func:
        params = tuple((self._label(name, "function parameter"), self.val(param)) for name, param in item.params)
        _unique([name for name, _ in params], "function parameter")
        result = None if item.result is None else self.val(item.result)
        if result is not None and _has_borrow(result):
            raise ValidationError("function result cannot contain a `borrow` type")
        return self.measured(Func(params, result, item.is_async))

    def resource(self, item: ResourceType) -> Resource:
        if self.kind != "component":
            raise ValidationError("resources can only be defined within a concrete component")
        if item.rep != ValType.I32:
            raise ValidationError("resources can only be represented by `i32` or `i64`" if item.rep != ValType.I64
                                  else "resources with `i64` require the `cm64` feature to be enabled")  # fmt: skip
        if item.dtor is not None:
            dtor = self.core[CoreSort.FUNC][item.dtor]
            if isinstance(dtor, CoreFuncType) and (dtor.params != (ValType.I32,) or dtor.results):
                raise ValidationError(f"core function {item.dtor} has wrong signature for a destructor")
        resource = Resource(ValType.I32)
        self.defined.append(resource)
        return resource

    def val(self, vt: object) -> VType:
        """A value type used in a definition: a primitive, or the defined value type an index names."""
        if isinstance(vt, Prim):
            return _prim(vt)
        found = self.spaces[Sort.TYPE][cast(int, vt)]
        if not isinstance(found, (Prim, Val)):
            raise ValidationError(f"type index {vt} is not a defined type")
        return found

    def handle(self, index: int) -> Resource:
        found = self.spaces[Sort.TYPE][index]
        if not isinstance(found, Resource):
            raise ValidationError(f"type index {index} is not a resource type")
        return found

    def value_type(self, item: object) -> VType:
        if isinstance(item, Prim):
            return _prim(item)
        return self.measured(self._value_type(item))

    def measured(self, made: _T) -> _T:
        """`made`, a type just made, once its depth and size are found within the limits.
        Types nest only what was made before them, so each is measured from its parts'
        measures; the limits bound the work (and the recursion) of comparing types."""
        depth = size = 0
        for child in _parts(made):
            _, child_depth, child_size = self.sizes.get(id(child), (child, 0, 1))
            depth, size = max(depth, child_depth), size + child_size
        depth, size = depth + 1, size + 1
        if depth > MAX_TYPE_DEPTH:
            raise ValidationError("type nesting is too deep")
        if size >= MAX_TYPE_SIZE:
            raise ValidationError(f"effective type size exceeds the limit of {MAX_TYPE_SIZE}")
        self.sizes[id(made)] = (made, depth, size)
        return made

    def _value_type(self, item: object) -> Val:
        if isinstance(item, Record):
            if not item.fields:
                raise ValidationError("record type must have at least one field")
            fields = tuple((self._label(name, "record field"), self.val(t)) for name, t in item.fields)
            _unique([n for n, _ in fields], "record field")
            return Val("record", fields, tuple(t for _, t in fields))
        if isinstance(item, Variant):
            if not item.cases:
                raise ValidationError("variant type must have at least one case")
            cases = tuple((self._label(c.label, "variant case"), None if c.type is None else self.val(c.type)) for c in item.cases)
            _unique([n for n, _ in cases], "variant case")
            return Val("variant", cases, tuple(t for _, t in cases if t is not None))
        if isinstance(item, Tuple):
            if not item.types:
                raise ValidationError("tuple type must have at least one type")
            types = tuple(self.val(t) for t in item.types)
            return Val("tuple", types, types)
        if isinstance(item, (Flags, Enum)):
            labels = tuple(self._label(label, "flag" if isinstance(item, Flags) else "enum tag") for label in item.labels)
            kind = "flags" if isinstance(item, Flags) else "enum"
            if not labels:
                raise ValidationError("flags must have at least one entry" if kind == "flags" else "enum type must have at least one variant")
            if kind == "flags" and len(labels) > MAX_FLAGS:
                raise ValidationError(f"cannot have more than {MAX_FLAGS} flags")
            _unique(list(labels), "flag" if kind == "flags" else "enum tag")
            return Val(kind, labels)
        if isinstance(item, List):
            element = self.val(item.element)
            if item.length is None:
                return Val("list", (element,), (element,))
            raise ValidationError(_GATED["fixed-length list"])
        if isinstance(item, Option):
            inner = self.val(item.type)
            return Val("option", (inner,), (inner,))
        if isinstance(item, Result):
            ok = None if item.ok is None else self.val(item.ok)
            error = None if item.error is None else self.val(item.error)
            return Val("result", (ok, error), tuple(t for t in (ok, error) if t is not None))
        if isinstance(item, (Own, Borrow)):
            return Val("own" if isinstance(item, Own) else "borrow", (self.handle(item.resource),))
        if isinstance(item, (Stream, Future)):
            carried = None if item.element is None else self.val(item.element)
            kind = "stream" if isinstance(item, Stream) else "future"
            if carried is not None and _has_borrow(carried):
                raise ValidationError(f"`{kind}` payload cannot contain a `borrow` type")
            return Val(kind, (carried,), () if carried is None else (carried,))
        if isinstance(item, Map):
            key, value = self.val(item.key), self.val(item.value)
            return Val("map", (key, value), (key, value))
        raise TypeError(f"not a type: {item!r}")

    def _label(self, name: str, what: str) -> str:
        if not is_kebab_case(name):
            raise ValidationError(f"{what} name `{name}` is not in kebab case")
        return name


# Instantiation walks a component's definitions with one of these beside it, for the type of
# each index (`instantiate`).
TypeScope = _Scope


class _Located(ValidationError):
    """A ValidationError that says where (in the innermost component)."""


# Declarations in a component or instance type go through `definition` as a section's items
# would; this stands for their section.
_DECLS = Section(0, 0, 0, ())  # type: ignore[arg-type]



_IMPLEMENTS, _EXTERNAL_ID = 0, 2  # the kinds of a name's `implements` and `external-id` attributes


def _named(entity: Entity, name: ExternName) -> Entity:
    """`entity` as imported or exported under `name`: with its attributes, if it has any."""
    if not name.attributes:
        return entity
    found = dict(name.attributes)
    return Entity(entity.sort, entity.type, found.get(_EXTERNAL_ID), found.get(_IMPLEMENTS))


def _where(section: Section, n: int) -> str:
    return f"{section.id.name.lower().replace('_', ' ')} section {n} at offset {section.offset}"


def _unique(labels: list[str], what: str) -> None:
    seen: dict[str, str] = {}
    for label in labels:
        previous = seen.get(label.lower())
        if previous is not None:
            raise ValidationError(f"{what} name `{label}` conflicts with previous {what} name `{previous}`")
        seen[label.lower()] = label


def _parts(made: object) -> Sequence[object]:
    """The types a type is made of (for its measures)."""
    if isinstance(made, Val):
        return made.children
    if isinstance(made, Func):
        return (*(t for _, t in made.params), *(() if made.result is None else (made.result,)))
    if isinstance(made, InstanceT):
        return [e.type for e in made.exports.values()]
    if isinstance(made, ComponentT):
        return [e.type for e in (*made.imports.values(), *made.exports.values())]
    return []


# What wasm-tools (1.262) leaves out unless asked for, in its words.
_GATED = {
    "error-context": "`error-context` requires the component model error-context feature",
    "fixed-length list": "Fixed-length lists require the component model fixed-length lists feature",
}


def _prim(prim: Prim) -> Prim:
    if prim == Prim.ERROR_CONTEXT:
        raise ValidationError(_GATED["error-context"])
    return prim


def _has_borrow(vt: VType) -> bool:
    return isinstance(vt, Val) and (vt.kind == "borrow" or any(_has_borrow(c) for c in vt.children))
