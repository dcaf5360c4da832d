"""Whether what a component is given fits what it imports, and the types of what its instance
then exports.

Types match when they are the same structure (`types`' resolved types compare so), with two
relaxations that cost little: an instance may export more than an instance type asks for,
and an abstract resource that the imports declare (`(type (sub resource))`) stands for
whichever resource the arguments give for it, bound on its first use. The instance made
then exports the component's types with those resources put in, and with a new resource for
each one that the component itself defines (resources are generative: each instance has its
own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import cast

from .syntax import Prim, Sort
from .types import ComponentT, Entity, Func, InstanceT, Resource, Val, named_prim

__all__ = ["SORT_NAMES", "unify", "substitute"]

SORT_NAMES = {
    Sort.CORE: "module", Sort.FUNC: "func", Sort.VALUE: "value", Sort.TYPE: "type",
    Sort.COMPONENT: "component", Sort.INSTANCE: "instance",
}  # fmt: skip


def unify(actual: object, expected: object, bound: dict[Resource, Resource]) -> str | None:
    """Why `actual` does not fit where `expected` is asked for, or None when it does (binding
    `expected`'s abstract resources in `bound` as it goes)."""
    if isinstance(expected, Entity):
        if not isinstance(actual, Entity) or actual.sort != expected.sort:
            found = SORT_NAMES[actual.sort] if isinstance(actual, Entity) else "nothing"
            return f"expected {SORT_NAMES[expected.sort]}, found {found}"
        return unify(actual.type, expected.type, bound)
    if isinstance(expected, Resource):
        if expected in bound:
            return None if bound[expected] == actual else "resource types are not the same"
        if expected == actual:
            return None
        if expected.rep is None and isinstance(actual, Resource):
            bound[expected] = actual
            return None
        return "expected resource, found another type" if not isinstance(actual, Resource) else "resource types are not the same"
    if isinstance(expected, InstanceT):
        if not isinstance(actual, InstanceT):
            return "expected instance type"
        for name, wanted in expected.exports.items():
            given = actual.exports.get(name)
            if given is None:
                return f"missing expected export `{name}`"
            reason = unify(given, wanted, bound)
            if reason is not None:
                return f"type mismatch in instance export `{name}`: {reason}"
        return None
    if isinstance(expected, ComponentT):
        if not isinstance(actual, ComponentT):
            return "expected component type"
        for name, needed in actual.imports.items():  # what it needs, the caller can give
            offered = expected.imports.get(name)
            if offered is None:
                return f"missing import named `{name}`"
            reason = unify(offered, needed, bound)
            if reason is not None:
                return f"type mismatch in import `{name}`: {reason}"
        return unify(InstanceT(actual.exports), InstanceT(expected.exports), bound)
    if isinstance(expected, Func):
        if not isinstance(actual, Func):
            return "expected func type"
        if len(actual.params) != len(expected.params):
            return f"expected {len(expected.params)} parameters, found {len(actual.params)}"
        for (name, _), (wanted_name, _) in zip(actual.params, expected.params):
            if name != wanted_name:
                return f"expected parameter named `{wanted_name}`, found `{name}`"
        if actual.is_async != expected.is_async:
            return "async and sync functions differ"
        for (name, have), (_, want) in zip(actual.params, expected.params):
            if unify(have, want, bound) is not None:
                return f"type mismatch in function parameter `{name}`"
        if (actual.result is None) != (expected.result is None) or unify(actual.result, expected.result, bound) is not None:
            return "type mismatch with result type"
        return None
    if isinstance(expected, Val):
        if not isinstance(actual, Val) or actual.kind != expected.kind or len(actual.parts) != len(expected.parts):
            return "value types differ"
        for part, wanted_part in zip(actual.parts, expected.parts):
            if unify(part, wanted_part, bound) is not None:
                return "value types differ"
        return None
    if isinstance(expected, tuple):
        if not isinstance(actual, tuple) or len(actual) != len(expected):
            return "types differ"
        return next((r for r in (unify(a, e, bound) for a, e in zip(actual, expected)) if r is not None), None)
    return None if actual == expected else "types differ"


def substitute(found: object, replace: Callable[[Resource], Resource], types: dict[int, object] | None = None) -> object:
    """`found` with each resource in it replaced by `replace(resource)` and each value type
    whose id is in `types` (a type import bound by an instantiation) by its argument; the very
    same object where nothing in it is replaced (a type's identity tells whether it is named,
    and which name it has). A type met twice is replaced by the same object both times."""
    return _Substitution(replace, types or {}).of(found)


class _Substitution:
    def __init__(self, replace: Callable[[Resource], Resource], types: dict[int, object]) -> None:
        self.replace = replace
        self.done: dict[int, object] = dict(types)
        self.kept = list(types.values())  # so that the ids in `done` stay theirs

    def of(self, found: object) -> object:
        if isinstance(found, tuple):
            return self.each(found)
        if not isinstance(found, (Resource, Entity, Val, Func, InstanceT, ComponentT, Prim)):
            return found
        made = self.done.get(id(found))
        if made is None:
            made = self.done[id(found)] = self._made(found)
            self.kept.append(found)
        return made

    def _made(self, found: object) -> object:
        if isinstance(found, Prim):
            origin = getattr(found, "origin", None)  # a primitive named anew (`types.named_prim`)
            if origin is None:
                return found
            replaced = self.of(origin)
            return found if replaced is origin else named_prim(replaced)  # type: ignore[arg-type]
        if isinstance(found, Resource):
            if found.origin is None:
                return self.replace(found)
            origin = self.of(found.origin)  # a new name of a replaced resource: a new name of its replacement
            return found if origin is found.origin else origin.alias()  # type: ignore[attr-defined]
        if isinstance(found, Entity):
            inner = self.of(found.type)
            return found if inner is found.type else replace(found, type=inner)
        if isinstance(found, Val):
            parts = self.each(found.parts)
            origin = None if found.origin is None else self.of(found.origin)
            if parts is found.parts and origin is found.origin:
                return found
            return Val(found.kind, parts, self.each(found.children), origin)  # type: ignore[arg-type]
        if isinstance(found, Func):
            params = self.each(found.params)
            result = self.of(found.result)
            if params is found.params and result is found.result:
                return found
            return Func(params, result, found.is_async)  # type: ignore[arg-type]
        if isinstance(found, InstanceT):
            exports = {n: self.of(e) for n, e in found.exports.items()}
            return found if all(exports[n] is e for n, e in found.exports.items()) else InstanceT(exports)  # type: ignore[arg-type]
        component = cast(ComponentT, found)
        imports = {n: self.of(e) for n, e in component.imports.items()}
        exports = {n: self.of(e) for n, e in component.exports.items()}
        return ComponentT(imports, exports, component.defined)  # type: ignore[arg-type]

    def each(self, items: tuple[object, ...]) -> tuple[object, ...]:
        """Over a tuple: `items` itself when nothing in it changes."""
        done = tuple(self.of(item) for item in items)
        return items if all(a is b for a, b in zip(done, items)) else done
