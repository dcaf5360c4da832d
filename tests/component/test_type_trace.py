"""A component's scope types, recorded by its first instantiation that completes and replayed
by the later ones (component/type_trace.py): a replayed instance behaves as a fresh one,
its resources are its own, and an instantiation that fails records nothing."""

from __future__ import annotations

from typing import Any

import pytest

import wasmkit
from tests.component.test_instantiate import HERE, _host, _wasm_tools, shapes_component
from wasmkit.component.loader import Component
from wasmkit.component.type_trace import ReplayedScope, Tracing, TypeTrace
from wasmkit.errors import LinkError


def trace_of(component: Component) -> TypeTrace:
    return component._types  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("engine", ["python", "native"])
def test_later_instances_replay_the_first_ones_types(engine: str) -> None:
    component = shapes_component()
    assert trace_of(component).scopes is None
    first: Any = wasmkit.load(component, imports=_host([]), engine=engine).exports.geometry
    recorded = trace_of(component).scopes
    assert recorded is not None and len(recorded) >= 1
    second: Any = wasmkit.load(component, imports=_host([]), engine=engine).exports.geometry
    assert trace_of(component).scopes is recorded  # kept, not made again
    for geometry in (first, second):
        assert geometry.greet("Ada") == "Hello, Ada!"
        assert geometry.midpoint(geometry.Point(1.0, 2.0), geometry.Point(3.0, 4.0)) == geometry.Point(x=2.0, y=3.0)
        assert geometry.area(geometry.ShapeKind.Circle(2.0)) == 12.0
    # Each instance's resource type is its own, though the two share their type objects.
    counter = second.Counter(5)
    assert second.total(counter) == 5
    with pytest.raises((TypeError, ValueError, wasmkit.WasmError)):
        first.total(counter)
    counter.close()
    assert second.dropped() == 1 and first.dropped() == 0


def test_an_instantiation_that_fails_records_nothing() -> None:
    component = shapes_component()
    with pytest.raises(LinkError):
        component.instantiate({})  # its host imports are missing
    assert trace_of(component).scopes is None
    wasmkit.load(component, imports=_host([]))
    assert trace_of(component).scopes is not None


def test_nested_components_are_replayed_in_the_order_they_were_made() -> None:
    nested = Component(_wasm_tools("parse", str(HERE / "nested.wat")), "nested")
    results = []
    for _ in range(3):
        exports: Any = wasmkit.load(nested, imports={"double": lambda x: 2 * x}).exports
        results.append((exports.tools.again(3), exports.roundtrip(77), exports.tools.name(), exports.posts()))
    assert results == [(12, 77, "H\u0100", 1)] * 3
    recorded = trace_of(nested).scopes
    assert recorded is not None and len(recorded) > 1  # the outermost scope and the nested ones
    tracing = Tracing(trace_of(nested), True)
    assert all(isinstance(tracing.scope(None), ReplayedScope) for _ in recorded)
