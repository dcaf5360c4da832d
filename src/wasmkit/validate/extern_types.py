"""Import matching of core extern types, statically: whether an item of one type may be given
for an import of another (the spec's "import subtyping" of external types). Instantiation
checks run-time items with these rules (`runtime.instance`, which also knows a table's or
memory's current size), a component's core instantiations check the declared types of
another module's exports (`component.validate`).

Limits match when the given minimum is at least the declared one and, if a maximum is
declared, the given maximum exists and is at most it. Functions and tags need equal function
types, tables equal element types, globals equal types when mutable and a subtype when not.
Function types are compared by their parameters and results (a type index inside them is
compared as written: components' core modules pass no GC types to one another).
"""

from __future__ import annotations

from ..syntax.types import ExternType, FuncType, GlobalType, Limits, MemoryType, TableType, TagType
from .subtyping import TypeRelation

__all__ = ["limits_match", "extern_type_matches", "describe_extern_type"]


def limits_match(actual: Limits, declared: Limits) -> bool:
    """Whether limits `actual` fit where `declared` are expected."""
    if actual.min < declared.min:
        return False
    if declared.max is None:
        return True
    return actual.max is not None and actual.max <= declared.max


def _same_signature(a: FuncType, b: FuncType) -> bool:
    return a.params == b.params and a.results == b.results


def extern_type_matches(actual: ExternType, declared: ExternType) -> bool:
    """Whether an item of type `actual` may be given for an import of type `declared` (tags
    by their type index: the caller compares what those name)."""
    if isinstance(declared, FuncType):
        return isinstance(actual, FuncType) and _same_signature(actual, declared)
    if isinstance(declared, TagType):
        return actual == declared
    if isinstance(declared, TableType):
        return (
            isinstance(actual, TableType)
            and actual.elem == declared.elem
            and actual.address_type == declared.address_type
            and limits_match(actual.limits, declared.limits)
        )
    if isinstance(declared, MemoryType):
        return (
            isinstance(actual, MemoryType)
            and actual.address_type == declared.address_type
            and actual.shared == declared.shared
            and limits_match(actual.limits, declared.limits)
        )
    if not isinstance(actual, GlobalType) or actual.mutable != declared.mutable:
        return False
    if actual.mutable:
        return actual.valtype == declared.valtype
    return TypeRelation(()).matches(actual.valtype, declared.valtype)


def describe_extern_type(desc: ExternType) -> str:
    """A core extern type as wasm-tools prints it: `(func (param i32) (result i32))`."""
    if isinstance(desc, FuncType):
        params = "".join(f" (param {' '.join(map(str, desc.params))})" if desc.params else "")
        results = "".join(f" (result {' '.join(map(str, desc.results))})" if desc.results else "")
        return f"(func{params}{results})"
    if isinstance(desc, TableType):
        return f"(table {desc.limits} {desc.elem})"
    if isinstance(desc, MemoryType):
        return f"(memory {desc.limits}{' shared' if desc.shared else ''})"
    if isinstance(desc, GlobalType):
        return f"(global {'(mut ' + str(desc.valtype) + ')' if desc.mutable else desc.valtype})"
    return "(tag)"
