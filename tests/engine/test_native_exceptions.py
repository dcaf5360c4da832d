"""Exception handling on the native engine, beside the Python engine (and wasmtime where it
runs the module): the spec's exception scripts, payloads of every value type, the host
boundary both ways, traps passing every handler, exceptions through several instances, and
metered code."""

from __future__ import annotations

import math

import pytest

import wasmkit
from tests.engine.test_python_exceptions import EXCEPTIONS, EXNREF, LEGACY, _deep
from tests.spec.engines import require_engine
from tests.support import require_shared
from wasmkit import FuncType, Tag, Trap, ValType, WasmException
from wasmkit.opcodes import ALL_FEATURES

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64
ENGINES = ("python", "native")

require_engine("native")

SPEC_FILES = [
    "try_table.wast", "throw.wast", "throw_ref.wast", "tag.wast",
    "legacy/throw.wast", "legacy/try_catch.wast", "legacy/try_delegate.wast", "legacy/rethrow.wast",
]  # fmt: skip


@pytest.mark.parametrize("name", SPEC_FILES)
def test_the_spec_exception_scripts_pass_whole_on_native(name: str) -> None:
    from wasmkit.script.runner import ScriptRunner
    from wasmkit.text import parse_script

    source = require_shared("spec", "wasm-3.0", *name.split("/")).read_text()
    outcomes = list(ScriptRunner("native", features=ALL_FEATURES).run(parse_script(source, name, keep_going=True)))
    assert outcomes
    assert [f"{o.line}: {o.detail}" for o in outcomes if not o.passed] == []


def load(engine: str, source: str, imports: dict | None = None, **store_options: object) -> wasmkit.Instance:
    store = wasmkit.Store(engine, **store_options)  # type: ignore[arg-type]
    return wasmkit.Instance(wasmkit.Module(source), imports or {}, store=store)


def with_host(engine: str) -> tuple[wasmkit.Instance, Tag]:
    host_tag = Tag([I32], name="host")

    def raise_(x: int) -> None:
        raise WasmException(host_tag, [x])

    return load(engine, EXCEPTIONS, {"host": {"tag": host_tag, "raise": raise_}}), host_tag


@pytest.mark.parametrize("engine", ENGINES)
def test_payloads_clauses_and_loops(engine: str) -> None:
    exports = with_host(engine)[0].exports
    assert exports.catch(-3) == -3 - 5 + 1.5 + 0.25
    assert [exports.which(0), exports.which(1), exports.which(2)] == [0, 1, 2]
    assert exports.loop(1000) == 1001
    assert exports.catch_host(-9) == -9


@pytest.mark.parametrize("engine", ENGINES)
def test_traps_pass_every_handler(engine: str) -> None:
    exports = with_host(engine)[0].exports
    with pytest.raises(Trap, match="unreachable"):
        exports.which(3)
    with pytest.raises(Trap, match="integer divide by zero"):
        exports.which(4)
    assert exports.which(1) == 1  # the instance is usable after a trap unwound past a handler


TRAPS = """(module
  (import "host" "fail" (func $fail))
  (tag $t)
  (func $oob (drop (i32.load (i32.const 65536))))
  (memory 1)
  ;; each kind of trap, from this function or a callee, inside try_table and legacy catch_all
  (func (export "trap") (param i32) (result i32)
    (block $h
      (try_table (catch_all $h)
        (try (do
          (if (i32.eqz (local.get 0)) (then (call $oob)))
          (if (i32.eq (local.get 0) (i32.const 1)) (then (call $fail)))
          (if (i32.eq (local.get 0) (i32.const 2)) (then (throw_ref (ref.null exn))))
          (if (i32.eq (local.get 0) (i32.const 3)) (then (throw $t))))
        (catch_all)))
      (return (i32.const 1)))
    (i32.const 2)))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_traps_and_host_errors_are_never_caught(engine: str) -> None:
    def fail() -> None:
        raise KeyError("from the host")

    exports = load(engine, TRAPS, {"host": {"fail": fail}}).exports
    with pytest.raises(Trap, match="out of bounds memory access"):
        exports.trap(0)
    with pytest.raises(KeyError, match="from the host"):
        exports.trap(1)
    with pytest.raises(Trap, match="null exception reference"):
        exports.trap(2)
    assert exports.trap(3) == 1  # a wasm exception is caught, by the inner handler


@pytest.mark.parametrize("engine", ENGINES)
def test_an_uncaught_exception_reaches_python_with_its_tag_and_payload(engine: str) -> None:
    instance = with_host(engine)[0]
    with pytest.raises(WasmException) as info:
        instance.exports.throw(-1, 2**40, 0.5, math.inf)
    assert info.value.tag is instance.exports.e
    assert info.value.payload == (-1, 2**40, 0.5, math.inf)
    with pytest.raises(WasmException) as info:
        instance.exports.throw_empty()
    assert info.value.tag is instance.exports.empty and info.value.payload == ()


PAYLOADS = """(module
  (import "host" "raise" (func $raise))
  (import "host" "tag" (tag $h (param externref v128 f32)))
  (tag $t (export "t") (param externref v128 f64 i64))
  (func (export "throw") (param externref v128 f64 i64) (throw $t (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; the payload of a host exception, caught
  (func (export "catch_host") (result externref v128 f32)
    (block $c (result externref v128 f32) (try_table (catch $h $c) (call $raise)) (unreachable)))
  ;; thrown and caught in wasm: the payload comes through the exception cells
  (func (export "round_trip") (param externref v128 f64 i64) (result externref v128 f64 i64)
    (block $c (result externref v128 f64 i64)
      (try_table (catch $t $c) (throw $t (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
      (unreachable))))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_payloads_of_references_and_vectors(engine: str) -> None:
    marker = object()
    host_tag = Tag([ValType.EXTERNREF, ValType.V128, F32])

    def raise_() -> None:
        raise WasmException(host_tag, [marker, 2**127 + 3, -0.5])

    exports = load(engine, PAYLOADS, {"host": {"raise": raise_, "tag": host_tag}}).exports
    ref, vector, number = exports.catch_host()
    assert ref is marker and vector == 2**127 + 3 and number == -0.5
    nan = math.nan
    ref, vector, number, wide = exports.round_trip(marker, 5, nan, -(2**63))
    assert ref is marker and vector == 5 and math.isnan(number) and wide == -(2**63)
    with pytest.raises(WasmException) as info:
        exports.throw(None, 2**128 - 1, 1.25, 7)
    assert info.value.tag is exports.t and info.value.payload == (None, 2**128 - 1, 1.25, 7)


@pytest.mark.parametrize("engine", ENGINES)
def test_legacy_try_catch_rethrow_delegate(engine: str) -> None:
    exports = load(engine, LEGACY).exports
    assert [exports.catch(0), exports.catch(7)] == [-1, 107]
    assert exports.rethrow() == 5
    assert exports.delegate(10) == 13
    with pytest.raises(WasmException):
        exports.delegate_out()


@pytest.mark.parametrize("engine", ENGINES)
def test_exnref_catch_ref_and_throw_ref(engine: str) -> None:
    exports = load(engine, EXNREF).exports
    caught = exports.catch(5)
    assert isinstance(caught, WasmException) and caught.tag is exports.t and caught.payload == (5,)
    with pytest.raises(WasmException) as info:
        exports.rethrow(caught)
    assert info.value is caught  # an exnref from Python goes back in and out as itself
    assert exports.recatch(0) == -1
    with pytest.raises(WasmException) as info:
        exports.recatch(7)
    assert info.value.payload == (7,)
    with pytest.raises(Trap, match="null exception reference"):
        exports.null()


IDENTITY = """(module
  (import "host" "raise" (func $raise))
  ;; what a host function raised, through catch_all_ref and throw_ref, and legacy catch_all and rethrow
  (func (export "through_ref")
    (block $h (result exnref) (try_table (catch_all_ref $h) (call $raise)) (unreachable))
    (throw_ref))
  (func (export "through_rethrow")
    (try (do (call $raise)) (catch_all (rethrow 0)))))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_host_exception_leaves_wasm_as_itself(engine: str) -> None:
    tag = Tag([I64])
    raised = WasmException(tag, [42])

    def raise_() -> None:
        raise raised

    exports = load(engine, IDENTITY, {"host": {"raise": raise_}}).exports
    for through in (exports.through_ref, exports.through_rethrow):
        with pytest.raises(WasmException) as info:
            through()
        assert info.value is raised


THROWER = """(module
  (tag $t (export "t") (param i32))
  (func (export "throw") (param i32) (throw $t (local.get 0))))
"""
# Calls the thrower's function; passes exceptions on, delegating them to its caller.
MIDDLE = """(module
  (import "a" "throw" (func $throw (param i32)))
  (func (export "pass") (param i32)
    (try (do (call $throw (local.get 0))) (delegate 0))))
"""
CATCHER = """(module
  (import "a" "t" (tag $t (param i32)))
  (import "b" "pass" (func $pass (param i32)))
  (tag $other (param i32))
  (func (export "catch") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $other $h) (catch $t $h) (call $pass (local.get 0)))
      (i32.const -1))))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_exceptions_through_several_instances(engine: str) -> None:
    store = wasmkit.Store(engine)
    a = wasmkit.Instance(wasmkit.Module(THROWER), store=store)
    b = wasmkit.Instance(wasmkit.Module(MIDDLE), {"a": a.exports}, store=store)
    c = wasmkit.Instance(wasmkit.Module(CATCHER), {"a": a.exports, "b": b.exports}, store=store)
    assert c.exports.catch(11) == 11
    # Another instance of the thrower has tags of its own: the catcher does not catch them.
    other = wasmkit.Instance(wasmkit.Module(THROWER), store=store)
    b2 = wasmkit.Instance(wasmkit.Module(MIDDLE), {"a": other.exports}, store=store)
    c2 = wasmkit.Instance(wasmkit.Module(CATCHER), {"a": a.exports, "b": b2.exports}, store=store)
    with pytest.raises(WasmException) as info:
        c2.exports.catch(3)
    assert info.value.tag is other.exports.t and info.value.payload == (3,)


def test_exceptions_through_instances_of_both_engines() -> None:
    """An exception thrown on one engine is caught on the other, both ways."""
    for thrower_engine, catcher_engine in (("python", "native"), ("native", "python")):
        a = load(thrower_engine, THROWER)
        b = load(catcher_engine, MIDDLE, {"a": a.exports})
        c = load(catcher_engine, CATCHER, {"a": a.exports, "b": b.exports})
        assert c.exports.catch(4) == 4


DEPTH = """(module
  (tag $t)
  (func $down (param i32) (if (local.get 0) (then (call $down (i32.sub (local.get 0) (i32.const 1)))) (else (throw $t))))
  ;; five times in one call: down to the depth given, and back by an exception
  (func (export "f") (param i32) (result i32) (local $k i32)
    (loop $again
      (block $h (try_table (catch $t $h) (call $down (local.get 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $k) (i32.const 5))))
    (local.get $k)))
"""


@pytest.mark.parametrize("legacy", [False, True])
def test_metered_code_throws_and_catches(legacy: bool) -> None:
    store = wasmkit.Store("native", wasmkit.StoreLimits(max_call_depth=50), fuel=10**6)
    exports = wasmkit.Instance(wasmkit.Module(LEGACY), store=store).exports
    assert [exports.catch(7), exports.rethrow(), exports.delegate(10)] == [107, 5, 13]
    f = wasmkit.Instance(wasmkit.Module(DEPTH), store=store).exports.f
    # 40 frames unwound each time: the depth count comes back down when the exception is caught.
    assert f(40) == 5
    with pytest.raises(Trap, match="call stack exhausted"):
        f(60)
    g = wasmkit.Instance(wasmkit.Module(_deep(24, 10, legacy)), store=store).exports.f
    assert [g(50), g(500)] == [50, -1]


def test_the_same_results_as_wasmtime() -> None:
    wasmtime = pytest.importorskip("wasmtime")
    source = """(module (tag $t (param i32))
      (func $check (param i32) (result i32)
        (if (i32.and (local.get 0) (i32.const 1)) (then (throw $t (local.get 0))))
        (i32.shl (local.get 0) (i32.const 1)))
      (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $sum i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $sum (i32.add (local.get $sum)
            (block $caught (result i32) (try_table (result i32) (catch $t $caught) (call $check (local.get $i))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (local.get $sum))
      (func (export "nested") (param i32) (result i32)
        (block $outer (result i32)
          (try_table (result i32) (catch $t $outer)
            (block $inner (result exnref)
              (try_table (catch_all_ref $inner) (drop (call $check (local.get 0))))
              (return (i32.const -1)))
            (throw_ref)))))"""
    config = wasmtime.Config()
    config.wasm_exceptions = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, wasmtime.wat2wasm(source)), [])
    expected = [instance.exports(store)["sum"](store, 100), instance.exports(store)["nested"](store, 9),
                instance.exports(store)["nested"](store, 8)]  # fmt: skip
    for name in ENGINES:
        exports = load(name, source).exports
        assert [exports.sum(100), exports.nested(9), exports.nested(8)] == expected


def test_calls_in_a_try_are_checked_as_calls_outside_one() -> None:
    """A call inside a try_table costs what one outside does: one test of the context's trap
    field, whose branch goes to the handler instead of the return."""
    from tests.support import native_ir

    def checks(body: str) -> int:
        valid = wasmkit.Module(f"(module (tag) (func $g) (func {body}))").valid
        text = native_ir(valid, frozenset())
        function = text[text.index('@"f1"') :]
        return function.count("icmp ne i64")

    assert checks("(call $g) (call $g)") == checks("(try_table (call $g) (call $g))") == 2
