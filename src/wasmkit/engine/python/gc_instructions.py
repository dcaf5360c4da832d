"""The GC instructions on the Python engine: structs and arrays as `runtime.gc` objects, i31 as
ints, casts and tests through `runtime.gc.ref_test`.

Each function here compiles one instruction for the function compiler (`Compiling`, the part
of it they use). What may trap or reads a field is evaluated once, in order (IMPURE), and
before any write (STATE); writes are effects. Packed fields hold their bits unsigned: a store
masks, `get_s` sign-extends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ...opcodes import CASTS_TO_NULLABLE, Op
from ...runtime.gc import field_default, field_mask
from ...syntax.types import ArrayType, FieldType, HeapType, PackedType, StructType, ValueType
from ...validate import ValidModule

__all__ = ["GC_HANDLERS", "GC_NAMES"]

IMPURE = 2  # the compiler's flags (compiler.IMPURE, compiler.STATE)
STATE = 4


class Compiling(Protocol):
    """What these handlers use of the function compiler."""

    valid: ValidModule

    def args(self, count: int) -> list[Any]: ...

    def pop(self) -> Any: ...

    def push(self, text: str, flags: int, depth: int = 0, unmasked: str | None = None) -> None: ...

    def emit(self, line: str) -> None: ...

    def effect(self) -> None: ...

    def call_expr(self, text: str, results: Sequence[ValueType]) -> None: ...

    def conditional_branch(self, op: Op, depth: int, condition: Callable[[str], str], keep: bool) -> None: ...


def _struct(c: Compiling, type_index: int) -> StructType:
    return c.valid.module.types[type_index]  # type: ignore[return-value]


def _element(c: Compiling, type_index: int) -> FieldType:
    return c.valid.module.types[type_index].element  # type: ignore[union-attr]


def _stored(field: FieldType, text: str) -> str:
    """A value as a field stores it: a packed one masked to its bits."""
    mask = field_mask(field)
    return text if mask is None else f"({text} & {mask})"


def _read(field: FieldType, text: str, signed: bool) -> str:
    """A field's value as an i32 (or its own type): a packed one sign-extended if `signed`."""
    if isinstance(field.storage, PackedType) and signed:
        bits = field.storage.bits
        return f"((({text} ^ {1 << (bits - 1)}) - {1 << (bits - 1)}) & 0xFFFFFFFF)"
    return text


def _default(field: FieldType) -> str:
    return repr(field_default(field))


def struct_new(c: Compiling, op: Op, type_index: int) -> None:
    fields = _struct(c, type_index).fields
    values = c.args(len(fields))
    items = ", ".join(_stored(field, value.text) for field, value in zip(fields, values))
    c.push(f"Struct(TY{type_index}, [{items}])", IMPURE)


def struct_new_default(c: Compiling, op: Op, type_index: int) -> None:
    items = ", ".join(_default(field) for field in _struct(c, type_index).fields)
    c.push(f"Struct(TY{type_index}, [{items}])", IMPURE)


def struct_get(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, field_index = imm
    field = _struct(c, type_index).fields[field_index]
    reference = c.pop()
    text = f"struct_of({reference.text}).fields[{field_index}]"
    c.push(_read(field, text, op.name.endswith("_s")), IMPURE | STATE)


def struct_set(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, field_index = imm
    field = _struct(c, type_index).fields[field_index]
    reference, value = c.args(2)
    c.effect()
    c.emit(f"struct_of({reference.text}).fields[{field_index}] = {_stored(field, value.text)}")


def array_new(c: Compiling, op: Op, type_index: int) -> None:
    value, length = c.args(2)
    c.push(f"array_new(TY{type_index}, {_stored(_element(c, type_index), value.text)}, {length.text})", IMPURE)


def array_new_default(c: Compiling, op: Op, type_index: int) -> None:
    length = c.pop()
    c.push(f"array_new(TY{type_index}, {_default(_element(c, type_index))}, {length.text})", IMPURE)


def array_new_fixed(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, count = imm
    element = _element(c, type_index)
    values = c.args(count)
    items = ", ".join(_stored(element, value.text) for value in values)
    c.push(f"Array(TY{type_index}, [{items}])", IMPURE)


def array_new_data(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, data_index = imm
    offset, length = c.args(2)
    storage = f"STORAGE{type_index}"
    c.push(f"array_new_data(TY{type_index}, {storage}, DATAS[{data_index}], {offset.text}, {length.text})", IMPURE | STATE)


def array_new_elem(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, elem_index = imm
    offset, length = c.args(2)
    c.push(f"array_new_elem(TY{type_index}, ELEMS[{elem_index}], {offset.text}, {length.text})", IMPURE | STATE)


def array_get(c: Compiling, op: Op, type_index: int) -> None:
    reference, index = c.args(2)
    text = f"array_get({reference.text}, {index.text})"
    c.push(_read(_element(c, type_index), text, op.name.endswith("_s")), IMPURE | STATE)


def array_set(c: Compiling, op: Op, type_index: int) -> None:
    reference, index, value = c.args(3)
    c.effect()
    c.emit(f"array_set({reference.text}, {index.text}, {_stored(_element(c, type_index), value.text)})")


def array_len(c: Compiling, op: Op, imm: None) -> None:
    reference = c.pop()
    c.push(f"array_len({reference.text})", IMPURE | STATE)


def array_fill(c: Compiling, op: Op, type_index: int) -> None:
    reference, start, value, length = c.args(4)
    c.effect()
    stored = _stored(_element(c, type_index), value.text)
    c.emit(f"array_fill({reference.text}, {start.text}, {stored}, {length.text})")


def array_copy(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    operands = c.args(5)
    c.effect()
    c.emit(f"array_copy({', '.join(e.text for e in operands)})")


def array_init_data(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, data_index = imm
    reference, start, offset, length = c.args(4)
    c.effect()
    values = f"lambda: data_values(STORAGE{type_index}, DATAS[{data_index}], {offset.text}, {length.text})"
    c.emit(f"array_init({reference.text}, {start.text}, {values}, {length.text})")


def array_init_elem(c: Compiling, op: Op, imm: tuple[int, int]) -> None:
    type_index, elem_index = imm
    reference, start, offset, length = c.args(4)
    c.effect()
    values = f"lambda: elem_values(ELEMS[{elem_index}], {offset.text}, {length.text})"
    c.emit(f"array_init({reference.text}, {start.text}, {values}, {length.text})")


def _test_arguments(heap: HeapType | int, nullable: bool) -> str:
    """The arguments of `ref_test` after the value, for the type `(ref null? heap)`."""
    if isinstance(heap, HeapType):
        return f"{int(heap)}, 0, {nullable}"
    return f"-1, TY{heap}, {nullable}"


def ref_test(c: Compiling, op: Op, heap: HeapType | int) -> None:
    reference = c.pop()
    c.push(f"ref_test({reference.text}, {_test_arguments(heap, op in CASTS_TO_NULLABLE)})", reference.flags & (IMPURE | STATE))


def ref_cast(c: Compiling, op: Op, heap: HeapType | int) -> None:
    reference = c.pop()
    c.push(f"ref_cast({reference.text}, {_test_arguments(heap, op in CASTS_TO_NULLABLE)})", IMPURE | (reference.flags & STATE))


def br_on_cast(c: Compiling, op: Op, imm: tuple[int, ValueType, ValueType]) -> None:
    label, _, target = imm
    arguments = _test_arguments(target.heap, target.nullable)
    negate = "not " if op.name == "br_on_cast_fail" else ""
    c.conditional_branch(op, label, lambda slot: f"{negate}ref_test({slot}, {arguments})", keep=True)


def any_convert_extern(c: Compiling, op: Op, imm: None) -> None:
    reference = c.pop()
    c.push(f"internalize({reference.text})", IMPURE | (reference.flags & STATE))


def extern_convert_any(c: Compiling, op: Op, imm: None) -> None:
    reference = c.pop()
    c.push(f"externalize({reference.text})", IMPURE | (reference.flags & STATE))


def ref_i31(c: Compiling, op: Op, imm: None) -> None:
    value = c.pop()
    c.push(f"({value.text} & 0x7FFFFFFF)", value.flags & (IMPURE | STATE))


def i31_get(c: Compiling, op: Op, imm: None) -> None:
    reference = c.pop()
    helper = "i31_get_s" if op.name.endswith("_s") else "i31_get_u"
    c.push(f"{helper}({reference.text})", IMPURE | (reference.flags & STATE))


def ref_eq(c: Compiling, op: Op, imm: None) -> None:
    first, second = c.args(2)
    flags = (first.flags | second.flags) & (IMPURE | STATE)
    c.push(f"ref_eq({first.text}, {second.text})", flags)


GC_HANDLERS: dict[str, Callable[..., None]] = {
    "struct.new": struct_new, "struct.new_default": struct_new_default, "struct.get": struct_get,
    "struct.get_s": struct_get, "struct.get_u": struct_get, "struct.set": struct_set,
    "array.new": array_new, "array.new_default": array_new_default, "array.new_fixed": array_new_fixed,
    "array.new_data": array_new_data, "array.new_elem": array_new_elem, "array.get": array_get,
    "array.get_s": array_get, "array.get_u": array_get, "array.set": array_set, "array.len": array_len,
    "array.fill": array_fill, "array.copy": array_copy, "array.init_data": array_init_data,
    "array.init_elem": array_init_elem, "ref.test": ref_test, "ref.cast": ref_cast,
    "br_on_cast": br_on_cast, "br_on_cast_fail": br_on_cast, "any.convert_extern": any_convert_extern,
    "extern.convert_any": extern_convert_any, "ref.i31": ref_i31, "i31.get_s": i31_get, "i31.get_u": i31_get,
    "ref.eq": ref_eq,
}  # fmt: skip


def gc_names(valid: ValidModule) -> dict[str, object]:
    """What a module's GC code finds in its namespace besides the runtime's helpers: the
    storage type of each array type (STORAGE<i>), for reading data segments."""
    return {
        f"STORAGE{i}": definition.element.storage
        for i, definition in enumerate(valid.module.types)
        if isinstance(definition, ArrayType)
    }


GC_NAMES = (
    "Struct", "Array", "struct_of", "array_new", "array_get", "array_set", "array_len", "array_fill",
    "array_copy", "array_new_data", "array_new_elem", "array_init", "data_values", "elem_values",
    "ref_test", "ref_cast", "internalize", "externalize", "ref_eq", "i31_get_s", "i31_get_u",
)  # fmt: skip
"""The helpers of `runtime.gc` that compiled code calls by name."""
