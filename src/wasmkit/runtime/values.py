"""The representation of values, inside the engines and at their edge (DESIGN.md §3).

Inside (what engines compute with and store in globals and tables):

- i32 and i64: Python ints in [0, 2**32) and [0, 2**64); a comparison may leave a `bool`,
  an int of the same value.
- f64: a Python float.
- f32: a Python float holding exactly an f32 value. A NaN keeps its f32 payload in the top
  mantissa bits of the double, so that signalling NaNs survive moves, loads and stores; only
  the bit conversions below, never C's float<->double casts, go between such a NaN and its bits.
- v128: a Python int in [0, 2**128).
- references: a `Func` or None (funcref), any Python object or None (externref).

Outside (the public API): i32/i64 are signed ints, f32/f64 floats (f32 rounded to single
precision), v128 an unsigned int (or 16 bytes on the way in), references as inside.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from ..syntax.types import HeapType, RefType, ValType, ValueType
from .heap import Array, Internalized, Struct, is_subtype_id

__all__ = [
    "FuncReference",
    "is_of_heap",
    "ExceptionReference",
    "to_internal",
    "to_api",
    "from_bits",
    "to_bits",
    "default_value",
    "f32",
    "f32_from_bits",
    "f32_to_bits",
    "f64_from_bits",
    "f64_to_bits",
]

_F32S = struct.Struct("<f")
_U32S = struct.Struct("<I")
_F64S = struct.Struct("<d")
_U64S = struct.Struct("<Q")
_ROUND_F32 = memoryview(bytearray(4)).cast("f")


def f32(x: float) -> float:
    """`x` rounded to single precision (to nearest, ties to even; overflow to infinity)."""
    _ROUND_F32[0] = x  # a C float cast: exact rounding, never an OverflowError
    return _ROUND_F32[0]


def f32_from_bits(bits: int) -> float:
    if bits & 0x7F80_0000 == 0x7F80_0000 and bits & 0x7F_FFFF:  # NaN: keep the payload
        sign = (bits & 0x8000_0000) << 32
        return _F64S.unpack(_U64S.pack(sign | 0x7FF0_0000_0000_0000 | ((bits & 0x7F_FFFF) << 29)))[0]
    return _F32S.unpack(_U32S.pack(bits))[0]


def f32_to_bits(x: float) -> int:
    if x != x:
        bits = _U64S.unpack(_F64S.pack(x))[0]
        mantissa = (bits >> 29) & 0x7F_FFFF or 0x40_0000
        return ((bits >> 32) & 0x8000_0000) | 0x7F80_0000 | mantissa
    return _U32S.unpack(_F32S.pack(x))[0]


def f64_from_bits(bits: int) -> float:
    return _F64S.unpack(_U64S.pack(bits))[0]


def f64_to_bits(x: float) -> int:
    return _U64S.unpack(_F64S.pack(x))[0]

_I32 = ValType.I32
_I64 = ValType.I64
_F32 = ValType.F32
_F64 = ValType.F64
_V128 = ValType.V128


class FuncReference:
    """What a funcref holds: a function. `runtime.func.Func` is the one kind there is; the
    class lives here so that checking a funcref needs no import of the functions' module,
    which itself converts values through this one."""

    __slots__ = ()
    type_id: int  # the run-time id of the function's type (`Func.type_id`)


class ExceptionReference:
    """What an exnref holds: an exception (`runtime.tag.WasmException` is the one kind there
    is), checked without importing it, as for `FuncReference`."""

    __slots__ = ()


_EXN_HEAPS = (HeapType.EXN, HeapType.NOEXN)


def to_internal(vt: ValueType, value: object, type_ids: Sequence[int] = ()) -> object:
    """A Python value as the engines hold it. TypeError or ValueError if it does not fit.
    A reference to a defined type is checked against its run-time id in `type_ids` (the
    module's `Module.type_ids`), when given."""
    if vt is _I32 or vt is _I64:
        if not isinstance(value, int):
            raise TypeError(f"expected an int for {vt.text}, got {type(value).__name__}")
        bits = 32 if vt is _I32 else 64
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise ValueError(f"{value} does not fit in {vt.text}")
        return value & ((1 << bits) - 1)
    if vt is _F32 or vt is _F64:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"expected a float for {vt.text}, got {type(value).__name__}")
        number = float(value)
        if vt is _F64 or number != number:
            return number
        return f32(number)
    if vt is _V128:
        if isinstance(value, (bytes, bytearray)) and len(value) == 16:
            return int.from_bytes(value, "little")
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected an int or 16 bytes for v128, got {type(value).__name__}")
        if not -(1 << 127) <= value < (1 << 128):
            raise ValueError(f"{value} does not fit in v128")
        return value & ((1 << 128) - 1)
    if vt is ValType.FUNCREF:
        if value is not None and not isinstance(value, FuncReference):
            raise TypeError(f"expected a Func or None for funcref, got {type(value).__name__}")
    elif vt is ValType.EXNREF or vt is ValType.NULLEXNREF or (isinstance(vt, RefType) and vt.heap in _EXN_HEAPS):
        if value is None:
            if not vt.nullable:
                raise TypeError(f"expected an exception for {vt.text}, which is not nullable, got None")
        elif not isinstance(value, ExceptionReference) or vt.heap is HeapType.NOEXN:
            raise TypeError(f"expected a WasmException or None for {vt.text}, got {type(value).__name__}")
    elif vt.is_ref:
        if value is None:
            if not vt.nullable:
                raise TypeError(f"expected a reference for {vt.text}, which is not nullable, got None")
            return None
        return _reference(vt.heap, value, type_ids, vt.text)
    return value


def _reference(heap: HeapType | int, value: object, type_ids: Sequence[int], text: str) -> object:
    """A non-null Python value as a reference to `heap`: what it must be for each kind of
    heap type (a host value given for an anyref is one seen as such, as `any.convert_extern`
    makes)."""
    if isinstance(heap, HeapType):
        if heap is HeapType.ANY and not isinstance(value, (Struct, Array, Internalized, int)):
            return Internalized(value)
        if not is_of_heap(value, heap):
            wanted = f"{_EXPECTED[heap]} for {text}" if heap in _EXPECTED else f"a value of {text}"
            raise TypeError(f"expected {wanted}, got {type(value).__name__}")
        return value
    expected = type_ids[heap] if heap < len(type_ids) else None
    if not isinstance(value, (Struct, Array, FuncReference)) or (
        expected is not None and not is_subtype_id(value.type_id, expected)
    ):
        raise TypeError(f"expected a value of {text}, got {value!r}")
    return value


# What a refused value was expected to be, where "a value of" the type would say too little.
_EXPECTED = {HeapType.NOEXTERN: "None", HeapType.FUNC: "a Func", HeapType.NOFUNC: "a Func"}

# Per abstract heap type, whether a non-null value belongs to it (a bottom type holds none; an
# i31 is an int).
_HEAP_TESTS: dict[HeapType, Callable[[object], bool]] = {
    HeapType.ANY: lambda v: True,
    HeapType.EQ: lambda v: type(v) is int or isinstance(v, (Struct, Array)),
    HeapType.I31: lambda v: type(v) is int,
    HeapType.STRUCT: lambda v: isinstance(v, Struct),
    HeapType.ARRAY: lambda v: isinstance(v, Array),
    HeapType.FUNC: lambda v: isinstance(v, FuncReference),
    HeapType.EXTERN: lambda v: True,
    HeapType.EXN: lambda v: True,
    HeapType.NONE: lambda v: False,
    HeapType.NOFUNC: lambda v: False,
    HeapType.NOEXTERN: lambda v: False,
    HeapType.NOEXN: lambda v: False,
}


def is_of_heap(value: object, heap: HeapType) -> bool:
    """Whether the non-null (internal) value `value` is a reference to abstract heap type
    `heap`: what `ref.test`, the host boundary and script patterns ask."""
    return _HEAP_TESTS[heap](value)


def to_api(vt: ValueType, value: object) -> object:
    """An internal value as Python code sees it."""
    if vt is _I32:
        return (int(value) ^ 0x8000_0000) - 0x8000_0000  # type: ignore[call-overload]
    if vt is _I64:
        return (int(value) ^ 0x8000_0000_0000_0000) - 0x8000_0000_0000_0000  # type: ignore[call-overload]
    if vt is _V128:
        return int(value)  # type: ignore[call-overload]
    return value


def from_bits(vt: ValueType, bits: int | None) -> object:
    """The internal value with these exact bits (numbers), or the reference itself."""
    if vt is _F32:
        return f32_from_bits(bits)  # type: ignore[arg-type]
    if vt is _F64:
        return f64_from_bits(bits)  # type: ignore[arg-type]
    return bits


def to_bits(vt: ValueType, value: object) -> object:
    """The exact bits of an internal number value (references are returned as they are)."""
    if vt is _F32:
        return f32_to_bits(value)  # type: ignore[arg-type]
    if vt is _F64:
        return f64_to_bits(value)  # type: ignore[arg-type]
    if vt is _I32 or vt is _I64 or vt is _V128:
        return int(value)  # type: ignore[call-overload]
    return value


def default_value(vt: ValueType) -> object:
    """The zero value of a type (null for references)."""
    if vt is _F32 or vt is _F64:
        return 0.0
    if vt.is_ref:
        return None
    return 0
