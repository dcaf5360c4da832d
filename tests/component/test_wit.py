"""`wasmkit wit`: a component's world in WIT, compared line for line with `wasm-tools component
wit` on components made from WIT written here (every kind of type, resources with
constructors, methods and static functions, `use` across interfaces and packages, inline
interfaces, names that must be escaped), on random worlds from `wasm-tools wit-smith`, and on
two kept in data/: a wasi:cli command (data/command.wat wrapped by `wasm-tools component new
--adapt` with jco's preview 1 command adapter) and a wasi:http proxy (`wasm-tools component
embed --dummy` on the wasi-http v0.2.0 WIT, then `component new`)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.component.test_reader import _wasm_tools, _wit_smith
from tests.component.test_validate import built_with_componentize_py
from wasmkit.cli import main
from wasmkit.cli.inspect import _nested_module
from wasmkit.component.describe import component_lines
from wasmkit.component.reader import read_component
from wasmkit.component.validate import validate_component
from wasmkit.component.wit_decode import component_wit, decode_world
from wasmkit.component.wit import print_wit
from wasmkit.errors import WasmError, WitError

HERE = Path(__file__).parent
WIT = HERE / "wit"
DATA = HERE / "data"


def _built(wit: Path, world: str) -> bytes:
    """The component of `world` in the WIT at `wit`, its core module a dummy."""
    core = _wasm_tools("component", "embed", "--dummy", str(wit), "--world", world)
    return _wasm_tools("component", "new", "-", stdin=core)


def _reference(data: bytes) -> str:
    return _wasm_tools("component", "wit", stdin=data).decode()  # (it reads stdin without `-`)


@pytest.fixture(scope="module")
def shapes() -> bytes:
    return _built(WIT / "shapes.wit", "app")


@pytest.fixture(scope="module")
def kitchen() -> bytes:
    return _built(WIT / "kitchen", "kitchen")


@pytest.mark.parametrize("name", ["shapes", "kitchen"])
def test_the_wit_of_components_built_from_wit_is_wasm_tools(name: str, request: pytest.FixtureRequest) -> None:
    data = request.getfixturevalue(name)
    assert component_wit(data) == _reference(data)


@pytest.mark.parametrize("name", ["command.wasm", "proxy.wasm"])
def test_the_wit_of_a_wasi_command_and_an_http_proxy_is_wasm_tools(name: str) -> None:
    data = (DATA / name).read_bytes()
    assert component_wit(data) == _reference(data)


def test_types_resources_and_uses_are_written_as_declared(shapes: bytes) -> None:
    text = component_wit(shapes)
    assert "  export example:shapes/geometry@1.2.0;\n" in text
    assert "    use types.{shape, canvas, perms, point};\n\n    type alias = point;\n" in text
    assert "      constructor(name: string);\n" in text
    assert "      open: static func(name: string) -> result<canvas>;\n" in text
    assert "    many: func(a: s8, b: u16, c: s32, d: u64, e: f32, f: char, g: bool) -> option<result<_, string>>;\n" in text


def test_a_primitive_named_anew_keeps_its_name_where_it_is_used(kitchen: bytes) -> None:
    text = component_wit(kitchen)
    assert "      len: func() -> size;\n" in text  # `type size = u64`, not `u64`
    assert "    use other:base/common@0.1.0.{blob, size, pair as couple};\n" in text
    assert "    enum %type {\n      %record,\n      plain,\n    }\n" in text


@pytest.mark.parametrize("seed", range(8))
def test_the_wit_of_random_worlds_is_wasm_tools(seed: int, tmp_path: Path) -> None:
    _, components = _wit_smith(seed, tmp_path)
    for data in components:
        assert component_wit(data) == _reference(data)


def test_a_componentize_py_component(tmp_path: Path) -> None:
    """The component that test_validate builds with componentize-py (kept in the cache)."""
    data = built_with_componentize_py(tmp_path)
    component = read_component(data)
    text = print_wit(decode_world(component, validate_component(component, core_modules=False).type))
    assert text == _reference(data)
    assert "  export greet: func(name: string, times: u32) -> string;\n" in text


def test_the_command_prints_the_wit(shapes: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "shapes.wasm"
    path.write_bytes(shapes)
    assert main(["wit", str(path)]) == 0
    assert capsys.readouterr().out == _reference(shapes)


@pytest.mark.parametrize(
    ("made", "message"),
    [
        (lambda p: p.write_bytes(_wasm_tools("parse", "-", stdin=b"(module)")),
         "{}: not a component: only a component has a WIT world (a core module has none)"),
        (lambda p: p.write_text("(component)"),
         "{}: a component in the text format: wasmkit reads components in the binary format only"),
        (lambda p: p.write_bytes(b"\0asm\x0d\0\x01\0\x07"),
         "{}:0x9: unexpected end of section or function"),
    ],
    ids=["core module", "text", "malformed"],
)
def test_what_is_not_a_component_gets_one_line(made, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.wasm"
    made(path)
    assert main(["wit", str(path)]) == 1
    assert capsys.readouterr().err == f"wasmkit: error: {message.format(path)}\n"


@pytest.mark.parametrize("source", ["shapes.wit", "kitchen", "documented.wit"])
def test_a_wit_package_of_our_wit_is_printed_as_wasm_tools_prints_it(source: str) -> None:
    """A WIT package encoded as a component (`wasm-tools component wit --wasm`), with the doc
    comments and feature gates of its package-docs section (documented.wit has them all)."""
    package = _wasm_tools("component", "wit", "--wasm", "--all-features", str(WIT / source))
    text = component_wit(package)
    assert text == _reference(package)
    assert text.startswith("/// A package with docs\n/// on two lines.\npackage example:documented@1.0.0;\n" if source == "documented.wit" else "package example:")


def test_docs_and_gates_are_printed_where_wit_has_them() -> None:
    text = component_wit(_wasm_tools("component", "wit", "--wasm", "--all-features", str(WIT / "documented.wit")))
    assert "  /// A variant.\n  @since(version = 1.0.0)\n  @deprecated(version = 1.1.0)\n  variant shape {\n    /// A point.\n" in text
    assert "    /// Its name.\n    ///\n    /// After a blank line.\n    name: func() -> string;\n" in text
    assert "  /// Imports the api.\n  @since(version = 1.0.0)\n  import api;\n" in text


@pytest.mark.parametrize("seed", range(16, 20))
def test_a_random_wit_package_is_printed_as_wasm_tools_prints_it(seed: int, tmp_path: Path) -> None:
    """A random WIT package (`wit-smith` makes one as a component; seeds 16 and 18 have
    feature gates; seeds 0 to 199 all agreed when this was written)."""
    package, _ = _wit_smith(seed, tmp_path)
    assert component_wit(package) == _reference(package)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('(component (core module $m) (export "m" (core module $m)))', "component export `m` was not a function or instance"),
        ('(component (type $t (instance (export "r" (type (sub resource))))) (import "a" (instance $a (type $t)))'
         ' (export "b" (instance $a)))',
         "cannot represent this component in WIT: the type `r` appears more than once"
         " (for example, when an imported instance is re-exported under a new name)"),
        ('(component (type $f (func (param "a" u32))) (import "a:b/c" (instance (export "f" (type (eq $f))))))',
         "type `f` is not a value type or a resource: WIT cannot declare it"),  # wasm-tools 1.262 panics
        ('(component (@custom "package-docs" "\\01{\\"worlds\\":{\\"nope\\":{}}}") (import "f" (func)))', 'missing world "nope"'),
        ('(component (@custom "package-docs" "\\01[]") (import "f" (func)))', "malformed package-docs section: not a JSON object"),
        ('(component (@custom "package-docs" "\\07{}") (import "f" (func)))', "expected package-docs version 1, got 7"),
        ('(component (@custom "package-docs" "\\01{\\"worlds\\":[]}") (import "f" (func)))',
         "malformed package-docs section: AttributeError: 'list' object has no attribute 'items'"),
    ],
    ids=["core module export", "instance exported again", "function type", "docs of no world", "docs not an object",
         "docs version", "docs of another shape"],
)
def test_what_wit_cannot_say_is_refused_in_wasm_tools_words(text: str, message: str) -> None:
    data = _wasm_tools("parse", "-", stdin=text.encode())
    with pytest.raises(WitError) as caught:
        component_wit(data)
    assert caught.value.message == message


def test_packages_that_use_each_others_types_are_printed_each_once() -> None:
    """WIT packages cannot use each other, but a component's interfaces can (wasm-tools 1.262
    overflows its stack on this one): each package is printed once, after the one it uses
    first."""
    data = _wasm_tools("parse", "-", stdin=b"""(component
      (import "p:a/x" (instance $x (export "r" (type (sub resource)))))
      (alias export $x "r" (type $r))
      (import "q:b/y" (instance $y (export "r" (type (eq $r)))))
      (alias export $y "r" (type $r2))
      (import "p:a/z" (instance (export "r" (type (eq $r2))))))""")
    text = component_wit(data)
    assert text.index("package q:b {") < text.index("package p:a {")
    assert "  interface z {\n    use q:b/y.{r};\n  }\n" in text and "  interface y {\n    use p:a/x.{r};\n  }\n" in text


def test_an_instance_that_implements_an_interface_is_named_by_its_label() -> None:
    data = _wasm_tools("parse", "-", stdin=b"""(component
      (import "primary" (implements "wasi:keyvalue/store") (instance (export "get" (func (param "k" string) (result string)))))
      (import "secondary" (implements "wasi:keyvalue/store") (instance (export "get" (func (param "k" string) (result string))))))""")
    text = component_wit(data)
    assert text == _reference(data)
    assert "  import primary: wasi:keyvalue/store;\n  import secondary: wasi:keyvalue/store;\n" in text


def test_mutated_components_give_their_wit_or_a_wasm_error_only(shapes: bytes, kitchen: bytes) -> None:
    """Bytes changed at random: `wasmkit wit` prints the world (the same as wasm-tools, checked
    on the first few) or says what is wrong (a WasmError), never fails another way; `objdump -x`
    shows whatever reads."""
    seeds = [shapes, kitchen, (DATA / "command.wasm").read_bytes()]
    rng = random.Random(11)
    printed = compared = 0
    for _ in range(200):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(8, len(data))] = rng.getrandbits(8)
        try:
            component = read_component(bytes(data))
        except WasmError:
            continue
        assert sum(1 for _ in component_lines("x.wasm", component, True, _nested_module)) > 3
        try:
            text = component_wit(bytes(data))
        except WasmError:
            continue
        printed += 1
        if compared < 10:
            assert text == _reference(bytes(data))
            compared += 1
    assert printed > 25
