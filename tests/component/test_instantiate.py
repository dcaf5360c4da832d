"""Component instantiation and the Python API, on both engines: components built here with
wasm-tools from hand-written core code (`instantiation/`: the `shapes` world, made by
`component embed` + `component new` as wit-component makes components, and a component
written in component text with nested parts), loaded with `wasmkit.load`, their exports
called with Python values, their imports given as Python functions and classes; the values
compared with wasmtime-py's on the same component."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
import subprocess
from pathlib import Path
from typing import Any

import pytest

import wasmkit
from tests.support import tool
from wasmkit.component.abi import Err, Ok, ResourceObject
from wasmkit.component.host import is_missing, lookup_import
from wasmkit.component.loader import Component
from wasmkit.errors import LinkError, Trap, WasmError

HERE = Path(__file__).parent / "instantiation"
ENGINES = ["python", "native"]


def _wasm_tools(*args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run([tool("wasm-tools"), *args], input=stdin, capture_output=True, check=True).stdout


def shapes_component() -> Component:
    """A new `Component` of the shapes world (component embed + component new)."""
    core = _wasm_tools("component", "embed", str(HERE / "shapes.wit"), str(HERE / "shapes.wat"))
    return Component(_wasm_tools("component", "new", "-", stdin=core), "shapes")


@pytest.fixture(scope="module")
def shapes() -> Component:
    return shapes_component()


@pytest.fixture(scope="module")
def nested() -> Component:
    return Component(_wasm_tools("parse", str(HERE / "nested.wat")), "nested")


class Sink:
    """The host's `sink` resource of `example:shapes/host-log`."""

    made: list[Sink] = []

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.closed = False
        Sink.made.append(self)

    def write(self, msg: str) -> None:
        self.lines.append(msg)

    def close(self) -> None:
        self.closed = True


def _host(logs: list[str]) -> dict[str, Any]:
    return {"example:shapes/host-log": {"log": logs.append, "make-sink": Sink, "consume": lambda s: len(s.lines), "sink": Sink}}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def _load(component: Component, engine: str, imports: dict[str, Any] | None = None) -> Any:
    return wasmkit.load(component, imports=_host([]) if imports is None else imports, engine=engine)


def test_values_cross_both_ways(shapes: Component, engine: str) -> None:
    logs: list[str] = []
    geometry = _load(shapes, engine, _host(logs)).exports.geometry
    assert geometry.greet("Ada") == "Hello, Ada!" and logs == ["Ada"]
    assert geometry.greet("żółw 😀") == "Hello, żółw 😀!"
    assert geometry.midpoint(geometry.Point(1.0, 2.0), geometry.Point(3.0, 4.0)) == geometry.Point(x=2.0, y=3.0)
    assert geometry.check(5) == 5
    with pytest.raises(Err) as err:
        geometry.check(-1)
    assert err.value.value == "negative"
    assert geometry.bump(None) is None and geometry.bump(4) == 5
    assert geometry.sum([1, 2, 3, 0xFFFF_FFFF]) == 6 + 0xFFFF_FFFF and geometry.sum([]) == 0
    assert geometry.paint(geometry.Color.RED, geometry.Style.ITALIC) == (geometry.Color.HOT_PINK, geometry.Style.BOLD | geometry.Style.ITALIC)
    assert geometry.paint("hot-pink", {"bold", "italic"}) == (geometry.Color.RED, geometry.Style.ITALIC)
    assert geometry.area(geometry.ShapeKind.Circle(2.0)) == 12.0
    assert geometry.area(geometry.ShapeKind.Square(3.0)) == 9.0
    assert geometry.area(geometry.ShapeKind.None_()) == 0.0
    with pytest.raises(ValueError):
        geometry.bump(256)
    with pytest.raises(TypeError):
        geometry.greet(1)


def test_exports_by_wit_name_and_attribute(shapes: Component, engine: str) -> None:
    exports = _load(shapes, engine).exports
    assert list(exports) == ["add", "example:shapes/geometry"]
    assert exports.add(2, 3) == exports["add"](2, 3) == 5
    geometry = exports["example:shapes/geometry"]
    assert exports.geometry is geometry and exports.example_shapes_geometry is geometry
    assert geometry["greet"]("Bo") == "Hello, Bo!"
    assert geometry.use_sink is geometry["use-sink"] is geometry["use_sink"]
    assert geometry["point"] is geometry.Point and geometry["counter"] is geometry.Counter
    assert {"Point", "ShapeKind", "Color", "Style", "Counter", "greet", "use_sink"} <= set(dir(geometry))
    assert "[method]counter.get" in geometry and "[method]counter.get" not in dir(geometry)
    with pytest.raises(AttributeError, match="no export named 'nope'"):
        exports.nope
    with pytest.raises(KeyError):
        exports["nope"]


def test_exported_resources_are_objects_with_methods(shapes: Component, engine: str) -> None:
    geometry = _load(shapes, engine).exports.geometry
    counter = geometry.Counter(5)
    assert isinstance(counter, geometry.Counter) and isinstance(counter, ResourceObject)
    assert counter.increment(3) == 8 and counter.get() == 8
    assert geometry.total(counter) == 8  # a borrow of it, given to the instance that defines it
    assert geometry.dropped() == 0
    counter.close()  # the component's destructor runs
    assert geometry.dropped() == 1 and counter.closed
    with pytest.raises(ValueError, match="closed"):
        counter.get()
    with geometry.Counter.make() as made:
        assert made.increment(2) == 2
    assert geometry.dropped() == 2


def test_resources_let_go_of_are_dropped_at_the_next_call(shapes: Component, engine: str) -> None:
    geometry = _load(shapes, engine).exports.geometry
    geometry.Counter(1)  # owned, never closed, collected at once (CPython counts references)
    geometry.Counter(2).close()
    assert geometry.dropped() == 2  # the collected one's destructor ran as `dropped` was entered


def test_host_resources_are_the_host_classes_objects(shapes: Component, engine: str) -> None:
    Sink.made.clear()
    geometry = _load(shapes, engine).exports.geometry
    assert geometry.use_sink("hello") == 1  # made, written to through its method, given back to the host
    assert Sink.made[0].lines == ["hello"] and not Sink.made[0].closed
    geometry.drop_sink()  # the component drops its own handle: the object is closed
    assert Sink.made[1].closed


def test_imports_in_snake_case_and_without_version(shapes: Component, engine: str) -> None:
    logs: list[str] = []

    class sink_impl:  # noqa: N801 - any class will do
        def __init__(self) -> None:
            self.n = 0

        def write(self, msg: str) -> None:
            self.n += len(msg)

    host = {"log": logs.append, "make_sink": sink_impl, "consume": lambda s: s.n, "Sink": sink_impl}
    geometry = _load(shapes, engine, {"example:shapes/host-log": host}).exports.geometry
    assert geometry.use_sink("four") == 4
    with pytest.raises(TypeError, match="expected a sink_impl"):
        _load(shapes, engine, {"example:shapes/host-log": {**host, "make_sink": Sink}}).exports.geometry.use_sink("x")


def test_missing_imports_are_link_errors(shapes: Component) -> None:
    with pytest.raises(LinkError, match="unknown import: `example:shapes/host-log` has not been defined"):
        shapes.instantiate({})
    with pytest.raises(LinkError, match="has no function `consume`"):
        shapes.instantiate({"example:shapes/host-log": {"log": print, "make-sink": Sink, "sink": Sink}})
    with pytest.raises(LinkError, match="expected a callable"):
        shapes.instantiate({"example:shapes/host-log": {**_host([])["example:shapes/host-log"], "log": 3}})


def test_host_errors_and_reentry(shapes: Component, engine: str) -> None:
    def failing(msg: str) -> None:
        raise RuntimeError("host failed")

    geometry = _load(shapes, engine, {"example:shapes/host-log": {**_host([])["example:shapes/host-log"], "log": failing}}).exports.geometry
    counter = geometry.Counter(1)
    with pytest.raises(RuntimeError, match="host failed"):  # as raised, as for a core module's host function
        geometry.greet("x")
    with pytest.raises(Trap, match="cannot enter component instance"):
        geometry.greet("x")
    with pytest.raises(Trap, match="cannot enter component instance"):
        counter.close()  # nor does its destructor run
    instance: list[Any] = []
    host = {**_host([])["example:shapes/host-log"], "log": lambda msg: instance[0].exports.add(1, 2)}
    instance.append(_load(shapes, engine, {"example:shapes/host-log": host}))
    with pytest.raises(WasmError) as caught:
        instance[0].exports.geometry.greet("x")
    assert "cannot enter component instance" in str(caught.value) + str(caught.value.__cause__)
    with pytest.raises(Trap, match="cannot enter component instance"):  # after a trap, as in wasmtime
        instance[0].exports.add(1, 2)
    fresh = _load(shapes, engine)
    with pytest.raises(ValueError):
        fresh.exports.add(-1, 2)  # a Python value that does not fit: the instance is left as it was
    assert fresh.exports.add(1, 2) == 3


def test_calls_from_threads_wait_for_one_another(shapes: Component, engine: str) -> None:
    geometry = _load(shapes, engine).exports.geometry
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(geometry.greet, [f"t{n}" for n in range(40)]))
    assert results == [f"Hello, t{n}!" for n in range(40)]


def test_nested_components_aliases_and_builtins(nested: Component, engine: str) -> None:
    doubled: list[int] = []

    def double(x: int) -> int:
        doubled.append(x)
        return 2 * x

    exports = wasmkit.load(nested, imports={"double": double}, engine=engine).exports
    assert exports.tools.again(3) == 12 and doubled == [3, 6]
    assert exports.roundtrip(77) == 77  # resource.new, .rep and .drop
    assert exports.posts() == 0
    assert exports.tools.name() == "H\u0100"  # utf16, then post-return
    assert exports.posts() == 1


def test_another_components_exports_as_imports(nested: Component, engine: str) -> None:
    server = wasmkit.load(nested, imports={"double": lambda x: 2 * x}, engine=engine)
    client = Component(_wasm_tools("parse", str(HERE / "client.wat")), "client")
    assert wasmkit.load(client, imports={"tools": server.exports.tools}, engine=engine).exports.run(3) == 13
    # a lifted function of one instance as another's function import
    relay = wasmkit.load(nested, imports={"double": server.exports.roundtrip}, engine=engine)
    assert relay.exports.tools.again(5) == 5
    with pytest.raises(LinkError, match="has no export `again`"):
        client.instantiate({"tools": server.exports})


def test_host_results_ok_err_and_raised(engine: str) -> None:
    def parse(s: str) -> object:
        if s == "returned":
            return Err("returned err")
        if not s.isdigit():
            raise Err(f"not a number: {s}")
        return Ok(int(s)) if s == "7" else int(s)

    exports = wasmkit.load(_wasm_tools("parse", str(HERE / "results.wat")), imports={"parse": parse}, engine=engine).exports
    assert exports.try_parse("42") == 42 and exports.try_parse("7") == 7
    with pytest.raises(Err) as err:
        exports.try_parse("x ż")
    assert err.value.value == "not a number: x ż"
    with pytest.raises(Err) as err:
        exports.try_parse("returned")
    assert err.value.value == "returned err"


def test_import_keys_may_leave_out_the_version() -> None:
    assert lookup_import({"wasi:io/streams": 1}, "wasi:io/streams@0.2.0") == 1
    assert lookup_import({"wasi:io/streams@0.2.0": 2, "wasi:io/streams": 1}, "wasi:io/streams@0.2.0") == 2
    assert is_missing(lookup_import({"wasi:io/streams@0.2.1": 1}, "wasi:io/streams@0.2.0"))


def test_agrees_with_wasmtime(shapes: Component, engine: str) -> None:
    component = pytest.importorskip("wasmtime.component")
    wasmtime = pytest.importorskip("wasmtime")
    wt_engine = wasmtime.Engine()
    store = wasmtime.Store(wt_engine)
    compiled = component.Component(wt_engine, shapes.data)
    linker = component.Linker(wt_engine)
    theirs_logs: list[str] = []
    with linker.root() as root, root.add_instance("example:shapes/host-log") as host:
        host.add_func("log", lambda _store, msg: theirs_logs.append(msg))
    linker.define_unknown_imports_as_traps(compiled)
    theirs = linker.instantiate(store, compiled)
    geometry_index = theirs.get_export_index(store, "example:shapes/geometry")

    def call(name: str, *args: object) -> object:
        return theirs.get_func(store, theirs.get_export_index(store, name, geometry_index))(store, *args)

    ours_logs: list[str] = []
    ours = _load(shapes, engine, _host(ours_logs)).exports.geometry
    record = component.Record()
    record.x, record.y = 1.5, -2.0
    assert ours.greet("Ada ż") == call("greet", "Ada ż") and ours_logs == theirs_logs
    assert vars(call("midpoint", record, record)) == dataclasses.asdict(ours.midpoint(ours.Point(1.5, -2.0), ours.Point(1.5, -2.0)))
    assert ours.check(7) == call("check", 7)
    with pytest.raises(Err) as err:
        ours.check(-7)
    assert err.value.value == call("check", -7)
    for value in (None, 0, 200):
        assert ours.bump(value) == call("bump", value)
    assert ours.sum([5, 6, 7]) == call("sum", [5, 6, 7])
    color, style = ours.paint("red", {"italic"})
    assert (color.value, {m.name.lower() for m in ours.Style if m in style}) == call("paint", "red", {"italic"})
    for case, payload in (("circle", 1.25), ("square", 2.0)):
        cls = getattr(ours.ShapeKind, case.capitalize())
        assert ours.area(cls(payload)) == call("area", component.Variant(case, payload))


def test_load_from_path_and_bytes(tmp_path: Path, nested: Component) -> None:
    data = _wasm_tools("parse", str(HERE / "nested.wat"))
    path = tmp_path / "nested.wasm"
    path.write_bytes(data)
    for source in (path, str(path), data):
        assert wasmkit.load(source, imports={"double": lambda x: x}).exports.tools.again(5) == 5


def test_async_builtins_instantiate(engine: str) -> None:
    """The async ABI's built-ins are made at instantiation (test_async_run runs them)."""
    data = _wasm_tools("parse", "-", stdin=b"(component (core func (canon task.cancel)) (core func (canon backpressure.inc)))")
    assert len(wasmkit.load(data, engine=engine).exports) == 0
