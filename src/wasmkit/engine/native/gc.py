"""The runtime side of the GC instructions native code leaves to Python (see `gc_lower`).

Native code passes an instruction's `Op.index`, its two immediates and its cells: the
operands as native code holds them (numbers as bits, references as handles); the result goes
back in the first cell. The objects are the runtime's (`runtime.heap`, `runtime.gc`), as on
the Python engine, so they cross to the host and to other instances as they are; what a field
holds is the Python engine's internal value.

This is the GC's common path, a Python call per instruction: `specialise` makes, once per
instruction and immediates of a module, a function that does just that instruction (its
fields' conversions chosen in advance), and the binding keeps it (`GcCode`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ...opcodes import ALL
from ...runtime import gc as rt
from ...runtime.heap import Array, Struct
from ...runtime.values import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from ...syntax.types import ArrayType, FieldType, HeapType, PackedType, StructType, ValType, ValueType
from ...validate import ValidModule
from .gc_lower import CONCRETE, NULLABLE
from .handles import I31_BIT, is_external
from .layout import CELL_WORDS, cells_at
from .objects import ARRAY_HEADER, NativeNumbers, Shape, array_shape, element_size, struct_shape

if TYPE_CHECKING:
    from .module import _Binding

__all__ = ["GcCode", "VIEW_CELLS", "POOL_SIZE"]

# The cells a view made once per address covers (see `module._Binding._gc`); an instruction
# with more operands (struct.new, array.new_fixed) makes a view of its own.
VIEW_CELLS = 5
_ANYREF = ValType.ANYREF
# How many structs of a type whose fields are all numbers are made at once, for native code
# to take one by one (see `gc_lower._allocate`): each instance keeps a pool per such type, a
# count and then (handle, address) pairs.
POOL_SIZE = 32
_MASK32 = 0xFFFF_FFFF

Run = Callable[["_Binding", Any, int], None]  # (binding, cells, address of the cells)
Reader = Callable[["_Binding", Any, int], object]  # operand i as a field stores it
Writer = Callable[["_Binding", Any, object], None]  # a field's value into cell 0


def _reader(field: FieldType) -> Reader:
    """How operand i becomes what field `field` stores."""
    storage = field.storage
    if storage is ValType.I32 or storage is ValType.I64:
        return lambda b, w, i: w[CELL_WORDS * i]
    if isinstance(storage, PackedType):
        mask = (1 << storage.bits) - 1
        return lambda b, w, i: w[CELL_WORDS * i] & mask
    if storage is ValType.F32:
        return lambda b, w, i: f32_from_bits(w[CELL_WORDS * i] & _MASK32)
    if storage is ValType.F64:
        return lambda b, w, i: f64_from_bits(w[CELL_WORDS * i])
    vt = cast(ValueType, storage)
    if vt is ValType.V128:
        return lambda b, w, i: b.get(w, i, vt)
    return lambda b, w, i: b.decode(w[CELL_WORDS * i])


def _writer(field: FieldType, signed: bool) -> Writer:
    """How a field's value goes into cell 0 as the instruction reads it: a packed one
    sign-extended to an i32 if `signed`."""
    storage = field.storage
    if storage is ValType.I32 or storage is ValType.I64:
        def plain(b: "_Binding", w: Any, value: object) -> None:
            w[0] = value
        return plain
    if isinstance(storage, PackedType):
        bit = 1 << (storage.bits - 1)

        def packed(b: "_Binding", w: Any, value: object) -> None:
            w[0] = ((cast(int, value) ^ bit) - bit) & _MASK32 if signed else value
        return packed
    if storage is ValType.F32:
        def f32(b: "_Binding", w: Any, value: object) -> None:
            w[0] = f32_to_bits(cast(float, value))
        return f32
    if storage is ValType.F64:
        def f64(b: "_Binding", w: Any, value: object) -> None:
            w[0] = f64_to_bits(cast(float, value))
        return f64
    vt = cast(ValueType, storage)
    if vt is ValType.V128:
        def v128(b: "_Binding", w: Any, value: object) -> None:
            b.put(w, 0, vt, value)
        return v128
    external = is_external(vt)

    def reference(b: "_Binding", w: Any, value: object) -> None:  # as `_Binding.handle` does
        if value is None:
            w[0] = 0
        elif type(value) is int and not external:
            w[0] = I31_BIT | value
        else:
            w[0] = b.object_handle(value)
    return reference


def _u32(w: Any, i: int) -> int:
    return cast(int, w[CELL_WORDS * i]) & _MASK32


class GcCode:
    """A module's GC instructions as the runtime runs them, made on first use."""

    def __init__(self, valid: ValidModule, type_ids: list[int]) -> None:
        self.types = valid.module.types
        self.type_ids = type_ids
        self.runs: dict[tuple[int, int, int], Run] = {}

    def run(self, op_index: int, first: int, second: int) -> Run:
        key = (op_index, first, second)
        found = self.runs.get(key)
        if found is None:
            found = self.runs[key] = self._specialise(ALL[op_index].name, first, second)
        return found

    def _native(self, name: str, first: int, second: int) -> Run | None:
        """The function that makes a struct or array whose numbers are held natively (see
        `objects`), for instructions that make one of a type whose numbers can be; else None.
        The operands are written as the bits native code passed. struct.new_default also
        gives the address of the numbers, in the second cell, for native code to fill in
        (`gc_lower` makes struct.new so)."""

        if name in ("struct.new", "struct.new_default"):
            fields = self._struct(first).fields
            found = struct_shape(fields)
            if found is None:
                return None
            layout: Shape = found
            type_id = self.type_ids[first]
            given = name == "struct.new"
            count = len(fields) if given else 0
            numbers_at = [
                (i, codec[0].pack_into, cast(int, layout.offsets[i]), (1 << (8 * cast(int, element_size(field.storage)))) - 1)
                for i, (field, codec) in enumerate(zip(fields, layout.codecs)) if codec is not None
            ]  # fmt: skip
            # The fields not held natively: how each is read from its operand, or its default.
            readers = [_reader(field) if codec is None else None for field, codec in zip(fields, layout.codecs)]
            defaults = [rt.field_default(field) if codec is None else None for field, codec in zip(fields, layout.codecs)]
            others = layout.others

            if name == "struct.new_default" and not others:
                def new_pooled(b: "_Binding", w: Any, address: int) -> None:
                    # Native code takes these from the pool (see `gc_lower._allocate`) and
                    # asks here when it is empty: made POOL_SIZE at a time.
                    pool = b.pool(first)
                    for k in range(POOL_SIZE):
                        numbers = NativeNumbers(layout, len(fields))
                        made = Struct(type_id, numbers)  # type: ignore[arg-type]  # the numbers stand for its list
                        pool[1 + 2 * k] = b.new_object(made, numbers.address)
                        pool[2 + 2 * k] = numbers.address
                    pool[0] = POOL_SIZE - 1
                    w[0], w[CELL_WORDS] = pool[2 * POOL_SIZE - 1], pool[2 * POOL_SIZE]
                return new_pooled

            def new_struct(b: "_Binding", w: Any, address: int) -> None:
                if count > VIEW_CELLS:
                    w = cells_at(address, count)
                held = None
                if others:
                    held = [read(b, w, i) if read is not None else None for i, read in enumerate(readers)] if given else list(defaults)
                numbers = NativeNumbers(layout, len(fields), held)
                if given:
                    view = numbers.view
                    for i, pack, offset, mask in numbers_at:
                        pack(view, offset, w[CELL_WORDS * i] & mask)
                made = Struct(type_id, numbers)  # type: ignore[arg-type]  # the numbers stand for its list
                w[0] = b.new_object(made, numbers.address)
                w[CELL_WORDS] = numbers.address
            return new_struct
        if not name.startswith("array.new") or name == "array.new_elem":
            return None
        storage = self._element(first).storage
        array = array_shape(storage)
        if array is None:
            return None
        shape: Shape = array
        size = shape.element
        type_id = self.type_ids[first]
        packer = cast(Any, shape.codecs[0])[0]
        mask = (1 << (8 * size)) - 1
        if name in ("array.new", "array.new_default"):
            given = name == "array.new"

            def new_array(b: "_Binding", w: Any, address: int) -> None:
                length = _u32(w, 1 if given else 0)
                if length > rt.MAX_ARRAY_LENGTH:
                    rt.array_new(type_id, None, length)  # raises "allocation size too large"
                numbers = NativeNumbers(shape, length)
                bits = w[0] & mask if given else 0
                if bits and length:
                    pattern = packer.pack(bits) * length
                    ctypes.memmove(numbers.address + ARRAY_HEADER, pattern, len(pattern))
                made = Array(type_id, numbers)  # type: ignore[arg-type]  # the numbers stand for its list
                w[0] = b.new_object(made, numbers.address)
            return new_array
        if name == "array.new_fixed":
            def new_fixed(b: "_Binding", w: Any, address: int) -> None:
                if second > VIEW_CELLS:
                    w = cells_at(address, second)
                numbers = NativeNumbers(shape, second)
                view = numbers.view
                for i in range(second):
                    packer.pack_into(view, ARRAY_HEADER + size * i, w[CELL_WORDS * i] & mask)
                made = Array(type_id, numbers)  # type: ignore[arg-type]  # the numbers stand for its list
                w[0] = b.new_object(made, numbers.address)
            return new_fixed
        if name == "array.new_data":
            def new_data(b: "_Binding", w: Any, address: int) -> None:
                values = rt.data_values(storage, b.instance.datas[second], _u32(w, 0), _u32(w, 1))
                numbers = NativeNumbers(shape, len(values))
                numbers[:] = values
                made = Array(type_id, numbers)  # type: ignore[arg-type]  # the numbers stand for its list
                w[0] = b.new_object(made, numbers.address)
            return new_data
        return None

    def _struct(self, type_index: int) -> StructType:
        return cast(StructType, self.types[type_index])

    def _element(self, type_index: int) -> FieldType:
        return cast(ArrayType, self.types[type_index]).element

    def _specialise(self, name: str, first: int, second: int) -> Run:  # noqa: C901 - one case per instruction
        """The function that runs instruction `name` with these immediates."""

        native = self._native(name, first, second)
        if native is not None:
            return native
        if name in ("struct.new", "struct.new_default", "array.new_fixed"):
            type_id = self.type_ids[first]
            if name == "array.new_fixed":
                readers = [_reader(self._element(first))] * second
                make: type = Array
            else:
                fields = self._struct(first).fields
                readers = [_reader(field) for field in fields] if name == "struct.new" else []
                make = Struct
            defaults = [rt.field_default(field) for field in fields] if name == "struct.new_default" else None
            count = len(readers)
            indexed = list(enumerate(readers))

            def new(b: "_Binding", w: Any, address: int) -> None:
                if count > VIEW_CELLS:
                    w = cells_at(address, count)
                values = [read(b, w, i) for i, read in indexed] if defaults is None else list(defaults)
                w[0] = b.new_object(make(type_id, values))
            return new
        if name.startswith("struct.get"):
            write = _writer(self._struct(first).fields[second], name == "struct.get_s")

            def get(b: "_Binding", w: Any, address: int) -> None:
                write(b, w, rt.struct_of(b.decode(w[0])).fields[second])
            return get
        if name == "struct.set":
            read = _reader(self._struct(first).fields[second])

            def set_(b: "_Binding", w: Any, address: int) -> None:
                rt.struct_of(b.decode(w[0])).fields[second] = read(b, w, 1)
            return set_
        if name in ("array.new", "array.new_default"):
            type_id = self.type_ids[first]
            element = self._element(first)
            read = _reader(element)
            default = rt.field_default(element)
            given = name == "array.new"

            def array_new(b: "_Binding", w: Any, address: int) -> None:
                made = rt.array_new(type_id, read(b, w, 0), _u32(w, 1)) if given else rt.array_new(type_id, default, _u32(w, 0))
                w[0] = b.new_object(made)
            return array_new
        if name == "array.new_data":
            type_id, storage = self.type_ids[first], self._element(first).storage

            def new_data(b: "_Binding", w: Any, address: int) -> None:
                made = rt.array_new_data(type_id, storage, b.instance.datas[second], _u32(w, 0), _u32(w, 1))
                w[0] = b.handle(made, _ANYREF)
            return new_data
        if name == "array.new_elem":
            type_id = self.type_ids[first]

            def new_elem(b: "_Binding", w: Any, address: int) -> None:
                w[0] = b.handle(rt.array_new_elem(type_id, b.instance.elems[second], _u32(w, 0), _u32(w, 1)), _ANYREF)
            return new_elem
        if name.startswith("array.get"):
            write = _writer(self._element(first), name == "array.get_s")

            def array_get(b: "_Binding", w: Any, address: int) -> None:
                write(b, w, rt.array_get(b.decode(w[0]), _u32(w, 1)))
            return array_get
        if name == "array.set":
            read = _reader(self._element(first))

            def array_set(b: "_Binding", w: Any, address: int) -> None:
                rt.array_set(b.decode(w[0]), _u32(w, 1), read(b, w, 2))
            return array_set
        if name == "array.len":
            def array_len(b: "_Binding", w: Any, address: int) -> None:
                w[0] = rt.array_len(b.decode(w[0]))
            return array_len
        if name == "array.fill":
            read = _reader(self._element(first))

            def array_fill(b: "_Binding", w: Any, address: int) -> None:
                rt.array_fill(b.decode(w[0]), _u32(w, 1), read(b, w, 2), _u32(w, 3))
            return array_fill
        if name == "array.copy":
            def array_copy(b: "_Binding", w: Any, address: int) -> None:
                rt.array_copy(b.decode(w[0]), _u32(w, 1), b.decode(w[CELL_WORDS * 2]), _u32(w, 3), _u32(w, 4))
            return array_copy
        if name == "array.init_data":
            storage = self._element(first).storage

            def init_data(b: "_Binding", w: Any, address: int) -> None:
                offset, length, segment = _u32(w, 2), _u32(w, 3), b.instance.datas[second]
                values = lambda: rt.data_values(storage, segment, offset, length)  # noqa: E731
                rt.array_init(b.decode(w[0]), _u32(w, 1), values, length)
            return init_data
        if name == "array.init_elem":
            def init_elem(b: "_Binding", w: Any, address: int) -> None:
                offset, length, segment = _u32(w, 2), _u32(w, 3), b.instance.elems[second]
                rt.array_init(b.decode(w[0]), _u32(w, 1), lambda: rt.elem_values(segment, offset, length), length)
            return init_elem
        if name in ("ref.test", "ref.cast", "br_on_cast", "br_on_cast_fail"):
            nullable = bool(second & NULLABLE)
            heap, type_id = (-1, self.type_ids[first]) if second & CONCRETE else (int(HeapType(first)), 0)
            if name == "ref.cast":
                def cast_(b: "_Binding", w: Any, address: int) -> None:
                    rt.ref_cast(b.decode(w[0]), heap, type_id, nullable)
                return cast_

            def test(b: "_Binding", w: Any, address: int) -> None:
                w[0] = int(rt.ref_test(b.decode(w[0]), heap, type_id, nullable))
            return test
        if name == "any.convert_extern":
            def internalize(b: "_Binding", w: Any, address: int) -> None:
                w[0] = b.handle(rt.internalize(b.decode(w[0])), _ANYREF)
            return internalize
        if name == "extern.convert_any":
            def externalize(b: "_Binding", w: Any, address: int) -> None:
                w[0] = b.handle(rt.externalize(b.decode(w[0])), ValType.EXTERNREF)
            return externalize
        raise LookupError(f"{name} is not a GC instruction the runtime runs")
