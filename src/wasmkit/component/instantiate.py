"""Component instantiation (the component model's Explainer, "Instance Definitions" and the
canonical definitions): a validated component and the embedder's imports make a
`ComponentInstance`.

The component's definitions are walked in order, each giving the run-time value of its
index: core modules become `runtime.Module`s and are instantiated in the store (so on its
engine, Python or native) with the named core instances as their imports, or a core instance
is made from exports; component instances are made by instantiating a nested component with
arguments, or from exports; aliases reach an instance's export or an outer scope's item;
`canon lift` makes a component function of a core function, `canon lower` a core function
of a component function, `canon resource.new/rep/drop` the built-ins over the instance's
handle table; a resource type definition makes a new `DefinedResource` per instance.

Beside the walk goes the validator's scope (`validate.TypeScope`), which gives each index
its type: a lift's or lower's function type, a lowering's core type, and the type-level
resources (`types.Resource`), which are bound to their run-time types as definitions,
imports, aliases and instances produce them, so that every lift and lower finds the
run-time type of each handle it moves. Type names (a record's, a variant's...) are
collected as exports and imports name them, for the Python classes of their values. The
scope's types depend on the component alone: a `Component`'s first instantiation records
them and its later ones replay the record (`type_trace`).

Not supported yet (`NotSupported`): the async component model (async lifts and lowers, `task.*`,
streams, futures, waitables), `start`, and importing core modules or components from the host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from ..errors import DecodeError, LinkError, Trap, TrapKind
from ..runtime.func import Func as CoreFunc
from ..runtime.instance import Instance
from ..runtime.module import Module
from ..runtime.store import Store
from ..syntax.module import Module as SyntaxModule
from .abi import CanonicalAbi, GivenClasses, ResourceType, resource_drop, resource_new, resource_rep
from .async_ import AsyncLiftedFunction, AsyncState, Scheduler
from .async_.builtins import (
    SIMPLE, STREAM_ACTIONS, simple_builtin, stream_builtin, task_return, thread_yield, wait_or_poll,
)  # fmt: skip
from .async_.subtasks import async_lowered, subtask_cancel, subtask_drop
from .async_.scheduler import blocking_call
from .core import module_type
from .functions import CallSite, LiftedFunction, async_not_supported, canon_options, lowered_func
from .host import host_value, is_missing, lookup_import
from .instance import ComponentInstance
from .resource_types import DefinedResource
from .syntax import (
    AliasCoreExport, AliasExport, AliasOuter, Canon, CanonOpt, CanonOptKind, Component, CoreInlineExports,
    CoreInstantiate, CoreModule, CoreModuleType, CoreRecType, CoreSort, CustomSection, Export, Import,
    InlineExports, Instantiate, Prim, Section, Sort, SortIdx,
)  # fmt: skip
from .syntax import ResourceType as ResourceDef
from .types import Entity, Func, InstanceT, ModuleT, Resource, Val, VType
from .type_trace import ReplayedScope, Tracing, TypeTrace
from .validate import TypeScope, ValidComponent

__all__ = ["instantiate", "Linking", "ModuleCache", "NestedComponent"]

_NAMED_KINDS = frozenset({"record", "variant", "enum", "flags"})
_ASYNC_OPTS = frozenset({CanonOptKind.ASYNC, CanonOptKind.CALLBACK})


class ModuleCache:
    """A component's nested core modules, each read, validated and compiled once (by the
    `CoreModule` it comes from, which the component keeps)."""

    def __init__(self) -> None:
        self._modules: dict[int, Module] = {}
        self._types: dict[int, ModuleT] = {}

    def module(self, item: CoreModule) -> Module:
        found = self._modules.get(id(item))
        if found is None:
            try:
                found = Module.from_content(item.data)
            except DecodeError as err:  # where in the component, not in the module's own bytes
                raise DecodeError(f"in a core module: {err.message}", item.offset + err.offset) from None
            self._modules[id(item)] = found
        return found

    def module_type(self, item: CoreModule) -> ModuleT:
        """The module's type (see `core.module_type`), worked out once."""
        found = self._types.get(id(item))
        if found is None:
            found = self._types[id(item)] = module_type(self.module(item).syntax)
        return found

    def modules(self) -> list[Module]:
        """Every module read so far (all of a validated component's)."""
        return list(self._modules.values())

    def syntax(self, item: CoreModule) -> SyntaxModule:
        """The module read and validated, for the component validator (`core_modules`)."""
        return self.module(item).syntax


class Linking:
    """What one instantiation shares through its nested instances: the store the core
    instances live in, the `CanonicalAbi` (with the names types were given), the run-time
    type of each type-level resource, and the component's core modules; `given`, the
    embedder's classes for values (`abi.GivenClasses`)."""

    def __init__(
        self, store: Store, modules: ModuleCache | None = None, given: GivenClasses | None = None,
        trace: TypeTrace | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.names: dict[VType, str] = {}
        self.abi = CanonicalAbi(self.names, given)
        self.resources: dict[Resource, ResourceType] = {}
        self.modules = modules or ModuleCache()
        self.tracing = Tracing(trace, self.modules.syntax)  # the types of each scope, replayed once known
        self.scheduler = Scheduler()  # the tasks of async exports, of every instance of this instantiation

    def bind(self, name: str, found: object, value: object, exported: bool = False) -> None:
        """Tie type `found` (named `name` by an import, export or alias) to its run-time
        `value`: a resource to its `ResourceType`, an instance type's exports to the
        instance's. A record, variant, enum, flags or resource type takes the name for its
        class and messages: an export's name over any other (a component made by
        wit-component imports its types into a nested component as `import-type-point`
        and exports them as `point`)."""
        if isinstance(found, Resource):
            if isinstance(value, ResourceType):
                self.resources[found] = value
                if name and (exported or value.name == "resource"):
                    value.name = name
        elif isinstance(found, Val):
            if found.kind in _NAMED_KINDS and name and (exported or found not in self.names):
                self.names[found] = name
        elif isinstance(found, InstanceT) and isinstance(value, ComponentInstance):
            for export, entity in found.exports.items():
                if export in value.exports:
                    self.bind(export, entity.type, value.exports[export], exported)


def instantiate(
    valid: ValidComponent, imports: Mapping[str, object] | None = None, store: Store | None = None,
    *, linking: Linking | None = None,
) -> ComponentInstance:  # fmt: skip
    """Instantiate `valid` with the embedder's `imports` (see `host` for the convention) in
    `store` (a new one on the Python engine by default). LinkError for a missing or unfit
    import; NotSupported for what is not supported yet; Trap if core code traps."""
    linking = linking or Linking(store or Store())
    walk = _Walk(linking, linking.tracing.scope(None), None, None, imports or {}, "")
    walk.component(valid.component)
    linking.tracing.done()
    return walk.instance


class NestedComponent:
    """A component definition at run time: its syntax, and the instantiation it is defined
    in, which its outer aliases reach."""

    __slots__ = ("component", "home")

    def __init__(self, component: Component, home: object) -> None:
        self.component = component
        self.home = home


class _Walk:
    """One component being instantiated: the run-time value of each index, by sort."""

    def __init__(
        self, linking: Linking, types: TypeScope | ReplayedScope, outer: _Walk | None, args: Mapping[str, object] | None,
        host: Mapping[str, object], name: str,
    ) -> None:  # fmt: skip
        self.linking = linking
        self.types = types
        self.outer = outer
        self.args = args  # a nested component's arguments (None for the outermost: `host`)
        self.host = host
        self.instance = ComponentInstance(name)
        self.site = CallSite(self.instance, self.instance.handles, linking.abi, linking.resources, linking.store.guard)
        self.core: dict[CoreSort, list[object]] = {sort: [] for sort in CoreSort}
        self.spaces: dict[Sort, list[object]] = {sort: [] for sort in Sort if sort != Sort.CORE}

    def component(self, component: Component) -> None:
        for section in component.sections:
            for item in section.items:
                self.definition(section, item)

    # -- the index spaces --

    def value(self, item: SortIdx) -> object:
        if item.sort == Sort.CORE:
            return self.core[item.core or CoreSort.MODULE][item.index]
        return self.spaces[item.sort][item.index]

    def add(self, sort: Sort, value: object) -> None:
        (self.core[CoreSort.MODULE] if sort == Sort.CORE else self.spaces[sort]).append(value)

    def _outward(self, count: int) -> _Walk:
        walk = self
        for _ in range(count):
            walk = cast(_Walk, walk.outer)
        return walk

    # -- the definitions --

    def definition(self, section: Section, item: object) -> None:
        types = self.types
        if isinstance(item, CustomSection):
            return
        if isinstance(item, CoreModule):
            module = self.linking.modules.module(item)
            types.core[CoreSort.MODULE].append(self.linking.modules.module_type(item))
            self.core[CoreSort.MODULE].append(module)
            return
        if isinstance(item, Canon):
            self.canon(section, item)
            return
        types.definition(section, item)  # the validator's view: types of what is defined
        if isinstance(item, Component):
            self.spaces[Sort.COMPONENT].append(NestedComponent(item, self))
        elif isinstance(item, CoreInstantiate):
            module = cast(Module, self.core[CoreSort.MODULE][item.module])
            args = {name: self.core[CoreSort.INSTANCE][index] for name, index in item.args}
            instance = Instance(module, args, store=self.linking.store)  # type: ignore[arg-type]
            self.core[CoreSort.INSTANCE].append(instance.exports)  # as a mapping: a Func is made when aliased
        elif isinstance(item, CoreInlineExports):
            self.core[CoreSort.INSTANCE].append({name: self.core[e.sort][e.index] for name, e in item.exports})
        elif isinstance(item, Instantiate):
            self.instantiate(item)
        elif isinstance(item, InlineExports):
            made = ComponentInstance("", {name.name: self.value(e) for name, e in item.exports})
            self.spaces[Sort.INSTANCE].append(made)
            self.linking.bind("", types.spaces[Sort.INSTANCE][-1], made)
        elif isinstance(item, AliasExport):
            value = cast(ComponentInstance, self.spaces[Sort.INSTANCE][item.instance]).exports[item.name]
            self.add(item.sort.sort, value)
            if item.sort.sort == Sort.TYPE:
                self.linking.bind(item.name, types.spaces[Sort.TYPE][-1], value)
        elif isinstance(item, AliasCoreExport):
            exports = cast("Mapping[str, object]", self.core[CoreSort.INSTANCE][item.instance])
            self.core[item.sort].append(exports[item.name])
        elif isinstance(item, AliasOuter):
            target = self._outward(item.count)
            if item.sort.sort == Sort.CORE:
                space = item.sort.core or CoreSort.TYPE
                self.core[space].append(target.core[space][item.index])
            else:
                self.spaces[item.sort.sort].append(target.spaces[item.sort.sort][item.index])
        elif isinstance(item, Import):
            self.import_(item)
        elif isinstance(item, Export):
            self.export(item)
        elif isinstance(item, (CoreRecType, CoreModuleType)):
            self.core[CoreSort.TYPE] += [None] * (len(types.core[CoreSort.TYPE]) - len(self.core[CoreSort.TYPE]))
        elif isinstance(item, ResourceDef):
            self.spaces[Sort.TYPE].append(self.resource(item, cast(Resource, types.spaces[Sort.TYPE][-1])))
        else:  # a value type stands for itself (the Python API gives its class); others are nothing at run time
            found = types.spaces[Sort.TYPE][-1]
            self.spaces[Sort.TYPE].append(found if isinstance(found, Val) else None)

    def instantiate(self, item: Instantiate) -> None:
        nested = cast(NestedComponent, self.spaces[Sort.COMPONENT][item.component])
        home = cast(_Walk, nested.home)
        args = {name: self.value(given) for name, given in item.args}
        inner = _Walk(self.linking, self.linking.tracing.scope(home.types), home, args, self.host, "")
        inner.component(nested.component)
        self.spaces[Sort.INSTANCE].append(inner.instance)
        self.linking.bind("", self.types.spaces[Sort.INSTANCE][-1], inner.instance)

    def import_(self, item: Import) -> None:
        name = item.name.name
        entity: Entity = self.types.imports[name]
        if self.args is not None:
            value = self.args[name]
        else:
            given = lookup_import(self.host, name)
            if is_missing(given):
                raise LinkError(f"unknown import: `{name}` has not been defined")
            value = host_value(name, entity, given)
        self.add(entity.sort, value)
        self.linking.bind(name, entity.type, value)

    def export(self, item: Export) -> None:
        name = item.name.name
        value = self.value(item.item)
        if isinstance(value, LiftedFunction) and not value.name:
            value.name = name
        self.instance.exports[name] = value
        self.add(item.item.sort, value)
        self.linking.bind(name, self.types.exports[name].type, value, exported=True)

    def resource(self, item: ResourceDef, found: Resource) -> DefinedResource:
        """A new resource type of this instance (named when an export or alias names it),
        whose destructor does not run in an instance a trap left (`poisoned`)."""
        dtor: Callable[[int], object] | None = None
        if item.dtor is not None:
            func, instance = cast(CoreFunc, self.core[CoreSort.FUNC][item.dtor]), self.instance

            def dtor(rep: int) -> object:
                if instance.poisoned:
                    raise Trap(TrapKind.HOST, "cannot enter component instance: an earlier call into it trapped")
                return func(rep)

        made = DefinedResource("resource", impl=self.instance, dtor=dtor)
        self.linking.bind("resource", found, made)
        return made

    # -- canonical definitions --

    def canon(self, section: Section, item: Canon) -> None:
        name = item.name
        if name not in ("lift", "lower", "resource.new", "resource.rep", "resource.drop"):
            self.async_builtin(section, item)
            return
        is_async = any(
            isinstance(value, tuple) and any(isinstance(o, CanonOpt) and o.kind in _ASYNC_OPTS for o in value)
            for value in item.immediates
        )
        types = self.types
        types.definition(section, item)
        core, memories = cast("list[CoreFunc]", self.core[CoreSort.FUNC]), self.core[CoreSort.MEMORY]
        if name == "lift":
            core_index, opts, _ = cast("tuple[int, tuple[CanonOpt, ...], int]", item.immediates)
            func = cast(Func, types.spaces[Sort.FUNC][-1])
            options, post_return = canon_options(opts, memories, core)
            if is_async:
                _refuse_error_context(func, "lift")
                self.async_state()
                callback = next(core[cast(int, o.index)] for o in opts if o.kind == CanonOptKind.CALLBACK)
                self.spaces[Sort.FUNC].append(AsyncLiftedFunction(self.site, core[core_index], func, options, callback))
                return
            _refuse_error_context(func, "lift")
            if func.is_async:
                self.async_state()
            self.spaces[Sort.FUNC].append(LiftedFunction(self.site, core[core_index], func, options, post_return))
            return
        core_type = types.core[CoreSort.FUNC][-1]
        if name == "lower":
            func_index, opts = cast("tuple[int, tuple[CanonOpt, ...]]", item.immediates)
            func = cast(Func, types.spaces[Sort.FUNC][func_index])
            options, _ = canon_options(opts, memories, core)
            target = cast("Callable[..., object]", self.spaces[Sort.FUNC][func_index])
            if is_async:
                _refuse_error_context(func, "lower")
                self.async_state()
                lowered = async_lowered(self.site, target, func, options)
                self.core[CoreSort.FUNC].append(CoreFunc.raw(core_type, lowered, name=f"{name} async"))  # type: ignore[arg-type]
                return
            _refuse_error_context(func, "lower")
            if func.is_async:
                target = blocking_call(self.async_state(), target)
            self.core[CoreSort.FUNC].append(lowered_func(self.site, target, func, options, core_type))  # type: ignore[arg-type]
            return
        rtype = cast(ResourceType, self.spaces[Sort.TYPE][cast(int, item.immediates[0])])
        handles = self.instance.handles
        builtins: dict[str, Callable[[int], object]] = {
            "resource.new": lambda rep: resource_new(handles, rtype, rep),
            "resource.rep": lambda index: resource_rep(handles, rtype, index),
            "resource.drop": lambda index: resource_drop(handles, rtype, index),
        }
        self.core[CoreSort.FUNC].append(CoreFunc.raw(core_type, builtins[name], name=f"{name} {rtype.name}"))  # type: ignore[arg-type]


    def async_state(self) -> AsyncState:
        """This instance's part in the async ABI, made as its first async definition needs it."""
        instance = self.instance
        if instance.async_state is None:
            instance.async_state = AsyncState(instance.handles, self.linking.scheduler, self.linking.store.guard)
        return instance.async_state

    def async_builtin(self, section: Section, item: Canon) -> None:
        """A built-in of the async ABI (`task.return`, `waitable-set.wait`, ...) as a core
        host function; NotSupported for those not run yet."""
        name = item.name
        state = self.async_state()
        memories = self.core[CoreSort.MEMORY]
        builtin: Callable[..., object]
        if name == "task.return":
            result, opts = cast("tuple[object, tuple[CanonOpt, ...]]", item.immediates)
            options, _ = canon_options(opts, memories, cast("list[CoreFunc]", self.core[CoreSort.FUNC]))
            found = result if result is None or isinstance(result, Prim) else self.types.spaces[Sort.TYPE][cast(int, result)]
            if found is not None:
                _refuse_error_context_value(cast(VType, found), f"`canon {name}` of an `error-context` value")
            builtin = task_return(self.site, cast("VType | None", found), options)
        elif name == "subtask.drop":
            builtin = subtask_drop(self.site)
        elif name == "subtask.cancel":
            builtin = subtask_cancel(self.site)
        elif name in SIMPLE:
            builtin = simple_builtin(name, state)
        elif name in ("waitable-set.wait", "waitable-set.poll"):
            cancellable, memory = cast("tuple[bool, int]", item.immediates)
            builtin = wait_or_poll(state, memories[memory], name.endswith("wait"), bool(cancellable))
        elif name == "thread.yield":
            builtin = thread_yield(state, bool(item.immediates[0]))
        elif name.partition(".")[0] in ("stream", "future") and name.partition(".")[2] in STREAM_ACTIONS:
            carried = cast(Val, self.types.spaces[Sort.TYPE][cast(int, item.immediates[0])])
            elem = cast("VType | None", carried.parts[0])
            if elem is not None:
                _refuse_error_context_value(elem, f"`canon {name}` of an `error-context` element")
            options = None
            if name.endswith((".read", ".write")):
                opts = cast("tuple[CanonOpt, ...]", item.immediates[1])
                options, _ = canon_options(opts, memories, cast("list[CoreFunc]", self.core[CoreSort.FUNC]))
            builtin = stream_builtin(self.site, name, elem, options)
        else:
            raise async_not_supported(f"`canon {name}`")
        self.types.definition(section, item)
        core_type = self.types.core[CoreSort.FUNC][-1]
        self.core[CoreSort.FUNC].append(CoreFunc.raw(core_type, builtin, name=name))  # type: ignore[arg-type]


def _refuse_error_context(func: Func, how: str) -> None:
    for vt in [t for _, t in func.params] + ([] if func.result is None else [func.result]):
        _refuse_error_context_value(vt, f"`canon {how}` of a function with an `error-context` value")


def _refuse_error_context_value(vt: VType, what: str) -> None:
    """NotSupported if `vt` holds an `error-context` (a gated feature, not run yet)."""
    if vt == Prim.ERROR_CONTEXT:
        raise async_not_supported(what)
    if isinstance(vt, Val):
        for child in vt.children:
            _refuse_error_context_value(child, what)
