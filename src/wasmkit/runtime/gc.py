"""GC objects as the engines hold them, and the run-time side of the GC instructions.

A struct is a `Struct` and an array an `Array`, each holding its type's run-time id (`type_id`
of its canonical key) and its values in a Python list (packed fields as unsigned ints); both
are reclaimed as any Python object is, when the last reference to them goes. An `i31` is a
Python int, its 31 bits unsigned. A host value seen as an `anyref` (`any.convert_extern`) is an
`Internalized` wrapper and an i31 seen as an `externref` an `Externalized` one, so that no host
object is taken for a GC value and back. Casts and tests ask `is_subtype_id`, over the
supertypes that modules declared (`heap.register_supertype`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import cast

from ..errors import Trap, TrapKind
from ..syntax.types import FieldType, HeapType, PackedType, StorageType, ValType
from .heap import Array, Externalized, Internalized, Struct, is_subtype_id
from .values import FuncReference, is_of_heap

__all__ = [
    "Struct",
    "Array",
    "Internalized",
    "Externalized",
    "internalize",
    "externalize",
    "ref_eq",
    "ref_test",
    "ref_cast",
    "MAX_ARRAY_LENGTH",
    "field_mask",
    "field_default",
    "stored",
]

# The longest array `array.new` and its kin make: past it they trap rather than try to
# allocate (2^32 - 1 elements of 8 bytes would ask the host for 32 GiB).
MAX_ARRAY_LENGTH = 1 << 27


def internalize(value: object) -> object:
    """`any.convert_extern`: a GC value externalized earlier is itself again, a host value
    is wrapped."""
    if value is None or isinstance(value, (Struct, Array)):
        return value
    if isinstance(value, Externalized):
        return value.value
    return Internalized(value)


def externalize(value: object) -> object:
    """`extern.convert_any`: the inverse of `internalize`."""
    if value is None or isinstance(value, (Struct, Array)):
        return value
    if isinstance(value, Internalized):
        return value.value
    return Externalized(cast(int, value))


def ref_eq(a: object, b: object) -> bool:
    """`ref.eq`: the same object, or the same i31 value."""
    return a is b or (type(a) is int and a == b)


def ref_test(value: object, heap: int, type_id: int, nullable: bool) -> bool:
    """`ref.test`: whether `value` is of `(ref null? heap)`; `heap` an abstract heap type's
    code, or -1 for a defined type whose run-time id is `type_id`."""
    if value is None:
        return nullable
    if heap >= 0:
        return is_of_heap(value, HeapType(heap))
    if isinstance(value, (Struct, Array, FuncReference)):
        return is_subtype_id(value.type_id, type_id)
    return False


def ref_cast(value: object, heap: int, type_id: int, nullable: bool) -> object:
    """`ref.cast`: `value`, if `ref_test` says it is of the type; else a trap."""
    if not ref_test(value, heap, type_id, nullable):
        raise Trap(TrapKind.CAST_FAILURE)
    return value


# -- fields --


def field_mask(field: FieldType) -> int | None:
    """The mask that keeps a packed field's bits (None: the field stores its value whole)."""
    return (1 << field.storage.bits) - 1 if isinstance(field.storage, PackedType) else None


def field_default(field: FieldType) -> object:
    """What `struct.new_default` and `array.new_default` put in a field."""
    vt = field.unpacked
    if vt.is_ref:
        return None
    return 0.0 if vt in (ValType.F32, ValType.F64) else 0


def stored(field: FieldType, value: object) -> object:
    mask = field_mask(field)
    return value if mask is None else cast(int, value) & mask


# -- structs --


def struct_of(value: object) -> Struct:
    if value is None:
        raise Trap(TrapKind.NULL_STRUCTURE_REFERENCE)
    return cast(Struct, value)


# -- arrays --


def array_of(value: object) -> Array:
    if value is None:
        raise Trap(TrapKind.NULL_ARRAY_REFERENCE)
    return cast(Array, value)


def _length(length: int) -> int:
    if length > MAX_ARRAY_LENGTH:
        raise Trap(TrapKind.ALLOCATION_TOO_LARGE)
    return length


def array_new(type_id: int, value: object, length: int) -> Array:
    return Array(type_id, [value] * _length(length))


def array_get(array: object, index: int) -> object:
    items = array_of(array).items
    if index >= len(items):
        raise Trap(TrapKind.OUT_OF_BOUNDS_ARRAY)
    return items[index]


def array_set(array: object, index: int, value: object) -> None:
    items = array_of(array).items
    if index >= len(items):
        raise Trap(TrapKind.OUT_OF_BOUNDS_ARRAY)
    items[index] = value


def array_len(array: object) -> int:
    return len(array_of(array).items)


def array_fill(array: object, start: int, value: object, length: int) -> None:
    items = array_of(array).items
    if start + length > len(items):
        raise Trap(TrapKind.OUT_OF_BOUNDS_ARRAY)
    items[start : start + length] = [value] * length


def array_copy(dst: object, dst_start: int, src: object, src_start: int, length: int) -> None:
    dst_items = array_of(dst).items
    src_items = array_of(src).items
    if dst_start + length > len(dst_items) or src_start + length > len(src_items):
        raise Trap(TrapKind.OUT_OF_BOUNDS_ARRAY)
    dst_items[dst_start : dst_start + length] = src_items[src_start : src_start + length]


def data_values(storage: StorageType, data: bytes, offset: int, length: int) -> list[object]:
    """`length` elements of type `storage` read from `data` at `offset`, as `array.new_data`
    and `array.init_data` read them (a trap past the segment's end)."""
    width, unpack = _DATA_FORMATS[storage]
    end = offset + length * width
    if end > len(data):
        raise Trap(TrapKind.OUT_OF_BOUNDS_MEMORY)
    if unpack is None:  # v128: one little-endian int per element
        return [int.from_bytes(data[at : at + 16], "little") for at in range(offset, end, 16)]
    return list(struct.unpack_from(f"<{length}{unpack}", data, offset))


def elem_values(elements: list[object], offset: int, length: int) -> list[object]:
    """`length` references of an element segment from `offset` (a trap past its end)."""
    if offset + length > len(elements):
        raise Trap(TrapKind.OUT_OF_BOUNDS_TABLE)
    return elements[offset : offset + length]


def array_new_data(type_id: int, storage: StorageType, data: bytes, offset: int, length: int) -> Array:
    return Array(type_id, data_values(storage, data, offset, length))  # as long as the segment at most


def array_new_elem(type_id: int, elements: list[object], offset: int, length: int) -> Array:
    return Array(type_id, elem_values(elements, offset, length))


def array_init(array: object, start: int, values: Callable[[], list[object]], length: int) -> None:
    """`array.init_data` and `array.init_elem`: the array's bounds first, then the source's."""
    items = array_of(array).items
    if start + length > len(items):
        raise Trap(TrapKind.OUT_OF_BOUNDS_ARRAY)
    items[start : start + length] = values()


# Per storage type: bytes per element and the struct format (None: v128).
_DATA_FORMATS: dict[StorageType, tuple[int, str | None]] = {
    PackedType.I8: (1, "B"),
    PackedType.I16: (2, "H"),
    ValType.I32: (4, "I"),
    ValType.I64: (8, "Q"),
    ValType.F32: (4, "f"),
    ValType.F64: (8, "d"),
    ValType.V128: (16, None),
}


# -- i31 --


def i31_get_s(value: object) -> int:
    """The i31's bits, sign-extended to an i32's (unsigned) bits."""
    if value is None:
        raise Trap(TrapKind.NULL_I31_REFERENCE)
    bits = cast(int, value)
    return bits | 0x8000_0000 if bits & 0x4000_0000 else bits


def i31_get_u(value: object) -> int:
    if value is None:
        raise Trap(TrapKind.NULL_I31_REFERENCE)
    return cast(int, value)
