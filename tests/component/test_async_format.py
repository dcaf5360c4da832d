"""The async component model (WASI 0.3's tasks, streams, futures, waitables) in the binary
format, the validator and the printers, against wasm-tools: async function types, `stream`
and `future` types, the `async` and `callback` options and every built-in are read,
validated (each core type, each option rule, in wasm-tools' words), shown by `wasmkit
objdump` as `wasm-tools print` shows them and by `wasmkit wit` as `wasm-tools component wit`
does; instantiation makes each built-in after validation (test_async_run runs them).

The components: data/async/builtins.wat (every built-in wasm-tools accepts by default, written
here) and those `wasm-tools component embed --dummy-names legacy` and `component new` build for
data/async/concurrent.wit and for random `wit-smith --async --futures --streams` packages,
with exports lifted with a callback and imports lowered async (`--async-callback`), or both
synchronous; and componentize-py's build of data/async/ticks (async Python exports), which
wasmtime runs."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import pytest

import wasmkit
from tests.component.componentize import componentize
from tests.support import tool
from wasmkit.cli import main
from wasmkit.component.reader import read_component
from wasmkit.component.syntax import Prim
from wasmkit.component.types import Func, Val, lowered_type
from wasmkit.component.validate import validate_component
from wasmkit.errors import DecodeError, ValidationError
from wasmkit.syntax.types import ValType

DATA = Path(__file__).parent / "data" / "async"
ENGINES = ["python", "native"]


def _wasm_tools(*args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "WAST_STRICT_COMPONENT_INDICES": "1"}
    return subprocess.run([tool("wasm-tools"), *args], input=stdin, capture_output=True, check=True, env=env).stdout


def _wasm_tools_error(data: bytes) -> str | None:
    """What `wasm-tools validate` says is wrong (without where), or None."""
    done = subprocess.run([tool("wasm-tools"), "validate", "-"], input=data, capture_output=True)
    if done.returncode == 0:
        return None
    return re.sub(r" \(at offset 0x[0-9a-f]+\)$", "", done.stderr.decode().removeprefix("error: ").splitlines()[0])


def _generated(callback: bool, wit: Path = DATA / "concurrent.wit", world: str | None = None) -> bytes:
    """The component of a world of `wit` (a WIT file, or a package as a component); with
    `callback`, its `stream.forward` and `future.forward` (a feature wasm-tools leaves out by
    default) made `waitable.join`s, a built-in of the same core type, so that it is valid."""
    flags = ["--async-callback"] if callback else []
    flags += ["--world", world] if world else []
    core = _wasm_tools("component", "embed", "--dummy-names", "legacy", *flags, str(wit))
    component = _wasm_tools("component", "new", "-", stdin=core)
    if not callback:
        return component
    text = _wasm_tools("print", "-", stdin=component).decode()
    text = re.sub(r"canon (?:stream|future)\.forward [^)]*", "canon waitable.join", text)
    return _wasm_tools("parse", "-", stdin=text.encode())


@pytest.fixture(scope="module")
def components() -> dict[str, bytes]:
    return {
        "builtins": _wasm_tools("parse", str(DATA / "builtins.wat")),
        "callback": _generated(callback=True),
        "sync": _generated(callback=False),
    }


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


_PRINTED = re.compile(r"^  \((core func|func|type) \(;(\d+);\) (.*)\)$")
_DUMPED = re.compile(r"^    - (core func|func|type)\[(\d+)\]: (.*)$")


def _async_definitions(printed: str, pattern: re.Pattern[str]) -> dict[tuple[str, int], str]:
    """The outermost component's definitions that are async (built-ins, lifts and lowers,
    stream, future and async function types), by sort and index, as printed."""
    found = {}
    for line in printed.splitlines():
        match = pattern.match(line)
        if match and re.search(r"canon|stream|future|async", match.group(3)):
            found[(match.group(1), int(match.group(2)))] = match.group(3)
    return found


def _as_wasm_tools_prints(sort: str, text: str) -> str:
    """An objdump definition as `wasm-tools print` writes it: a type without its `(type ...)`
    wrapper, a lift with its type first."""
    if sort == "type":
        return text.removeprefix("(type ").removesuffix(")")
    lift = re.fullmatch(r"\(canon lift (.*) \(type (\d+)\)\)", text)
    return f"(type {lift.group(2)}) (canon lift {lift.group(1)})" if lift else text


@pytest.mark.parametrize("name", ["builtins", "callback", "sync"])
def test_an_async_component_validates_and_prints_as_wasm_tools_does(
    name: str, components: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # fmt: skip
    data = components[name]
    assert _wasm_tools_error(data) is None
    validate_component(read_component(data))
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(_wasm_tools("strip", "--all", "-", stdin=data))  # definitions by index, unnamed
    expected = _async_definitions(_wasm_tools("print", str(path)).decode(), _PRINTED)
    dumped = _async_definitions(_cli(capsys, "objdump", "-x", str(path)), _DUMPED)
    assert len(expected) > 10
    assert {key: _as_wasm_tools_prints(key[0], dumped.get(key, "")) for key in expected} == expected
    assert _cli(capsys, "wit", str(path)) == _wasm_tools("component", "wit", str(path)).decode()


@pytest.mark.parametrize("seed", [251, 254])  # seeds whose packages have the most async items
def test_random_async_wit_packages_and_their_worlds_components(seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`wasm-tools wit-smith --async --futures --streams`: a random WIT package (a component
    itself) and the components of its worlds, with callbacks and synchronous, validate and
    print their WIT as wasm-tools prints it."""
    rng = random.Random(seed)
    (tmp_path / "seed").write_bytes(bytes(rng.getrandbits(8) for _ in range(6000)))
    package = tmp_path / "package.wasm"
    package.write_bytes(_wasm_tools("wit-smith", "--async", "--futures", "--streams", str(tmp_path / "seed")))
    text = _wasm_tools("component", "wit", str(package)).decode()
    assert re.search(r"async func|stream|future", text)
    built = [package.read_bytes()]
    for world in re.findall(r"^world ([a-z0-9-]+) \{", text, re.MULTILINE)[:2]:
        built += [_generated(callback, package, world) for callback in (False, True)]
    for n, data in enumerate(built):
        assert _wasm_tools_error(data) is None
        validate_component(read_component(data))
        path = tmp_path / f"{n}.wasm"
        path.write_bytes(data)
        assert _cli(capsys, "wit", str(path)) == _wasm_tools("component", "wit", str(path)).decode()


def test_wit_shows_async_functions_streams_and_futures(components: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "callback.wasm"
    path.write_bytes(components["callback"])
    text = _cli(capsys, "wit", str(path))
    for line in [
        "data: stream<u8>,", "done: future<result<_, string>>,", "read: async func(max: u32) -> stream<u8>;",
        "tick: func() -> future;", "ticks: func(n: u32) -> stream;", "import sleep: async func(ms: u64);",
        "export run: async func(args: list<string>) -> future<s32>;", "export check: func(x: stream<string>) -> bool;",
        "open: async func(name: string) -> result<chunk, string>;",
    ]:  # fmt: skip
        assert line in [printed.strip() for printed in text.splitlines()], line


_BUILT_IN_IMPORTS = re.findall(r'\(import "" "([a-z.-]+)" \(func[^\n]*\)\)$', (DATA / "builtins.wat").read_text(), re.MULTILINE)


@pytest.mark.parametrize("name", _BUILT_IN_IMPORTS)
def test_each_built_in_has_its_core_type(name: str) -> None:
    """builtins.wat's core module imports each built-in at the type wasm-tools gives it (the
    component validates): imported at another type, it is refused as wasm-tools refuses it."""
    text = (DATA / "builtins.wat").read_text()
    wrong, found = re.subn(rf'\(import "" "{re.escape(name)}" \(func[^\n]*\)\)$', f'(import "" "{name}" (func (param f64)))', text, flags=re.MULTILINE)
    assert found == 1
    data = _wasm_tools("parse", "-", stdin=wrong.encode())
    reason = _wasm_tools_error(data)
    assert reason == f"type mismatch for export `{name}` of module instantiation argument ``"
    with pytest.raises(ValidationError, match=re.escape(reason)):
        validate_component(read_component(data))


_MEMORY = """(core module $libc (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) unreachable)
    (func (export "cb") (param i32 i32 i32) (result i32) unreachable)
    (func (export "f") (param i32) (result i32) unreachable)
    (func (export "g") (param i32)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))"""


def _component(definitions: str, imported: str = "") -> bytes:
    """A component of stream, future and function types, a memory, and `definitions`; the
    core module `$m` imports `imported` (a core function type) as `"" "f"`, from `$f`."""
    importer = ""
    if imported:
        importer = f"""(core module $m (import "" "f" (func {imported})))
  (core instance (instantiate $m (with "" (instance (export "f" (func $f))))))"""
    return _wasm_tools("parse", "-", stdin=f"""(component
  (type $s (stream u8)) (type $t (stream string)) (type $fu (future u32)) (type $e (stream))
  (type $sync (func (param "a" u32) (result u32)))
  (type $async (func async (param "a" u32) (result u32)))
  (type $async-unit (func async (param "a" u32)))
  (type $async-many (func async (param "a" u64) (param "b" u64) (param "c" u64) (param "d" u64) (param "e" u32)))
  (type $async-string (func async (param "a" u32) (result string)))
  (import "sync" (func $sync (type $sync)))
  (import "async" (func $async (type $async)))
  (import "async-unit" (func $async-unit (type $async-unit)))
  (import "async-many" (func $async-many (type $async-many)))
  (import "async-string" (func $async-string (type $async-string)))
  {_MEMORY}
  {definitions}
  {importer})""".encode())


# (definitions, the core type `$f` must have, or None) for the core types of async lifts,
# lowers and built-ins: an async lowering takes at most 4 core parameters, then a pointer to its
# result, and returns an i32; an async lift returns an i32 to its callback.
CORE_TYPES = [
    ('(core func $f (canon lower (func $async) async (memory $mem)))', "(param i32 i32) (result i32)"),
    ('(core func $f (canon lower (func $async-unit) async))', "(param i32) (result i32)"),
    ('(core func $f (canon lower (func $async-many) async (memory $mem)))', "(param i32) (result i32)"),
    ('(core func $f (canon lower (func $async)))', "(param i32) (result i32)"),
    ('(core func $f (canon waitable-set.wait (memory $mem)))', "(param i32 i32) (result i32)"),
    ('(core func $f (canon waitable-set.poll (memory $mem)))', "(param i32 i32) (result i32)"),
    ('(core func $f (canon subtask.cancel))', "(param i32) (result i32)"),
    ('(core func $f (canon task.return (result $fu)))', "(param i32)"),
    ('(core func $f (canon future.read $fu async (memory $mem)))', "(param i32 i32) (result i32)"),
    ('(core func $f (canon stream.write $t async (memory $mem)))', "(param i32 i32 i32) (result i32)"),
    ('(func (type $async) (canon lift (core func $libc "f") async (callback (core func $libc "cb"))))', None),
    ('(func (type $async-string) (canon lift (core func $libc "f") async (memory $mem) (callback (core func $libc "cb"))))', None),
    ('(func (type $async) (canon lift (core func $libc "f")))', None),
]  # fmt: skip


@pytest.mark.parametrize("definitions, core_type", CORE_TYPES)
def test_async_core_types(definitions: str, core_type: str | None) -> None:
    data = _component(definitions, core_type or "")
    assert _wasm_tools_error(data) is None
    validate_component(read_component(data))
    if core_type is not None:
        wrong = _component(definitions, "(param f64)")
        assert _wasm_tools_error(wrong) == "type mismatch for export `f` of module instantiation argument ``"
        with pytest.raises(ValidationError, match="type mismatch for export `f`"):
            validate_component(read_component(wrong))


# (definitions, wasm-tools' reason) for each rule of the async options and built-ins.
REFUSED = [
    ('(core func (canon lower (func $sync) async))', "the `async` canonical option requires an async function type"),
    ('(func (type $sync) (canon lift (core func $libc "f") async (callback (core func $libc "cb"))))',
     "the `async` canonical option requires an async function type"),
    ('(func (type $async) (canon lift (core func $libc "f") async))', "requires the component model async stackful feature"),
    ('(func (type $async) (canon lift (core func $libc "f") async (callback (core func $libc "realloc"))))',
     "canonical option `callback` uses a core function with an incorrect signature"),
    ('(func (type $async) (canon lift (core func $libc "f") async (callback (core func $libc "g"))))',
     "canonical option `callback` uses a core function with an incorrect signature"),
    ('(func (type $async) (canon lift (core func $libc "g") async (callback (core func $libc "cb"))))',
     "lowered result types `[I32]` do not match result types `[]` of core function 0"),
    ('(func (type $async) (canon lift (core func $libc "f") (callback (core func $libc "cb"))))', "cannot specify callback without async"),
    ('(func (type $async) (canon lift (core func $libc "f") async (post-return (core func $libc "g"))))',
     "cannot specify post-return function in async"),
    ('(func (type $async) (canon lift (core func $libc "f") async async))', "canonical option `async` is specified more than once"),
    ('(func (type $async-string) (canon lift (core func $libc "f") async (callback (core func $libc "cb"))))',
     "canonical option `memory` is required"),
    ('(core func (canon lower (func $async) async))', "canonical option `memory` is required"),
    ('(core func (canon lower (func $async-string) async (memory $mem)))', "canonical option `realloc` is required"),
    ('(core func (canon lower (func $async) async (memory $mem) (callback (core func $libc "cb"))))',
     "canonical option `callback` cannot be specified for lowerings"),
    ('(core func (canon task.return (result u32) async))', "cannot specify `async` option on `task.return`"),
    ('(core func (canon task.return (result u32) async (callback (core func $libc "cb"))))',
     "canonical option `callback` cannot be specified for lowerings"),
    ('(import "r" (type $r (sub resource))) (type $b (borrow $r)) (type (stream (option $b)))',
     "`stream` payload cannot contain a `borrow` type"),
    ('(import "r" (type $r (sub resource))) (type $b (borrow $r)) (type (future (tuple u8 $b)))',
     "`future` payload cannot contain a `borrow` type"),
    ('(type (func (param "e" error-context)))', "`error-context` requires the component model error-context feature"),
    ('(import "[async]f" (func async))', "import name `[async]f` is not a valid extern name"),
    ('(core func (canon subtask.cancel async))', "async `subtask.cancel` requires the component model more async builtins feature"),
    ('(core func (canon stream.cancel-read $s async))', "async `stream.cancel-read` requires the component model more async builtins feature"),
    ('(core func (canon future.cancel-write $fu async))', "async `future.cancel-write` requires the component model more async builtins feature"),
    ('(core func (canon future.write $fu (memory $mem)))', "synchronous `future.write` requires the component model more async builtins feature"),
    ('(core func (canon future.new $s))', "`future.new` requires a future type"),
    ('(core func (canon stream.drop-readable $fu))', "`stream.drop-readable` requires a stream type"),
    ('(core func (canon stream.read $t async (memory $mem)))', "canonical option `realloc` is required"),
    ('(core func (canon stream.read $s async))', "canonical option `memory` is required"),
    ('(core func (canon context.get i64 0))', "64-bit `context.get` requires the component model 64-bit feature"),
    ('(core func (canon context.set i32 1))', "`context.set` immediate must be zero: 1"),
    ('(core func (canon stream.forward $s))', "`stream.forward` requires the component model forward feature"),
    ('(core func (canon future.forward $fu))', "`future.forward` requires the component model forward feature"),
    ('(core func (canon error-context.new (memory $mem)))', "`error-context.new` requires the component model error-context feature"),
    ('(core func (canon error-context.drop))', "`error-context.drop` requires the component model error-context feature"),
    ('(core func (canon thread.suspend))', "`thread.suspend` requires the component model threading feature"),
    ('(core func (canon thread.available_parallelism))', "`thread.available_parallelism` requires the shared-everything-threads proposal"),
    ('(core module $sh (memory (export "m") 1 1 shared)) (core instance $shi (instantiate $sh))'
     ' (core func (canon waitable-set.wait (memory (core memory $shi "m"))))',
     "mismatch in the shared flag for memories"),
]  # fmt: skip


@pytest.mark.parametrize("definitions, reason", REFUSED)
def test_async_definitions_refused_as_wasm_tools_refuses_them(definitions: str, reason: str) -> None:
    data = _component(definitions)
    assert _wasm_tools_error(data) == reason
    with pytest.raises(ValidationError, match=re.escape(reason)):
        validate_component(read_component(data))


def _canon_section(*items: bytes) -> bytes:
    """A component of one core type, `(func)`, one type, `(stream u8)`, and a canon section of
    `items`."""
    body = bytes([len(items)]) + b"".join(items)
    types = b"\x03\x04\x01\x60\x00\x00" + b"\x07\x04\x01\x66\x01\x7d"
    return b"\x00asm\x0d\x00\x01\x00" + types + bytes([0x08, len(body)]) + body


# (a canonical definition's bytes, wasm-tools' validation error, or None for bytes it cannot
# read, which wasmkit finds malformed).
ENCODINGS = [
    (b"\x2e\x00", "`stream.forward` requires the component model forward feature"),
    (b"\x42", "`thread.available_parallelism` requires the shared-everything-threads proposal"),
    (b"\x0f\x00\x01\x08\x00", "canonical option `core type` requires the component model gc feature"),
    (b"\x0f\x00\x01\x09", "canonical option `gc` requires the `cm-gc` feature"),
    (b"\x06\x02", None),  # a flag of 2
    (b"\x0f\x00\x01\x0a", None),  # an unknown option
]  # fmt: skip


@pytest.mark.parametrize("item, reason", ENCODINGS)
def test_async_encodings_read_as_wasm_tools_reads_them(item: bytes, reason: str | None) -> None:
    data = _canon_section(item)
    said = _wasm_tools_error(data)
    if reason is None:
        assert said is not None and re.search("invalid (leading byte|boolean value)", said)
        with pytest.raises(DecodeError, match="malformed"):
            read_component(data)
        return
    assert said == reason
    with pytest.raises(ValidationError, match=re.escape(reason)):
        validate_component(read_component(data))


def test_async_lowering_and_lifting_flatten_as_the_canonical_abi_says() -> None:
    i32, i64 = ValType.I32, ValType.I64
    four = Func(tuple((f"p{n}", Prim.U64) for n in range(4)), Prim.U32, is_async=True)
    assert lowered_type(four, lift=False, is_async=True)[0].params == (i64, i64, i64, i64, i32)
    five = Func(tuple((f"p{n}", Prim.U8) for n in range(5)), None, is_async=True)
    lowered, spilled_params, spilled_results = lowered_type(five, lift=False, is_async=True)
    assert (lowered.params, lowered.results, spilled_params, spilled_results) == ((i32,), (i32,), True, False)
    wide = Val("tuple", (Prim.U64,) * 17, (Prim.U64,) * 17)
    lifted, _, spilled_results = lowered_type(Func((("a", Prim.U64),), wide, True), lift=True, is_async=True, callback=True)
    assert (lifted.params, lifted.results, spilled_results) == ((i64,), (i32,), True)
    assert lowered_type(Func((), Prim.U64, True), lift=True, is_async=True)[0].results == ()


@pytest.mark.parametrize("engine", ENGINES)
def test_instantiation_runs_every_async_builtin_after_validating(engine: str, components: dict[str, bytes]) -> None:
    """Every built-in wasm-tools accepts by default instantiates (test_async_run runs them)."""
    inst = wasmkit.load(components["builtins"], imports={"fetch": lambda url: None}, engine=engine)
    assert list(inst.exports) == ["count"]
    invalid = _component('(core func (canon lower (func $sync) async))')
    with pytest.raises(ValidationError, match="requires an async function type"):
        wasmkit.load(invalid, engine=engine)


def test_a_componentize_py_async_component() -> None:
    """componentize-py (0.25) builds async exports (lifted with a callback, with streams and
    futures): wasmkit reads and validates it (test_async_run runs it)."""
    built = componentize("async-ticks", DATA / "ticks" / "ticks.wit", "ticks", DATA / "ticks" / "app")
    assert "export ticks: async func(n: u32) -> stream<u8>;" in _wasm_tools("component", "wit", str(built)).decode()
    validate_component(read_component(built.read_bytes()))
