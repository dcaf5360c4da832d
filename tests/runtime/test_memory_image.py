"""The memory image (runtime.image): a module's active data segments laid out once and copied
into each instance's memory give the same bytes as writing them one by one, the same trap for
a segment out of bounds, and leave the segment-by-segment path to what needs it (offsets from
imported globals, imported memories)."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit.errors import Trap
from wasmkit.runtime.image import build_image

ENGINES = ["python", pytest.param("native", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("llvmlite"), reason="the native engine needs llvmlite"))]  # fmt: skip

SEGMENTS = """
  (data (i32.const 16) "abcdefgh")
  (data (i32.const 20) "XY")
  (data (i32.const 100) "far")
  (data (i32.const 60000) "farther")
  (data $passive "passive")
  (data (i32.const 8) "")
  (data (i32.const 18) "Z")
"""

# What the segments above leave in memory, written one by one in order.
EXPECTED = {16: b"abZdXYgh", 100: b"far", 60000: b"farther"}

ACCESS = """
  (func (export "init") (param i32 i32 i32) (memory.init $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_dropped") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1)))
"""


def read(memory: wasmkit.Memory, at: int, length: int) -> bytes:
    return bytes(memory.view[at : at + length])


def check_expected(memory: wasmkit.Memory) -> None:
    for at, data in EXPECTED.items():
        assert read(memory, at - 2, len(data) + 4) == b"\0\0" + data + b"\0\0"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_image_gives_the_bytes_of_the_segments_in_order(engine: str) -> None:
    inst = wasmkit.load(f'(module (memory (export "memory") 1) {SEGMENTS} {ACCESS})', engine=engine)
    image = inst.module.data_image
    assert image is not None and len(image.runs[0]) == 2  # 16..103 joined, 60000 apart
    check_expected(inst.exports.memory)
    inst.exports.init(200, 1, 3)  # the passive segment stays
    assert read(inst.exports.memory, 200, 3) == b"ass"
    with pytest.raises(Trap, match="out of bounds memory access"):
        inst.exports.init_dropped()  # an active segment is dropped after instantiation


@pytest.mark.parametrize("engine", ENGINES)
def test_offsets_from_an_imported_global_write_segment_by_segment(engine: str) -> None:
    segments = SEGMENTS.replace("(i32.const 100)", "(global.get $base)")
    source = f'(module (import "env" "base" (global $base i32)) (memory (export "memory") 1) {segments})'
    assert build_image(wasmkit.Module(source).syntax.datas) is None
    store = wasmkit.Store(engine)
    base = wasmkit.Global(wasmkit.GlobalType(wasmkit.ValType.I32, False), 100)
    inst = wasmkit.load(source, {"env": {"base": base}}, store=store)
    check_expected(inst.exports.memory)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_imported_memory_keeps_its_bytes_between_the_segments(engine: str) -> None:
    store = wasmkit.Store(engine)
    memory = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1)))
    memory.view[24:30] = b"keepme"
    memory.view[14:16] = b"\0\0"
    wasmkit.load(f'(module (import "env" "memory" (memory 1)) {SEGMENTS})', {"env": {"memory": memory}}, store=store)
    assert read(memory, 16, 14) == b"abZdXYghkeepme"
    assert read(memory, 100, 3) == b"far"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_segment_out_of_bounds_traps_and_the_ones_before_it_stay(engine: str) -> None:
    with pytest.raises(Trap, match="out of bounds memory access"):
        wasmkit.load('(module (memory 1) (data (i32.const 0) "a") (data (i32.const 65535) "bc"))', engine=engine)
    store = wasmkit.Store(engine)
    memory = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1)))
    source = '(module (import "env" "memory" (memory 1)) (data (i32.const 0) "a") (data (i32.const 65536) ""))'
    wasmkit.load(source, {"env": {"memory": memory}}, store=store)  # empty, at the very end: in bounds
    with pytest.raises(Trap, match="out of bounds memory access"):
        wasmkit.load(source.replace('65536) ""', '65537) ""'), {"env": {"memory": memory}}, store=store)
    assert read(memory, 0, 1) == b"a"


def test_an_image_is_built_once_per_module() -> None:
    module = wasmkit.Module(f"(module (memory 1) {SEGMENTS})")
    assert module.data_image is module.data_image
    first, second = wasmkit.Instance(module), wasmkit.Instance(module)
    assert read(first.memory, 16, 8) == read(second.memory, 16, 8) == EXPECTED[16]
