"""Several memories (multi-memory), 64-bit memories (memory64) and 64-bit tables (table64) on
the native engine beside the Python engine: the same calls give the same results, the same
traps and the same bytes, at the last byte of each memory, at 2^32 and near 2^64 in a 64-bit
one, after growth (from wasm, from the host, and past a 64-bit memory's reservation, which
moves it), through imports, metered or not."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import Limits, Memory, MemoryType, Trap, TrapKind, ValType
from wasmkit.runtime import memory as memory_module

pytest.importorskip("llvmlite")

PAGE = 65536
MASK64 = (1 << 64) - 1

MEMORIES = r"""
(module
  (memory $a (export "a") 1)
  (memory $b (export "b") 1 4)
  (memory $c (export "c") i64 1)
  (data $d "\01\02\03\04\05\06\07\08")
  (data (memory $b) (i32.const 16) "bee")
  (data (memory $c) (i64.const 32) "sea")
  (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "load8_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "load_c") (param i64) (result i32) (i32.load $c (local.get 0)))
  (func (export "load8_c") (param i64) (result i32) (i32.load8_u $c (local.get 0)))
  (func (export "load_c_far") (param i64) (result i64) (i64.load $c offset=0xFFFF_FFFF_FFFF_FFF8 (local.get 0)))
  (func (export "store_b") (param i32 i32) (i32.store $b (local.get 0) (local.get 1)))
  (func (export "store_c") (param i64 i64) (i64.store $c offset=4 (local.get 0) (local.get 1)))
  (func (export "sizes") (result i32 i32 i64) (memory.size $a) (memory.size $b) (memory.size $c))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "grow_c") (param i64) (result i64) (memory.grow $c (local.get 0)))
  ;; Grow memory b, then reach its new last byte, in one function.
  (func (export "grow_b_and_store") (param i32) (result i32)
    (drop (memory.grow $b (i32.const 1)))
    (i32.store8 $b (i32.sub (i32.mul (memory.size $b) (i32.const 65536)) (i32.const 1)) (local.get 0))
    (i32.load8_u $b (i32.sub (i32.mul (memory.size $b) (i32.const 65536)) (i32.const 1))))
  (func (export "fill_b") (param i32 i32 i32) (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_c") (param i64 i32 i64) (memory.fill $c (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_b_to_c") (param i64 i32 i32) (memory.copy $c $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_c_to_a") (param i32 i64 i32) (memory.copy $a $c (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_c") (param i64 i64 i64) (memory.copy $c $c (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_b") (param i32 i32 i32) (memory.init $b $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_c") (param i64 i32 i32) (memory.init $c $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "v128_b") (param i32) (result v128) (v128.load $b (local.get 0)))
  (func (export "lane_c") (param i64) (result v128) (v128.load8_lane $c 3 (local.get 0) (v128.const i64x2 0 0)))
  (func (export "store_lane_c") (param i64)
    (v128.store16_lane $c 1 (local.get 0) (v128.const i16x8 0 0x1234 0 0 0 0 0 0)))
)
"""

# (export, arguments, expected result or the trap kind); each memory's last byte, 2^32 and
# near 2^64 in the 64-bit one, growth, and the bulk operations within and between memories.
OOB = TrapKind.OUT_OF_BOUNDS_MEMORY
CALLS: list[tuple[str, tuple[int, ...], object]] = [
    ("sizes", (), (1, 1, 1)),
    ("load8_b", (16,), ord("b")),
    ("load8_c", (32,), ord("s")),
    ("load_a", (PAGE - 4,), 0),
    ("load_a", (PAGE - 3,), OOB),
    ("load8_b", (PAGE - 1,), 0),
    ("load8_b", (PAGE,), OOB),
    ("load8_c", (PAGE - 1,), 0),
    ("load8_c", (PAGE,), OOB),
    ("load_c", (PAGE - 4,), 0),
    ("load_c", (PAGE - 3,), OOB),
    ("load_c", (1 << 32,), OOB),
    ("load_c", ((1 << 32) - 1,), OOB),
    ("load8_c", (1 << 63,), OOB),
    ("load_c", (MASK64 - 3,), OOB),
    ("load_c", (MASK64,), OOB),
    ("load_c_far", (0,), OOB),  # offset + address + 8 is 2^64: out of bounds, not wrapped to 0
    ("load_c_far", (8,), OOB),
    ("store_c", (MASK64 - 3, 5), OOB),  # would wrap to address 0
    ("store_c", (PAGE - 12, 0x0102030405060708), None),
    ("load8_c", (PAGE - 1,), 1),
    ("store_c", (PAGE - 11, 1), OOB),
    ("store_b", (PAGE - 4, 0x11223344), None),
    ("load8_b", (PAGE - 1,), 0x11),
    ("store_b", (PAGE - 3, 1), OOB),
    ("fill_c", (MASK64, 0, 2), OOB),
    ("fill_c", (1 << 32, 0, 0), OOB),
    ("fill_c", (PAGE, 7, 0), None),
    ("fill_c", (PAGE - 2, 7, 2), None),
    ("load8_c", (PAGE - 1,), 7),
    ("fill_c", (PAGE - 1, 7, MASK64), OOB),
    ("fill_b", (PAGE - 1, 9, 2), OOB),
    ("fill_b", (PAGE - 1, 9, 1), None),
    ("copy_b_to_c", (100, 16, 3), None),
    ("copy_c_to_a", (0, 100, 3), None),
    ("load_a", (0,), int.from_bytes(b"bee\0", "little")),
    ("copy_b_to_c", (PAGE - 2, 16, 3), OOB),
    ("copy_c_to_a", (0, MASK64 - 1, 3), OOB),
    ("copy_c", (0, MASK64, 2), OOB),
    ("copy_c", (MASK64 - 1, 0, 2), OOB),
    ("copy_c", (200, 30, MASK64), OOB),
    ("copy_c", (200, 30, 8), None),
    ("load8_c", (202,), ord("s")),
    ("init_b", (PAGE - 8, 0, 8), None),
    ("load8_b", (PAGE - 1,), 8),
    ("init_b", (PAGE - 7, 0, 8), OOB),
    ("init_c", (MASK64, 0, 1), OOB),
    ("init_c", (1 << 32, 0, 0), OOB),
    ("init_c", (PAGE - 2, 6, 2), None),
    ("load8_c", (PAGE - 1,), 8),
    ("v128_b", (16,), int.from_bytes(b"bee", "little")),
    ("v128_b", (PAGE - 15,), OOB),
    ("lane_c", (33,), ord("e") << 24),
    ("lane_c", (MASK64,), OOB),
    ("store_lane_c", (300,), None),
    ("load_c", (300,), 0x1234),
    ("store_lane_c", (PAGE - 1,), OOB),
    ("store_lane_c", (MASK64,), OOB),
    # Growth, from wasm: the new pages are reachable at once, the old bounds move.
    ("grow_b", (1,), 1),
    ("sizes", (), (1, 2, 1)),
    ("load8_b", (2 * PAGE - 1,), 0),
    ("load8_b", (2 * PAGE,), OOB),
    ("grow_b_and_store", (9,), 9),
    ("sizes", (), (1, 3, 1)),
    ("grow_b", (2,), -1),  # past its maximum of 4
    ("grow_c", (1,), 1),
    ("grow_c", (1 << 48,), -1),
    ("grow_c", (MASK64,), -1),
    ("sizes", (), (1, 3, 2)),
    ("load_c", (2 * PAGE - 4,), 0),
    ("load_c", (2 * PAGE - 3,), OOB),
]


def _run(instance: wasmkit.Instance, name: str, args: tuple[int, ...]) -> object:
    """The call's result, or the kind of the trap it raised."""
    try:
        return getattr(instance.exports, name)(*args)
    except Trap as trap:
        return trap.kind


def _instance(engine: str, text: str, imports: dict[str, dict[str, object]] | None = None, **options: object) -> wasmkit.Instance:
    store = wasmkit.Store(engine, **options)  # type: ignore[arg-type]
    return wasmkit.Instance(wasmkit.Module(text), imports or {}, store=store)


@pytest.mark.parametrize("metered", [False, True])
def test_memories_give_the_same_results_traps_and_bytes_on_both_engines(metered: bool) -> None:
    options = {"fuel": 10**9} if metered else {}
    python, native = _instance("python", MEMORIES), _instance("native", MEMORIES, **options)
    for name, args, expected in CALLS:
        assert _run(native, name, args) == _run(python, name, args) == expected, (name, args)
    for name in ("a", "b", "c"):
        size = getattr(python.exports, name).size
        assert getattr(native.exports, name).read(0, size) == getattr(python.exports, name).read(0, size)


MOVING = """
(module
  (memory $m (export "m") i64 1)
  (memory $n (export "n") i64 1)
  ;; Store, grow past the reservation (the memory moves), then reach old and new bytes, in one function.
  (func (export "grow_and_reach") (param i64) (result i64)
    (i64.store $m (i64.const 8) (i64.const 0x1122334455667788))
    (i64.store $n (i64.const 8) (i64.const 0x0101010101010101))
    (drop (memory.grow $m (local.get 0)))
    (drop (memory.grow $n (local.get 0)))
    (i64.store $m (i64.sub (i64.mul (memory.size $m) (i64.const 65536)) (i64.const 8)) (i64.const 42))
    (i64.store $n (i64.sub (i64.mul (memory.size $n) (i64.const 65536)) (i64.const 8)) (i64.const 43))
    (i64.add
      (i64.add (i64.load $m (i64.const 8)) (i64.load $n (i64.const 8)))
      (i64.add (i64.load $m (i64.sub (i64.mul (memory.size $m) (i64.const 65536)) (i64.const 8)))
               (i64.load $n (i64.sub (i64.mul (memory.size $n) (i64.const 65536)) (i64.const 8))))))
  (func (export "load_n") (param i64) (result i64) (i64.load $n (local.get 0)))
)
"""


@pytest.mark.parametrize("engine", ["python", "native"])
def test_a_64_bit_memory_that_moves_on_growth_is_reached_at_its_new_place(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Growth past what a 64-bit memory reserved moves it (see `runtime.memory`); native code
    takes the new base after the call that grew it, as memory 0 and as memory 1."""
    monkeypatch.setattr(memory_module, "_FIRST_RESERVATION_64", 2)
    instance = _instance(engine, MOVING)
    m, n = instance.exports.m, instance.exports.n
    before = (m.address, n.address)
    assert instance.exports.grow_and_reach(5) == 0x1122334455667788 + 0x0101010101010101 + 42 + 43
    assert (m.address, n.address) != before  # both moved
    assert m.pages == n.pages == 6
    assert m.read(8, 8) == (0x1122334455667788).to_bytes(8, "little") and n.read(6 * PAGE - 8, 1) == b"\x2b"
    assert instance.exports.load_n(6 * PAGE - 8) == 43
    with pytest.raises(Trap) as info:
        instance.exports.load_n(6 * PAGE - 7)
    assert info.value.kind is OOB


IMPORTING = """
(module
  (import "env" "one" (memory $one 1))
  (import "env" "wide" (memory $wide i64 1))
  (memory $own 1)
  (func (export "put") (param i32 i64 i32)
    (i32.store8 $one (local.get 0) (local.get 2))
    (i32.store8 $wide (local.get 1) (local.get 2))
    (i32.store8 $own (local.get 0) (local.get 2)))
  (func (export "get") (param i32 i64) (result i32 i32)
    (i32.load8_u $one (local.get 0)) (i32.load8_u $wide (local.get 1)))
  (func (export "own") (param i32) (result i32) (i32.load8_u $own (local.get 0)))
)
"""


@pytest.mark.parametrize("engine", ["python", "native"])
def test_imported_memories_grown_by_the_host_are_reached_by_wasm(engine: str) -> None:
    one = Memory(MemoryType(Limits(1, 3)))
    wide = Memory(MemoryType(Limits(1), ValType.I64))
    instance = _instance(engine, IMPORTING, {"env": {"one": one, "wide": wide}})
    put, get = instance.exports.put, instance.exports.get
    put(PAGE - 1, PAGE - 1, 5)
    assert get(PAGE - 1, PAGE - 1) == (5, 5) and instance.exports.own(PAGE - 1) == 5
    assert one.read(PAGE - 1, 1) == wide.read(PAGE - 1, 1) == b"\x05"
    for call in (lambda: get(PAGE, 0), lambda: get(0, PAGE), lambda: put(0, 1 << 32, 1)):
        with pytest.raises(Trap) as info:
            call()
        assert info.value.kind is OOB
    assert one.grow(1) == 1 and wide.grow(2) == 1  # by the host: the instance hears of it
    one.write(2 * PAGE - 1, b"\x07")
    wide.write(3 * PAGE - 1, b"\x09")
    assert get(2 * PAGE - 1, 3 * PAGE - 1) == (7, 9)
    with pytest.raises(Trap):
        get(2 * PAGE, 0)  # memory one has 2 pages now
    with pytest.raises(Trap):
        get(0, 3 * PAGE)


def test_memories_exported_by_a_native_instance_are_shared_with_another() -> None:
    maker = _instance("native", MEMORIES)
    user = _instance("native", IMPORTING, {"env": {"one": maker.exports.b, "wide": maker.exports.c}})
    user.exports.put(100, 100, 3)
    assert maker.exports.load8_b(100) == maker.exports.load8_c(100) == 3
    assert maker.exports.grow_c(1) == 1  # grown by the exporting instance's code
    user.exports.put(0, 2 * PAGE - 1, 4)
    assert maker.exports.load8_c(2 * PAGE - 1) == 4


TABLES = """
(module
  (table $t (export "t") i64 2 funcref)
  (table $s 3 funcref)
  (type $r (func (result i32)))
  (func $seven (type $r) (i32.const 7))
  (func $eight (type $r) (i32.const 8))
  (elem $e func $seven $eight)
  (elem (table $t) (i64.const 1) func $seven)
  (func (export "call") (param i64) (result i32) (call_indirect $t (type $r) (local.get 0)))
  (func (export "call_s") (param i32) (result i32) (call_indirect $s (type $r) (local.get 0)))
  (func (export "size") (result i64) (table.size $t))
  (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "set") (param i64) (table.set $t (local.get 0) (ref.func $eight)))
  (func (export "fill") (param i64 i64) (table.fill $t (local.get 0) (ref.func $seven) (local.get 1)))
  (func (export "copy_to_s") (param i32 i64 i32) (table.copy $s $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32) (table.init $t $e (local.get 0) (local.get 1) (local.get 2)))
)
"""

TOOB = TrapKind.OUT_OF_BOUNDS_TABLE
TABLE_CALLS: list[tuple[str, tuple[int, ...], object]] = [
    ("call", (1,), 7),
    ("call", (0,), TrapKind.UNINITIALIZED_ELEMENT),
    ("call", (2,), TrapKind.UNDEFINED_ELEMENT),
    ("call", ((1 << 32) + 1,), TrapKind.UNDEFINED_ELEMENT),  # not element 1
    ("call", (MASK64,), TrapKind.UNDEFINED_ELEMENT),
    ("size", (), 2),
    ("grow", (3,), 2),
    ("size", (), 5),
    ("grow", (1 << 40,), -1),
    ("grow", (MASK64,), -1),
    ("is_null", (1,), 0),
    ("is_null", (4,), 1),
    ("is_null", ((1 << 32) + 1,), TOOB),
    ("set", (4,), None),
    ("call", (4,), 8),
    ("set", (1 << 33,), TOOB),
    ("fill", (2, 2), None),
    ("call", (3,), 7),
    ("fill", (4, 2), TOOB),
    ("fill", (MASK64, 2), TOOB),
    ("fill", (1, MASK64), TOOB),
    ("copy_to_s", (0, 3, 2), None),
    ("call_s", (0,), 7),
    ("call_s", (1,), 8),
    ("copy_to_s", (0, (1 << 32) + 3, 1), TOOB),
    ("copy", (0, 3, 2), None),
    ("call", (1,), 8),
    ("copy", (0, MASK64, 1), TOOB),
    ("init", (0, 0, 2), None),
    ("call", (0,), 7),
    ("init", (MASK64, 0, 1), TOOB),
    ("init", ((1 << 32) + 4, 0, 1), TOOB),
]


@pytest.mark.parametrize("metered", [False, True])
def test_table64_gives_the_same_results_and_traps_on_both_engines(metered: bool) -> None:
    options = {"fuel": 10**9} if metered else {}
    python, native = _instance("python", TABLES), _instance("native", TABLES, **options)
    for name, args, expected in TABLE_CALLS:
        assert _run(native, name, args) == _run(python, name, args) == expected, (name, args)


def _ir(text: str) -> str:
    from wasmkit.engine.base import shared_globals
    from tests.support import native_ir

    valid = wasmkit.Module(text).valid
    return native_ir(valid, shared_globals(valid))


def test_memory_0s_code_reads_only_its_own_fields() -> None:
    """A module with one 32-bit memory reaches it as before multi-memory: its base and size
    from fields of their own, not through the memories' array, and plain 64-bit additions."""
    from wasmkit.engine.native.layout import Field

    array = f"i64 {8 * Field.MEMORIES}"
    plain = _ir('(module (memory 1) (func (export "f") (param i32) (result i32) (i32.load offset=4 (local.get 0))))')
    assert array not in plain and "uadd.sat" not in plain
    wide = _ir('(module (memory 1) (memory i64 1) (func (export "f") (param i64) (result i32) (i32.load 1 (local.get 0))))')
    assert array in wide and "llvm.uadd.sat.i64" in wide



# The 3.0 testsuite's files on these features (the test suite runs 3.0 on the Python engine).
SPEC_FILES = [
    "address64", "align64", "binary_leb128_64", "bulk64", "call_indirect64", "data0", "data1", "endianness64",
    "float_memory64", "imports3", "imports4", "linking3", "load2", "load64", "memory-multi", "memory64",
    "memory64-imports", "memory_copy1", "memory_copy64", "memory_fill64", "memory_grow64", "memory_init64",
    "memory_size2", "memory_trap64", "simd_memory-multi", "store2", "table64", "table_fill64", "table_get64",
    "table_copy64", "table_grow64", "table_set64", "table_size64",
]


@pytest.mark.parametrize("name", SPEC_FILES)
def test_the_3_0_testsuite_on_these_features_passes_on_the_native_engine(name: str) -> None:
    from tests.spec.test_execution import run_spec_file

    run_spec_file("wasm-3.0", f"{name}.wast", "native")
