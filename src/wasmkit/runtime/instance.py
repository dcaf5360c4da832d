"""Instances and instantiation, as the spec defines them.

Instantiation checks each import against the module's declared type (with the subtyping of
limits), allocates the module's own tables, memories and globals, binds the compiled code,
copies active element and data segments into place in order (a trap stops there, and the
writes before it stay, as in WebAssembly 2.0), and runs the start function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, Union, cast

from ..errors import LinkError
from ..syntax.module import Import, ImportDesc, SegmentMode
from ..syntax.types import DefinedType, ExternKind, GlobalType, HeapType, Limits, MemoryType, TableType, TagType, ValueType
from ..validate.extern_types import limits_match
from ..validate.subtyping import ABSTRACT_SUPERTYPES, BOTTOM
from . import bulk
from .call import call_trapping, call_wasm
from .const_eval import evaluate_const
from .func import Func, takes_caller
from .functions import FunctionSpace
from .global_ import Global
from .heap import is_subtype_id
from .memory import Memory
from .module import Module
from .table import Table
from .tag import Tag

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Instance", "Exports", "Extern", "ImportItem", "missing_import"]

Extern = Union[Func, Table, Memory, Global, Tag]


class Exports:
    """An instance's exports, as in JavaScript: `exports.fib` or `exports["fib"]`.

    Attribute access reaches every export whose name is not a Python special name
    (`__name__`), so an export called `get`, `keys` or `items` is called as `exports.get()`:
    this object has no methods of its own to hide them. `exports[name]` reaches any export
    (KeyError if there is none); `name in exports`, `len(exports)` and iteration (over the
    names, in the module's order) work as for a dict. A dict of them is
    `{name: exports[name] for name in exports}`.
    """

    __slots__ = ("__items__", "__funcs__")

    def __init__(self, items: dict[str, Extern | int], funcs: Sequence[Func] = ()) -> None:
        # An exported function is its index in `funcs` until first asked for (a module made
        # per request may export thousands and be asked for one): then its `Func`, kept.
        self.__items__ = items
        self.__funcs__ = funcs

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            return object.__getattribute__(self, name)
        try:
            return object.__getattribute__(self, "__getitem__")(name)
        except KeyError:
            raise AttributeError(f"no export named {name!r}") from None

    def __getitem__(self, name: str) -> Extern:
        items = self.__items__
        value = items[name]
        if value.__class__ is int:
            value = items[name] = self.__funcs__[value]
        return value  # type: ignore[return-value]

    def __contains__(self, name: object) -> bool:
        return name in self.__items__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__items__)

    def __len__(self) -> int:
        return len(self.__items__)

    def __dir__(self) -> list[str]:
        return list(self.__items__)

    def __repr__(self) -> str:
        return f"<Exports {', '.join(self.__items__)}>"


class Instance:
    """An instantiated module.

    `imports` gives one item per import of the module, either in order (a sequence) or by
    module and name (`{"env": {"f": func}}`). An item is a `Func`, `Table`, `Memory` or
    `Global` or `Tag`, or for a function import any Python callable, typed as the module declares the
    import (taking a `Caller` first when its first parameter is annotated so).
    """

    def __init__(
        self,
        module: Module,
        imports: Sequence[ImportItem] | Mapping[str, Mapping[str, ImportItem]] | None = None,
        store: "Store | None" = None,
    ) -> None:
        from .store import Store

        self.module = module
        self.store = store or Store()
        self.wasi: Any = None  # the WASI state, when WASI was linked by wasmkit.load or the CLI
        self.wasi_threads: Any = None  # a wasi-threads program's spawned threads (wasmkit.load)
        # Where an engine keeps the values of globals that no one outside the instance can see
        # (not imported or exported) instead of in their `Global`, by global index.
        self.engine_globals: MutableMapping[int, object] = {}
        valid = module.valid
        syntax = valid.module
        externs = _resolve(syntax.imports, imports)
        imported_funcs: list[Func] = []
        self.tables: list[Table] = []
        self.mems: list[Memory] = []
        self.globals: list[Global] = []
        self.tags: list[Tag] = []
        for imp, item in zip(syntax.imports, externs):
            extern = _check_import(imp, _as_extern(imp, item, syntax.types), syntax.types, module.type_ids)
            if isinstance(extern, Func):
                imported_funcs.append(extern)
            elif isinstance(extern, Table):
                self.tables.append(extern)
            elif isinstance(extern, Memory):
                self.mems.append(extern)
            elif isinstance(extern, Tag):
                self.tags.append(extern)
            else:
                self.globals.append(extern)
        self.funcs = FunctionSpace(imported_funcs, module, self.store)
        limits = self.store.limits
        for defined, table_type in enumerate(syntax.tables):
            init = syntax.table_init(defined)
            value = None if init is None else evaluate_const(init, self.globals, self.funcs, syntax.types, module.type_ids)
            try:
                self.tables.append(Table(table_type, value, max_elements=limits.table_elements))
            except ValueError as err:
                raise LinkError(str(err)) from None
            self.tables[-1].module_types = (syntax.types, module.type_ids)
        for memory_type in syntax.mems:
            try:
                self.mems.append(Memory(memory_type, max_bytes=limits.memory_bytes))
            except ValueError as err:
                raise LinkError(str(err)) from None
        declared = syntax.tag_types()
        for i in range(len(self.tags), len(declared)):
            self.tags.append(Tag(valid.tag_types[i], known_type_id=module.type_ids[declared[i].type_index]))
        # The engine's code first: a large module's native code starts linking on a thread of its
        # own (engine.native.pieces) while the globals and elements are made here.
        compiled = module.compiled(self.store.engine, self.store.metered, self.store.profiling)
        for glob in syntax.globals:
            value = evaluate_const(glob.init, self.globals, self.funcs, syntax.types, module.type_ids)
            self.globals.append(Global.from_internal(glob.type, value))
            self.globals[-1].module_types = (syntax.types, module.type_ids)
        # The items of each segment (an active or declarative one of `ref.func` items only is
        # not evaluated: its functions go to the table as lazy entries, see `runtime.table`).
        lazy = module.element_functions
        self.elems: list[list[object]] = [
            []
            if lazy[i] is not None and seg.mode is not SegmentMode.PASSIVE
            else [evaluate_const(item, self.globals, self.funcs, syntax.types, module.type_ids) for item in seg.init]
            for i, seg in enumerate(syntax.elems)
        ]
        self.datas: list[bytes] = [seg.init for seg in syntax.datas]
        compiled.bind(self)
        spaces: dict[ExternKind, Sequence[Extern]] = {
            ExternKind.FUNC: self.funcs,
            ExternKind.TABLE: self.tables,
            ExternKind.MEMORY: self.mems,
            ExternKind.GLOBAL: self.globals,
            ExternKind.TAG: self.tags,
        }
        self.exports = Exports(
            {e.name: e.index if e.kind == ExternKind.FUNC else spaces[e.kind][e.index] for e in syntax.exports}, self.funcs
        )
        self._initialise_segments()
        if syntax.start is not None:
            call_wasm(self.funcs[syntax.start].fn, (), self.store.guard)

    def global_internal(self, index: int) -> object:
        """The current value of global `index` in the engines' representation, wherever the
        engine keeps it (what a snapshot of the instance's state reads)."""
        if index in self.engine_globals:
            return self.engine_globals[index]
        return self.globals[index].internal

    def set_global_internal(self, index: int, value: object) -> None:
        """Set global `index` (mutable or not: this restores state, it is not a wasm write)."""
        if index in self.engine_globals:
            self.engine_globals[index] = value
        self.globals[index].internal = value

    def _initialise_segments(self) -> None:
        syntax = self.module.syntax
        lazy = self.module.element_functions
        for i, seg in enumerate(syntax.elems):
            if seg.mode is SegmentMode.ACTIVE:
                offset = evaluate_const(seg.offset or b"", self.globals, self.funcs)
                indices = lazy[i]
                if indices is not None:
                    call_trapping(bulk.table_init_functions, (self.tables[seg.table], indices, self.funcs, offset))
                else:
                    call_trapping(bulk.table_init, (self.tables[seg.table], self.elems[i], offset, 0, len(self.elems[i])))
            if seg.mode is not SegmentMode.PASSIVE:
                self.elems[i] = []
        image = self.module.data_image
        if image is not None and image.fits(self.mems, len(self.mems) - len(syntax.mems)):
            image.apply(self.mems)
            self.datas[:] = image.remaining  # in place: the engines hold this list
            return
        for i, data in enumerate(syntax.datas):
            if data.mode is SegmentMode.ACTIVE:
                offset = evaluate_const(data.offset or b"", self.globals, self.funcs)
                call_trapping(bulk.memory_init, (self.mems[data.memory], self.datas[i], offset, 0, len(self.datas[i])))
                self.datas[i] = b""

    @property
    def memory(self) -> Memory | None:
        """The instance's (first) memory, if it has one."""
        return self.mems[0] if self.mems else None

    def __repr__(self) -> str:
        return f"<Instance of {self.module!r}>"


ImportItem = Union[Extern, Callable[..., Any]]

# Where a module imports WASI from, and what to tell a user who gave none.
_WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")
_WASI_HINT = " (the module uses WASI: give wasmkit.load wasi=wasmkit.wasi.WasiConfig(...), or wasi=True)"


def missing_import(imp: Import, why: str) -> LinkError:
    """The LinkError for an import that nothing provides, with a hint when it is WASI's."""
    hint = _WASI_HINT if imp.module in _WASI_MODULES else ""
    return LinkError(f"unknown import: {imp.module}.{imp.name} {why}{hint}")


def _resolve(
    imports: Sequence[Import], given: Sequence[ImportItem] | Mapping[str, Mapping[str, ImportItem]] | None
) -> list[ImportItem]:
    if given is None:
        given = []
    if isinstance(given, Mapping):
        externs: list[ImportItem] = []
        for imp in imports:
            named = given.get(imp.module)  # a mapping, or another instance's `Exports`
            if named is not None and not isinstance(named, (Mapping, Exports)):
                raise TypeError(
                    f"imports[{imp.module!r}] must map names to items ({{name: item}}), not {type(named).__name__}"
                )
            found = named[imp.name] if named is not None and imp.name in named else None
            if found is None:
                raise missing_import(imp, "was not given")
            externs.append(found)
        return externs
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise TypeError(
            "imports are a sequence of items in the module's order, or {module: {name: item}}, "
            f"not {type(given).__name__}"
        )
    if len(given) != len(imports):
        raise LinkError(f"the module has {len(imports)} imports, {len(given)} were given")
    return list(given)


def _as_extern(imp: Import, item: object, types: Sequence) -> object:
    """`item` as the extern it stands for: a plain Python callable given for a function
    import becomes a host function of the declared type (taking the caller first when its
    first parameter is annotated `Caller`), as `wasmkit.load` documents."""
    if isinstance(imp.desc, int) and callable(item) and not isinstance(item, (Func, Table, Memory, Global)):
        return Func.host(types[imp.desc], item, f"{imp.module}.{imp.name}", access_caller=takes_caller(item))
    return item


def _describe_limits(unit: str, current: int, maximum: int | None) -> str:
    return f"{current} {unit}" + ("" if maximum is None else f" (at most {maximum})")


def _describe_given(extern: object) -> str:
    """What an import was given, in the words of `_describe_declared`."""
    if isinstance(extern, Func):
        return f"func {extern.type}"
    if isinstance(extern, Table):
        elem = _describe_value_type(extern.type.elem, extern.module_types)
        return f"{_bits(extern.type)}table of {elem} with " + _describe_limits(
            "elements", extern.size, extern.type.limits.max
        )
    if isinstance(extern, Memory):
        shared = "shared " if extern.type.shared else ""
        return f"{shared}{_bits(extern.type)}memory with " + _describe_limits("pages", extern.pages, extern.type.limits.max)
    if isinstance(extern, Global):
        return f"global {'mut ' if extern.type.mutable else ''}{_describe_value_type(extern.type.valtype, extern.module_types)}"
    if isinstance(extern, Tag):
        return f"tag {extern.type}"
    return f"a Python {type(extern).__name__}, which is not a Func, Table, Memory, Global, Tag or callable"


def _describe_declared(desc: ImportDesc, types: Sequence) -> str:
    """The type a module declares for an import, in words."""
    if isinstance(desc, int):
        return f"func {types[desc]}"
    if isinstance(desc, TableType):
        elem = _describe_value_type(desc.elem, (types, ()))
        return f"{_bits(desc)}table of {elem} with " + _describe_limits("elements", desc.limits.min, desc.limits.max)
    if isinstance(desc, MemoryType):
        shared = "shared " if desc.shared else ""
        return f"{shared}{_bits(desc)}memory with " + _describe_limits("pages", desc.limits.min, desc.limits.max)
    if isinstance(desc, TagType):
        return f"tag {types[desc.type_index]}"
    return f"global {'mut ' if desc.mutable else ''}{_describe_value_type(desc.valtype, (types, ()))}"


def _describe_value_type(valtype: ValueType, module_types: ModuleTypes | None) -> str:
    """A value type in words; a reference to a defined type spelled out as that type (its
    index means something only in its own module)."""
    if module_types is None or not valtype.is_ref or isinstance(valtype.heap, HeapType):
        return str(valtype)
    return f"(ref {'null ' if valtype.nullable else ''}{module_types[0][valtype.heap]})"


def _bits(desc: TableType | MemoryType) -> str:
    """"64-bit " for a table or memory with i64 addresses (their address types must match)."""
    return "64-bit " if desc.is_64 else ""


ModuleTypes = tuple[Sequence[DefinedType], Sequence[int]]  # a module's types and their run-time ids


def _global_matches(glob: Global, declared: GlobalType, declared_types: ModuleTypes) -> bool:
    """A global fits an import of the same mutability and, if it is immutable, of a type its
    own is a subtype of: each type index read in its own module's types."""
    actual = glob.type
    if actual == declared and glob.module_types is None:
        return True
    if actual.mutable != declared.mutable:
        return False
    return _value_type_matches(actual.valtype, glob.module_types, declared.valtype, declared_types, actual.mutable)


def _value_type_matches(
    sub: ValueType, sub_types: ModuleTypes | None, sup: ValueType, sup_types: ModuleTypes | None, both_ways: bool
) -> bool:
    """`sub` is a subtype of `sup`, each type index read in its own module's types; `both_ways`
    (they are equivalent) for what is written as well as read through the import: a mutable
    global, a table."""
    if not (sub.is_ref and sup.is_ref):
        return sub == sup
    if sub.nullable and not sup.nullable or both_ways and sub.nullable != sup.nullable:
        return False
    if not _heap_matches(sub.heap, sub_types, sup.heap, sup_types):
        return False
    return not both_ways or _heap_matches(sup.heap, sup_types, sub.heap, sub_types)


def _heap_matches(sub: HeapType | int, sub_types: ModuleTypes | None, sup: HeapType | int, sup_types: ModuleTypes | None) -> bool:
    """Heap type subtyping across two modules (a type index of each read in its own)."""
    if isinstance(sub, HeapType) and isinstance(sup, HeapType):
        return sup in ABSTRACT_SUPERTYPES[sub]
    if isinstance(sub, HeapType):  # under a defined type: only its hierarchy's bottom
        return sup_types is not None and sub is BOTTOM[sup_types[0][sup].kind]
    if sub_types is None:
        return sub == sup
    if isinstance(sup, HeapType):
        return sup in ABSTRACT_SUPERTYPES[sub_types[0][sub].kind]
    return sup_types is not None and is_subtype_id(sub_types[1][sub], sup_types[1][sup])


def _check_import(imp: Import, extern: object, types: Sequence, type_ids: Sequence[int]) -> Extern:
    """`extern`, if it fits the type the module declares for `imp` (a function's by its type
    id, as equivalent types from different modules have the same); else a LinkError."""
    desc = imp.desc
    where = f"{imp.module}.{imp.name}"
    if isinstance(desc, int):
        ok = isinstance(extern, Func) and is_subtype_id(extern.type_id, type_ids[desc])
    elif isinstance(desc, TableType):
        ok = (
            isinstance(extern, Table)
            and _value_type_matches(extern.type.elem, extern.module_types, desc.elem, (types, type_ids), both_ways=True)
            and extern.type.address_type == desc.address_type
            and limits_match(Limits(extern.size, extern.type.limits.max), desc.limits)
        )
    elif isinstance(desc, MemoryType):
        ok = (
            isinstance(extern, Memory)
            and extern.type.address_type == desc.address_type
            and extern.type.shared == desc.shared
            and limits_match(Limits(extern.pages, extern.type.limits.max), desc.limits)
        )
    elif isinstance(desc, TagType):
        ok = isinstance(extern, Tag) and extern.type_id == type_ids[desc.type_index]
    else:
        ok = isinstance(extern, Global) and isinstance(desc, GlobalType) and _global_matches(extern, desc, (types, type_ids))
    if not ok:
        raise LinkError(
            f"incompatible import type for {where}: expected {_describe_declared(desc, types)}, "
            f"given {_describe_given(extern)}"
        )
    return cast(Extern, extern)
