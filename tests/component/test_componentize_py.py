"""A real component: Python sources (`instantiation/calc/`: records, variants, enums, flags,
options, results, lists, bytes and a resource with a borrow) built by componentize-py into a
component with CPython inside (18 MB, built once: `componentize`), run through
`wasmkit.load` on both engines with its WASI 0.2 imports stubbed by Python functions, and
compared with wasmtime-py (which gets wasmtime's own WASI), whose compiled form is kept
beside it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import wasmkit
from tests.component.componentize import builder, componentize
from wasmkit.component.abi import Err
from wasmkit.component.loader import Component
from wasmkit.component.syntax import Sort
from wasmkit.runtime.store import Store, StoreLimits


SOURCES = Path(__file__).parent / "instantiation" / "calc"
ENGINES = ["python", "native"]


def build_calc() -> Path:
    """The componentize-py build of `SOURCES`, kept in the cache directory (`componentize`)."""
    return componentize("calc", SOURCES / "calc.wit", "calc", SOURCES / "app")


@pytest.fixture(scope="module")
def built() -> Path:
    if builder() is None:
        pytest.skip("componentize-py is not installed (the test extras)")
    return build_calc()


def _wasi_stubs(component: Component) -> dict[str, Any]:
    """Every WASI function the component imports, as a stub that fails when called, but the
    three CPython calls as it starts (arguments, environment, random bytes)."""
    working = {"get-arguments": lambda: [], "get-environment": lambda: [], "get-random-bytes": os.urandom}

    def failing(name: str) -> Any:
        def stub(*args: object) -> None:
            raise RuntimeError(f"{name} is stubbed")

        return stub

    imports: dict[str, Any] = {}
    for name, entity in component.valid.type.imports.items():
        if name.startswith("wasi:"):
            exports = entity.type.exports
            imports[name] = {f: working.get(f, failing(f)) for f, e in exports.items() if e.sort == Sort.FUNC}
    return imports


@pytest.fixture(scope="module")
def component(built: Path) -> Component:
    return Component(built)


@pytest.mark.parametrize("engine", ENGINES)
def test_componentize_py_component(component: Component, engine: str) -> None:
    imports = {**_wasi_stubs(component), "example:calc/host": {"upper": str.upper}}
    store = Store(engine, StoreLimits(memory_bytes=256 << 20))
    ops = wasmkit.load(component, imports=imports, store=store).exports.ops
    assert ops.divide(7, 2) == 3
    with pytest.raises(Err) as err:
        ops.divide(1, 0)
    assert err.value.value == "division by zero"
    rect = ops.Shape.Rect(ops.Point(1, -2))
    assert ops.describe(rect, ops.Color.HOT_PINK, ops.Perms.READ | ops.Perms.EXEC) == "Shape_Rect:Point(x=1, y=-2)|HOT_PINK|5"
    assert ops.describe(ops.Shape.Empty(), "red", set()) == "Shape_Empty:None|RED|0"
    assert ops.first(["a", "b"]) == "a" and ops.first([]) is None
    assert ops.scale([ops.Point(1, 2), ops.Point(-3, 4)], 3) == [ops.Point(3, 6), ops.Point(-9, 12)]
    assert ops.reverse(b"\x00abc\xff") == b"\xffcba\x00"
    assert ops.shout("héllo") == "HÉLLO!"
    with ops.Accumulator(10) as acc:
        assert acc.add(5) == 15 and acc.total() == 15
        assert ops.weigh(acc) == 30
    assert acc.closed


def test_agrees_with_wasmtime(component: Component, built: Path) -> None:
    wasmtime = pytest.importorskip("wasmtime")
    wt = pytest.importorskip("wasmtime.component")
    engine = wasmtime.Engine()
    compiled_path = built.with_suffix(".wasmtime")
    try:
        compiled = wt.Component.deserialize_file(engine, str(compiled_path))
    except Exception:  # not there yet, or made by another wasmtime
        compiled = wt.Component.from_file(engine, str(built))
        compiled_path.write_bytes(compiled.serialize())
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wt.Linker(engine)
    linker.add_wasip2()
    with linker.root() as root, root.add_instance("example:calc/host") as host:
        host.add_func("upper", lambda _store, s: s.upper())
    theirs = linker.instantiate(store, compiled)
    ops_index = theirs.get_export_index(store, "example:calc/ops")

    def call(name: str, *args: object) -> Any:
        return theirs.get_func(store, theirs.get_export_index(store, name, ops_index))(store, *args)

    imports = {**_wasi_stubs(component), "example:calc/host": {"upper": str.upper}}
    ops = wasmkit.load(component, imports=imports, store=Store("python", StoreLimits(memory_bytes=256 << 20))).exports.ops
    assert ops.divide(9, 4) == call("divide", 9, 4)
    with pytest.raises(Err) as err:
        ops.divide(9, 0)
    assert err.value.value == call("divide", 9, 0)
    assert ops.describe(ops.Shape.Circle(7), ops.Color.GREEN, ops.Perms.WRITE) == call("describe", 7, "green", {"write"})  # wasmtime-py tags a case only when its payload type is ambiguous
    for xs in (["x", "y"], []):
        assert ops.first(xs) == call("first", xs)
    point = wt.Record()
    point.x, point.y = 5, -6
    assert [(p.x, p.y) for p in ops.scale([ops.Point(5, -6)], -2)] == [(p.x, p.y) for p in call("scale", [point], -2)]
    assert ops.reverse(b"wasm") == bytes(call("reverse", b"wasm"))
    assert ops.shout("ok") == call("shout", "ok")
