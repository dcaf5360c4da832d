"""Every trap the canonical ABI requires on what a component gives: invalid UTF-8 and
UTF-16, strings and lists too long, misaligned or out of bounds, discriminants out of range,
chars that are no Unicode scalar value, `realloc` results amiss, bad argument and return
pointers; and what the ABI does not trap on (bool bits, unused flag bits). Each is a `Trap`
of its kind with a message that says what and where."""

from __future__ import annotations

import pytest

from tests.component.abi_support import Guest, val
from wasmkit.component.abi import CanonicalAbi, FlatReader, StringEncoding
from wasmkit.component.syntax import Prim
from wasmkit.component.types import Func
from wasmkit.errors import Trap, TrapKind

INVALID, OOB = TrapKind.INVALID_VALUE, TrapKind.OUT_OF_BOUNDS_MEMORY
ABI = CanonicalAbi()
STRING = ABI.codec(Prim.STRING)


def _lift(vt: object, flat: list[object], encoding: StringEncoding = StringEncoding.UTF8, data: dict[int, bytes] | None = None) -> object:
    guest = Guest(size=4096)
    for at, raw in (data or {}).items():
        guest.data[at : at + len(raw)] = raw
    return ABI.codec(vt).lift_flat(guest.context(encoding), FlatReader(flat))  # type: ignore[arg-type]


def _load(vt: object, raw: bytes, at: int = 128) -> object:
    guest = Guest(size=4096)
    guest.data[at : at + len(raw)] = raw
    return ABI.codec(vt).load(guest.context(), at)  # type: ignore[arg-type]


def _traps(kind: TrapKind, message: str, call: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(Trap) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.kind is kind
    assert message in str(caught.value), str(caught.value)


# -- strings --


@pytest.mark.parametrize("raw", [b"\xff", b"a\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"])
def test_invalid_utf8_traps(raw: bytes) -> None:
    _traps(INVALID, "invalid utf-8 in a string", _lift, Prim.STRING, [128, len(raw)], data={128: raw})


@pytest.mark.parametrize("encoding, length", [(StringEncoding.UTF16, 1), (StringEncoding.LATIN1_UTF16, 1 | 1 << 31)])
@pytest.mark.parametrize("raw", ["\ud800".encode("utf-16-le", "surrogatepass"), "\udc00".encode("utf-16-le", "surrogatepass")])
def test_invalid_utf16_traps(encoding: StringEncoding, length: int, raw: bytes) -> None:
    _traps(INVALID, "invalid utf-16 in a string", _lift, Prim.STRING, [128, length], encoding, {128: raw})


def test_latin1_is_never_invalid() -> None:
    assert _lift(Prim.STRING, [128, 2], StringEncoding.LATIN1_UTF16, {128: b"\xff\x80"}) == "\xff\x80"


@pytest.mark.parametrize("encoding, length", [(StringEncoding.UTF16, 1), (StringEncoding.LATIN1_UTF16, 1), (StringEncoding.LATIN1_UTF16, 1 | 1 << 31)])
def test_string_pointer_must_be_aligned_to_two_in_utf16(encoding: StringEncoding, length: int) -> None:
    _traps(INVALID, "string pointer 0x81 is not aligned to 2", _lift, Prim.STRING, [129, length], encoding)


def test_string_out_of_bounds_traps() -> None:
    _traps(OOB, "string pointer/length out of bounds of memory (10 bytes at 0xffa)", _lift, Prim.STRING, [4090, 10])
    _traps(OOB, "(8 bytes at 0xffa)", _lift, Prim.STRING, [4090, 4], StringEncoding.UTF16)
    assert _lift(Prim.STRING, [4090, 3], StringEncoding.UTF16) == "\0\0\0"  # the last bytes of memory


@pytest.mark.parametrize("encoding, length", [
    (StringEncoding.UTF8, 1 << 28), (StringEncoding.UTF16, 1 << 27), (StringEncoding.UTF16, 1 << 31),
    (StringEncoding.LATIN1_UTF16, (1 << 27) | 1 << 31),
])  # fmt: skip
def test_string_past_the_length_limit_traps(encoding: StringEncoding, length: int) -> None:
    _traps(INVALID, "string too long", _lift, Prim.STRING, [0, length], encoding)


def test_string_in_memory_is_checked_too() -> None:
    _traps(OOB, "string pointer/length out of bounds", _load, Prim.STRING, (4000).to_bytes(4, "little") + (200).to_bytes(4, "little"))


# -- lists --


def test_list_pointer_must_be_aligned_to_the_element() -> None:
    _traps(INVALID, "list pointer 0x82 is not aligned to 4", _lift, val("list", (Prim.U32,)), [130, 1])
    _traps(INVALID, "list pointer 0x84 is not aligned to 8", _lift, val("list", (val("option", (Prim.F64,)),)), [132, 1])
    assert _lift(val("list", (Prim.STRING,)), [132, 1]) == [""]
    assert _lift(val("list", (Prim.U8,)), [131, 1]) == b"\x00"


def test_list_out_of_bounds_traps() -> None:
    _traps(OOB, "list pointer/length out of bounds of memory (16 bytes at 0xff8)", _lift, val("list", (Prim.U64,)), [4088, 2])


def test_list_past_the_length_limit_traps() -> None:
    _traps(INVALID, "list too long", _lift, val("list", (Prim.U32,)), [0, 1 << 26])
    _traps(INVALID, "list too long", _lift, val("list", (Prim.U8,)), [0, 0xFFFF_FFFF])


def test_list_elements_are_checked() -> None:
    raw = (0xD800).to_bytes(4, "little")
    _traps(INVALID, "invalid char", _lift, val("list", (Prim.CHAR,)), [128, 1], data={128: raw})


# -- discriminants --

VARIANT = val("variant", (("a", None), ("b", Prim.U32), ("c", Prim.F32)))


@pytest.mark.parametrize("vt, index, what", [
    (VARIANT, 3, "invalid variant discriminant 3 (variant has 3 cases)"),
    (val("option", (Prim.U32,)), 2, "invalid option discriminant 2"),
    (val("result", (Prim.U32, None)), 2, "invalid result discriminant 2"),
    (val("result", (None, None)), 0xFFFF_FFFF, "invalid result discriminant 4294967295"),
    (val("enum", ("x", "y")), 2, "invalid enum discriminant 2"),
])  # fmt: skip
def test_discriminant_out_of_range_traps(vt: object, index: int, what: str) -> None:
    codec = ABI.codec(vt)  # type: ignore[arg-type]
    _traps(INVALID, what, _lift, vt, [index] + [0] * (len(codec.flat) - 1))
    stored = min(index, 255)  # a 1-byte discriminant in memory
    _traps(INVALID, f"{what.split(' discriminant')[0]} discriminant {stored}", _load, vt, bytes([stored]))


def test_a_wide_discriminant_is_read_whole() -> None:
    enum300 = val("enum", tuple(f"e{i}" for i in range(300)))
    assert _load(enum300, (299).to_bytes(2, "little")).value == "e299"  # type: ignore[attr-defined]
    _traps(INVALID, "invalid enum discriminant 300", _load, enum300, (300).to_bytes(2, "little"))


# -- chars, bools, flags --


@pytest.mark.parametrize("code", [0xD800, 0xDFFF, 0x110000, 0xFFFF_FFFF])
def test_char_not_a_scalar_value_traps(code: int) -> None:
    _traps(INVALID, f"invalid char: {code:#x} is not a Unicode scalar value", _lift, Prim.CHAR, [code])
    _traps(INVALID, "invalid char", _load, Prim.CHAR, code.to_bytes(4, "little"))


def test_char_boundaries_lift() -> None:
    assert _lift(Prim.CHAR, [0xD7FF]) == "\ud7ff" and _lift(Prim.CHAR, [0xE000]) == "\ue000"
    assert _lift(Prim.CHAR, [0x10FFFF]) == "\U0010ffff"


def test_bool_is_true_for_any_nonzero_bits() -> None:
    """The ABI converts 0 to false and every other bit pattern to true, without a trap."""
    assert _lift(Prim.BOOL, [2]) is True and _lift(Prim.BOOL, [-1]) is True and _lift(Prim.BOOL, [0]) is False
    assert _load(Prim.BOOL, b"\x80") is True


def test_flag_bits_past_the_labels_are_ignored() -> None:
    flags = val("flags", ("a", "b", "c"))
    cls = ABI.codec(flags).cls  # type: ignore[attr-defined]
    assert _lift(flags, [0xFFFF_FFF9]) == cls.A  # bits 0 and 3..31: only `a` is a flag
    assert _load(flags, b"\xfa") == cls.B


# -- realloc --


def _lower_with(realloc: object, vt: object = Prim.STRING, value: object = "abc") -> None:
    guest = Guest(size=4096)
    cx = guest.context()
    cx.realloc = realloc  # type: ignore[assignment]
    ABI.codec(vt).lower_flat(cx, value, [])  # type: ignore[arg-type]


def test_realloc_result_must_be_aligned() -> None:
    _traps(INVALID, "realloc return: result 0x81 not aligned to 4", _lower_with, lambda *a: 129, val("list", (Prim.U32,)), [1])
    _traps(INVALID, "realloc return: result 0x81 not aligned to 2", _lower_with, lambda *a: 129, val("list", (Prim.U16,)), [1])


def test_realloc_result_must_be_in_bounds() -> None:
    _traps(OOB, "realloc return: beyond end of memory (3 bytes at 0xffe)", _lower_with, lambda *a: 4094)
    _traps(OOB, "realloc return: beyond end of memory", _lower_with, lambda *a: -4)  # a signed i32 result: 2**32 - 4


def test_realloc_shrinking_a_utf16_string_is_checked() -> None:
    calls: list[int] = []

    def realloc(old: int, old_size: int, align: int, new_size: int) -> int:
        calls.append(new_size)
        return 128 if len(calls) == 1 else 4095

    guest = Guest(size=4096)
    cx = guest.context(StringEncoding.UTF16)
    cx.realloc = realloc
    _traps(INVALID, "not aligned to 2", STRING.lower_flat, cx, "é", [])
    assert calls == [4, 2]


# -- pointers of a call --

MANY = Func(tuple((f"p{i}", Prim.U64) for i in range(17)), val("tuple", (Prim.U64, Prim.U8)))


def test_spilled_parameters_pointer_is_checked() -> None:
    calls = ABI.function(MANY)
    cx = Guest(size=4096).context()
    _traps(INVALID, "parameter pointer 0x84 is not aligned to 8", calls.lift_args, cx, [132])
    _traps(OOB, "parameter pointer/length out of bounds of memory (136 bytes at 0xf80)", calls.lift_args, cx, [3968])


def test_return_pointer_is_checked_both_ways() -> None:
    calls = ABI.function(MANY)
    cx = Guest(size=4096).context()
    _traps(INVALID, "return pointer 0x84 is not aligned to 8", calls.lift_result, cx, [132])
    _traps(OOB, "return pointer/length out of bounds of memory", calls.lift_result, cx, [4088])
    _traps(INVALID, "return pointer 0x84 is not aligned to 8", calls.lower_result, cx, (1, 2), [0] * 17 + [132])
    _traps(OOB, "return pointer/length out of bounds", calls.lower_result, cx, (1, 2), [0] * 17 + [4088])
