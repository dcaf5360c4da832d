"""Sizes, alignments, offsets and flattenings as CanonicalABI.md defines them, on cases
worked out by hand, and the exact bytes and `realloc` calls of strings in each encoding."""

from __future__ import annotations

import pytest

from tests.component.abi_support import Guest, val
from wasmkit.component.abi import CanonicalAbi, FlatReader, StringEncoding
from wasmkit.component.syntax import Prim
from wasmkit.syntax.types import ValType

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64

LAYOUTS = [
    # (type, size, alignment, flattening)
    (Prim.BOOL, 1, 1, (I32,)),
    (Prim.S16, 2, 2, (I32,)),
    (Prim.U64, 8, 8, (I64,)),
    (Prim.F32, 4, 4, (F32,)),
    (Prim.CHAR, 4, 4, (I32,)),
    (Prim.STRING, 8, 4, (I32, I32)),
    (val("list", (Prim.U64,)), 8, 4, (I32, I32)),
    (val("record", (("a", Prim.U8), ("b", Prim.U32), ("c", Prim.U8))), 12, 4, (I32, I32, I32)),
    (val("record", (("a", Prim.U8), ("b", Prim.U64))), 16, 8, (I32, I64)),
    (val("tuple", (Prim.U8, Prim.U16, Prim.U8)), 6, 2, (I32, I32, I32)),
    (val("option", (Prim.U64,)), 16, 8, (I32, I64)),
    (val("option", (Prim.F32,)), 8, 4, (I32, F32)),
    (val("result", (None, None)), 1, 1, (I32,)),
    (val("result", (Prim.F32, Prim.U32)), 8, 4, (I32, I32)),
    (val("result", (Prim.F32, Prim.U64)), 16, 8, (I32, I64)),
    (val("result", (Prim.F64, Prim.F64)), 16, 8, (I32, F64)),
    (val("result", (Prim.STRING, Prim.F64)), 16, 8, (I32, I64, I32)),
    (val("variant", (("a", None), ("b", Prim.U8))), 2, 1, (I32, I32)),
    (val("enum", tuple(f"e{i}" for i in range(256))), 1, 1, (I32,)),
    (val("enum", tuple(f"e{i}" for i in range(257))), 2, 2, (I32,)),
    (val("flags", tuple(f"f{i}" for i in range(8))), 1, 1, (I32,)),
    (val("flags", tuple(f"f{i}" for i in range(9))), 2, 2, (I32,)),
    (val("flags", tuple(f"f{i}" for i in range(17))), 4, 4, (I32,)),
    (val("flags", tuple(f"f{i}" for i in range(32))), 4, 4, (I32,)),
    (val("map", (Prim.STRING, Prim.U8)), 8, 4, (I32, I32)),
]


@pytest.mark.parametrize("vt, size, align, flat", LAYOUTS)
def test_layout(vt: object, size: int, align: int, flat: tuple[ValType, ...]) -> None:
    codec = CanonicalAbi().codec(vt)  # type: ignore[arg-type]
    assert (codec.size, codec.align, codec.flat) == (size, align, flat)


def test_record_fields_sit_at_their_aligned_offsets() -> None:
    codec = CanonicalAbi().codec(val("record", (("a", Prim.U8), ("b", Prim.U32), ("c", Prim.U16))))
    guest = Guest()
    codec.store(guest.context(), codec.cls(1, 0x02030405, 0x0607), 128)  # type: ignore[attr-defined]
    assert guest.data[128:138] == bytes([1, 0, 0, 0, 5, 4, 3, 2, 7, 6])


def test_variant_payload_follows_the_discriminant_at_the_case_alignment() -> None:
    codec = CanonicalAbi().codec(val("option", (Prim.U64,)))
    guest = Guest()
    codec.store(guest.context(), 0x0102030405060708, 128)
    assert guest.data[128] == 1 and guest.data[136:144] == bytes(range(8, 0, -1))


def test_floats_in_a_joined_position_travel_as_their_bits() -> None:
    """`result<f32, u64>`'s payload is an i64: the f32's bits, zero-extended."""
    codec = CanonicalAbi().codec(val("result", (Prim.F32, Prim.U64)))
    abi_ok = codec.make(0, 1.5)  # type: ignore[attr-defined]
    flat: list[object] = []
    codec.lower_flat(Guest().context(), abi_ok, flat)
    assert flat == [0, 0x3FC00000]
    assert codec.lift_flat(Guest().context(), FlatReader([0, 0xFFFF_FFFF_3FC0_0000])) == abi_ok  # high bits dropped


def test_flat_lifting_takes_signed_core_values() -> None:
    """The public API gives i32/i64 results signed: lifting masks them."""
    abi = CanonicalAbi()
    cx = Guest().context()
    assert abi.codec(Prim.U32).lift_flat(cx, FlatReader([-1])) == 0xFFFF_FFFF
    assert abi.codec(Prim.U8).lift_flat(cx, FlatReader([0x1FF])) == 0xFF
    assert abi.codec(Prim.S8).lift_flat(cx, FlatReader([0xFF])) == -1
    assert abi.codec(Prim.S64).lift_flat(cx, FlatReader([0xFFFF_FFFF_FFFF_FFFE])) == -2
    flat: list[object] = []
    abi.codec(Prim.S32).lower_flat(cx, -1, flat)
    assert flat == [0xFFFF_FFFF]


def test_nan_is_canonical_both_ways() -> None:
    abi = CanonicalAbi()
    guest = Guest()
    cx = guest.context()
    abi.codec(Prim.F32).store(cx, float("-nan"), 128)
    abi.codec(Prim.F64).store(cx, float("nan"), 136)
    assert guest.data[128:132] == (0x7FC00000).to_bytes(4, "little")
    assert guest.data[136:144] == (0x7FF8000000000000).to_bytes(8, "little")
    guest.data[128:132] = (0xFFC00001).to_bytes(4, "little")  # a NaN with a payload
    value = abi.codec(Prim.F32).load(cx, 128)
    assert value != value


def test_f32_lowering_rounds_to_single_precision() -> None:
    flat: list[object] = []
    codec = CanonicalAbi().codec(Prim.F32)
    codec.lower_flat(Guest().context(), 0.1, flat)
    codec.lower_flat(Guest().context(), 1e300, flat)
    assert flat == [0.10000000149011612, float("inf")]


# -- strings: bytes and realloc calls --

STRINGS = [
    # (encoding, string, realloc calls (old, old size, alignment, new size), bytes written, length)
    (StringEncoding.UTF8, "héllo", [(0, 0, 1, 6)], "héllo".encode(), 6),
    (StringEncoding.UTF8, "", [(0, 0, 1, 0)], b"", 0),
    (StringEncoding.UTF16, "héllo", [(0, 0, 2, 12), (64, 12, 2, 10)], "héllo".encode("utf-16-le"), 5),
    (StringEncoding.UTF16, "abc", [(0, 0, 2, 6)], "abc".encode("utf-16-le"), 3),
    (StringEncoding.UTF16, "😀", [(0, 0, 2, 8), (64, 8, 2, 4)], "😀".encode("utf-16-le"), 2),
    (StringEncoding.LATIN1_UTF16, "héllo", [(0, 0, 2, 6), (64, 6, 2, 5)], "héllo".encode("latin-1"), 5),
    (StringEncoding.LATIN1_UTF16, "abc", [(0, 0, 2, 3)], b"abc", 3),
    (StringEncoding.LATIN1_UTF16, "aĀb", [(0, 0, 2, 4), (64, 4, 2, 8), (68, 8, 2, 6)], "aĀb".encode("utf-16-le"), 3 | 1 << 31),
    (StringEncoding.LATIN1_UTF16, "😀", [(0, 0, 2, 4), (64, 4, 2, 8), (68, 8, 2, 4)], "😀".encode("utf-16-le"), 2 | 1 << 31),
]


@pytest.mark.parametrize("encoding, text, calls, data, length", STRINGS)
def test_string_lowering(encoding: StringEncoding, text: str, calls: list[tuple[int, ...]], data: bytes, length: int) -> None:
    guest = Guest()
    cx = guest.context(encoding)
    flat: list[object] = []
    codec = CanonicalAbi().codec(Prim.STRING)
    codec.lower_flat(cx, text, flat)
    assert guest.calls == calls
    ptr = flat[0]
    assert flat[1] == length
    assert guest.data[ptr : ptr + len(data)] == data  # type: ignore[index, operator]
    assert codec.lift_flat(cx, FlatReader(flat)) == text


def test_latin1_strings_are_read_as_latin1_and_tagged_ones_as_utf16() -> None:
    guest = Guest()
    cx = guest.context(StringEncoding.LATIN1_UTF16)
    guest.data[128:131] = b"\xe9t\xe9"
    guest.data[132:136] = "ĀĀ".encode("utf-16-le")
    codec = CanonicalAbi().codec(Prim.STRING)
    assert codec.lift_flat(cx, FlatReader([128, 3])) == "été"
    assert codec.lift_flat(cx, FlatReader([132, 2 | 1 << 31])) == "ĀĀ"
