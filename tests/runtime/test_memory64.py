"""Memories and tables with 64-bit addresses (memory64, table64) and several memories
(multi-memory), from Python: the host API, the Python engine's addressing past 4 GiB, import
matching, and hostile sizes (refused cleanly, never allocated)."""

from __future__ import annotations

import resource

import pytest

import wasmkit
from wasmkit import LinkError, Limits, Memory, MemoryType, Table, TableType, Trap, TrapKind, ValType
from wasmkit.runtime import memory as memory_module

PAGE = 65536
MASK64 = (1 << 64) - 1

MEMORY64 = """
(module
  (memory (export "mem") i64 1 0x1_0000_0000_0000)
  (func (export "load") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_far") (param i64) (result i64) (i64.load offset=0xFFFF_FFFF_FFFF_FFF0 (local.get 0)))
  (func (export "load_f32") (param i64) (result f32) (f32.load offset=1 (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "store8") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2))))
"""


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _exports(text: str, store: wasmkit.Store | None = None) -> wasmkit.Instance:
    return wasmkit.Instance(wasmkit.Module(text), store=store or wasmkit.Store(engine="python"))


def test_a_memory_of_2_48_pages_declared_uses_only_what_it_has() -> None:
    memory = Memory(MemoryType(Limits(1, 1 << 48), ValType.I64))
    assert memory.type.is_64 and memory.pages == 1 and memory.size == PAGE
    assert memory.grow(2) == 1 and memory.pages == 3
    memory.write(3 * PAGE - 4, b"\x01\x02\x03\x04")
    assert memory.read(3 * PAGE - 4, 4) == b"\x01\x02\x03\x04"
    assert memory.grow(1 << 48) == -1  # past the maximum: refused, nothing reserved


def test_host_reads_and_writes_past_4_gib_are_out_of_bounds_and_allocate_nothing() -> None:
    memory = Memory(MemoryType(Limits(1), ValType.I64))
    before = _rss_kib()
    for address in (1 << 32, (1 << 32) + 5, 1 << 47, MASK64):
        with pytest.raises(IndexError):
            memory.read(address, 4)
        with pytest.raises(IndexError):
            memory.write(address, b"abcd")
        with pytest.raises(IndexError):
            memory[address]  # noqa: B018 - the access is the test
    assert _rss_kib() - before < 64 * 1024  # no gigabytes were touched


def test_wasm_addresses_up_to_2_64_trap_out_of_bounds_on_the_python_engine() -> None:
    exports = _exports(MEMORY64).exports
    exports.store(8, 0x12345678)
    assert exports.load(8) == 0x12345678
    with pytest.raises(Trap):
        exports.load(PAGE - 3)  # straddles the end
    for address in (PAGE, 1 << 32, 1 << 62, 1 << 63, MASK64):
        for call in (lambda: exports.load(address), lambda: exports.store(address, 1), lambda: exports.store8(address, 1)):
            with pytest.raises(Trap) as info:
                call()
            assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
        with pytest.raises(Trap):
            exports.load_f32(address)
    with pytest.raises(Trap) as info:
        exports.load_far(0x20)  # address + offset past 2^64: out of bounds, not wrapped around
    assert info.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
    with pytest.raises(Trap):
        exports.fill(MASK64, 0, 2)


def test_memory_size_and_grow_are_i64() -> None:
    exports = _exports(MEMORY64).exports
    assert exports.size() == 1
    assert exports.grow(2) == 1
    assert exports.size() == 3
    assert exports.grow(1 << 48) == -1  # -1 as a signed i64 at the API
    assert exports.grow(MASK64) == -1


def test_a_64_bit_memory_growing_past_its_reservation_moves_and_keeps_its_bytes(monkeypatch) -> None:
    monkeypatch.setattr(memory_module, "_FIRST_RESERVATION_64", 2)
    instance = _exports(MEMORY64)
    exports = instance.exports
    assert exports.grow(1) == 1  # within the 2 pages reserved
    exports.store(PAGE + 8, 77)
    assert exports.grow(4) == 2  # past them
    assert exports.load(PAGE + 8) == 77
    exports.store(6 * PAGE - 4, 99)  # the new pages are there, zeroed
    assert exports.load(6 * PAGE - 4) == 99 and exports.load(5 * PAGE) == 0
    assert instance.exports.mem.read(PAGE + 8, 1) == bytes([77])


def test_a_huge_minimum_fails_to_instantiate_without_allocating() -> None:
    before = _rss_kib()
    with pytest.raises(LinkError) as info:
        _exports("(module (memory i64 0x1_0000_0000))")  # 2^32 pages: 256 TiB
    assert "cannot be reserved" in str(info.value)
    limited = wasmkit.Store(engine="python", limits=wasmkit.StoreLimits(memory_bytes=1 << 20))
    with pytest.raises(LinkError) as info:
        _exports("(module (memory i64 100))", limited)
    assert "exceeds the limit of 1048576 bytes" in str(info.value)
    assert _rss_kib() - before < 64 * 1024


def test_a_memory_type_past_2_48_pages_is_invalid_and_a_host_memory_refused() -> None:
    with pytest.raises(wasmkit.ValidationError) as info:
        wasmkit.Module("(module (memory i64 0x1_0000_0000_0001))")
    assert str(info.value.message) == "memory size must be at most 2^48 pages (256 TiB) for i64"
    with pytest.raises(ValueError):
        Memory(MemoryType(Limits((1 << 48) + 1), ValType.I64))


def test_several_memories_are_each_their_own() -> None:
    instance = _exports(
        """(module
          (memory $a (export "a") 1)
          (memory $b (export "b") i64 2)
          (data (memory $b) (i64.const 5) "hi")
          (func (export "copy") (memory.copy $a $b (i32.const 0) (i64.const 5) (i32.const 2)))
          (func (export "put") (param i64 i32) (i32.store8 $b (local.get 0) (local.get 1)))
          (func (export "sizes") (result i32 i64) (memory.size $a) (memory.size $b)))"""
    )
    exports = instance.exports
    assert exports.sizes() == (1, 2)
    exports.copy()
    assert exports.a.read(0, 2) == b"hi"
    exports.put(PAGE + 1, 7)
    assert exports.b.read(PAGE + 1, 1) == b"\x07" and exports.a.read(PAGE + 1 - PAGE, 1) == b"i"
    assert [m.type.is_64 for m in instance.mems] == [False, True]


def test_imports_match_by_address_type() -> None:
    memory64 = Memory(MemoryType(Limits(1), ValType.I64))
    memory32 = Memory(MemoryType(Limits(1)))
    module = wasmkit.Module('(module (import "m" "mem" (memory i64 1)))')
    wasmkit.Instance(module, {"m": {"mem": memory64}})
    with pytest.raises(LinkError) as info:
        wasmkit.Instance(module, {"m": {"mem": memory32}})
    assert str(info.value).startswith("incompatible import type for m.mem: expected 64-bit memory")
    table32 = Table(TableType(Limits(1), ValType.FUNCREF))
    with pytest.raises(LinkError):
        wasmkit.Instance(wasmkit.Module('(module (import "m" "t" (table i64 1 funcref)))'), {"m": {"t": table32}})


def test_table64_indices_sizes_and_call_indirect() -> None:
    exports = _exports(
        """(module
          (table $t (export "t") i64 2 funcref)
          (type $r (func (result i32)))
          (func $seven (type $r) (i32.const 7))
          (elem (table $t) (i64.const 1) func $seven)
          (func (export "call") (param i64) (result i32) (call_indirect $t (type $r) (local.get 0)))
          (func (export "size") (result i64) (table.size $t))
          (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0))))"""
    ).exports
    assert exports.call(1) == 7
    assert exports.size() == 2 and exports.grow(3) == 2 and exports.size() == 5
    assert exports.grow(1 << 40) == -1
    with pytest.raises(Trap) as info:
        exports.call(1 << 40)
    assert info.value.kind is TrapKind.UNDEFINED_ELEMENT


def test_the_wasmtime_layer_has_64_bit_memory_types() -> None:
    from wasmkit.compat import wasmtime as wt

    store = wt.Store()
    memory = wt.Memory(store, wt.MemoryType(wt.Limits(1, None), is_64=True))
    assert memory.type(store).is_64 and not memory.type(store).is_shared
    assert memory.grow(store, 1) == 1 and memory.size(store) == 2
    assert not wt.Memory(store, wt.MemoryType(wt.Limits(1, None))).type(store).is_64
    with pytest.raises(wt.WasmtimeError):
        wt.MemoryType(wt.Limits(1, 2), shared=True)
