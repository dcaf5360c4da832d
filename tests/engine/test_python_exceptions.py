"""Exception handling on the Python engine, and the host API around it: `wasmkit.Tag`, and
`wasmkit.WasmException` thrown by wasm and caught in Python, or raised by a host function and
caught by a `try_table`; traps are never caught."""

from __future__ import annotations

import math

import pytest

import wasmkit
from tests.spec.engines import require_engine
from wasmkit import FuncType, Tag, Trap, ValType, WasmException

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64

EXCEPTIONS = """(module
  (import "host" "tag" (tag $host (param i32)))
  (import "host" "raise" (func $raise (param i32)))
  (tag $e (export "e") (param i32 i64 f32 f64))
  (tag $empty (export "empty"))
  (func $throw (export "throw") (param i32 i64 f32 f64)
    (throw $e (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; catch $e: its payload, summed as f64
  (func (export "catch") (param i32) (result f64)
    (local $a i32) (local $b i64) (local $c f32) (local $d f64)
    (block $h (result i32 i64 f32 f64)
      (try_table (catch $e $h)
        (call $throw (local.get 0) (i64.const -5) (f32.const 1.5) (f64.const 0.25)))
      (return (f64.const -1)))
    (local.set $d) (local.set $c) (local.set $b) (local.set $a)
    (f64.add (f64.add (f64.convert_i32_s (local.get $a)) (f64.convert_i64_s (local.get $b)))
             (f64.add (f64.promote_f32 (local.get $c)) (local.get $d))))
  ;; which clause catches: 1 for $empty, 2 for anything else, 0 for none
  (func (export "which") (param i32) (result i32)
    (block $all
      (block $e
        (try_table (catch $empty $e) (catch_all $all)
          (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
          (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $empty)))
          (if (i32.eq (local.get 0) (i32.const 2)) (then (call $raise (i32.const 7))))
          (if (i32.eq (local.get 0) (i32.const 3)) (then (unreachable)))
          (drop (i32.div_u (i32.const 1) (i32.const 0))))
        (return (i32.const 0)))
      (return (i32.const 1)))
    (i32.const 2))
  (func (export "catch_host") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $host $h) (call $raise (local.get 0)))
      (i32.const -1)))
  ;; throw and catch n times in a loop, counting in a local: the handler branches back to it
  (func (export "loop") (param i32) (result i32)
    (local $n i32)
    (loop $again
      (block $h
        (if (i32.lt_u (local.get $n) (local.get 0))
          (then
            (try_table (catch $empty $h) (throw $empty)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $again (i32.le_u (local.get $n) (local.get 0))))
    (local.get $n))
  (func (export "throw_empty") (throw $empty)))
"""


@pytest.fixture()
def setup():
    host_tag = Tag([I32], name="host")

    def raise_(x: int) -> None:
        raise WasmException(host_tag, [x])

    instance = wasmkit.load(EXCEPTIONS, {"host": {"tag": host_tag, "raise": raise_}})
    return instance, host_tag


def test_a_payload_of_every_number_type_is_caught(setup) -> None:
    instance, _ = setup
    assert instance.exports.catch(-3) == -3 - 5 + 1.5 + 0.25


def test_clauses_match_by_tag(setup) -> None:
    which = setup[0].exports.which
    assert [which(0), which(1), which(2)] == [0, 1, 2]


def test_traps_are_not_caught(setup) -> None:
    which = setup[0].exports.which
    with pytest.raises(Trap, match="unreachable"):
        which(3)
    with pytest.raises(Trap, match="integer divide by zero"):
        which(4)


def test_an_uncaught_exception_reaches_python_with_its_tag_and_payload(setup) -> None:
    instance, _ = setup
    with pytest.raises(WasmException) as info:
        instance.exports.throw(-1, 2**40, 0.5, math.inf)
    assert info.value.tag is instance.exports.e
    assert info.value.payload == (-1, 2**40, 0.5, math.inf)
    assert "uncaught exception" in str(info.value)
    assert isinstance(info.value, wasmkit.WasmError)


def test_a_host_exception_is_caught_by_wasm(setup) -> None:
    instance, host_tag = setup
    assert instance.exports.catch_host(-9) == -9
    assert instance.exports.catch_host(5) == 5


def test_an_exception_branching_back_to_a_loop(setup) -> None:
    assert setup[0].exports.loop(1000) == 1001


def test_each_instance_has_its_own_tags(setup) -> None:
    instance, host_tag = setup
    again = wasmkit.load(EXCEPTIONS, {"host": {"tag": host_tag, "raise": lambda x: None}})
    assert again.exports.e is not instance.exports.e
    assert again.exports.e.type == FuncType((I32, I64, F32, F64), ())


def test_an_imported_tag_is_caught_across_instances() -> None:
    thrower = wasmkit.load('(module (tag (export "t") (param i32)) (func (export "f") (throw 0 (i32.const 42))))')
    catcher = wasmkit.load(
        """(module (import "m" "t" (tag $t (param i32))) (import "m" "f" (func $f))
          (func (export "g") (result i32) (block $h (result i32) (try_table (catch $t $h) (call $f)) (i32.const 0))))""",
        {"m": thrower.exports},
    )
    assert catcher.exports.g() == 42


def test_a_tag_import_must_have_the_declared_type() -> None:
    with pytest.raises(wasmkit.LinkError, match="incompatible import type"):
        wasmkit.load('(module (import "m" "t" (tag (param i32))))', {"m": {"t": Tag([I64])}})


def test_tag_and_exception_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="no results"):
        Tag(FuncType((), (I32,)))
    with pytest.raises(TypeError, match="carries 1 value"):
        WasmException(Tag([I32]), [])
    with pytest.raises(TypeError, match="wasmkit.Tag"):
        WasmException("tag", [])  # type: ignore[arg-type]


LEGACY = """(module
  (tag $a (param i32)) (tag $b)
  (func $throw_a (param i32) (throw $a (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (if (local.get 0) (then (call $throw_a (local.get 0))) (else (throw $b))) (i32.const 0))
      (catch $a (i32.add (i32.const 100)))
      (catch_all (i32.const -1))))
  ;; rethrow from a nested handler to the outer one
  (func (export "rethrow") (result i32)
    (try (result i32)
      (do
        (try (do (call $throw_a (i32.const 5)))
          (catch $a (drop) (try (do (throw $b)) (catch_all (rethrow 1)))))
        (i32.const 0))
      (catch $a)))
  ;; delegate past one handler to the outer try, and to the caller
  (func (export "delegate") (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try (result i32)
          (do
            (try (do (call $throw_a (i32.const 3))) (delegate $outer))
            (i32.const 0))
          (catch_all (i32.const -1))))
      (catch $a (i32.add (local.get 0)))))
  (func (export "delegate_out")
    (try (do (try (do (throw $b)) (delegate 1))) (catch_all))))
"""


def test_legacy_try_catch_rethrow_delegate() -> None:
    exports = wasmkit.load(LEGACY).exports
    assert [exports.catch(0), exports.catch(7)] == [-1, 107]
    assert exports.rethrow() == 5
    assert exports.delegate(10) == 13  # not the inner catch_all's -1
    with pytest.raises(WasmException):
        exports.delegate_out()


def test_assert_exception_in_scripts() -> None:
    from wasmkit.script.runner import ScriptRunner
    from wasmkit.text import parse_script

    script = """(module (tag $t) (func (export "throw") (throw $t)) (func (export "ok")))
      (assert_exception (invoke "throw"))
      (assert_exception (invoke "ok"))"""
    outcomes = list(ScriptRunner("python").run(parse_script(script)))
    assert [(o.kind, o.passed) for o in outcomes] == [("module", True), ("assert_exception", True), ("assert_exception", False)]
    assert "expected an uncaught exception" in outcomes[2].detail


def test_metered_code_throws_and_catches_too() -> None:
    store = wasmkit.Store("python", wasmkit.StoreLimits(max_call_depth=50), fuel=10**6)
    exports = wasmkit.Instance(wasmkit.Module(LEGACY), store=store).exports
    assert [exports.catch(7), exports.rethrow(), exports.delegate(10)] == [107, 5, 13]
    with pytest.raises(WasmException):
        exports.delegate_out()
    assert exports.catch(1) == 101  # the depth count came back down through every exception


def test_an_uncaught_exception_crosses_the_wasm_thread_and_asyncio() -> None:
    import asyncio

    instance = wasmkit.load('(module (tag $t (export "t") (param i32)) (func $f (throw $t (i32.const 3))) (func (export "g") (call $f)))')
    with pytest.raises(WasmException) as info:
        instance.exports.g()  # g calls: it runs on a wasm thread
    assert info.value.tag is instance.exports.t and info.value.payload == (3,)

    async def call() -> None:
        await instance.exports.g.call_async()

    with pytest.raises(WasmException):
        asyncio.run(call())


EXNREF = """(module (tag $t (export "t") (param i32))
  (func (export "catch") (param i32) (result exnref)
    (block $h (result exnref) (try_table (catch_all_ref $h) (throw $t (local.get 0))) (unreachable)))
  ;; catch_ref: the payload, then the exception; thrown again unless the payload is 0
  (func (export "recatch") (param i32) (result i32)
    (local $exn exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $t $h) (throw $t (local.get 0)))
      (unreachable))
    (local.set $exn)
    (if (result i32) (i32.eqz) (then (i32.const -1)) (else (throw_ref (local.get $exn)))))
  (func (export "rethrow") (param exnref) (throw_ref (local.get 0)))
  (func (export "null") (throw_ref (ref.null exn))))
"""


def test_exnref_catch_ref_and_throw_ref() -> None:
    exports = wasmkit.load(EXNREF).exports
    caught = exports.catch(5)
    assert isinstance(caught, WasmException) and caught.tag is exports.t and caught.payload == (5,)
    with pytest.raises(WasmException) as info:
        exports.rethrow(caught)  # an exnref from Python goes back in as it came out
    assert info.value is caught
    assert exports.recatch(0) == -1
    with pytest.raises(WasmException) as info:
        exports.recatch(7)
    assert info.value.payload == (7,)
    with pytest.raises(Trap, match="null exception reference"):
        exports.null()
    with pytest.raises(TypeError, match="expected a WasmException or None for exnref"):
        exports.rethrow(5)


@pytest.mark.parametrize("engine", ["python", "native"])
def test_rethrowing_in_a_loop_keeps_no_traceback(engine: str) -> None:
    """throw_ref drops the traceback an exception gathered, so that one exception thrown and
    caught again a thousand times stays small (on either engine)."""
    require_engine(engine)
    exports = wasmkit.Instance(wasmkit.Module(EXNREF), store=wasmkit.Store(engine)).exports
    caught = exports.catch(1)
    for _ in range(1000):
        try:
            exports.rethrow(caught)
        except WasmException as exc:
            caught = exc
    depth = 0
    tb = caught.__traceback__
    while tb is not None:
        depth += 1
        tb = tb.tb_next
    assert depth < 20


def _deep(loops: int, trys: int, legacy: bool) -> str:
    """`loops` nested loops, the inner `trys` of them each in a try (the counter they share
    throws to the outermost handler when it reaches the argument)."""
    body = "(local.set 1 (i32.add (local.get 1) (i32.const 1)))"
    body += "(if (i32.ge_u (local.get 1) (local.get 0)) (then (throw $t (local.get 1))))"
    for i in range(loops):
        body = f"(loop $l{i} {body} (br_if $l{i} (i32.lt_u (local.get 1) (i32.const {3 * (i + 1)}))))"
        if i < trys:
            body = f"(try (do {body}) (catch $u (unreachable)))" if legacy else f"(block $b{i} (try_table (catch $u $b{i}) {body}))"
    return f"""(module (tag $t (param i32)) (tag $u)
      (func (export "f") (param i32) (result i32) (local i32)
        (block $out (result i32) (try_table (catch $t $out) {body}) (i32.const -1))))"""


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("metered", [False, True])
def test_loops_nested_in_trys_past_cpythons_limit(legacy: bool, metered: bool) -> None:
    """CPython refuses more than 20 nested loops and trys together: the loops past the limit
    are written as closures, counting the trys around them too."""
    store = wasmkit.Store("python", fuel=10**7) if metered else wasmkit.Store("python")
    f = wasmkit.Instance(wasmkit.Module(_deep(24, 10, legacy)), store=store).exports.f
    assert [f(50), f(500)] == [50, -1]


def _nested_handlers(levels: int, legacy: bool, loop_every: int) -> str:
    """`levels` nested handlers of tag $t, each around a block or (every `loop_every` levels) a
    loop that goes round twice, the innermost level doing what the argument p says: p <
    levels throws p, which only level p handles (the others throw it on); p < 2 * levels
    branches out to level p - levels at once with 7; p < 3 * levels goes back once to the
    (p - 2 * levels)th loop (clamped to the last), then returns; 999 traps; else it returns.
    Each level adds 1 to what comes out of it, and a handled level its iteration count."""
    n = levels
    loops = [i for i in range(n) if i % loop_every == 0]
    body = f"""
      (if (result i32) (i32.lt_u (local.get 0) (i32.const {n})) (then (throw $t (local.get 0)))
      (else (if (result i32) (i32.lt_u (local.get 0) (i32.const {2 * n}))
        (then (br_table {" ".join(f"$done{j}" for j in range(n))} (i32.const 7) (i32.sub (local.get 0) (i32.const {n}))))
      (else (if (result i32) (i32.and (i32.lt_u (local.get 0) (i32.const {3 * n})) (i32.eqz (local.get 1)))
        (then (local.set 1 (i32.const 1))
              (br_table {" ".join(f"$inner{j}" for j in loops)} (i32.sub (local.get 0) (i32.const {2 * n}))))
      (else (if (result i32) (i32.eq (local.get 0) (i32.const 999)) (then (unreachable))
        (else (return (i32.add (i32.mul (local.get 1) (i32.const 100)) (local.get 0)))))))))))"""
    payload = 2 + n  # a local
    for i in reversed(range(n)):
        count = f"(local.set {2 + i} (i32.add (local.get {2 + i}) (i32.const 1)))"
        if i in loops:
            count += f"(br_if $inner{i} (i32.lt_u (local.get {2 + i}) (i32.const 2)))"
        inner = f"({'loop' if i in loops else 'block'} $inner{i} (result i32) {count} {body})"
        handled = f"""(local.set {payload}) (if (result i32) (i32.eq (local.get {payload}) (i32.const {i}))
              (then (i32.add (i32.mul (local.get {payload}) (i32.const 1000)) (local.get {2 + i})))
              (else {"(rethrow 1)" if legacy else f"(throw $t (local.get {payload}))"}))"""
        if legacy:
            handler = f"(try (result i32) (do {inner}) (catch $t {handled}))"
        else:
            handler = f"(block $caught{i} (result i32) (try_table (result i32) (catch $t $caught{i}) {inner}) (br $done{i})) {handled}"
        body = f"(block $done{i} (result i32) {handler}) (i32.add (i32.const 1))"
    return f"""(module (tag $t (param i32))
      (func (export "f") (param i32) (result i32) (local {" ".join(["i32"] * (n + 2))}) {body}))"""


def _outcomes(f, levels: int, trap: type[Exception]) -> list[object]:
    """f at every argument that does something different, a trap as "trap"."""
    outcomes: list[object] = []
    for arg in [*range(3 * levels + 1), 999]:
        try:
            outcomes.append(f(arg))
        except trap:
            outcomes.append("trap")
    return outcomes


def _wasmtime_outcomes(text: str, levels: int) -> list[object]:
    wasmtime = pytest.importorskip("wasmtime")
    store = wasmtime.Store()
    f = wasmtime.Instance(store, wasmtime.Module(store.engine, text), []).exports(store)["f"]
    return _outcomes(lambda arg: f(store, arg), levels, wasmtime.Trap)


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("loop_every", [1, 4, 100])
def test_trys_nested_past_cpythons_limit(legacy: bool, loop_every: int) -> None:
    """30 handlers nested (some 60 to 90 blocks to CPython, which allows 20): those past the
    limit are written as closures, and exceptions, branches out of many levels, branches back
    to loops outside a closure, returns and traps all cross them as wasmtime has them cross.
    wasmtime has no legacy `try`: those run the same program as the try_table ones."""
    levels = 30
    expected = _wasmtime_outcomes(_nested_handlers(levels, False, loop_every), levels)
    for metered in (False, True):
        store = wasmkit.Store("python", fuel=10**7) if metered else wasmkit.Store("python")
        f = wasmkit.Instance(wasmkit.Module(_nested_handlers(levels, legacy, loop_every)), store=store).exports.f
        assert _outcomes(f, levels, Trap) == expected


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("max_loops", [0, 1, 2, 3])
def test_trys_written_as_closures_at_any_depth(legacy: bool, max_loops: int) -> None:
    """The same, with the Python engine writing trys and loops as closures from `max_loops`
    blocks deep (0: every one), and flat code from a shallow indentation."""
    from tests.engine.control_flow import deep_code_shapes

    for levels, loop_every in ((1, 1), (3, 2), (5, 100)):
        expected = _wasmtime_outcomes(_nested_handlers(levels, False, loop_every), levels)
        module = wasmkit.Module(_nested_handlers(levels, legacy, loop_every))
        for flat_indent in (3, 40):
            with deep_code_shapes(flat_indent, 16, max_loops):
                f = wasmkit.Instance(module, store=wasmkit.Store("python")).exports.f
                assert _outcomes(f, levels, Trap) == expected, (levels, loop_every, flat_indent)


# An exception caught by a legacy catch, rethrown from inside handlers nested in that catch
# (each a closure when the Python engine writes every try as one), and its catch_ref's exnref
# thrown again by throw_ref from a try_table nested in a second closure.
RETHROW_ACROSS_CLOSURES = """(module (tag $t (param i32)) (tag $u)
  (func (export "f") (param i32) (result i32)
    (block $out (result i32)
      (try_table (catch $t $out)
        (try
          (do (throw $t (local.get 0)))
          (catch $t
            (drop)
            (try
              (do (try (do (throw $u)) (catch $u (rethrow 2))))
              (catch_all (rethrow 1))))))
      (unreachable)))
  (func (export "g") (param i32) (result i32)
    (local exnref)
    (block $out (result i32)
      (try_table (catch $t $out)
        (block $h (result i32 exnref)
          (try_table (catch_ref $t $h) (throw $t (local.get 0)))
          (unreachable))
        (local.set 1) (drop)
        (block $h2
          (try_table (catch $u $h2)
            (try_table (catch $u $h2) (throw_ref (local.get 1))))))
      (unreachable))
    (i32.add (i32.const 1))))"""


@pytest.mark.parametrize("max_loops", [0, 18])
def test_rethrow_from_a_closure(max_loops: int) -> None:
    from tests.engine.control_flow import deep_code_shapes

    module = wasmkit.Module(RETHROW_ACROSS_CLOSURES)
    with deep_code_shapes(40, 16, max_loops):
        exports = wasmkit.Instance(module, store=wasmkit.Store("python")).exports
        assert exports.f(5) == 5
        assert exports.g(5) == 6


# A branch out of an inner try_table to a block in an outer one: with every try a closure, the
# outer closure only tests and resets _t where the block ends, and must share it all the same.
BRANCH_OUT_OF_A_CLOSURE_INTO_ANOTHER = """(module
  (func (export "f") (param i32) (result i32)
    (try_table (result i32)
      (block $b (result i32)
        (try_table (result i32)
          (drop (br_if $b (i32.const 5) (local.get 0)))
          (i32.const 6)))
      (i32.add (i32.const 10)))
    (i32.add (i32.const 100))))"""


def test_a_closure_that_only_resets_the_branch_target_shares_it() -> None:
    from tests.engine.control_flow import deep_code_shapes

    module = wasmkit.Module(BRANCH_OUT_OF_A_CLOSURE_INTO_ANOTHER)
    with deep_code_shapes(40, 16, 0):
        f = wasmkit.Instance(module, store=wasmkit.Store("python")).exports.f
        assert (f(0), f(1)) == (116, 115)
