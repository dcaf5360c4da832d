"""The Python engine writes some integer instructions in forms that depend on their operands
(engine/python/compiler.py): a signed comparison against a constant as a range test, one
between two values on their signed values; a sum or difference reduced by one conditional
correction, in place when it is assigned; a load or store through a typed view when its
address turns out aligned; sign extension by a test. Each form runs here on the values at its
edges, on the Python engine and on wasmtime, and the results (or traps) must agree."""

from __future__ import annotations

import struct

import pytest
import wasmtime

import wasmkit

EDGES = {
    32: [0, 1, 2, 5, 0x7FFF, 0x8000, 0x7FFF_FFFE, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFE, 0xFFFF_FFFF],
    64: [0, 1, 2, 5, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF_FFFF_FFFE, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
         0x8000_0000_0000_0001, 0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF],
}  # fmt: skip
COMPARISONS = ("lt_s", "gt_s", "le_s", "ge_s")


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _comparisons() -> list[str]:
    funcs = []
    for bits in (32, 64):
        t = f"i{bits}"
        for name in COMPARISONS:
            op = f"{t}.{name}"
            funcs.append(f'(func (export "{op}") (param {t} {t}) (result i32) ({op} (local.get 0) (local.get 1)))')
            # Operands that are not plain names: each evaluated once, through a temporary.
            funcs.append(
                f'(func (export "{op} computed") (param {t} {t}) (result i32)'
                f" ({op} ({t}.xor (local.get 0) ({t}.const 0)) ({t}.or (local.get 1) ({t}.const 0))))"
            )
            for j, constant in enumerate(EDGES[bits]):
                funcs.append(f'(func (export "{op} k{j}") (param {t}) (result i32) ({op} (local.get 0) ({t}.const {constant})))')
                funcs.append(f'(func (export "{op} {j}k") (param {t}) (result i32) ({op} ({t}.const {constant}) (local.get 0)))')
    return funcs


def _sums() -> list[str]:
    funcs = []
    for bits in (32, 64):
        t = f"i{bits}"
        for name in ("add", "sub"):
            op = f"{t}.{name}"
            funcs.append(f'(func (export "{op}") (param {t} {t}) (result {t}) ({op} (local.get 0) (local.get 1)))')
            # Assigned to a local: the sum, then its correction in place.
            funcs.append(
                f'(func (export "{op} set") (param {t} {t}) (result {t}) (local.set 0 ({op} (local.get 0) (local.get 1))) (local.get 0))'
            )
            for j, constant in enumerate(EDGES[bits]):
                funcs.append(f'(func (export "{op} k{j}") (param {t}) (result {t}) ({op} (local.get 0) ({t}.const {constant})))')
    return funcs


LOADS = ("i32.load", "i32.load8_s", "i32.load16_s", "i64.load", "i64.load8_s", "i64.load16_s", "i64.load32_s", "f64.load")
EXTENSIONS = ("i32.extend8_s", "i32.extend16_s", "i64.extend8_s", "i64.extend16_s", "i64.extend32_s")


def _memory() -> list[str]:
    funcs = []
    for op in LOADS:
        t = op[:3]
        value = f"({op} {{}})" if t != "f64" else f"(i64.reinterpret_f64 ({op} {{}}))"
        result = "i64" if t == "f64" else t
        funcs.append(f'(func (export "{op}") (param i32) (result {result}) {value.format("(local.get 0)")})')
        funcs.append(f'(func (export "{op} computed") (param i32) (result {result}) {value.format("(i32.add (local.get 0) (i32.const 1))")})')
    for t, width in (("i32", 32), ("i64", 64)):
        funcs.append(
            f'(func (export "{t}.store") (param i32 {t}) (result {t})'
            f" ({t}.store (local.get 0) (local.get 1)) ({t}.load (local.get 0)))"
        )
        funcs.append(
            f'(func (export "{t}.store computed") (param i32 {t}) (result {t})'
            f" ({t}.store (i32.sub (local.get 0) (i32.const 1)) ({t}.xor (local.get 1) ({t}.const 0)))"
            f" ({t}.load (i32.sub (local.get 0) (i32.const 1))))"
        )
        funcs.append(f'(func (export "{t}.shr_s") (param {t} {t}) (result {t}) ({t}.shr_s (local.get 0) (local.get 1)))')
    funcs.append('(func (export "f64.convert_i32_s") (param i32) (result f64) (f64.convert_i32_s (local.get 0)))')
    funcs.append('(func (export "i64.extend_i32_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))')
    for op in EXTENSIONS:
        t = op[:3]
        funcs.append(f'(func (export "{op}") (param {t}) (result {t}) ({op} (local.get 0)))')
    return funcs


# Bytes with their high bits set and clear, so that sign extension goes both ways.
DATA = bytes((i * 37 + 0x71) & 0xFF for i in range(64))
MODULE = "(module (memory 1) (data (i32.const 0) \"{}\") (data (i32.const 65472) \"{}\")\n{}\n)".format(
    "".join(f"\\{b:02x}" for b in DATA), "".join(f"\\{b:02x}" for b in DATA), "\n".join(_comparisons() + _sums() + _memory())
)
ADDRESSES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 65528, 65529, 65532, 65533, 65534, 65535, 65536, 0x7FFF_FFFF, 0xFFFF_FFFF]


@pytest.fixture(scope="module")
def runtimes() -> tuple[wasmkit.Instance, wasmtime.Store, wasmtime.Instance]:
    ours = wasmkit.Instance(wasmkit.Module(MODULE), store=wasmkit.Store("python"))
    store = wasmtime.Store()
    theirs = wasmtime.Instance(store, wasmtime.Module(store.engine, MODULE), [])
    return ours, store, theirs


def _results(runtimes: tuple, name: str, args: list[tuple[int, ...]], widths: tuple[int, ...]) -> tuple[list, list]:
    """Each call's result (as unsigned bits, or the trap's kind) on both runtimes. The
    arguments are given signed, as wasmtime takes them; the same store serves every call,
    so a store that traps must leave memory as wasmtime leaves it."""
    ours, store, theirs = runtimes
    mine, reference = [], []
    for call in args:
        signed = [_signed(value, bits) for value, bits in zip(call, widths)]
        try:
            mine.append(_bits(ours.exports[name](*signed)))
        except wasmkit.Trap as trap:
            mine.append(("trap", "out of bounds" in str(trap)))
        try:
            reference.append(_bits(theirs.exports(store)[name](store, *signed)))
        except wasmtime.Trap as trap:
            reference.append(("trap", "out of bounds" in str(trap)))
    return mine, reference


def _bits(value: object) -> int:
    if isinstance(value, float):
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    assert isinstance(value, int)
    return value & 0xFFFF_FFFF_FFFF_FFFF


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("name", COMPARISONS)
def test_signed_comparisons(runtimes: tuple, bits: int, name: str) -> None:
    op = f"i{bits}.{name}"
    pairs = [(a, b) for a in EDGES[bits] for b in EDGES[bits]]
    for export in (op, f"{op} computed"):
        mine, reference = _results(runtimes, export, pairs, (bits, bits))
        assert mine == reference, export
        assert mine == [int(_signed(a, bits) < _signed(b, bits) if name == "lt_s" else
                            _signed(a, bits) > _signed(b, bits) if name == "gt_s" else
                            _signed(a, bits) <= _signed(b, bits) if name == "le_s" else
                            _signed(a, bits) >= _signed(b, bits)) for a, b in pairs]  # fmt: skip
    for j in range(len(EDGES[bits])):
        for export in (f"{op} k{j}", f"{op} {j}k"):
            mine, reference = _results(runtimes, export, [(a,) for a in EDGES[bits]], (bits,))
            assert mine == reference, export


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("name", ["add", "sub"])
def test_wrapping_sums(runtimes: tuple, bits: int, name: str) -> None:
    op = f"i{bits}.{name}"
    pairs = [(a, b) for a in EDGES[bits] for b in EDGES[bits]]
    for export in (op, f"{op} set"):
        mine, reference = _results(runtimes, export, pairs, (bits, bits))
        assert mine == reference, export
    for j in range(len(EDGES[bits])):
        mine, reference = _results(runtimes, f"{op} k{j}", [(a,) for a in EDGES[bits]], (bits,))
        assert mine == reference, f"{op} k{j}"


@pytest.mark.parametrize("op", LOADS)
def test_loads_aligned_unaligned_and_out_of_bounds(runtimes: tuple, op: str) -> None:
    for export in (op, f"{op} computed"):
        mine, reference = _results(runtimes, export, [(a,) for a in ADDRESSES], (32,))
        assert mine == reference, export
    assert ("trap", True) in mine and len(set(mine)) > 4


@pytest.mark.parametrize("t", ["i32", "i64"])
def test_stores_aligned_unaligned_and_out_of_bounds(runtimes: tuple, t: str) -> None:
    bits = int(t[1:])
    calls = [(a, v) for a in ADDRESSES[1:] for v in (0, 0x8000_0001, (1 << bits) - 2)]
    for export in (f"{t}.store", f"{t}.store computed"):
        mine, reference = _results(runtimes, export, calls, (32, bits))
        assert mine == reference, export
    # The stores changed memory alike (including those that trapped, which change nothing).
    mine, reference = _results(runtimes, "i64.load", [(a,) for a in ADDRESSES], (32,))
    assert mine == reference


@pytest.mark.parametrize("op", EXTENSIONS + ("i64.extend_i32_s", "f64.convert_i32_s", "i32.shr_s", "i64.shr_s"))
def test_sign_extensions_and_signed_shifts(runtimes: tuple, op: str) -> None:
    if op.endswith("shr_s"):
        bits = int(op[1:3])
        calls = [(a, k) for a in EDGES[bits] for k in (0, 1, 7, bits - 1, bits, bits + 3)]
        mine, reference = _results(runtimes, op, calls, (bits, bits))
    else:
        bits = 32 if op.startswith("i32") or op.endswith("i32_s") else 64
        values = EDGES[bits] + [0x7F, 0x80, 0xFF, 0x1_80, 0xFF_FF, 0x1_80_00, 0x12_34_80_00][: len(EDGES[bits])]
        mine, reference = _results(runtimes, op, [(a,) for a in values], (bits,))
    assert mine == reference
