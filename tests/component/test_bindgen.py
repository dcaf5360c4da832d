"""`wasmkit bindgen`: the typed module written for a component's world passes `mypy --strict`
(with a user script using it) for the componentize-py calculator (`instantiation/calc`, kept
built in the cache) and for the WIT test worlds (kitchen: every kind of type, resources
imported and exported, `use` across packages, with a script implementing its imports; shapes;
a WASI command and an HTTP proxy); it
loads the calculator on both engines with its imports given as a class implementing the
generated Protocol, and what the component returns is of the generated classes. Then the
naming, docstrings and errors, on small `Resolve`s made here."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import wasmkit
from tests.component.componentize import builder
from tests.component.test_componentize_py import ENGINES, build_calc
from tests.component.test_wit import WIT, _built
from wasmkit.cli import main
from wasmkit.component.abi import Err, GivenClasses
from wasmkit.component.bindgen import bindgen_component, generate
from wasmkit.component.loader import Component
from wasmkit.component.resource_types import GuestResource
from wasmkit.component.syntax import Prim
from wasmkit.component.wit import Function, Interface, Package, Resolve, TypeDef, World
from wasmkit.errors import WitError
from wasmkit.runtime.store import Store, StoreLimits

SRC = Path(wasmkit.__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"

USER_SCRIPT = """
    from calc_bindings import Color, Imports, Perms, Point, Shape, ShapeRect, load


    class Host:
        def upper(self, s: str) -> str:
            return s.upper()


    def use(path: str) -> int:
        ops = load(path, imports=Imports(host=Host()), wasi=True).ops
        scaled: list[Point] = ops.scale([Point(1, 2)], 3)
        shape: Shape = ShapeRect(scaled[0])
        text: str = ops.describe(shape, Color.RED, Perms.READ)
        first: str | None = ops.first([text])
        with ops.Accumulator(1) as acc:
            total: int = acc.add(2) + ops.weigh(acc)
        return total + len(first or "")
"""


KITCHEN_SCRIPT = """
    import kitchen_bindings as kb


    class MyBlob:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def len(self) -> int:
            return len(self.data)


    class Common:
        Blob = MyBlob


    class MyThing:
        def __init__(self, n: int) -> None:
            self.n = n

        def name(self) -> str:
            return str(self.n)

        @staticmethod
        def make() -> MyThing:
            return MyThing(0)

        def touch(self, other: kb.ThingImport, b: kb.Blob) -> int:
            return b.len()


    class Things:
        Thing = MyThing

        def f(self, x: kb.Type, o: kb.Opts, v: kb.V, t: tuple[int, int]) -> None:
            pass

        def g(self) -> int:
            return 1

        def h(self, a: list[list[str]]) -> kb.Outcome | None:
            return None


    class Host:
        def get(self, i: str) -> kb.Cfg:
            return kb.Cfg(len(i))


    imports = kb.Imports(common=Common(), things=Things(), host=Host(), now=lambda: 5)


    def use(root: kb.Root) -> str:
        thing = root.things.Thing(3)
        return root.api.ping(thing) + thing.name() + str(root.run(["a"]))
"""


@pytest.fixture(scope="module")
def calc() -> Path:
    if builder() is None:
        pytest.skip("componentize-py is not installed (the test extras)")
    return build_calc()


@pytest.fixture(scope="module")
def component(calc: Path) -> Component:
    return Component(calc)


@pytest.fixture(scope="module")
def kitchen() -> bytes:
    return _built(WIT / "kitchen", "kitchen")


@pytest.fixture(scope="module")
def generated(component: Component, kitchen: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the modules bindgen writes for the test components, and a script."""
    out = tmp_path_factory.mktemp("bindgen")
    (out / "calc_bindings.py").write_text(bindgen_component(component, "calc.wasm"))
    (out / "user.py").write_text(textwrap.dedent(USER_SCRIPT))
    (out / "kitchen_user.py").write_text("from __future__ import annotations\n" + textwrap.dedent(KITCHEN_SCRIPT))
    sources = {
        "kitchen": kitchen,
        "shapes": _built(WIT / "shapes.wit", "app"),
        "command": (DATA / "command.wasm").read_bytes(),
        "proxy": (DATA / "proxy.wasm").read_bytes(),
    }
    for name, data in sources.items():
        (out / f"{name}_bindings.py").write_text(bindgen_component(data, name))
    for name in ("documented.wit", "kitchen"):  # WIT text, through the command line
        assert main(["bindgen", str(WIT / name), "-o", str(out / f"{name.partition('.')[0]}_wit_bindings.py")]) == 0
    return out


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def test_the_generated_modules_and_a_script_using_them_pass_mypy_strict_which_finds_misuses(generated: Path) -> None:
    wrong = "from calc_bindings import Point, Root\n\ndef f(root: Root) -> str:\n    return root.ops.scale([Point(1, 2)], 'x')\n"
    (generated / "wrong.py").write_text(wrong)
    try:
        files = sorted(p.name for p in generated.glob("*.py"))
        env = {**os.environ, "MYPYPATH": str(SRC)}
        command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", "--no-error-summary", *files]
        done = subprocess.run(command, cwd=generated, capture_output=True, text=True, env=env, timeout=300)
    finally:
        (generated / "wrong.py").unlink()
    assert done.stdout.splitlines() == [
        'wrong.py:4: error: Incompatible return value type (got "list[Point]", expected "str")  [return-value]',
        'wrong.py:4: error: Argument 2 to "scale" of "OpsExports" has incompatible type "str"; expected "int"  [arg-type]',
    ], done.stdout + done.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_the_calculator_runs_through_its_bindings_with_values_of_the_generated_classes(generated: Path, component: Component, engine: str) -> None:
    cb = _import(generated / "calc_bindings.py")
    seen = []

    class Host:
        def upper(self, s: str) -> str:
            seen.append(s)
            return s.upper()

    store = Store(engine, StoreLimits(memory_bytes=256 << 20))
    root = cb.load(component, imports=cb.Imports(host=Host()), wasi=True, store=store)
    ops = root.ops
    scaled = ops.scale([cb.Point(1, 2), cb.Point(-3, 4)], 3)
    assert scaled == [cb.Point(3, 6), cb.Point(-9, 12)] and all(type(p) is cb.Point for p in scaled)
    assert ops.describe(cb.Shape.Rect(cb.Point(1, -2)), cb.Color.HOT_PINK, cb.Perms.READ | cb.Perms.EXEC) == "Shape_Rect:Point(x=1, y=-2)|HOT_PINK|5"
    assert ops.describe(cb.ShapeEmpty(), cb.Color.RED, cb.Perms(0)) == "Shape_Empty:None|RED|0"
    assert ops.divide(7, 2) == 3
    with pytest.raises(Err) as err:
        ops.divide(1, 0)
    assert err.value.value == "division by zero"
    assert ops.first(["a"]) == "a" and ops.first([]) is None
    assert ops.shout("héllo") == "HÉLLO!" and seen == ["héllo"]
    with ops.Accumulator(10) as acc:
        assert isinstance(acc, cb.Accumulator) and acc.add(5) == 15 and ops.weigh(acc) == 30
    assert acc.closed
    # the untyped API gives the same classes: one set of classes per loaded instance's types
    assert root.instance.exports.ops.Point is cb.Point and root.instance.exports.ops.Color is cb.Color
    assert isinstance(root.instance.exports.ops.Shape.Rect(cb.Point(0, 0)), cb.Shape)


def test_the_generated_resource_class_itself_says_where_to_make_one(generated: Path) -> None:
    cb = _import(generated / "calc_bindings.py")
    with pytest.raises(TypeError, match="call it on the class a loaded instance gives"):
        cb.Accumulator(1)


def test_the_module_names_what_a_kitchen_sink_world_has(generated: Path) -> None:
    kitchen = _import(generated / "kitchen_bindings.py")
    assert issubclass(kitchen.Thing, GuestResource) and kitchen.ThingImport._is_protocol
    assert [c.wit_case for c in kitchen.V.cases] == ["none", "one", "many"] and kitchen.V.One(3).value == 3
    assert kitchen.Couple is kitchen.Pair and kitchen.Opts.C.value == 4 and kitchen.Type.RECORD.value == "record"
    assert {f.name for f in kitchen.Interface.__dataclass_fields__.values()} == {"use", "sz", "own"}
    assert set(kitchen.Imports.__dataclass_fields__) == {"common", "things", "host", "now"}
    assert kitchen.CLASSES.resources == {("example:kitchen/things", "thing"): kitchen.Thing}
    assert kitchen.CLASSES.value_class("record", "couple", ("a", "b")) is kitchen.Pair
    command = (generated / "command_bindings.py").read_text()
    assert "class RunExports:" in command and "imports: Imports | None = None," in command


def test_output_is_deterministic(kitchen: bytes, generated: Path) -> None:
    assert bindgen_component(kitchen, "kitchen") == (generated / "kitchen_bindings.py").read_text()


# -- small worlds made here ------------------------------------------------------------------


def _world(docs: str | None = None) -> Resolve:
    """A world importing interface `a` and exporting interface `b`, each with a record `point`
    (one with docs `docs`), and exporting a function of it."""
    package = Package("ex", "pkg", "1.0.0")
    a, b = Interface("a", package), Interface("b", package)
    a.types["point"] = TypeDef("point", "record", (("x", Prim.U32), ("self", Prim.F64)), a, docs=docs, item_docs={"x": "The x."})
    b.types["point"] = TypeDef("point", "record", (("y", Prim.STRING),), b)
    b.functions["get"] = Function("get", "freestanding", (("p", a.types["point"]),), b.types["point"], docs=docs)
    a.functions["put"] = Function("put", "freestanding", (("class", a.types["point"]),), None)
    package.interfaces = {"a": a, "b": b}
    world = World("w", package, imports={a: a}, exports={b: b, "run": Function("run", "freestanding", (), Prim.S32)})
    package.worlds["w"] = world
    return Resolve(package, [])


def test_types_of_one_name_in_two_interfaces_get_two_names(tmp_path: Path) -> None:
    text = generate(_world())
    assert "class Point:" in text and "class BPoint:" in text
    assert "    def get(self, p: Point) -> BPoint:" in text
    assert "    def put(self, class_: Point) -> None: ..." in text  # a keyword gets a `_`
    assert "    self_: float" in text  # a field may not be `self`
    path = tmp_path / "small_bindings.py"
    path.write_text(text)
    module = _import(path)
    assert module.CLASSES.value_class("record", "point", ("x", "self")) is module.Point


def test_docs_become_docstrings_and_comments_escaped() -> None:
    text = generate(_world('Ends in a quote: """ and a \\ backslash "'))
    assert '    """Ends in a quote: \\"\\"\\" and a \\\\ backslash " """' in text
    assert "    #: The x.\n    x: int" in text
    compile(text, "generated", "exec")


def test_a_world_is_chosen_by_name_when_the_package_has_several() -> None:
    resolve = _world()
    resolve.main.worlds["other"] = World("other", resolve.main)
    with pytest.raises(WitError, match="name the world to bind"):
        generate(resolve)
    with pytest.raises(WitError, match="has no world 'nope'"):
        generate(resolve, "nope")
    assert "world `other`" in generate(resolve, "other")


def test_given_classes_are_found_by_name_or_a_nameless_type_by_labels_alone() -> None:
    class A: ...

    class B: ...

    given = GivenClasses(values={("record", "a", ("x",)): A, ("record", "b", ("x",)): B, ("enum", "e", ("y",)): A})
    assert given.value_class("record", "b", ("x",)) is B
    assert given.value_class("record", "other", ("x",)) is None  # another type of those labels: not ours
    assert given.value_class("record", None, ("x",)) is None  # two classes have those labels
    assert given.value_class("enum", None, ("y",)) is A
    assert given.value_class("flags", "e", ("y",)) is None


def test_a_resource_base_that_is_no_guest_resource_is_refused(component: Component) -> None:
    with pytest.raises(TypeError, match="must subclass GuestResource"):
        wasmkit.load(component, {"example:calc/host": {"upper": str.upper}}, True, classes=GivenClasses(resources={("example:calc/ops", "accumulator"): int}))


def test_classes_are_for_components_only() -> None:
    with pytest.raises(TypeError, match="classes= is for a component"):
        wasmkit.load("(module)", classes=GivenClasses())
    with pytest.raises(TypeError, match="classes= takes a wasmkit.component.abi.GivenClasses"):
        wasmkit.load(DATA / "command.wasm", classes={}, wasi=True)  # type: ignore[arg-type]


def test_cli_writes_the_module(tmp_path: Path) -> None:
    out = tmp_path / "command_bindings.py"
    assert main(["bindgen", str(DATA / "command.wasm"), "-o", str(out)]) == 0
    assert out.read_text() == bindgen_component((DATA / "command.wasm").read_bytes(), "command.wasm")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "m.wasm", b"\0asm\1\0\0\0"), "not a component: bindgen binds a component's world"),
        (lambda d: (d / "m.wat", b"(module)"), "not a binary component"),
        (lambda d: (d / "c.wat", b"(component)"), "a component in the text format"),
        (lambda d: (d / "e.wasm", b""), "the file is empty"),
        (lambda d: (d / "x.wasm", b"\0asm\x0d\0\1\0junk"), "malformed section id"),
        (lambda d: (d / "bad.wit", b"package a:b;\ninterface i { f: func(x: u33); }\n"), "bad.wit:2:"),
        (lambda d: (d / "missing.wasm", None), "No such file"),
    ],
)
def test_cli_refuses_what_is_no_component_in_one_line(make: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, data = make(tmp_path)
    if data is not None:
        path.write_bytes(data)
    assert main(["bindgen", str(path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_world_option_is_for_wit_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bindgen", "--world", "w", str(DATA / "command.wasm")]) == 1
    assert "--world is for a WIT package" in capsys.readouterr().err


def test_a_long_signature_is_written_one_parameter_a_line() -> None:
    resolve = _world()
    b = resolve.main.interfaces["b"]
    b.functions["many"] = Function("many", "freestanding", tuple((f"param-{i}", Prim.U64) for i in range(8)), None)
    text = generate(resolve)
    assert "    def many(\n        self,\n        param_0: int,\n" in text and "        param_7: int,\n    ) -> None:\n" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    compile(text, "generated", "exec")


def test_wit_text_binds_the_world_a_component_built_from_it_has(generated: Path) -> None:
    """The kitchen sink's WIT, read as text, gives the classes its component's world gives."""
    from_wit = _import(generated / "kitchen_wit_bindings.py")
    from_component = _import(generated / "kitchen_bindings.py")
    classes = {name for name, value in vars(from_component).items() if isinstance(value, type) and value.__module__ == from_component.__name__}
    assert classes and classes <= set(vars(from_wit))
