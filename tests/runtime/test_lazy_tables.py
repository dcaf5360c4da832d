"""Lazy table entries (runtime.table): an active element segment of `ref.func` items leaves
function indices in the table, made `Func`s when a slot is first read. Every way of reading a
slot gives what it gave before, on both engines: `call_indirect` (and its traps), `table.get`,
`table.copy` within a table and into another instance's, the host's `Table.get`, and the same
`Func` object for the same function however it is reached."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit.errors import Trap

ENGINES = ["python", pytest.param("native", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("llvmlite"), reason="the native engine needs llvmlite"))]  # fmt: skip

MODULE = """
(module
  (type $unary (func (param i32) (result i32)))
  (type $nullary (func (result i32)))
  (table $t (export "table") 8 funcref)
  (table $u (export "other") 8 funcref)
  (elem (table $t) (i32.const 1) func $ten $twenty $thirty $zero)
  (func $ten (type $unary) (i32.add (local.get 0) (i32.const 10)))
  (func $twenty (export "twenty") (type $unary) (i32.add (local.get 0) (i32.const 20)))
  (func $thirty (type $unary) (i32.add (local.get 0) (i32.const 30)))
  (func $zero (type $nullary) (i32.const 0))
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect $t (type $unary) (local.get 1) (local.get 0)))
  (func (export "call_other") (param i32 i32) (result i32)
    (call_indirect $u (type $unary) (local.get 1) (local.get 0)))
  (func (export "get") (param i32) (result funcref) (table.get $t (local.get 0)))
  (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_other") (param i32 i32 i32) (table.copy $u $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 funcref i32) (table.fill $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t)))
"""


def instance(engine: str) -> wasmkit.Instance:
    return wasmkit.load(MODULE, engine=engine)


def trap_message(call: object, *args: object) -> str:
    with pytest.raises(Trap) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_segments_functions_are_not_made_at_instantiation(engine: str) -> None:
    inst = instance(engine)
    table = inst.exports.table
    assert table.functions is not None and table.functions[0] is inst.funcs
    assert table.elements[1:5] == [0, 1, 2, 3]  # indices, not Funcs
    assert all(inst.funcs.made(i) is None for i in (0, 2, 3))


@pytest.mark.parametrize("engine", ENGINES)
def test_call_indirect_calls_lazy_entries_and_traps_as_before(engine: str) -> None:
    inst = instance(engine)
    call = inst.exports.call
    assert [call(i, 1) for i in (1, 2, 3)] == [11, 21, 31]
    assert trap_message(call, 0, 1).startswith("uninitialized element")
    assert trap_message(call, 4, 1).startswith("indirect call type mismatch")
    assert trap_message(call, 8, 1).startswith("undefined element")
    assert [call(i, 2) for i in (1, 2, 3)] == [12, 22, 32]  # again, through what the first calls made


@pytest.mark.parametrize("engine", ENGINES)
def test_every_read_of_a_slot_gives_the_one_func_of_its_function(engine: str) -> None:
    inst = instance(engine)
    twenty = inst.exports.twenty
    assert inst.exports.get(2) is twenty  # table.get
    assert inst.exports.table.get(2) is twenty  # the host's Table.get
    assert inst.exports.get(0) is None
    assert trap_message(inst.exports.get, 8).startswith("out of bounds table access")
    first = inst.exports.table.get(1)
    assert isinstance(first, wasmkit.Func) and first(5) == 15
    assert inst.exports.get(1) is first


@pytest.mark.parametrize("engine", ENGINES)
def test_copy_fill_and_grow_keep_what_the_slots_hold(engine: str) -> None:
    inst = instance(engine)
    e = inst.exports
    e.copy(5, 1, 3)  # within the table: lazy entries move as they are
    assert [e.call(i, 1) for i in (5, 6, 7)] == [11, 21, 31]
    assert e.table.get(6) is e.twenty
    e.copy_other(0, 1, 3)  # into another table: it reads them as their Funcs
    assert [e.call_other(i, 1) for i in (0, 1, 2)] == [11, 21, 31]
    assert e.other.get(1) is e.twenty
    assert trap_message(e.copy, 6, 1, 3).startswith("out of bounds table access")
    e.fill(1, e.twenty, 2)
    assert [e.call(i, 1) for i in (1, 2, 3)] == [21, 21, 31]
    assert e.grow(2) == 8 and e.size() == 10
    assert e.get(9) is None and e.call(3, 0) == 30


@pytest.mark.parametrize("engine", ENGINES)
def test_an_imported_table_filled_by_two_instances(engine: str) -> None:
    store = wasmkit.Store(engine)
    first = wasmkit.load(MODULE, store=store)
    second = wasmkit.load(
        """(module
          (import "m" "table" (table 8 funcref))
          (elem (i32.const 6) func $minus $plus)
          (func $minus (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
          (func $plus (export "plus") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))""",
        {"m": {"table": first.exports.table}},
        store=store,
    )
    table = first.exports.table
    assert table.elements[6:8] == [1 << 32 | 0, 1 << 32 | 1]  # lazy entries of its second owner
    assert table.get(7) is second.exports.plus
    assert [first.exports.call(i, 10) for i in (1, 2, 6, 7)] == [20, 30, 9, 11]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_out_of_bounds_segment_traps_and_the_ones_before_it_stay(engine: str) -> None:
    store = wasmkit.Store(engine)
    table = wasmkit.Table(wasmkit.TableType(wasmkit.Limits(4), wasmkit.ValType.FUNCREF))
    source = """(module
      (import "m" "t" (table 4 funcref))
      (elem (i32.const 0) func $a)
      (elem (i32.const 3) func $a $a)
      (func $a (export "a") (result i32) (i32.const 7)))"""
    with pytest.raises(Trap, match="out of bounds table access"):
        wasmkit.load(source, {"m": {"t": table}}, store=store)
    func = table.get(0)
    assert isinstance(func, wasmkit.Func) and func() == 7
    assert table.get(3) is None


def test_a_table_many_instances_write_to_holds_the_later_ones_funcs() -> None:
    table = wasmkit.Table(wasmkit.TableType(wasmkit.Limits(1), wasmkit.ValType.FUNCREF))
    source = '(module (import "m" "t" (table 1 funcref)) (elem (i32.const 0) func $f) (func $f (export "f")))'
    for _ in range(20):
        inst = wasmkit.load(source, {"m": {"t": table}})
    assert table.functions is not None and len(table.functions) == 16  # not one per instance
    assert table.elements[0] is inst.exports.f


def test_an_anyref_table_keeps_its_i31_values() -> None:
    inst = wasmkit.load(
        """(module
          (table $t (export "t") 2 anyref)
          (func (export "set") (table.set $t (i32.const 0) (ref.i31 (i32.const 5))))
          (func (export "get") (result i32) (i31.get_u (ref.cast i31ref (table.get $t (i32.const 0))))))"""
    )
    inst.exports.set()
    assert inst.exports.get() == 5
