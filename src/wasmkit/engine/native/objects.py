"""Structs and arrays whose numbers live in native memory, so that native code reads and
writes them without calling Python.

A struct type whose fields are all numbers (i8, i16, i32, i64, f32, f64) has a fixed layout
(`struct_layout`: each field at its natural alignment), and so has an array of numbers
(`ARRAY_HEADER` bytes holding the length, then the elements packed). What native code makes of
such types is a `runtime.heap.Struct` or `Array` like any other, whose `fields` or `items` is
a `NativeNumbers`: a sequence over a buffer the object owns, holding each number as native code
stores it (packed fields as their unsigned bits, floats as their bits). Python code, the
Python engine and the host read and write it as the list it stands for, in the Python
engine's internal values; native code finds the buffer's address by the object's handle
(`module._Binding`'s data mirror) and goes to Python only for objects without one (made by the
Python engine or by the host).
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from ...runtime.heap import Array, Struct
from ...runtime.values import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from ...syntax.types import FieldType, PackedType, StorageType, ValType

__all__ = ["all_numbers", "ARRAY_HEADER", "NativeNumbers", "Shape", "struct_shape", "array_shape", "struct_layout", "element_size", "buffer_address"]

ARRAY_HEADER = 8  # an array's buffer: its length (u64), then its elements

# Per storage type held natively: its size in bytes, its struct format, and the conversions
# between the Python engine's value and the bits stored (None: the value is the bits).
_CODECS: dict[StorageType, tuple[int, str, Callable[[int], object] | None, Callable[[Any], int] | None]] = {
    PackedType.I8: (1, "<B", None, None),
    PackedType.I16: (2, "<H", None, None),
    ValType.I32: (4, "<I", None, None),
    ValType.I64: (8, "<Q", None, None),
    ValType.F32: (4, "<I", f32_from_bits, f32_to_bits),
    ValType.F64: (8, "<Q", f64_from_bits, f64_to_bits),
}


def element_size(storage: StorageType) -> int | None:
    """The bytes an element of this storage type takes natively (None: not held natively)."""
    codec = _CODECS.get(storage)
    return None if codec is None else codec[0]


def struct_layout(fields: Sequence[FieldType]) -> tuple[list[int | None], int] | None:
    """The offset of each field held natively (None for the others: references, v128) and
    the size of the buffer of a struct of these fields, or None if none of them is a number
    held natively."""
    offsets: list[int | None] = []
    at = 0
    for field in fields:
        size = element_size(field.storage)
        if size is None:
            offsets.append(None)
            continue
        at = (at + size - 1) // size * size
        offsets.append(at)
        at += size
    return (offsets, max(at, 8)) if at else None


def all_numbers(fields: Sequence[FieldType]) -> bool:
    """Whether every field is a number held natively (native code then makes such structs
    whole: see `gc_lower`)."""
    layout = struct_layout(fields)
    return layout is not None and None not in layout[0]


class Shape:
    """Where each number of a struct or array type's objects is in their buffer, and how it
    converts: made once per type. A struct's other fields (offset None) are in a list."""

    __slots__ = ("offsets", "codecs", "size", "element", "others", "words")

    def __init__(self, offsets: Sequence[int | None], storages: Sequence[StorageType], size: int, element: int = 0) -> None:
        self.offsets = offsets
        self.codecs = [None if offset is None else _codec(storage) for offset, storage in zip(offsets, storages)] if not element else [_codec(storages[0])]
        self.size = size  # of a struct's buffer
        self.element = element  # an array's element size (0: a struct)
        self.others = any(offset is None for offset in offsets)
        self.words = max((size + 7) // 8, 1)  # of a struct's buffer


def _codec(storage: StorageType) -> tuple[struct.Struct, Callable[[int], object] | None, Callable[[Any], int] | None]:
    _, fmt, from_bits, to_bits = _CODECS[storage]
    return struct.Struct(fmt), from_bits, to_bits


def struct_shape(fields: Sequence[FieldType]) -> Shape | None:
    """The shape of structs of these fields, or None if none of them is a number."""
    layout = struct_layout(fields)
    return None if layout is None else Shape(layout[0], [field.storage for field in fields], layout[1])


def array_shape(storage: StorageType) -> Shape | None:
    """The shape of arrays of this element type, or None if it is not a number."""
    size = element_size(storage)
    return None if size is None else Shape([0], [storage], 0, size)


class NativeNumbers:
    """The numbers of a struct or array, in a native buffer, as a list of the Python engine's
    values. Supports what the runtime and the engines do to such a list: len, iteration,
    indexing and assigning by index and by slice (without changing the length)."""

    __slots__ = ("buffer", "address", "shape", "length", "_view", "others")

    def __init__(self, shape: Shape, length: int, others: list[object] | None = None) -> None:
        """`others`: a struct's fields not held natively, by index (None at the others)."""
        if shape.element:
            self.buffer = (ctypes.c_uint64 * ((ARRAY_HEADER + shape.element * length + 7) // 8))()
        else:
            self.buffer = (ctypes.c_uint64 * shape.words)()
        self.address = ctypes.addressof(self.buffer)
        self.shape = shape
        self.length = length
        self._view: memoryview | None = None
        self.others = others
        if shape.element:
            self.buffer[0] = length

    @property
    def view(self) -> memoryview:
        """The buffer's bytes (made on first use: most objects are only seen by native code)."""
        view = self._view
        if view is None:
            view = self._view = memoryview(self.buffer).cast("B")
        return view

    def _place(self, i: int) -> tuple[Any, Any]:
        shape = self.shape
        if shape.element:
            return ARRAY_HEADER + i * shape.element, shape.codecs[0]
        return shape.offsets[i], shape.codecs[i]

    def __len__(self) -> int:
        return self.length

    def _get(self, i: int) -> object:
        offset, codec = self._place(i)
        if codec is None:
            return cast(list, self.others)[i]
        packer, from_bits, _ = codec
        bits = packer.unpack_from(self.view, offset)[0]
        return bits if from_bits is None else from_bits(bits)

    def _set(self, i: int, value: object) -> None:
        offset, codec = self._place(i)
        if codec is None:
            cast(list, self.others)[i] = value
            return
        packer, _, to_bits = codec
        packer.pack_into(self.view, offset, value if to_bits is None else to_bits(value))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(self.length))]
        if not -self.length <= index < self.length:
            raise IndexError("index out of range")
        return self._get(index % self.length)

    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice):
            positions = range(*index.indices(self.length))
            values = list(value)
            if len(values) != len(positions):
                raise ValueError("a native struct or array keeps its length")
            for i, v in zip(positions, values):
                self._set(i, v)
            return
        if not -self.length <= index < self.length:
            raise IndexError("index out of range")
        self._set(index % self.length, value)

    def __iter__(self) -> Iterator[object]:
        return (self._get(i) for i in range(self.length))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, NativeNumbers)) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


def buffer_address(reference: object) -> int:
    """The address of the native numbers of a struct or array, or 0 if it has none."""
    if type(reference) is Struct:
        numbers: object = reference.fields
    elif type(reference) is Array:
        numbers = reference.items
    else:
        return 0
    return numbers.address if isinstance(numbers, NativeNumbers) else 0
