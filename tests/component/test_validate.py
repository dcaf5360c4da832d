"""Component validation against wasm-tools: every component wasm-tools accepts here (written by
hand, made from random WIT packages by `wasm-tools wit-smith`, built by componentize-py when
it is installed) validates, and each invalid one written here is refused by both, for the
same reason in the same words."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.component.test_reader import EVERY_KIND, _wasm_tools, _wit_smith
from tests.support import tool
from wasmkit.cli import main
from wasmkit.component.reader import read_component
from wasmkit.component.syntax import Prim, Sort
from wasmkit.component.types import Func, Val, lowered_type
from wasmkit.component.validate import ValidComponent, validate_component
from wasmkit.errors import DecodeError, ValidationError, WasmError
from wasmkit.syntax.types import ValType


def _parse(text: str) -> bytes:
    return _wasm_tools("parse", "-", stdin=text.encode())


def _validate(data: bytes) -> ValidComponent:
    return validate_component(read_component(data))


def _wasm_tools_error(data: bytes, lines: int = 1) -> str | None:
    """What `wasm-tools validate` says is wrong (its first `lines` lines joined by ": ",
    without where), or None."""
    done = subprocess.run([tool("wasm-tools"), "validate", "-"], input=data, capture_output=True)
    if done.returncode == 0:
        return None
    said = done.stderr.decode().removeprefix("error: ").splitlines()[:lines]
    return ": ".join(re.sub(r" \(at offset 0x[0-9a-f]+\)$", "", line) for line in said)


_MEMORY = """(core module $mem (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core instance $mi (instantiate $mem))"""
_OPTS = '(memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))'

VALID = {
    # A lowered function's string result comes back through an out-pointer parameter.
    "lower with an out-pointer": f"""(component
  (import "f" (func $f (param "a" string) (result string)))
  {_MEMORY}
  (core func $g (canon lower (func $f) {_OPTS}))
  (core module $n (import "" "g" (func (param i32 i32 i32))))
  (core instance $gi (export "g" (func $g)))
  (core instance (instantiate $n (with "" (instance $gi)))))""",
    # 17 parameters go through memory (one pointer), two results as a returned pointer.
    "lift spilling to memory": f"""(component
  {_MEMORY}
  (core module $m (func (export "f") (param i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (type $t (tuple u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32 u32))
  (func (param "a" $t) (result (tuple u64 u64)) (canon lift (core func $i "f") {_OPTS})))""",
    # A variant flattens to its discriminant and the join of its cases: i32, i64 (i32 with
    # f64), f32.
    "lift of a variant": """(component
  (core module $m (func (export "f") (param i32 i64 f32 f32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (type $v (variant (case "a" u32) (case "b" (tuple f64 f32)) (case "c")))
  (func (param "x" $v) (param "y" f32) (result u8) (canon lift (core func $i "f"))))""",
    # Types named by their exports, and used so.
    "exported types used by their exported index": """(component
  (core module $m (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (type $R (resource (rep i32)))
  (export $r "r" (type $R))
  (type $rec (record (field "a" u32)))
  (export $e "rec" (type $rec))
  (type $o (own $r))
  (func (param "x" $e) (param "h" $o) (canon lift (core func $i "f")))
  (export "f" (func 0)))""",
    # An imported resource passed on to a nested component that imports one.
    "a resource given for an abstract import": """(component
  (import "r" (type $r (sub resource)))
  (component $c
    (import "t" (type $t (sub resource)))
    (import "f" (func (param "x" (own $t)))))
  (import "f" (func $f (param "x" (own $r))))
  (instance (instantiate $c (with "t" (type $r)) (with "f" (func $f)))))""",
}


@pytest.mark.parametrize("text", [EVERY_KIND, *VALID.values()], ids=["every kind", *VALID])
def test_a_valid_component_validates(text: str) -> None:
    data = _parse(text)
    assert _wasm_tools_error(data) is None
    valid = _validate(data)
    assert all(entity.sort in Sort for entity in valid.type.exports.values())


def test_the_type_of_a_valid_component() -> None:
    valid = _validate(_parse(EVERY_KIND))
    assert list(valid.type.imports) == ["host"]
    assert list(valid.type.exports) == ["run"]
    run = valid.type.exports["run"]
    assert run.sort == Sort.FUNC and run.type == Func((("x", Prim.U32),), Prim.U32)


@pytest.mark.parametrize("seed", range(6))
def test_random_wit_packages_and_their_worlds_components_validate(seed: int, tmp_path: Path) -> None:
    package, components = _wit_smith(seed, tmp_path)
    for data in (package, *components):
        assert _validate(data).component.sections


_CPY_WIT = """package example:hello;

world hello {
  import log: func(msg: string);
  record point { x: s32, y: s32, label: string }
  export greet: func(name: string, times: u32) -> string;
  export move: func(p: point, dx: s32) -> point;
  export total: func(xs: list<u64>) -> option<u64>;
}
"""
_CPY_APP = """import wit_world
from wit_world import Point

class WitWorld(wit_world.WitWorld):
    def greet(self, name: str, times: int) -> str:
        wit_world.log(name)
        return ("hello " + name) * times
    def move(self, p: Point, dx: int) -> Point:
        return Point(p.x + dx, p.y, p.label)
    def total(self, xs):
        return sum(xs) if xs else None
"""


def _componentize_py() -> str | None:
    beside = Path(sys.executable).parent / "componentize-py"  # installed in the venv running the tests
    found = str(beside) if beside.exists() else shutil.which("componentize-py") or "/tmp/cpy-venv/bin/componentize-py"
    return found if os.path.exists(found) else None


def built_with_componentize_py(tmp_path: Path) -> bytes:
    """A Python app built into a component with CPython inside (18 MB); built once, then kept
    in the cache directory (building takes about 10 s)."""
    from wasmkit.engine.cache_dir import default_cache_dir

    builder = _componentize_py()
    if builder is None:
        pytest.skip("componentize-py is not installed")
    key = hashlib.sha256((_CPY_WIT + _CPY_APP + builder).encode()).hexdigest()[:16]
    cached = Path(default_cache_dir()) / "componentize-py" / f"{key}.wasm"
    if not cached.exists():
        (tmp_path / "wit").mkdir()
        (tmp_path / "wit" / "world.wit").write_text(_CPY_WIT)
        (tmp_path / "app.py").write_text(_CPY_APP)
        out = tmp_path / "app.wasm"
        subprocess.run([builder, "-d", "wit", "-w", "hello", "componentize", "app", "-o", str(out)],
                       cwd=tmp_path, check=True, capture_output=True, timeout=300)  # fmt: skip
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, cached)
    return cached.read_bytes()


def test_a_componentize_py_component_validates(tmp_path: Path) -> None:
    valid = validate_component(read_component(built_with_componentize_py(tmp_path)), core_modules=False)
    assert list(valid.type.exports) == ["exports", "greet", "move", "total"]
    assert "wasi:cli/stdout@0.2.9" in valid.type.imports or any(n.startswith("wasi:cli/stdout") for n in valid.type.imports)
    greet = valid.type.exports["greet"].type
    assert isinstance(greet, Func) and greet.result == Prim.STRING


# Invalid components, each with wasm-tools' reason (its message, without where).
INVALID = {
    "wrong lift type": ("""(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (func (param "a" u64) (result u32) (canon lift (core func $i "f"))))""",
        "lowered parameter types `[I64]` do not match parameter types `[I32]` of core function 0"),
    "wrong lift result": (f"""(component
  {_MEMORY}
  (core module $m (func (export "f") (param i32) (result i64) i64.const 0))
  (core instance $i (instantiate $m))
  (func (param "a" u32) (result (tuple u64 u64)) (canon lift (core func $i "f") {_OPTS})))""",
        "lowered result types `[I32]` do not match result types `[I64]` of core function 0"),
    "missing memory for a string": ("""(component
  (core module $m (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (func (param "a" string) (canon lift (core func $i "f"))))""",
        "canonical option `memory` is required"),
    "missing realloc for a lowered string result": ("""(component
  (import "f" (func $f (result string)))
  (core module $m (memory (export "mem") 1))
  (core instance $i (instantiate $m))
  (core func (canon lower (func $f) (memory (core memory $i "mem")))))""",
        "canonical option `realloc` is required"),
    "bad realloc type": ("""(component
  (core module $m (memory (export "mem") 1) (func (export "f") (param i32 i32))
    (func (export "realloc") (param i32 i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func (param "a" string) (canon lift (core func $i "f") (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))""",
        "canonical option `realloc` uses a core function with an incorrect signature"),
    "bad post-return type": ("""(component
  (core module $m (func (export "f") (result i32) i32.const 0) (func (export "p") (param i64)))
  (core instance $i (instantiate $m))
  (func (result u32) (canon lift (core func $i "f") (post-return (core func $i "p")))))""",
        "canonical option `post-return` uses a core function with an incorrect signature"),
    "string encoding twice": ("""(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func (canon lift (core func $i "f") string-encoding=utf8 string-encoding=utf16)))""",
        "canonical encoding option `utf8` conflicts with option `utf16`"),
    "core instantiation arg of the wrong type": ("""(component
  (core module $a (func (export "f") (param i32)))
  (core instance $ai (instantiate $a))
  (core module $m (import "x" "f" (func (param i64))))
  (core instance (instantiate $m (with "x" (instance $ai)))))""",
        "type mismatch for export `f` of module instantiation argument `x`"),
    "lowered function of the wrong type for a core import": (f"""(component
  (import "f" (func $f (param "a" string) (result string)))
  {_MEMORY}
  (core func $g (canon lower (func $f) {_OPTS}))
  (core module $n (import "" "g" (func (param i32 i32) (result i32))))
  (core instance $gi (export "g" (func $g)))
  (core instance (instantiate $n (with "" (instance $gi)))))""",
        "type mismatch for export `g` of module instantiation argument ``"),
    "instantiate arg of wrong kind": ("""(component
  (component $c (import "f" (func)))
  (type $t (instance))
  (import "i" (instance $i (type $t)))
  (instance (instantiate $c (with "f" (instance $i)))))""",
        "type mismatch for import `f`"),
    "an instance missing an export the import asks for": ("""(component
  (component $c (import "i" (instance (export "a" (func)) (export "b" (func)))))
  (import "j" (instance $j (export "a" (func))))
  (instance (instantiate $c (with "i" (instance $j)))))""",
        "type mismatch for import `i`: missing expected export `b`"),
    "a function of other parameter names": ("""(component
  (component $c (import "f" (func (param "a" u32))))
  (import "g" (func $g (param "b" u32)))
  (instance (instantiate $c (with "f" (func $g)))))""",
        "type mismatch for import `f`: expected parameter named `a`, found `b`"),
    "two instances' resources taken for one": ("""(component
  (component $c (type $R (resource (rep i32))) (export "r" (type $R)))
  (instance $a (instantiate $c))
  (instance $b (instantiate $c))
  (alias export $a "r" (type $ra))
  (alias export $b "r" (type $rb))
  (component $d (import "t" (type $t (sub resource))) (import "u" (type $u (eq $t))))
  (instance (instantiate $d (with "t" (type $ra)) (with "u" (type $rb)))))""",
        "type mismatch for import `u`: resource types are not the same"),
    "missing import arg": ("""(component
  (component $c (import "f" (func)))
  (instance (instantiate $c)))""",
        "missing import named `f`"),
    "duplicate export name": ("""(component
  (import "f" (func $f))
  (export "g" (func $f))
  (export "g" (func $f)))""",
        "export name `g` conflicts with previous name `g`"),
    "export names differing in case only": ("""(component
  (import "f" (func $f))
  (instance (export "a" (func $f)) (export "A" (func $f))))""",
        "export name `A` conflicts with previous name `a`"),
    "export name not in kebab case": ("""(component
  (import "f" (func $f))
  (export "Not_Kebab" (func $f)))""",
        "export name `Not_Kebab` is not a valid extern name"),
    "alias of a missing export": ("""(component
  (import "i" (instance $i (export "a" (func))))
  (alias export $i "b" (func)))""",
        "instance 0 has no export named `b`"),
    "alias of an export of another sort": ("""(component
  (import "i" (instance $i (export "a" (func))))
  (alias export $i "a" (instance)))""",
        "export `a` for instance 0 is not a instance"),
    "alias of a missing core export": ("""(component
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (alias core export $i "g" (core func)))""",
        "core instance 0 has no export named `g`"),
    "resource.new of an imported resource": ("""(component
  (import "r" (type $r (sub resource)))
  (core func (canon resource.new $r)))""",
        "type 0 is not a local resource"),
    "a destructor of the wrong type": ("""(component
  (core module $m (func (export "d") (param i64)))
  (core instance $i (instantiate $m))
  (alias core export $i "d" (core func $d))
  (type (resource (rep i32) (dtor (core func $d)))))""",
        "core function 0 has wrong signature for a destructor"),
    "a borrow in a result": ("""(component
  (import "r" (type $r (sub resource)))
  (type (func (result (borrow $r)))))""",
        "function result cannot contain a `borrow` type"),
    "33 flags": ("(component (type (flags " + " ".join(f'"f{i}"' for i in range(33)) + ")))",
        "cannot have more than 32 flags"),
    "an import using an unnamed record": ("""(component
  (type $r (record (field "a" u32)))
  (import "f" (func (param "x" $r))))""",
        "func not valid to be used as import"),
    "an export using a record by its first index, not its exported one": ("""(component
  (core module $m (func (export "f") (param i32)))
  (core instance $i (instantiate $m))
  (type $r (record (field "a" u32)))
  (export $e "r" (type $r))
  (func (param "x" $r) (canon lift (core func $i "f")))
  (export "f" (func 0)))""",
        "func not valid to be used as export"),
    "an imported instance type using an unnamed record": ("""(component
  (import "i" (instance (type $r (record (field "a" u32))) (export "f" (func (param "x" $r))))))""",
        "instance not valid to be used as import"),
    "a handle of a local resource imported": ("""(component
  (type $R (resource (rep i32)))
  (type $o (own $R))
  (import "r" (type (eq $o))))""",
        "type not valid to be used as import"),
    "a local resource imported": ("""(component
  (type $R (resource (rep i32)))
  (import "r" (type (eq $R))))""",
        "local resource type found in imports"),
    "an outer alias of a resource into a component": ("""(component
  (import "r" (type (sub resource)))
  (component (alias outer 1 0 (type))))""",
        "cannot alias outer type which transitively refers to resources not defined in the current component"),
    "a fixed-length list": ("(component (type (list u8 4)))",
        "Fixed-length lists require the component model fixed-length lists feature"),
    "value types nested 101 deep": (
        "(component (type (list u8)) " + "".join(f"(type (list {n}))" for n in range(100)) + ")",
        "type nesting is too deep"),
    "instance types nested 101 deep": (
        "(component (type $t0 (instance)) "
        + "".join(f'(type $t{n + 1} (instance (export "a" (instance (type $t{n})))))' for n in range(100)) + ")",
        "type nesting is too deep"),
}  # fmt: skip


@pytest.mark.parametrize("text, reason", INVALID.values(), ids=list(INVALID))
def test_an_invalid_component_is_refused_for_the_same_reason(text: str, reason: str) -> None:
    data = _parse(text)
    said = _wasm_tools_error(data, lines=1 + reason.count(": "))  # a reason ": " a cause, as wasm-tools' lines
    assert said is not None and said.startswith(reason)
    with pytest.raises(ValidationError) as caught:
        _validate(data)
    assert str(caught.value).startswith(reason)


# Names wasm-tools accepts and refuses: (name, valid).
NAMES = [
    ("a", True), ("a-b", True), ("a1", True), ("A-B", True), ("a-B", True), ("a-1", True), ("a-1b", True),
    ("1a", False), ("a--b", False), ("a-", False), ("-a", False), ("aB", False), ("a_b", False), ("", False),
    ("wasi:cli/stdout", True), ("wasi:cli/stdout@0.2.0", True), ("a:b/c@1.0.0-rc.1+x", True),
    ("wasi:cli", False), ("Wasi:cli/x", False), ("a:b/c@1", False), ("a:b/c@01.0.0", False),
    ("url=<x>", False), ("[foo]a", False), ("[method]a", False), ("[method]a.b.c", False),
]  # fmt: skip


@pytest.mark.parametrize("name, valid", NAMES)
def test_import_names_follow_the_name_grammar(name: str, valid: bool) -> None:
    data = _parse(f'(component (import "{name}" (func)))')
    assert (_wasm_tools_error(data) is None) is valid
    if valid:
        _validate(data)
    else:
        with pytest.raises(ValidationError, match="import name"):
            _validate(data)


_RESOURCE = '(import "r" (type $r (sub resource)))'
# Resource functions: (declarations after the resource `r`'s import, wasm-tools' reason or None).
RESOURCE_FUNCTIONS = [
    ('(import "[constructor]r" (func (result (own $r))))', None),
    ('(import "[method]r.get" (func (param "self" (borrow $r)) (result u32)))', None),
    ('(import "[static]r.make" (func))', None),
    ('(import "[constructor]r" (func))', "import name `[constructor]r` is not valid: function should return one value"),
    ('(import "[constructor]s" (func (result (own $r))))',
     "import name `[constructor]s` is not valid: function does not match expected resource name `r`"),
    ('(import "[method]r.get" (func (param "this" (borrow $r))))',
     "import name `[method]r.get` is not valid: function should have a first argument called `self`"),
    ('(import "[method]r.get" (func (param "self" (own $r))))',
     "import name `[method]r.get` is not valid: function should take a first argument of `(borrow $T)`"),
    ('(import "[static]s.make" (func))', "import name `[static]s.make` is not valid: static resource name is not known in this context"),
]


@pytest.mark.parametrize("decls, reason", RESOURCE_FUNCTIONS)
def test_a_resource_functions_name_fits_its_type(decls: str, reason: str | None) -> None:
    data = _parse(f"(component {_RESOURCE} {decls})")
    assert _wasm_tools_error(data, lines=2) == reason
    if reason is None:
        _validate(data)
    else:
        with pytest.raises(ValidationError) as caught:
            _validate(data)
        assert str(caught.value).startswith(reason)


# Built-ins of one core type each: (the definition, its core type).
BUILT_INS = [
    ("backpressure.inc", ""), ("task.cancel", ""), ("subtask.drop", "(param i32)"),
    ("subtask.cancel", "(param i32) (result i32)"), ("waitable-set.new", "(result i32)"),
    ("waitable.join", "(param i32 i32)"), ("thread.yield", "(result i32)"), ("stream.new $s", "(result i64)"),
    ("future.drop-readable $f", "(param i32)"), ("stream.cancel-write $s", "(param i32) (result i32)"),
    ("context.get i32 0", "(result i32)"), ("context.set i32 0", "(param i32)"),
    ("resource.new $r", "(param i32) (result i32)"), ("resource.rep $r", "(param i32) (result i32)"),
    ("resource.drop $r", "(param i32)"),
    ("task.return (result u64)", "(param i64)"), ("task.return", ""),
    ('task.return (result string) (memory (core memory $mi "mem"))', "(param i32 i32)"),
    ('task.return (result (tuple u64 u64)) (memory (core memory $mi "mem"))', "(param i64 i64)"),
    ('stream.read $s async (memory (core memory $mi "mem"))', "(param i32 i32 i32) (result i32)"),
    ('future.write $f async (memory (core memory $mi "mem"))', "(param i32 i32) (result i32)"),
    ('stream.read $t async (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))',
     "(param i32 i32 i32) (result i32)"),
    ("stream.write $e async", "(param i32 i32 i32) (result i32)"),
]  # fmt: skip


def _built_in(definition: str, signature: str) -> bytes:
    return _parse(f"""(component
  (type $s (stream u8)) (type $f (future u8)) (type $r (resource (rep i32))) (type $t (stream string)) (type $e (stream))
  {_MEMORY}
  (core func $b (canon {definition}))
  (core module $m (import "" "b" (func {signature})))
  (core instance $i (export "b" (func $b)))
  (core instance (instantiate $m (with "" (instance $i)))))""")


@pytest.mark.parametrize("definition, signature", BUILT_INS)
def test_a_built_ins_core_type(definition: str, signature: str) -> None:
    data = _built_in(definition, signature)
    assert _wasm_tools_error(data) is None
    _validate(data)
    wrong = _built_in(definition, "(param f64)")
    reason = _wasm_tools_error(wrong)
    assert reason == "type mismatch for export `b` of module instantiation argument ``"
    with pytest.raises(ValidationError, match=re.escape(reason)):
        _validate(wrong)


@pytest.mark.parametrize("definition, reason", [
    ("stream.new $f", "`stream.new` requires a stream type"),
    ("context.get i32 1", "`context.get` immediate must be zero: 1"),
    ("thread.index", "`thread.index` requires the component model threading feature"),
    ("task.return (result string)", "canonical option `memory` is required"),
    ("stream.read $s", "synchronous `stream.read` requires the component model more async builtins feature"),
    ("stream.read $f async", "`stream.read` requires a stream type"),
    ('stream.read $t async (memory (core memory $mi "mem"))', "canonical option `realloc` is required"),
    ("future.write $f async", "canonical option `memory` is required"),
    ('task.return (result string) (memory (core memory $mi "mem")) (realloc (core func $mi "realloc"))',
     "cannot specify `realloc` option on `task.return`"),
])  # fmt: skip
def test_a_built_in_refused(definition: str, reason: str) -> None:
    data = _built_in(definition, "")
    assert _wasm_tools_error(data) == reason
    with pytest.raises(ValidationError, match=re.escape(reason)):
        _validate(data)


def test_flattening_follows_the_canonical_abi() -> None:
    i32, i64 = ValType.I32, ValType.I64
    pair = Val("tuple", (Prim.U64, Prim.U64), (Prim.U64, Prim.U64))
    lowered, spilled_params, spilled_results = lowered_type(Func((("a", Prim.STRING),), pair), lift=False)
    assert (lowered.params, lowered.results, spilled_params, spilled_results) == ((i32, i32, i32), (), False, True)
    lifted, _, _ = lowered_type(Func((("a", Prim.U64),), pair), lift=True)
    assert (lifted.params, lifted.results) == ((i64,), (i32,))
    many = Func(tuple((f"p{n}", Prim.U8) for n in range(17)), None)
    assert lowered_type(many, lift=True)[0].params == (i32,)


def test_the_validate_command_checks_a_component(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.wasm", tmp_path / "bad.wasm"
    good.write_bytes(_parse(EVERY_KIND))
    bad.write_bytes(_parse(INVALID["missing import arg"][0]))
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"wasmkit: error: {bad}: missing import named `f`")


def test_mutated_components_give_a_wasm_error_only() -> None:
    """Bytes changed at random in valid and invalid components: validation says what is wrong
    (a WasmError) or accepts, never fails another way."""
    seeds = [_parse(text) for text in (EVERY_KIND, *VALID.values(), *(text for text, _ in INVALID.values()))]
    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(8, len(data))] = rng.getrandbits(8)
        try:
            component = read_component(bytes(data))
        except WasmError:
            continue
        checked += 1
        try:
            validate_component(component)
        except WasmError:
            pass
    assert checked > 500


def test_the_validate_command_says_a_text_component_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "c.wat"
    text.write_text(EVERY_KIND)
    assert main(["validate", str(text)]) == 1
    assert capsys.readouterr().err == (
        f"wasmkit: error: {text}: a component in the text format: wasmkit reads components in the binary format only\n"
    )


def test_a_nested_core_module_is_checked_where_it_is() -> None:
    data = bytearray(_parse('(component (core module (func (export "f") (result i32) i32.const 0)))'))
    at = data.index(b"\x41\x00")  # i32.const 0
    data[at] = 0xFF
    with pytest.raises(DecodeError) as caught:
        _validate(bytes(data))
    assert caught.value.offset == at and "illegal opcode" in str(caught.value)
    wrong = _parse('(component (core module (func (export "f") (result i32) i64.const 0)))')
    with pytest.raises(ValidationError, match="type mismatch"):
        _validate(wrong)
    assert validate_component(read_component(wrong), core_modules=False).component.sections


def test_an_exported_interface_using_another_ones_types_validates() -> None:
    """wit-component exports an interface through a small component instantiated with the types
    it uses: the instance exports the types it was given (so they are named, and keep their
    names), not its own imports' (which the component never named)."""
    wit = Path(__file__).parent / "wit" / "shapes.wit"
    data = _wasm_tools("component", "new", "-", stdin=_wasm_tools("component", "embed", "--dummy", str(wit), "--world", "app"))
    assert _wasm_tools_error(data) is None
    exports = _validate(data).type.exports
    types, geometry = (exports[f"example:shapes/{name}@1.2.0"].type.exports for name in ("types", "geometry"))
    assert geometry["point"].type.origin is types["point"].type  # type: ignore[attr-defined]
    assert geometry["canvas"].type == types["canvas"].type
