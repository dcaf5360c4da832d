"""WIT text read by `wit_parse` and printed by `print_wit`, compared with `wasm-tools component
wit` of the same files: the WIT written here (wit/; everything.wit has every construct the
parser reads), the WASI 0.2 packages that wasm-tools prints from the components in data/
(a directory per package with its deps/, one file of nested package blocks, wasi:http as the
main package), random packages of `wasm-tools wit-smith` and random interfaces (hypothesis);
the same model as wasm-tools' encoding of the package decoded by wasmkit; and errors, each
located by file, line and column."""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.component.test_reader import _wasm_tools
from tests.support import tool
from wasmkit.cli import main
from wasmkit.component.wit import Function, Interface, TypeDef, print_wit
from wasmkit.component.wit_decode import component_wit
from wasmkit.component.wit_parse import load_path, load_sources, select_world
from wasmkit.errors import WitError

HERE = Path(__file__).parent
WIT = HERE / "wit"
DATA = HERE / "data"


def _reference(path: Path, *flags: str) -> str:
    return _wasm_tools("component", "wit", str(path), *flags).decode()


@pytest.fixture(scope="module")
def wasi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The WIT of data/proxy.wasm and data/command.wasm as wasm-tools writes it out: one
    directory each (`proxy/`, `command/`) with a deps/ of WASI packages, and one file each of
    nested package blocks (`proxy.wit`, `command.wit`)."""
    root = tmp_path_factory.mktemp("wasi")
    for name in ("proxy", "command"):
        component = str(DATA / f"{name}.wasm")
        _wasm_tools("component", "wit", component, "--out-dir", str(root / name))
        (root / f"{name}.wit").write_bytes(_wasm_tools("component", "wit", component))
    http = root / "http"
    (http / "deps").mkdir(parents=True)
    shutil.copy(root / "proxy" / "deps" / "http.wit", http)
    for dep in (root / "proxy" / "deps").iterdir():
        if dep.name != "http.wit":
            shutil.copy(dep, http / "deps")
    return root


@pytest.mark.parametrize("source", ["shapes.wit", "kitchen", "documented.wit", "everything.wit"])
@pytest.mark.parametrize("flags", [(), ("--all-features",)], ids=["default", "all-features"])
def test_our_wit_is_printed_as_wasm_tools_prints_it(source: str, flags: tuple[str, ...]) -> None:
    assert print_wit(load_path(str(WIT / source), all_features=bool(flags))) == _reference(WIT / source, *flags)


@pytest.mark.parametrize("source", ["proxy", "command", "proxy.wit", "command.wit", "http"])
def test_the_wasi_packages_are_printed_as_wasm_tools_prints_them(source: str, wasi: Path) -> None:
    text = print_wit(load_path(str(wasi / source)))
    assert text == _reference(wasi / source)
    if source == "http":
        assert text.startswith("package wasi:http@0.2.0;\n") and "\npackage wasi:io@0.2.0 {\n" in text


def test_what_the_constructs_become_in_the_model() -> None:
    resolve = load_path(str(WIT / "everything.wit"))
    assert resolve.main.id == "example:everything@0.2.0-rc.1+build.5"
    assert [p.id for p in resolve.nested] == ["example:dep@1.0.0"]
    streams = resolve.main.interfaces["streams"]
    assert streams.docs == "\n * Block docs\n *   with an indented line."
    counter = streams.types["counter"]
    assert counter.kind == "alias" and counter.parts[0] is resolve.nested[0].interfaces["base"].types["counter"]
    read = streams.functions["[method]reader.read"]
    assert read.is_async and read.kind == "method" and read.resource is streams.types["reader"]
    assert read.params[0][0] == "self" and isinstance(read.params[0][1], TypeDef) and read.params[0][1].kind == "borrow"
    close = streams.functions["[static]reader.close"]
    assert close.item_name == "close" and close.kind == "static"
    assert streams.types["later"].kind == "future" and streams.types["bare-stream"].parts == (None,)
    app = resolve.main.worlds["app"]
    assert {"trace", "[method]hdl.get", "hdl", "point", "bytes", "fetch"} <= {k for k in app.imports if isinstance(k, str)}
    assert isinstance(app.imports["[method]hdl.get"], Function) and app.imports["[method]hdl.get"].resource is app.imports["hdl"]
    assert app.imports["point"].owner is app  # an included world's types become the world's own
    assert [k if isinstance(k, str) else k.name for k in app.exports] == ["zero", "cycle-free", "sink"]
    assert isinstance(app.exports["sink"], Interface) and app.exports["sink"].name is None


@pytest.mark.parametrize("source", ["shapes.wit", "kitchen", "documented.wit", "proxy", "command"])
def test_the_model_is_the_one_decoded_from_wasm_tools_encoding(source: str, wasi: Path) -> None:
    """`wasm-tools component wit --wasm` encodes the package; wasmkit decodes it to the same
    WIT as it parses (for packages whose deps are all used: the encoding keeps only those)."""
    path = wasi / source if source in ("proxy", "command") else WIT / source
    assert component_wit(_wasm_tools("component", "wit", "--wasm", str(path))) == print_wit(load_path(str(path)))


@pytest.mark.parametrize("seed", [3, 16, 38, 61])
def test_random_wit_packages_are_printed_as_wasm_tools_prints_them(seed: int, tmp_path: Path) -> None:
    """wit-smith's packages written out as WIT (seeds 16 and 38 have feature gates that
    wit-parser refuses unless every feature is on; seeds 0 to 99 all agreed when this was
    written)."""
    rng = random.Random(seed)
    (tmp_path / "seed").write_bytes(bytes(rng.getrandbits(8) for _ in range(6000)))
    (tmp_path / "p.wasm").write_bytes(_wasm_tools("wit-smith", str(tmp_path / "seed")))
    _wasm_tools("component", "wit", str(tmp_path / "p.wasm"), "--out-dir", str(tmp_path / "wit"))
    assert print_wit(load_path(str(tmp_path / "wit"), all_features=True)) == _reference(tmp_path / "wit", "--all-features")
    if seed in (16, 38):
        with pytest.raises(WitError, match="excluded due to its feature not being activated"):
            load_path(str(tmp_path / "wit"))
    else:
        assert print_wit(load_path(str(tmp_path / "wit"))) == _reference(tmp_path / "wit")


def test_a_world_is_selected_by_name_or_as_the_only_one() -> None:
    assert select_world(load_path(str(WIT / "kitchen"))).name == "kitchen"
    everything = load_path(str(WIT / "everything.wit"))
    assert select_world(everything, "app") is everything.main.worlds["app"]
    with pytest.raises(WitError, match="multiple worlds found in package `example:everything@0.2.0-rc.1"):
        select_world(everything)
    with pytest.raises(WitError, match="no world named `nope`"):
        select_world(everything, "nope")


def test_mutated_wit_gives_its_print_or_a_wit_error_only() -> None:
    """WIT text changed at random (cut, WIT words put in, pieces copied): the parser prints it
    or says what is wrong with a WitError, never fails another way."""
    seeds = [(WIT / name).read_text() for name in ("everything.wit", "documented.wit", "shapes.wit")]
    pieces = [*"{}();:,.<>@/=%*-_", "use ", "type ", "interface ", "world ", "include ", "with ", "as ", "func",
              "static ", "async ", "resource ", "package ", "import ", "export ", "1.0.0", "\n", "own<", "/*",
              "///", '"', "@since(version = 0.1.0)", "@unstable(feature = f)"]
    rng = random.Random(7)
    printed = 0
    for _ in range(400):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            at, choice = rng.randrange(len(text)), rng.random()
            if choice < 0.4:
                text = text[:at] + text[at + rng.randint(1, 20):]
            elif choice < 0.8:
                text = text[:at] + rng.choice(pieces) + text[at:]
            else:
                start = rng.randrange(len(text))
                text = text[:at] + text[start:start + 30] + text[at:]
        try:
            print_wit(load_sources([("m.wit", text)], all_features=True))
        except WitError as err:
            assert err.filename == "m.wit"
            continue
        printed += 1
    assert printed > 10


# Small packages, each of one rule: docs, gates on each kind of item, includes, elaboration,
# handles, async, names escaped or in upper case, top-level `use`, the order of declarations.
_SNIPPETS = [
    'package a:b;\ninterface i { type t = list<u8, 4>; }\n',
    'package a:b;\ninterface i { f: func() -> tuple<u8>; }\n',
    'package a:b@1.0.0;\n@since(version = 1.0.0)\n@deprecated(version = 1.0.0)\ninterface i { }\nworld w { export i; }\n',
    'package a:b;\ninterface i { type t = string; f: func(t: t) -> t; }\n',
    'package a:b;\nworld w { export f: func(); import f: func(); }\n',
    'package a:b;\nworld w { import i: interface { f: func(); } export i: interface { g: func(); } }\n',
    'package a:b;\ninterface i { %func: func(%u8: u8) -> %string; type %string = u32; }\n',
    'package a:b;\nworld w { resource r { constructor(); } import f: func(x: r) -> own<r>; export g: func(); }\n',
    'package a:b@1.0.0;\ninterface i { type t = u8; }\ninterface j { use i.{t}; f: func(x: t); }\nworld w {\n  /// docs on j\n  @since(version = 1.0.0)\n  import j;\n  /// docs on i\n  import i;\n}\n',
    'package a:b@1.0.0;\ninterface i { type t = u8; }\ninterface j { use i.{t}; }\nworld w {\n  export j;\n}\n',
    'package a:b@1.0.0;\ninterface i { type t = u8; }\ninterface j { use i.{t}; }\nworld w {\n  export j;\n  export i;\n}\n',
    'package a:b@1.0.0;\ninterface i { type t = u8; }\ninterface j { use i.{t}; }\nworld w {\n  @since(version = 0.9.0)\n  export j;\n}\n',
    'package a:b@1.0.0;\ninterface i {\n  @unstable(feature = x)\n  type t = u8;\n  @unstable(feature = x)\n  f: func(a: t);\n  g: func();\n}\n',
    'package a:b@1.0.0;\ninterface i { type t = u8; }\ninterface j {\n  @unstable(feature = x)\n  use i.{t};\n  g: func();\n}\n',
    'package a:b@1.0.0;\nworld v {\n  @since(version = 1.0.0)\n  import i;\n  import f: func();\n}\nworld w {\n  include v;\n  import i;\n}\ninterface i {}\n',
    'package a:b;\nworld v { import x: interface { type t = u32; f: func() -> t; } }\nworld w { include v with { x as y } }\n',
    'package a:b;\ninterface i { resource r { constructor(); m: func(other: borrow<r>) -> own<r>; } type t2 = r; f: func(x: t2, y: borrow<t2>, z: list<t2>); }\n',
    'package a:b;\ninterface i { type t = u8; }\nworld w { use i.{t as u}; import f: func(x: u) -> u; export g: func(x: u); }\n',
    'package a:b;\nworld w { import a: func(); import b: interface {} import c: func(); export d: func(); export e: interface {} export i; }\ninterface i {}\n',
    'package a:b;\n/// first\n// second\n/** third */\ninterface i {\n\n  /// a\n\n  /// b\n  f: func();\n}\n',
    'package a:b;\ninterface i {\n  ///    indented\n  ///      more\n  f: func();\n}\n',
    'package a:b;\ninterface i {\n  ///\n  ///  x\n  ///\n  f: func();\n}\n',
    'package a:b;\ninterface i {\n  f: func(); // trailing\n  g: func();\n}\n',
    'package a:b;\n\ninterface z {}\ninterface a { use z.{}; }\ninterface m { use a.{}; }\n',
    'package a:b;\ninterface x { use y.{t}; }\ninterface y { type t = u8; }\ninterface w { use y.{t}; }\n',
    'package a:b;\ninterface i { type t = u8; type s = t; type r = list<s>; record q { a: r, b: s } }\n',
    'package a:b;\ninterface i { variant v { a, b(v2) } variant v2 { c } }\n',
    'package a:b;\nworld w { export i: interface { use j.{t}; } }\ninterface j { type t = u8; }\n',
    'package a:b;\nworld w { import j; export k; }\ninterface j { type t = u8; }\ninterface k { use j.{t}; }\n',
    'package a:b;\ninterface i { f: async func() -> future<stream<future>>; }\n',
    'package a:b;\nworld w { import i: async func(); export j: async func() -> u8; }\n',
    'package A:B;\ninterface I { F: func(); }\n',
    'package a:b;\nuse j as k;\ninterface i { use k.{t}; }\ninterface j { type t = u8; }\n',
    'package a:b;\ninterface i { type t = u8; }\nworld w { import x: i; import y: i; export z: i; }\n',
    'package a:b;\nworld w { @unstable(feature = x) import f: func(); @unstable(feature = x) import i; @unstable(feature = x) export g: func(); }\ninterface i {}\n',
    'package a:b;\n@unstable(feature = x)\nworld w { }\n@unstable(feature = x)\ninterface i { }\ninterface j { }\n',
    'package a:b@1.0.0;\n@since(version = 1.0.0)\n@deprecated(version = 1.0.0)\ninterface i { @deprecated(version = 1.0.0) @unstable(feature = y) f: func(); }\n',
]


@pytest.mark.parametrize("text", _SNIPPETS, ids=range(len(_SNIPPETS)))
def test_small_packages_are_printed_as_wasm_tools_prints_them(text: str, tmp_path: Path) -> None:
    path = tmp_path / "small.wit"
    path.write_text(text)
    assert print_wit(load_path(str(path))) == _reference(path)


# -- random interfaces --

_words = st.sampled_from(["a", "b", "x1", "name", "type", "record", "use", "ab-cd", "ok", "list", "own", "val"])
_prims = st.sampled_from(["u8", "s16", "u32", "s64", "f32", "f64", "char", "bool", "string"])


def _type(names: list[str]) -> st.SearchStrategy[str]:
    leaves = _prims | st.sampled_from(names) if names else _prims
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            inner.map(lambda t: f"list<{t}>"),
            inner.map(lambda t: f"option<{t}>"),
            st.lists(inner, min_size=1, max_size=3).map(lambda ts: f"tuple<{', '.join(ts)}>"),
            st.tuples(st.none() | inner, st.none() | inner).map(_result),
        ),
        max_leaves=6,
    )


def _result(parts: tuple[str | None, str | None]) -> str:
    ok, err = parts
    if err is None:
        return "result" if ok is None else f"result<{ok}>"
    return f"result<{ok or '_'}, {err}>"


def _escaped(word: str) -> str:
    return f"%{word}" if word in ("type", "record", "use", "list", "own") else word


@st.composite
def _interface(draw: st.DrawFn) -> str:
    """A package of one interface of random types, each using only the ones before it, and
    functions over them (doc comments on some)."""
    lines, names = [], []
    for n in range(draw(st.integers(0, 5))):
        name = f"t{n}"
        kind = draw(st.sampled_from(["record", "variant", "enum", "flags", "type"]))
        labels = [_escaped(w) for w in draw(st.lists(_words, min_size=1, max_size=4, unique=True))]
        if draw(st.booleans()):
            lines.append(f"  /// docs of {name}")
        if kind == "record":
            lines.append(f"  record {name} {{ " + ", ".join(f"{label}: {draw(_type(names))}" for label in labels) + " }")
        elif kind == "variant":
            cases = [label + (f"({draw(_type(names))})" if draw(st.booleans()) else "") for label in labels]
            lines.append(f"  variant {name} {{ " + ", ".join(cases) + " }")
        elif kind in ("enum", "flags"):
            lines.append(f"  {kind} {name} {{ " + ", ".join(labels) + " }")
        else:
            lines.append(f"  type {name} = {draw(_type(names))};")
        names.append(name)
    for n in range(draw(st.integers(0, 3))):
        params = ", ".join(f"p{i}: {draw(_type(names))}" for i in range(draw(st.integers(0, 3))))
        result = f" -> {draw(_type(names))}" if draw(st.booleans()) else ""
        lines.append(f"  f{n}: {'async ' if draw(st.booleans()) else ''}func({params}){result};")
    return "package test:random;\n\ninterface i {\n" + "\n".join(lines) + "\n}\n\nworld w {\n  export i;\n}\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_interface())
def test_random_interfaces_are_printed_as_wasm_tools_prints_them(text: str) -> None:
    printed = print_wit(load_sources([("random.wit", text)]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.wit"
        path.write_text(text)
        assert printed == _reference(path)
    assert print_wit(load_sources([("again.wit", printed)])) == printed


@st.composite
def _package(draw: st.DrawFn) -> str:
    """A package of interfaces that `use` (some renamed) the types of earlier ones, with
    records, variants, enums, aliases and resources (with functions), and worlds that import,
    export and include: what world elaboration orders (or refuses, as wasm-tools does)."""
    parts, interfaces = ["package t:r@1.0.0;"], {}
    for n in range(draw(st.integers(1, 4))):
        lines, types = [], []
        if interfaces and draw(st.booleans()):
            source = draw(st.sampled_from(sorted(interfaces)))
            if interfaces[source]:
                picked = draw(st.lists(st.sampled_from(interfaces[source]), min_size=1, unique=True))
                renamed = [(t, f"{t}x{n}" if draw(st.booleans()) else t) for t in picked]
                lines.append(f"  use {source}.{{{', '.join(t if t == m else f'{t} as {m}' for t, m in renamed)}}};")
                types += [m for _, m in renamed]
        for k in range(draw(st.integers(0, 4))):
            name, kind = f"t{n}{k}", draw(st.sampled_from(["record", "variant", "enum", "type", "resource"]))
            def pick() -> str:
                return draw(st.sampled_from(["u8", "string", "list<u32>", *types]))
            lines.append({
                "record": lambda: f"  record {name} {{ a: {pick()}, b: {pick()} }}",
                "variant": lambda: f"  variant {name} {{ a({pick()}), b }}",
                "enum": lambda: f"  enum {name} {{ x, y }}",
                "type": lambda: f"  type {name} = option<{pick()}>;",
                "resource": lambda: f"  resource {name} {{ constructor(); m: func() -> {pick()}; s: static func() -> {name}; }}",
            }[kind]())
            types.append(name)
        for f in range(draw(st.integers(0, 2))):
            lines.append(f"  f{f}: func(x: {draw(st.sampled_from(['u8', *types]))}) -> {draw(st.sampled_from(['u8', *types]))};")
        parts.append(f"interface i{n} {{\n" + "\n".join(lines) + "\n}")
        interfaces[f"i{n}"] = [t for t in types if not t.endswith(f"x{n}")]
    names = sorted(interfaces)
    for w in range(draw(st.integers(0, 3))):
        lines = [f"  import {i};" for i in draw(st.lists(st.sampled_from(names), unique=True))]
        lines += [f"  export {i};" for i in draw(st.lists(st.sampled_from(names), unique=True))]
        if draw(st.booleans()):
            lines.append(f"  import g{w}: func();")
        if draw(st.booleans()):
            lines.append(f"  export h{w}: func() -> u8;")
        if draw(st.booleans()):
            lines.append(f"  import n{w}: {draw(st.sampled_from(names))};")
        if w and draw(st.booleans()):
            lines.append(f"  include w{draw(st.integers(0, w - 1))};")
        parts.append(f"world w{w} {{\n" + "\n".join(draw(st.permutations(lines))) + "\n}")
    return "\n\n".join(parts) + "\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_package())
def test_random_packages_of_uses_resources_and_worlds_are_printed_as_wasm_tools_prints_them(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.wit"
        path.write_text(text)
        reference = subprocess.run([tool("wasm-tools"), "component", "wit", str(path)], capture_output=True, text=True)
        try:
            printed = print_wit(load_path(str(path)))
        except WitError as err:  # wasm-tools refuses it too, in the same words
            assert reference.returncode != 0 and err.message in reference.stderr.splitlines()[0]
            return
        assert printed == reference.stdout


# -- errors --

_ERRORS = [
    ("package a:b;\ninterface i {\n  f: func()\n}\n", "x.wit:4:1: expected ';', found '}'"),
    ("package a:b;\ninterface i {\n  f: func(x: nope);\n}\n", "x.wit:3:14: name `nope` does not exist"),
    ("package a:b;\ninterface i {\n  type a = b;\n  type b = a;\n}\n", "x.wit:3:12: type `b` depends on itself"),
    ("package a:b;\ninterface i {\n  use j.{t};\n}\ninterface j {\n  use i.{t};\n}\n",
     "x.wit:5:11: interface or world `j` depends on itself"),
    ("package a:b;\ninterface i {\n  use k.{t};\n}\n", "x.wit:3:7: interface or world `k` does not exist"),
    ("package a:b;\ninterface i {\n  type t = u8;\n  record t { a: u8 }\n}\n", "x.wit:4:10: name `t` is defined more than once"),
    ("package a:b;\ninterface i {}\nworld i {}\n", "x.wit:3:7: duplicate item named `i`"),
    ("package a:b;\ninterface i {\n  use c:d/e.{t};\n}\n", "x.wit:3:7: package 'c:d' not found (known packages: a:b)"),
    ("package a:b;\ninterface i {\n  type t = u8;\n  f: func(x: own<t>);\n}\n",
     "x.wit:4:18: type `t` used in a handle must be a resource"),
    ("package a:b;\ninterface Bad-name {}\n", "x.wit:2:11: invalid character in identifier 'a'"),
    ("package a:b;\n/* never closed\n", "x.wit:2:1: unterminated block comment"),
    ("package a:b;\n@since(version = 1.0.0)\ninterface i {}\n",
     "x.wit:3:11: package [a:b] contains a feature gate with a version specifier, so it must have a version"),
    ("package a:b@1.0.0;\n@since(version = 2.0.0)\ninterface i {}\n",
     "x.wit:3:11: feature gate cannot reference unreleased version 2.0.0 of package [a:b@1.0.0] (current version 1.0.0)"),
    ("package a:b;\nworld v { import f: func(); }\nworld w {\n  include v with { g as h }\n}\n",
     "x.wit:4:11: no import or export kebab-name `g`. Note that an ID does not support renaming"),
    ("package a:b;\ninterface a { type t = u8; }\ninterface b { use a.{t}; }\ninterface c { use a.{t}; use b.{t as t2}; }\n"
     "world w {\n  export a;\n  export c;\n}\n", "x.wit:5:7: interface `a:b/c` transitively depends on an interface in incompatible ways"),
    ("package a:b;\nworld w {\n  import f: func();\n  import f: func();\n}\n",
     "x.wit:4:10: import `f` conflicts with prior func of same name"),
    ("interface i {}\n", "x.wit: no `package` header was found in any WIT file for this package"),
    ("package a:b;\ninterface i {\n  type t = u8;\n  T: func();\n}\n", "x.wit:4:3: name `T` conflicts with previous name `t`"),
    ("package a:b;\ninterface i {\n  f: func();\n  resource f;\n}\n", "x.wit:3:3: duplicate name `f`"),
    ("package a:b;\ninterface i {\n  resource r { m: func(); m: static func(); }\n}\n",
     "x.wit:3:27: name `[static]r.m` conflicts with previous name `[method]r.m`"),
    ("package a:b;\ninterface i {\n  resource r { constructor(); constructor(); }\n}\n", "x.wit:3:31: duplicate name `[constructor]r`"),
    ("package a:b;\ninterface i {\n  record r { a: u8, a: u16 }\n}\n", "x.wit:3:21: duplicate field `a`"),
    ("package a:b;\ninterface i {\n  variant v { a(u8), A }\n}\n", "x.wit:3:22: case `A` conflicts with previous case `a`"),
    ("package a:b;\ninterface i {\n  flags f { }\n}\n", "x.wit:3:9: empty flags"),
    ("package a:b;\ninterface i {\n  f: func() -> tuple<>;\n}\n", "x.wit:3:16: empty tuple"),
    ("package a:b;\nworld w {\n  type foo = u8;\n  import FOO: func();\n}\n", "x.wit:4:10: name `FOO` conflicts with previous name `foo`"),
    ("package a:b;\ninterface i { @external-id(\"x\\y\") f: func(); }\n", "x.wit:2:31: invalid string escape 'y'"),
    ("package a:b@1.01.0;\n", "x.wit:1:13: invalid leading zero in minor version number"),
    ("package a:b;\nuse a:c/d;\n", "x.wit:2:5: package 'a:c' not found (known packages: a:b)"),
    ("package a:b;\ninterface i {}\nworld w {\n  include i;\n}\n", "x.wit:4:11: name `i` is defined as an interface, not a world"),
    ("package a:b;\ninterface i { f: func() -> option<borrow<r>>; resource r; }\n",
     "x.wit:2:15: function `f` returns a type which contains a `borrow<T>` which is not supported"),
    ("package a:b;\ninterface i { f: func() -> result<_>; }\n", "x.wit:2:36: expected ',', found '>'"),
    ("package a:b;\ninterface i { f: fun(); }\n", "x.wit:2:18: expected keyword `func`, found an identifier"),
    ("package a:b;\n// \x01\n", "x.wit:2:4: Control code '\\u{1}'"),
    ("package a:b;\ninterface i { $ }\n", "x.wit:2:15: unexpected character '$'"),
]


@pytest.mark.parametrize(("text", "message"), _ERRORS, ids=[
    "syntax", "unknown type", "type cycle", "interface cycle", "unknown interface", "duplicate type",
    "duplicate item", "unknown package", "handle of no resource", "identifier", "comment", "since without version",
    "since too late", "include rename", "transitive export", "duplicate import", "no package",
    "names differing in case", "function named as a type", "method and static function", "two constructors",
    "duplicate field", "cases differing in case", "empty flags", "empty tuple", "world names differing in case",
    "string escape", "version leading zero", "unused unknown package", "include of an interface",
    "borrow returned", "result of nothing", "keyword expected", "control character", "unexpected character",
])
def test_each_error_names_its_file_line_and_column(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "x.wit"
    path.write_text(text)
    with pytest.raises(WitError) as caught:
        load_path(str(path))
    assert str(caught.value) == f"{tmp_path}/{message}"
    assert main(["wit", str(path)]) == 1
    reference = subprocess.run([tool("wasm-tools"), "component", "wit", str(path)], capture_output=True, text=True)
    where, _, what = message.partition(": ")
    assert reference.returncode != 0 and what.partition(" (known packages")[0] in reference.stderr.splitlines()[0]
    if where.count(":") == 2:  # wasm-tools puts the place on a line of its own
        assert f"--> {tmp_path}/{where}\n" in reference.stderr


def test_a_package_cycle_and_a_package_defined_twice_are_refused(tmp_path: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "main.wit").write_text("package a:main;\nworld w { import b:dep/i; }\n")
    (tmp_path / "deps" / "b.wit").write_text("package b:dep;\ninterface i { use c:dep/j.{t}; type x = u8; }\n")
    (tmp_path / "deps" / "c.wit").write_text("package c:dep;\ninterface j {\n  use b:dep/i.{x};\n  type t = u8;\n}\n")
    with pytest.raises(WitError) as caught:
        load_path(str(tmp_path))
    assert str(caught.value) == f"{tmp_path}/deps/c.wit:3:7: package `b:dep` creates a dependency cycle"
    (tmp_path / "deps" / "c.wit").write_text("package b:dep;\n")
    with pytest.raises(WitError) as caught:
        load_path(str(tmp_path))
    assert str(caught.value).endswith(".wit:1:9: package `b:dep` is defined in two different locations")


def test_a_chain_of_uses_too_deep_to_elaborate_is_a_wit_error() -> None:
    chain = [f"interface i{k} {{ use i{k - 1}.{{t}}; }}" for k in range(1, 3000)]
    text = "\n".join(["package a:b;", "interface i0 { type t = u8; }", *chain, "world w { import i2999; }"])
    with pytest.raises(WitError, match="use one another too deeply"):
        load_sources([("deep.wit", text)])


def test_a_dependency_encoded_in_wasm_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "main.wit").write_text("package a:main;\n")
    (tmp_path / "deps" / "b.wasm").write_bytes(_wasm_tools("component", "wit", "--wasm", str(WIT / "shapes.wit")))
    with pytest.raises(WitError) as caught:
        load_path(str(tmp_path))
    assert str(caught.value) == f"{tmp_path}/deps/b.wasm: a WIT package encoded in wasm: wasmkit reads dependencies in WIT text only"


def test_the_command_prints_wit_files_and_directories(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wit", str(WIT / "kitchen")]) == 0
    assert capsys.readouterr().out == _reference(WIT / "kitchen")
    assert main(["wit", "--features", "fancy", str(WIT / "documented.wit")]) == 0
    out = capsys.readouterr().out
    assert out == _reference(WIT / "documented.wit", "--features", "fancy") and "@unstable(feature = fancy)" in out
    assert main(["wit", str(WIT / "documented.wit")]) == 0
    assert "fancy" not in capsys.readouterr().out


def test_a_bad_file_gets_one_line_with_its_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.wit"
    path.write_text("package a:b;\ninterface i {\n  f: func(x: nope);\n}\n")
    assert main(["wit", str(path)]) == 1
    assert capsys.readouterr().err == f"wasmkit: error: {path}:3:14: name `nope` does not exist\n"
    assert main(["wit", str(tmp_path / "missing.wit")]) == 1
    assert "missing.wit: failed to read path for WIT" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["wit", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().err == (
        f"wasmkit: error: {tmp_path / 'empty'}: no `package` header was found in any WIT file for this package\n")
