"""The memory image (runtime.image): a module's active data segments laid out once and copied
into each instance's memory give the same bytes as writing them one by one, the same trap for
a segment out of bounds, and leave the segment-by-segment path to what needs it (offsets from
imported globals, imported memories); a large run mapped copy-on-write (runtime.shared_pages)
is each instance's own, and a mapping refused leaves it to copy."""

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


def large_module() -> wasmkit.Module:
    """A module whose image has a run past shared_pages.MIN_BYTES (mapped copy-on-write where
    the system allows it), beginning and ending inside system pages, and a small one."""
    pattern = bytes(range(1, 256)) * 2100  # 535,500 bytes, no zero among them
    escaped = "".join(f"\\{b:02x}" for b in pattern)
    return wasmkit.Module(
        f'(module (memory (export "memory") 16) (data (i32.const 70001) "{escaped}") (data (i32.const 8) "small")'
        ' (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))'
        ' (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))'
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_large_run_is_each_instances_own(engine: str) -> None:
    module = large_module()
    image = module.data_image
    assert image is not None and 0 in image.shared
    pattern = bytes(range(1, 256)) * 2100
    first, second = (wasmkit.Instance(module, store=wasmkit.Store(engine)) for _ in range(2))
    for inst in (first, second):
        memory = inst.exports.memory
        assert read(memory, 70001, len(pattern)) == pattern and read(memory, 8, 5) == b"small"
        assert read(memory, 65536, 70001 - 65536) == bytes(70001 - 65536)  # the page's bytes before the run
        end = 70001 + len(pattern)
        assert read(memory, end, 8192) == bytes(8192)  # and after it
    first.exports.poke(70001, 0)
    first.exports.poke(70001 + 300_000, 7)
    memory = first.exports.memory
    memory.view[70002] = 9  # the host's write, beside wasm's
    assert [first.exports.peek(a) for a in (70001, 70002, 370001)] == [0, 9, 7]
    assert [second.exports.peek(a) for a in (70001, 70002, 370001)] == [pattern[0], pattern[1], pattern[300_000]]
    third = wasmkit.Instance(module, store=wasmkit.Store(engine))  # a later instance: the image as built
    assert read(third.exports.memory, 70001, len(pattern)) == pattern
    if hasattr(__import__("os"), "memfd_create"):
        assert image.shared[0]._blocks  # mapped, not copied (where the system has memfd_create)


@pytest.mark.skipif(not hasattr(__import__("os"), "memfd_create"), reason="runs are mapped only where memfd_create is")
def test_a_mapping_the_system_refuses_leaves_the_runs_to_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    from wasmkit.runtime import shared_pages

    real = shared_pages._map
    calls: list[int] = []

    def refuse_the_file(address: int, length: int, flags: int, fd: int, offset: int) -> int | None:
        calls.append(fd)
        return None if fd >= 0 else real(address, length, flags, fd, offset)  # zero pages back: allowed

    monkeypatch.setattr(shared_pages, "_map", refuse_the_file)
    inst = wasmkit.Instance(large_module(), store=wasmkit.Store("python"))
    assert calls and calls[-1] == -1  # the file refused, zero pages put back
    pattern = bytes(range(1, 256)) * 2100
    assert read(inst.exports.memory, 70001, len(pattern)) == pattern
    assert read(inst.exports.memory, 65536, 70001 - 65536) == bytes(70001 - 65536)
