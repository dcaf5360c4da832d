"""Component types resolved: what a type index stands for, independent of the scope that
names it, so that two types compare equal exactly when they are the same structure, and the
canonical ABI's flattening of function types (design/mvp/CanonicalABI.md, `flatten_functype`).

A value type resolves to a `Prim` or a `Val`: its kind ("record", "variant", "list", "tuple",
"flags", "enum", "option", "result", "own", "borrow", "stream", "future", "map") and its
parts, with each type index replaced by what it names. A resource is a `Resource`, equal
only to itself (resources are generative: each definition, and each import of one, is a new
type). A function type is a `Func`; an instance type an `InstanceT` (its exports), a
component type a `ComponentT` (its imports and exports), each export or import an `Entity`
(its sort, and its type). A core module type is a `ModuleT`; a core item's type is the core
`syntax.types` one, a tag's the `CoreTag` of its function type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..syntax.types import FuncType as CoreFuncType
from ..syntax.types import GlobalType, MemoryType, TableType, ValType
from .syntax import Prim, Sort

__all__ = [
    "Val", "VType", "Resource", "Func", "Entity", "InstanceT", "ComponentT", "ModuleT", "CoreTag",
    "CoreDesc", "AnyType", "MAX_FLAT_PARAMS", "MAX_FLAT_RESULTS", "MAX_FLAT_ASYNC_PARAMS", "flatten", "contains_pointer",
    "describe_core_types", "lowered_type", "named_prim", "async_value",
]  # fmt: skip

MAX_FLAT_PARAMS = 16
MAX_FLAT_RESULTS = 1
MAX_FLAT_ASYNC_PARAMS = 4  # an async lowering's parameters: past this many core values, one pointer


@dataclass(frozen=True)
class Val:
    """A defined value type: its kind and parts (labels, value types, counts, resources), and
    the value types among its parts (a variant's cases' and a result's present ones, in order),
    which its flattening and its size follow.

    `origin` is the type an import or export named anew as this one (None for a definition):
    which type a name stands for, for WIT's `use` (`wit`)."""

    kind: str
    parts: tuple[object, ...]
    children: tuple[VType, ...] = field(default=(), compare=False)
    origin: Val | None = field(default=None, compare=False, repr=False)


VType = Union[Prim, Val]


def named_prim(found: Prim) -> Prim:
    """A primitive type named anew (`type size = u64`): a copy of its enum member, equal to
    it in every way but identity, with the type it names as its `origin` (as `Val.origin`),
    so that which name a use of it has can be followed (WIT writes the name)."""
    copy = int.__new__(Prim, int(found))
    copy._name_, copy._value_ = found._name_, found._value_
    copy.origin = found  # type: ignore[attr-defined]
    return copy


class Resource:
    """A resource type: each is a type of its own. `rep` is the core representation of a
    resource defined in this component (None for an imported or abstract one).

    One declared by a component or instance type (`in_type`) stands for whichever resource an
    instance of that type has.

    An import or export of a resource names it anew: `alias()` gives another object for the
    same resource (equal to it), so that which name a type uses can be told apart (an import
    or export must use only named types); its `origin` is the object it was made from."""

    def __init__(self, rep: ValType | None = None, in_type: bool = False) -> None:
        self.rep = rep
        self.in_type = in_type  # declared in a component or instance type: bound there
        self.base = self
        self.origin: Resource | None = None

    def alias(self) -> Resource:
        named = Resource(self.rep, self.in_type)
        named.base = self.base
        named.origin = self
        return named

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resource) and other.base is self.base

    def __hash__(self) -> int:
        return id(self.base)

    def __repr__(self) -> str:
        return f"Resource(rep={self.rep})"


@dataclass(frozen=True)
class Func:
    params: tuple[tuple[str, VType], ...]
    result: VType | None
    is_async: bool = False


@dataclass(frozen=True)
class Entity:
    """An import or export: its sort (`Sort.CORE` for a core module) and its type, and the
    `external-id` and `implements` attributes of its name if it has them (which WIT shows as
    `@external-id` and as `import label: ns:pkg/iface`)."""

    sort: Sort
    type: object
    external_id: str | None = field(default=None, compare=False)
    implements: str | None = field(default=None, compare=False)


@dataclass
class InstanceT:
    exports: dict[str, Entity] = field(default_factory=dict)


@dataclass
class ComponentT:
    """A component's type; `defined` are the resources it defines, new in each instance."""

    imports: dict[str, Entity] = field(default_factory=dict)
    exports: dict[str, Entity] = field(default_factory=dict)
    defined: list[Resource] = field(default_factory=list, compare=False)


@dataclass(frozen=True)
class CoreTag:
    """A core tag's type: the function type of its payload."""

    type: CoreFuncType


CoreDesc = Union[CoreFuncType, TableType, MemoryType, GlobalType, CoreTag]


@dataclass
class ModuleT:
    """A core module's type: its imports (module, name, type) in order and its exports."""

    imports: list[tuple[str, str, CoreDesc]] = field(default_factory=list)
    exports: dict[str, CoreDesc] = field(default_factory=dict)


AnyType = Union[VType, Resource, Func, InstanceT, ComponentT]

_I32, _I64, _F32, _F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64
_PRIM_FLAT = {
    Prim.S64: _I64, Prim.U64: _I64, Prim.F32: _F32, Prim.F64: _F64,
}  # fmt: skip


def _join(a: ValType, b: ValType) -> ValType:
    if a == b:
        return a
    if {a, b} == {_I32, _F32}:
        return _I32
    return _I64


def flatten(vt: VType, out: list[ValType], limit: int) -> bool:
    """Append the core types `vt` flattens to onto `out`; False as soon as there would be more
    than `limit` of them (then `out` is left part-filled)."""
    if isinstance(vt, Prim):
        if vt == Prim.STRING:
            out += (_I32, _I32)
        else:
            out.append(_PRIM_FLAT.get(vt, _I32))
        return len(out) <= limit
    kind = vt.kind
    if kind in ("record", "tuple"):
        return all(flatten(t, out, limit) for t in vt.children)
    if kind in ("list", "map"):
        out += (_I32, _I32)
        return len(out) <= limit
    if kind == "flags":
        for _ in range((len(vt.parts) + 31) // 32):
            out.append(_I32)
            if len(out) > limit:
                return False
        return True
    if kind in ("variant", "option", "result"):
        return _flatten_cases(vt.children, out, limit)
    out.append(_I32)  # enum, own, borrow, stream, future
    return len(out) <= limit


def _flatten_cases(cases: tuple[VType, ...], out: list[ValType], limit: int) -> bool:
    """A variant: its discriminant, then each position the join of the cases' types there."""
    out.append(_I32)
    if len(out) > limit:
        return False
    joined: list[ValType] = []
    for case in cases:
        flat: list[ValType] = []
        if not flatten(case, flat, limit - len(out)):
            return False
        for i, t in enumerate(flat):
            if i < len(joined):
                joined[i] = _join(joined[i], t)
            else:
                joined.append(t)
    out += joined
    return len(out) <= limit


def contains_pointer(vt: VType) -> bool:
    """Whether a value of type `vt` may hold a string or list (so lives partly in memory)."""
    if isinstance(vt, Prim):
        return vt == Prim.STRING
    if vt.kind in ("list", "map"):
        return True
    if vt.kind in ("record", "tuple", "variant", "option", "result"):
        return any(contains_pointer(t) for t in vt.children)
    return False


def async_value(vt: VType) -> str | None:
    """The async component model's value type within `vt` ("stream", "future" or
    "error-context"), the first found; None if it has none."""
    if isinstance(vt, Prim):
        return "error-context" if vt == Prim.ERROR_CONTEXT else None
    if vt.kind in ("stream", "future"):
        return vt.kind
    return next((found for found in map(async_value, vt.children) if found is not None), None)


def lowered_type(func: Func, lift: bool, is_async: bool = False, callback: bool = False) -> tuple[CoreFuncType, bool, bool]:
    """The core function type of `func` lifted (`lift`) or lowered, as `flatten_functype`
    gives it, and whether parameters and results went through memory (flattened past the
    limit).

    With the `async` option (`is_async`), a lowered function takes at most
    `MAX_FLAT_ASYNC_PARAMS` core parameters, then a pointer to where its result goes (if it
    has one), and gives an i32 (the subtask's state and handle); a lifted one gives its
    result through `task.return` (through memory past `MAX_FLAT_PARAMS` core values) and
    returns an i32 (what to wait for) when it has a `callback`, nothing otherwise."""
    limit = MAX_FLAT_ASYNC_PARAMS if is_async and not lift else MAX_FLAT_PARAMS
    params: list[ValType] = []
    spilled_params = not all(flatten(t, params, limit) for _, t in func.params)
    if spilled_params:
        params = [_I32]
    results: list[ValType] = []
    if is_async:
        if lift:
            spilled_results = func.result is not None and not flatten(func.result, [], MAX_FLAT_PARAMS)
            results = [_I32] if callback else []
        else:
            spilled_results = func.result is not None
            params += [_I32] if spilled_results else []
            results = [_I32]
        return CoreFuncType(tuple(params), tuple(results)), spilled_params, spilled_results
    spilled_results = func.result is not None and not flatten(func.result, results, MAX_FLAT_RESULTS)
    if spilled_results:
        if lift:
            results = [_I32]
        else:
            params.append(_I32)
            results = []
    return CoreFuncType(tuple(params), tuple(results)), spilled_params, spilled_results


def describe_core_types(types: tuple[object, ...]) -> str:
    """Core value types as wasm-tools' messages list them: `[I32, I64]`."""
    return "[" + ", ".join(getattr(t, "name", str(t)) for t in types) + "]"
