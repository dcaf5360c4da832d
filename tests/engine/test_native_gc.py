"""GC on the native engine: the spec's GC scripts, GC values crossing to Python, to the Python
engine and back, and the reclaiming of handles (what native code no longer holds goes, what
it holds in locals, globals and frames further out stays)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import wasmkit
from tests.spec.test_execution import run_spec_file
from wasmkit.errors import Trap, TrapKind
from wasmkit.runtime.heap import Array, Struct

pytest.importorskip("llvmlite")

from wasmkit.engine.native.handles import I31_BIT, INDEX_MASK, TAG, HandleTable  # noqa: E402 - needs llvmlite's package

# The 3.0 scripts of GC's instructions and types, every command of which must pass natively.
GC_SCRIPTS = [
    "struct.wast", "array.wast", "array_copy.wast", "array_fill.wast", "array_init_data.wast",
    "array_init_elem.wast", "array_new_data.wast", "array_new_elem.wast", "i31.wast", "ref_test.wast",
    "ref_cast.wast", "br_on_cast.wast", "br_on_cast_fail.wast", "ref_eq.wast", "extern.wast",
    "ref_null.wast", "type-subtyping.wast", "type-rec.wast", "type-equivalence.wast", "type-canon.wast",
]  # fmt: skip


@pytest.mark.parametrize("name", GC_SCRIPTS)
def test_the_gc_scripts_pass_on_the_native_engine(name: str) -> None:
    run_spec_file("wasm-3.0", name, "native")


GC = """
(module
  (type $point (struct (field $x (mut i32)) (field $y i8) (field $next (mut (ref null $point)))))
  (type $floats (array (mut f64)))
  (global $kept (mut (ref null $point)) (ref.null $point))
  (func (export "point") (param i32 i32) (result (ref $point))
    (struct.new $point (local.get 0) (local.get 1) (ref.null $point)))
  (func (export "x") (param (ref null $point)) (result i32) (struct.get $point $x (local.get 0)))
  (func (export "y_s") (param (ref $point)) (result i32) (struct.get_s $point 1 (local.get 0)))
  (func (export "link") (param (ref $point) (ref null $point)) (struct.set $point $next (local.get 0) (local.get 1)))
  (func (export "next") (param (ref $point)) (result (ref null $point)) (struct.get $point $next (local.get 0)))
  (func (export "floats") (param i32 f64) (result (ref $floats)) (array.new $floats (local.get 1) (local.get 0)))
  (func (export "sum") (param (ref $floats)) (result f64) (local $i i32) (local $s f64)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (array.len (local.get 0))))
      (local.set $s (f64.add (local.get $s) (array.get $floats (local.get 0) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
    (local.get $s))
  (func (export "is_point") (param anyref) (result i32) (ref.test (ref $point) (local.get 0)))
  (func (export "as_point") (param anyref) (result (ref $point)) (ref.cast (ref $point) (local.get 0)))
  (func (export "same") (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1)))
  (func (export "i31") (param i32) (result i32) (i31.get_s (ref.i31 (local.get 0))))
  (func (export "i31ref") (param i32) (result i31ref) (ref.i31 (local.get 0)))
  (func (export "is_i31") (param anyref) (result i32) (ref.test i31ref (local.get 0)))
  (func (export "internal") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "external") (param anyref) (result externref) (extern.convert_any (local.get 0)))
)
"""


@pytest.fixture(scope="module", params=["python", "native"])
def exports(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return wasmkit.Instance(wasmkit.Module(GC), store=wasmkit.Store(request.param)).exports


def test_gc_values_cross_to_python_and_back(exports) -> None:  # type: ignore[no-untyped-def]
    point = exports.point(7, 0x1FF)
    assert isinstance(point, Struct)
    assert exports.x(point) == 7 and exports.y_s(point) == -1  # 0x1FF in an i8 field: 0xFF
    other = exports.point(8, 0)
    exports.link(point, other)
    assert exports.next(point) is other and exports.next(other) is None
    floats = exports.floats(3, 1.5)
    assert isinstance(floats, Array) and exports.sum(floats) == 4.5


def test_casts_tests_and_equality(exports) -> None:  # type: ignore[no-untyped-def]
    point = exports.point(1, 2)
    assert exports.is_point(point) == 1 and exports.is_point(exports.floats(1, 0.0)) == 0
    assert exports.as_point(point) is point
    assert exports.same(point, point) == 1 and exports.same(point, exports.point(1, 2)) == 0
    assert exports.same(exports.i31ref(5), exports.i31ref(5)) == 1 and exports.same(None, None) == 1
    with pytest.raises(Trap, match="cast failure"):
        exports.as_point(exports.floats(1, 0.0))
    with pytest.raises(Trap, match="null structure reference"):
        exports.x(None)


def test_i31_and_host_values(exports) -> None:  # type: ignore[no-untyped-def]
    assert [exports.i31(v) for v in (-1, 0x4000_0000, 0x7FFF_FFFF)] == [-1, -(1 << 30), -1]
    assert exports.i31ref(-1) == 0x7FFF_FFFF and exports.is_i31(exports.i31ref(3)) == 1
    # A host int given as an externref stays a host value, not an i31, through any and back.
    inside = exports.internal(5)
    assert exports.is_i31(inside) == 0 and exports.external(inside) == 5
    assert exports.external(exports.i31ref(5)) != 5 and exports.internal(exports.external(exports.i31ref(5))) == 5


def test_gc_values_pass_between_the_engines_as_they_are() -> None:
    native = wasmkit.Instance(wasmkit.Module(GC), store=wasmkit.Store("native")).exports
    python = wasmkit.Instance(wasmkit.Module(GC), store=wasmkit.Store("python")).exports
    point = native.point(3, 4)
    assert python.x(point) == 3 and python.as_point(point) is point
    assert native.x(python.point(9, 0)) == 9


def test_a_huge_array_traps_instead_of_allocating() -> None:
    exports = wasmkit.Instance(wasmkit.Module(GC), store=wasmkit.Store("native")).exports
    with pytest.raises(Trap, match="allocation size too large"):
        exports.floats(0xFFFF_FFFF, 0.0)


# Allocates `n` structs in a loop while one made first is held in a local, one in a global,
# and one only through the field of a struct held in a local; `nested` does the same from a
# host function called while its caller holds a struct in a local.
CHURN = """
(module
  (type $s (struct (field i64) (field (mut (ref null $s)))))
  (import "host" "reenter" (func $reenter (param i32)))
  (global $g (mut (ref null $s)) (ref.null $s))
  (func $churn (export "churn") (param $n i32) (result i64)
    (local $held (ref null $s)) (local $chain (ref null $s))
    (local.set $held (struct.new $s (i64.const 11) (ref.null $s)))
    (global.set $g (struct.new $s (i64.const 22) (ref.null $s)))
    (local.set $chain (struct.new $s (i64.const 0) (struct.new $s (i64.const 33) (ref.null $s))))
    (loop $l
      (drop (struct.new $s (i64.extend_i32_u (local.get $n)) (ref.null $s)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.add (i64.add (struct.get $s 0 (local.get $held)) (struct.get $s 0 (global.get $g)))
             (struct.get $s 0 (ref.as_non_null (struct.get $s 1 (local.get $chain))))))
  (func (export "nested") (param $n i32) (result i64) (local $outer (ref null $s))
    (local.set $outer (struct.new $s (i64.const 1000) (ref.null $s)))
    (call $reenter (local.get $n))
    (i64.add (struct.get $s 0 (local.get $outer)) (call $churn (i32.const 1))))
)
"""


@pytest.mark.parametrize("fuel", [None, 10**12], ids=["plain", "metered"])
def test_collection_frees_what_native_code_dropped_and_keeps_what_it_holds(fuel: int | None) -> None:
    store = wasmkit.Store("native", fuel=fuel)
    module = wasmkit.Module(CHURN)
    instance: wasmkit.Instance | None = None

    def reenter(n: int) -> None:
        assert instance is not None
        assert instance.exports.churn(n) == 66

    kind = wasmkit.FuncType((wasmkit.ValType.I32,), ())
    instance = wasmkit.Instance(module, {"host": {"reenter": wasmkit.Func.host(kind, reenter)}}, store=store)
    table = instance.native.references
    assert instance.exports.churn(100_000) == 66
    assert table.collections >= 3 and len(table) < 40_000  # at most about twice the threshold
    assert instance.exports.nested(100_000) == 1066


DEEP = """
(module
  (type $s (struct (field i32) (field (ref null $s))))
  (func $churn (param $n i32)
    (loop $l (drop (struct.new $s (local.get $n) (ref.null $s)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; Each frame keeps a struct of its own in a local while the deepest one allocates, then
  ;; checks it on the way out: the sum is n(n+1)/2 when none was lost.
  (func $rec (export "rec") (param $n i32) (result i32) (local $mine (ref null $s))
    (local.set $mine (struct.new $s (local.get $n) (ref.null $s)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $churn (i32.const 50000)) (struct.get $s 0 (local.get $mine)))
      (else (i32.add (call $rec (i32.sub (local.get $n) (i32.const 1))) (struct.get $s 0 (local.get $mine))))))
)
"""


def test_references_in_every_frame_of_a_deep_recursion_survive_a_collection() -> None:
    instance = wasmkit.Instance(wasmkit.Module(DEEP), store=wasmkit.Store("native"))
    assert instance.exports.rec(5000) == 5000 * 5001 // 2
    assert instance.native.references.collections >= 2


def test_a_handle_never_named_or_freed_traps_instead_of_reaching_the_host() -> None:
    """Also when its index names another object now: a handle kept past a collection (which
    a complete scan of the roots never lets happen) is not taken for that object."""
    table = HandleTable()
    kept, dropped = Struct(0, []), Struct(0, [])
    kept_handle, _ = table.handle(kept)
    dropped_handle, _ = table.handle(dropped)
    assert table.handle(kept) == (kept_handle, False) and kept_handle & TAG == TAG
    assert table.collect({kept_handle, 12345}) == [dropped_handle & INDEX_MASK]
    assert table.decode(kept_handle) is kept and table.decode(I31_BIT | 7) == 7 and table.decode(0) is None
    again, _ = table.handle(Struct(0, []))  # at the freed index, of the next generation
    assert again & INDEX_MASK == dropped_handle & INDEX_MASK and again != dropped_handle
    for bad in (dropped_handle, TAG | 10**6, 0x1234_5678_0000):
        with pytest.raises(Trap) as caught:
            table.decode(bad)
        assert caught.value.kind is TrapKind.HOST and "invalid reference handle" in str(caught.value)


def test_short_lived_structs_are_reclaimed_on_the_native_engine() -> None:
    """A loop allocating 2,000,000 structs runs under a 300 MB address-space limit above what
    the interpreter and the compiled module use (a handle kept per struct would need more)."""
    script = textwrap.dedent(
        """
        import resource, sys, wasmkit
        module = wasmkit.Module('''(module (type $s (struct (field i64) (field i64)))
          (func (export "churn") (param $n i32) (result i64) (local $last (ref null $s))
            (loop $l (local.set $last (struct.new $s (i64.extend_i32_u (local.get $n)) (i64.const 1)))
              (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (struct.get $s 0 (local.get $last))))''')
        instance = wasmkit.Instance(module, store=wasmkit.Store("native"))
        instance.exports.churn(1)
        used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (used + 300_000_000, resource.RLIM_INFINITY))
        print(instance.exports.churn(2_000_000), len(instance.native.references) < 100_000)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1", "True"]


NUMBERS = """
(module
  (type $pixel (struct (field $r (mut i8)) (field $g (mut i16)) (field $w (mut f32)) (field $id (mut i64))))
  (type $bytes (array (mut i8)))
  (type $doubles (array (mut f64)))
  (func (export "pixel") (param i32 i32 f32 i64) (result (ref $pixel))
    (struct.new $pixel (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "r_s") (param (ref $pixel)) (result i32) (struct.get_s $pixel $r (local.get 0)))
  (func (export "g_u") (param (ref $pixel)) (result i32) (struct.get_u $pixel $g (local.get 0)))
  (func (export "w") (param (ref $pixel)) (result f32) (struct.get $pixel $w (local.get 0)))
  (func (export "id") (param (ref $pixel)) (result i64) (struct.get $pixel $id (local.get 0)))
  (func (export "set_r") (param (ref $pixel) i32) (struct.set $pixel $r (local.get 0) (local.get 1)))
  (func (export "set_w") (param (ref $pixel) f32) (struct.set $pixel $w (local.get 0) (local.get 1)))
  (func (export "bytes") (param i32 i32) (result (ref $bytes)) (array.new $bytes (local.get 1) (local.get 0)))
  (func (export "byte_s") (param (ref null $bytes) i32) (result i32) (array.get_s $bytes (local.get 0) (local.get 1)))
  (func (export "set_byte") (param (ref $bytes) i32 i32) (array.set $bytes (local.get 0) (local.get 1) (local.get 2)))
  (func (export "length") (param (ref null $bytes)) (result i32) (array.len (local.get 0)))
  (func (export "fill") (param (ref $bytes) i32 i32 i32) (array.fill $bytes (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "copy") (param (ref $bytes) i32 (ref $bytes) i32 i32)
    (array.copy $bytes $bytes (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "doubles") (param f64 f64) (result (ref $doubles)) (array.new_fixed $doubles 2 (local.get 0) (local.get 1)))
  (func (export "double") (param (ref $doubles) i32) (result f64) (array.get $doubles (local.get 0) (local.get 1)))
)
"""


def test_structs_and_arrays_of_numbers_read_the_same_from_either_engine_and_python() -> None:
    """Native code keeps the numbers of such objects in native memory (engine.native.objects):
    they read and change the same from native code, the Python engine and the host."""
    native = wasmkit.Instance(wasmkit.Module(NUMBERS), store=wasmkit.Store("native")).exports
    python = wasmkit.Instance(wasmkit.Module(NUMBERS), store=wasmkit.Store("python")).exports
    for maker, reader in ((native, python), (python, native), (native, native)):
        pixel = maker.pixel(0x1FF, 0x1FFFF, 1.5, -2)
        assert (reader.r_s(pixel), reader.g_u(pixel), reader.w(pixel), reader.id(pixel)) == (-1, 0xFFFF, 1.5, -2)
        reader.set_r(pixel, 5)
        reader.set_w(pixel, float("inf"))
        assert (maker.r_s(pixel), maker.w(pixel)) == (5, float("inf")) and list(pixel.fields)[:2] == [5, 0xFFFF]
        data = maker.bytes(4, 0x80)
        assert reader.length(data) == 4 and reader.byte_s(data, 3) == -128 and data.items[:] == [0x80] * 4
        reader.set_byte(data, 1, 7)
        reader.fill(data, 2, 9, 2)
        other = maker.bytes(4, 1)
        reader.copy(other, 0, data, 1, 3)
        assert list(other.items) == [7, 9, 9, 1] and maker.byte_s(other, 2) == 9
        with pytest.raises(Trap, match="out of bounds array access"):
            reader.byte_s(data, 4)
        with pytest.raises(Trap, match="null array reference"):
            reader.length(None)
        doubles = maker.doubles(0.25, -0.0)
        assert reader.double(doubles, 0) == 0.25 and str(reader.double(doubles, 1)) == "-0.0"


def test_a_nan_keeps_its_payload_in_a_native_struct() -> None:
    native = wasmkit.Instance(wasmkit.Module(NUMBERS), store=wasmkit.Store("native")).exports
    python = wasmkit.Instance(wasmkit.Module(NUMBERS), store=wasmkit.Store("python")).exports
    nan = struct_f32(0x7FA0_0001)
    pixel = native.pixel(0, 0, nan, 0)
    assert bits_f32(python.w(pixel)) == 0x7FA0_0001 and bits_f32(native.w(pixel)) == 0x7FA0_0001


def struct_f32(bits: int) -> float:
    from wasmkit.runtime.values import f32_from_bits

    return f32_from_bits(bits)


def bits_f32(value: float) -> int:
    from wasmkit.runtime.values import f32_to_bits

    return f32_to_bits(value)


CASTS = """
(module
  (type $a (sub (struct (field i32))))
  (type $b (sub $a (struct (field i32) (field f64))))
  (type $f (struct (field i64)))
  (func (export "a") (result anyref) (struct.new $a (i32.const 1)))
  (func (export "b") (result anyref) (struct.new $b (i32.const 2) (f64.const 3)))
  (func (export "f") (result anyref) (struct.new $f (i64.const 4)))
  (func (export "i31") (result anyref) (ref.i31 (i32.const 5)))
  (func (export "is_a") (param anyref) (result i32) (ref.test (ref $a) (local.get 0)))
  (func (export "is_b") (param anyref) (result i32) (ref.test (ref $b) (local.get 0)))
  (func (export "is_f") (param anyref) (result i32) (ref.test (ref null $f) (local.get 0)))
  (func (export "as_a") (param anyref) (result i32) (struct.get $a 0 (ref.cast (ref $a) (local.get 0))))
  (func (export "as_f") (param anyref) (result i64) (struct.get $f 0 (ref.cast (ref null $f) (local.get 0))))
  (func (export "which") (param anyref) (result i32)
    (block $is_b (result (ref $b)) (block $is_f (result (ref $f))
      (drop (br_on_cast $is_f anyref (ref $f) (br_on_cast $is_b anyref (ref $b) (local.get 0))))
      (return (i32.const 0)))
      (return (i32.const 2)))
    (drop) (i32.const 1))
)
"""


def test_casts_give_the_same_answers_in_native_code_and_through_the_runtime() -> None:
    """Native code answers tests and casts against a defined type from what it knows of the
    object's type (exactly the type; not it, where the type is final), and asks the runtime
    otherwise (subtypes, null, i31, objects made elsewhere): either way as the Python engine."""
    native = wasmkit.Instance(wasmkit.Module(CASTS), store=wasmkit.Store("native")).exports
    python = wasmkit.Instance(wasmkit.Module(CASTS), store=wasmkit.Store("python")).exports
    answers = {}
    for engine, exports in (("native", native), ("python", python)):
        values = [maker() for maker in (native.a, native.b, native.f, python.a, python.b, python.f, native.i31)] + [None]
        tests = [[exports.is_a(v), exports.is_b(v), exports.is_f(v), exports.which(v)] for v in values]
        casts = []
        for v in values:
            for cast in (exports.as_a, exports.as_f):
                try:
                    casts.append(cast(v))
                except Trap as trap:
                    casts.append(trap.message)
        answers[engine] = (tests, casts)
    assert answers["native"] == answers["python"]
    tests, casts = answers["native"]
    assert tests[:3] == [[1, 0, 0, 0], [1, 1, 0, 1], [0, 0, 1, 2]] and tests[6:] == [[0, 0, 0, 0], [0, 0, 1, 0]]
    assert casts[:6] == [1, "cast failure", 2, "cast failure", "cast failure", 4]
    assert casts[-2:] == ["cast failure", "null structure reference"]


def test_a_reference_the_scan_missed_traps_instead_of_reading_another_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the stack left out of the roots (a collector bug, made here on purpose), the
    structs the frames hold are freed while in use and their indices reused: each access
    through a stale handle, in native code or the runtime, must trap, never reach the new
    object there or memory it does not own."""
    from wasmkit.engine.native import module

    monkeypatch.setattr(module, "stack_words", lambda low, high: set())
    instance = wasmkit.Instance(wasmkit.Module(DEEP), store=wasmkit.Store("native"))
    with pytest.raises(Trap, match="invalid reference handle"):
        instance.exports.rec(5000)


POOLED = """
(module
  (type $p (struct (field (mut i64)) (field f32)))
  ;; Structs of numbers only come from a pool filled ahead (engine.native.gc.POOL_SIZE): the
  ;; ones taken stay whole while many more are made and collected around them.
  (func (export "run") (param $n i32) (result i64)
    (local $first (ref null $p)) (local $blank (ref null $p)) (local $sum i64)
    (local.set $first (struct.new $p (i64.const 7) (f32.const 1.5)))
    (local.set $blank (struct.new_default $p))
    (loop $l
      (local.set $sum (i64.add (local.get $sum)
        (struct.get $p 0 (struct.new $p (i64.extend_i32_u (local.get $n)) (f32.const 0)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.add (i64.add (local.get $sum) (struct.get $p 0 (local.get $first)))
      (i64.add (struct.get $p 0 (local.get $blank)) (i64.trunc_f32_s (struct.get $p 1 (local.get $first))))))
)
"""


def test_structs_of_numbers_taken_from_the_pool_are_whole_and_distinct() -> None:
    instance = wasmkit.Instance(wasmkit.Module(POOLED), store=wasmkit.Store("native"))
    n = 100_000
    assert instance.exports.run(n) == n * (n + 1) // 2 + 7 + 0 + 1
    assert instance.native.references.collections >= 3 and len(instance.native.pools) == 1


THROWN = """
(module
  (type $s (struct (field i32) (field (ref null $s))))
  (tag $boxed (param (ref $s)))
  (func $throw (param $n i32)
    (throw $boxed (struct.new $s (local.get $n) (struct.new $s (i32.const 1) (ref.null $s)))))
  ;; Structs thrown in a payload and caught, many times over (collections among them): each
  ;; comes out whole.
  (func (export "run") (param $n i32) (result i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (block $caught (result (ref $s))
          (try_table (catch $boxed $caught) (call $throw (local.get $n)))
          (unreachable))
        (struct.get $s 0) ))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum))
)
"""


def test_structs_in_exception_payloads_survive_collections() -> None:
    instance = wasmkit.Instance(wasmkit.Module(THROWN), store=wasmkit.Store("native"))
    n = 20_000
    assert instance.exports.run(n) == n * (n + 1) // 2
    assert instance.native.references.collections >= 1
