"""The threads proposal outside the engine: shared memory types in text and binary, the
validator's rules and words (the reference interpreter's), the features that refuse it, and
the import of a shared memory, which must match in shared-ness."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import WASM_2_0, DecodeError, Feature, LinkError, ValidationError

SHARED = """(module
  (import "env" "m" (memory $m 1 2 shared))
  (func (export "f") (param i32) (result i32)
    (i32.atomic.store16 offset=2 (local.get 0) (i32.const 7))
    (atomic.fence)
    (i64.atomic.rmw32.cmpxchg_u (local.get 0) (i64.const 1) (i64.const 2))
    (drop)
    (memory.atomic.notify (local.get 0) (i32.const 1))))"""


def test_shared_memories_and_atomics_round_trip_through_binary_and_text() -> None:
    binary = wasmkit.write_module(wasmkit.parse_wat(SHARED))
    assert b"\x02\x03\x01\x02" in binary  # an imported memory: flags 0x03 (shared, maximum), 1, 2
    assert b"\xfe\x1a\x01\x02" in binary and b"\xfe\x03\x00" in binary and b"\xfe\x4e\x02\x00" in binary
    module = wasmkit.read_module(binary)
    assert module.imports[0].desc == wasmkit.MemoryType(wasmkit.Limits(1, 2), shared=True)
    printed = wasmkit.print_wat(module)
    assert '(import "env" "m" (memory (;0;) 1 2 shared))' in printed
    assert "i32.atomic.store16 offset=2\n" in printed and "atomic.fence\n" in printed
    assert wasmkit.write_module(wasmkit.parse_wat(printed)) == binary
    defined = wasmkit.parse_wat('(module (memory (export "m") 0 1 shared))')
    assert defined.mems[0].shared and wasmkit.read_module(wasmkit.write_module(defined)) == defined


def test_a_shared_64_bit_memory_round_trips() -> None:
    """memory64's address type and threads' shared flag together: flags 0x07 in binary,
    `i64 1 2 shared` in text."""
    module = wasmkit.parse_wat("(module (memory i64 1 2 shared))")
    assert module.mems[0] == wasmkit.MemoryType(wasmkit.Limits(1, 2), wasmkit.ValType.I64, shared=True)
    binary = wasmkit.write_module(module)
    assert b"\x05\x04\x01\x07\x01\x02" in binary
    assert wasmkit.read_module(binary) == module
    assert "(memory (;0;) i64 1 2 shared)" in wasmkit.print_wat(module)


@pytest.mark.parametrize(
    "text, message",
    [
        ("(module (memory 1 shared))", "shared memory must have maximum"),
        ('(module (import "a" "b" (memory 0 shared)))', "shared memory must have maximum"),
        ("(module (memory 1) (func (drop (i32.atomic.load align=2 (i32.const 0)))))", "atomic alignment must be natural"),
        ("(module (memory 1) (func (drop (i64.atomic.rmw8.add_u align=1 (i32.const 0) (i64.const 0)))))", None),
        ("(module (func (atomic.fence)))", None),  # a fence needs no memory
        ("(module (func (drop (memory.atomic.notify (i32.const 0) (i32.const 0)))))", "unknown memory"),
        ("(module (memory 1) (func (drop (memory.atomic.wait64 (i32.const 0) (i32.const 0) (i64.const 0)))))", "type mismatch"),
    ],
)
def test_validation(text: str, message: str | None) -> None:
    if message is None:
        wasmkit.validate(wasmkit.parse_wat(text))
        return
    with pytest.raises(ValidationError) as info:
        wasmkit.validate(wasmkit.parse_wat(text))
    assert info.value.message.startswith(message)


def test_a_shared_memory_in_binary_without_a_maximum_is_read_then_refused() -> None:
    binary = b"\0asm\1\0\0\0" + b"\x05\x03\x01\x02\x01"  # memory section: flags 0x02, minimum 1
    assert wasmkit.read_module(binary).mems[0].shared
    with pytest.raises(ValidationError, match="shared memory must have maximum"):
        wasmkit.Module(binary)


def test_without_the_threads_feature_they_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        wasmkit.Module("(module (memory 1 1 shared))", features=WASM_2_0)
    assert info.value.message == "a shared memory needs the threads feature, which is not enabled"
    with pytest.raises(ValidationError) as info:
        wasmkit.Module("(module (memory 1) (func (atomic.fence)))", features=WASM_2_0)
    assert info.value.message == "atomic.fence needs the threads feature, which is not enabled"
    binary = wasmkit.write_module(wasmkit.parse_wat("(module (memory 1 1 shared))"))
    with pytest.raises(DecodeError) as decode:  # 2.0 reads the flags as one bit
        wasmkit.Module(binary, features=WASM_2_0)
    assert decode.value.message.startswith("integer too large")


def test_without_reference_types_a_second_table_is_the_mvps_error() -> None:
    with pytest.raises(ValidationError) as info:
        wasmkit.Module("(module (table 0 funcref) (table 0 funcref))", features=frozenset({Feature.MVP, Feature.THREADS}))
    assert info.value.message == "multiple tables are not allowed"


def test_an_imported_memory_must_match_in_shared_ness() -> None:
    shared = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1, 2), shared=True))
    plain = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1, 2)))
    wants_shared = wasmkit.Module('(module (import "env" "m" (memory 1 2 shared)))')
    wants_plain = wasmkit.Module('(module (import "env" "m" (memory 1 2)))')
    with pytest.raises(LinkError) as info:
        wasmkit.Instance(wants_shared, {"env": {"m": plain}})
    assert info.value.message.startswith("incompatible import type for env.m: expected shared memory with")
    with pytest.raises(LinkError) as info:
        wasmkit.Instance(wants_plain, {"env": {"m": shared}})
    assert "given shared memory with" in info.value.message
    wasmkit.Instance(wants_shared, {"env": {"m": shared}})
    assert shared.shared and not plain.shared and "shared" in repr(shared)


def test_a_shared_memory_exported_by_one_store_is_used_in_another() -> None:
    owner = wasmkit.Instance(wasmkit.Module("""(module (memory (export "m") 1 1 shared)
      (func (export "put") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1))))"""))
    reader = wasmkit.Instance(
        wasmkit.Module("""(module (import "env" "m" (memory 1 1 shared))
          (func (export "get") (param i32) (result i32) (i32.atomic.load (local.get 0))))"""),
        {"env": {"m": owner.exports.m}},
        store=wasmkit.Store(),
    )
    owner.exports.put(4, 42)
    assert reader.exports.get(4) == 42


def test_the_native_engine_refuses_shared_64_bit_memories_naming_them() -> None:
    pytest.importorskip("llvmlite")
    native = wasmkit.Store("native")
    with pytest.raises(wasmkit.WasmError, match=r"does not support shared 64-bit memories"):
        wasmkit.Instance(wasmkit.Module("(module (memory i64 1 1 shared))"), store=native)
    atomic = wasmkit.Module('(module (memory 1) (func (export "f") (result i32) (i32.atomic.load (i32.const 0))))')
    assert wasmkit.Instance(atomic, store=native).exports.f() == 0  # shared 32-bit memories and atomics run
