"""The runtime side of the GC instructions native code leaves to Python (see `gc_lower`).

Each handler gets the instance's binding (`module._Binding`), the instruction's two
immediates and its cells: the operands, as native code holds them (numbers as bits,
references as handles), and the result goes back in the first cell. The objects are the
runtime's (`runtime.heap`, `runtime.gc`), as on the Python engine, so they cross to the host
and to other instances as they are; what a field holds is the Python engine's internal value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ...opcodes import ALL, Feature
from ...runtime import gc as rt
from ...runtime.heap import Array, Struct
from ...syntax.types import ArrayType, FieldType, HeapType, StructType, ValType
from .gc_lower import CONCRETE, NULLABLE
from .layout import CELL_WORDS

if TYPE_CHECKING:
    from .module import _Binding

__all__ = ["GC_HANDLERS", "cell_count"]

Handler = Callable[["_Binding", int, int, Any], None]
_ANYREF = ValType.ANYREF


def _struct(b: "_Binding", type_index: int) -> StructType:
    return cast(StructType, b.compiled.valid.module.types[type_index])


def _element(b: "_Binding", type_index: int) -> FieldType:
    return cast(ArrayType, b.compiled.valid.module.types[type_index]).element


def _value(b: "_Binding", cells: Any, i: int, field: FieldType) -> object:
    """Operand `i` as field `field` stores it (a packed one masked to its bits)."""
    return rt.stored(field, b.get(cells, i, field.unpacked))


def _read(field: FieldType, value: object, signed: bool) -> object:
    """A field's value as an instruction reads it: a packed one sign-extended if `signed`."""
    storage = field.storage
    if signed and not isinstance(storage, ValType):
        bits = storage.bits
        return ((cast(int, value) ^ (1 << (bits - 1))) - (1 << (bits - 1))) & 0xFFFF_FFFF
    return value


def _u32(b: "_Binding", cells: Any, i: int) -> int:
    return cast(int, cells[CELL_WORDS * i]) & 0xFFFF_FFFF


def struct_new(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
    fields = _struct(b, type_index).fields
    values = [_value(b, cells, i, field) for i, field in enumerate(fields)]
    b.put(cells, 0, _ANYREF, Struct(b.compiled.type_ids[type_index], values))


def struct_new_default(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
    fields = _struct(b, type_index).fields
    b.put(cells, 0, _ANYREF, Struct(b.compiled.type_ids[type_index], [rt.field_default(f) for f in fields]))


def _struct_get(signed: bool) -> Handler:
    def handler(b: "_Binding", type_index: int, index: int, cells: Any) -> None:
        field = _struct(b, type_index).fields[index]
        value = rt.struct_of(b.decode(cells[0])).fields[index]
        b.put(cells, 0, field.unpacked, _read(field, value, signed))

    return handler


def struct_set(b: "_Binding", type_index: int, index: int, cells: Any) -> None:
    field = _struct(b, type_index).fields[index]
    target = rt.struct_of(b.decode(cells[0]))
    target.fields[index] = _value(b, cells, 1, field)


def array_new(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
    value = _value(b, cells, 0, _element(b, type_index))
    b.put(cells, 0, _ANYREF, rt.array_new(b.compiled.type_ids[type_index], value, _u32(b, cells, 1)))


def array_new_default(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
    value = rt.field_default(_element(b, type_index))
    b.put(cells, 0, _ANYREF, rt.array_new(b.compiled.type_ids[type_index], value, _u32(b, cells, 0)))


def array_new_fixed(b: "_Binding", type_index: int, count: int, cells: Any) -> None:
    element = _element(b, type_index)
    values = [_value(b, cells, i, element) for i in range(count)]
    b.put(cells, 0, _ANYREF, Array(b.compiled.type_ids[type_index], values))


def array_new_data(b: "_Binding", type_index: int, data: int, cells: Any) -> None:
    storage = _element(b, type_index).storage
    made = rt.array_new_data(
        b.compiled.type_ids[type_index], storage, b.instance.datas[data], _u32(b, cells, 0), _u32(b, cells, 1)
    )
    b.put(cells, 0, _ANYREF, made)


def array_new_elem(b: "_Binding", type_index: int, elem: int, cells: Any) -> None:
    made = rt.array_new_elem(b.compiled.type_ids[type_index], b.instance.elems[elem], _u32(b, cells, 0), _u32(b, cells, 1))
    b.put(cells, 0, _ANYREF, made)


def _array_get(signed: bool) -> Handler:
    def handler(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
        element = _element(b, type_index)
        value = rt.array_get(b.decode(cells[0]), _u32(b, cells, 1))
        b.put(cells, 0, element.unpacked, _read(element, value, signed))

    return handler


def array_set(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
    rt.array_set(b.decode(cells[0]), _u32(b, cells, 1), _value(b, cells, 2, _element(b, type_index)))


def array_len(b: "_Binding", _: int, __: int, cells: Any) -> None:
    cells[0] = rt.array_len(b.decode(cells[0]))


def array_fill(b: "_Binding", type_index: int, _: int, cells: Any) -> None:
    value = _value(b, cells, 2, _element(b, type_index))
    rt.array_fill(b.decode(cells[0]), _u32(b, cells, 1), value, _u32(b, cells, 3))


def array_copy(b: "_Binding", _: int, __: int, cells: Any) -> None:
    rt.array_copy(
        b.decode(cells[0]), _u32(b, cells, 1), b.decode(cells[CELL_WORDS * 2]), _u32(b, cells, 3), _u32(b, cells, 4)
    )


def array_init_data(b: "_Binding", type_index: int, data: int, cells: Any) -> None:
    storage = _element(b, type_index).storage
    offset, length = _u32(b, cells, 2), _u32(b, cells, 3)
    segment = b.instance.datas[data]
    values = lambda: rt.data_values(storage, segment, offset, length)  # noqa: E731
    rt.array_init(b.decode(cells[0]), _u32(b, cells, 1), values, length)


def array_init_elem(b: "_Binding", _: int, elem: int, cells: Any) -> None:
    offset, length = _u32(b, cells, 2), _u32(b, cells, 3)
    segment = b.instance.elems[elem]
    rt.array_init(b.decode(cells[0]), _u32(b, cells, 1), lambda: rt.elem_values(segment, offset, length), length)


def _test(b: "_Binding", heap: int, flags: int, cells: Any) -> bool:
    value = b.decode(cells[0])
    if flags & CONCRETE:
        return rt.ref_test(value, -1, b.compiled.type_ids[heap], bool(flags & NULLABLE))
    return rt.ref_test(value, int(HeapType(heap)), 0, bool(flags & NULLABLE))


def ref_test(b: "_Binding", heap: int, flags: int, cells: Any) -> None:
    cells[0] = int(_test(b, heap, flags, cells))


def ref_cast(b: "_Binding", heap: int, flags: int, cells: Any) -> None:
    if not _test(b, heap, flags, cells):
        rt.ref_cast(None, 0, 0, False)  # raises the cast failure


def any_convert_extern(b: "_Binding", _: int, __: int, cells: Any) -> None:
    b.put(cells, 0, _ANYREF, rt.internalize(b.decode(cells[0])))


def extern_convert_any(b: "_Binding", _: int, __: int, cells: Any) -> None:
    b.put(cells, 0, ValType.EXTERNREF, rt.externalize(b.decode(cells[0])))


_BY_NAME: dict[str, Handler] = {
    "struct.new": struct_new, "struct.new_default": struct_new_default,
    "struct.get": _struct_get(False), "struct.get_u": _struct_get(False), "struct.get_s": _struct_get(True),
    "struct.set": struct_set, "array.new": array_new, "array.new_default": array_new_default,
    "array.new_fixed": array_new_fixed, "array.new_data": array_new_data, "array.new_elem": array_new_elem,
    "array.get": _array_get(False), "array.get_u": _array_get(False), "array.get_s": _array_get(True),
    "array.set": array_set, "array.len": array_len, "array.fill": array_fill, "array.copy": array_copy,
    "array.init_data": array_init_data, "array.init_elem": array_init_elem, "ref.test": ref_test,
    "ref.cast": ref_cast, "br_on_cast": ref_test, "br_on_cast_fail": ref_test,
    "any.convert_extern": any_convert_extern, "extern.convert_any": extern_convert_any,
}  # fmt: skip

# Per instruction (by Op.index), its handler: the GC instructions native code calls out for.
GC_HANDLERS: dict[int, Handler] = {op.index: _BY_NAME[op.name] for op in ALL if op.feature is Feature.GC and op.name in _BY_NAME}


def cell_count(b: "_Binding", op_index: int, first: int, second: int) -> int:
    """How many cells the instruction's operands take."""
    name = ALL[op_index].name
    if name == "struct.new":
        return max(len(_struct(b, first).fields), 1)
    if name == "array.new_fixed":
        return max(second, 1)
    return 5

