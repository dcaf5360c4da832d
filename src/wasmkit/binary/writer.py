"""The binary writer: `Module -> bytes`.

Sections are written in the binary format's order, empty ones left out, each custom section
after the known section it names in `after` (whether that one is written or empty), in the
order of `Module.customs`. Element segments whose items are all `ref.func` of a `funcref`
segment use the compact index encoding.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..syntax.module import CustomSection, DataSegment, ElemSegment, Import, Module, SegmentMode
from ..syntax.types import REF_FUNC, DefinedType, FieldType, FuncType, PackedType, StorageType, StructType, GlobalType, Limits, MemoryType, TableType, TagType, ValType, ValueType
from .code import OP_END, encode_valtype
from .leb128 import read_u32, write_unsigned
from .reader import MAGIC, VERSION, SectionId

__all__ = ["write_module", "elem_flags", "func_index_of", "encode_locals", "SECTION_LAYOUT"]

# The known sections in the order the binary format puts them (the tag section sits between
# memories and globals, the data count before the code).
SECTION_LAYOUT = (
    SectionId.TYPE,
    SectionId.IMPORT,
    SectionId.FUNCTION,
    SectionId.TABLE,
    SectionId.MEMORY,
    SectionId.TAG,
    SectionId.GLOBAL,
    SectionId.EXPORT,
    SectionId.START,
    SectionId.ELEMENT,
    SectionId.DATA_COUNT,
    SectionId.CODE,
    SectionId.DATA,
)


def write_module(module: Module) -> bytes:
    out = bytearray(MAGIC + VERSION)
    customs_after: dict[int, list[CustomSection]] = {}
    for custom in module.customs:
        customs_after.setdefault(custom.after, []).append(custom)
    _write_customs(out, customs_after.get(0, ()))
    for section_id in SECTION_LAYOUT:
        writer = _SECTION_WRITERS.get(section_id)
        content = writer(module) if writer is not None else None
        if content is not None:
            out.append(section_id)
            out += write_unsigned(len(content)) + content
        _write_customs(out, customs_after.get(section_id, ()))
    return bytes(out)


def _write_customs(out: bytearray, customs: Iterable[CustomSection]) -> None:
    for custom in customs:
        content = _name(custom.name) + custom.data
        out.append(SectionId.CUSTOM)
        out += write_unsigned(len(content)) + content


def _vec(items: Iterable[bytes]) -> bytes:
    items = list(items)
    return write_unsigned(len(items)) + b"".join(items)


def _vec_or_none(items: Iterable[bytes]) -> bytes | None:
    items = list(items)
    return _vec(items) if items else None


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return write_unsigned(len(raw)) + raw


def _storage(st: StorageType) -> bytes:
    return bytes((st,)) if isinstance(st, PackedType) else encode_valtype(st)


def _field(field: FieldType) -> bytes:
    return _storage(field.storage) + bytes((field.mutable,))


def _definition(definition: DefinedType) -> bytes:
    """One definition, as `sub` (0x50) or `sub final` (0x4F) when it declares a supertype or
    is open to subtypes."""
    if isinstance(definition, FuncType):
        body = b"\x60" + _vec(map(encode_valtype, definition.params)) + _vec(map(encode_valtype, definition.results))
    elif isinstance(definition, StructType):
        body = b"\x5f" + _vec(map(_field, definition.fields))
    else:
        body = b"\x5e" + _field(definition.element)
    if definition.final and not definition.supertypes:
        return body
    return (b"\x4f" if definition.final else b"\x50") + _vec(map(write_unsigned, definition.supertypes)) + body


def _type_section(m: Module) -> bytes | None:
    """The definitions, each explicit recursion group as one entry (0x4E)."""
    if not m.types:
        return None
    groups = dict(m.rec_groups)
    entries = []
    i = 0
    while i < len(m.types):
        count = groups.get(i)
        if count is None:
            entries.append(_definition(m.types[i]))
            i += 1
        else:
            entries.append(b"\x4e" + _vec(map(_definition, m.types[i : i + count])))
            i += count
    return _vec(entries)


def _limits(limits: Limits, address_type: ValType = ValType.I32, shared: bool = False) -> bytes:
    """Limits, with the flag 0x04 of 64-bit addresses (memory64, table64) for `address_type` I64
    and the flag 0x02 of a shared memory (threads)."""
    flags = (0x04 if address_type == ValType.I64 else 0x00) | (0x02 if shared else 0x00)
    if limits.max is None:
        return bytes((flags,)) + write_unsigned(limits.min)
    return bytes((flags | 0x01,)) + write_unsigned(limits.min) + write_unsigned(limits.max)


def _table(tt: TableType, init: bytes | None) -> bytes:
    """A table section entry: its type, after `0x40 0x00` and before its initial value's
    expression when it has one."""
    return _table_type(tt) if init is None else b"\x40\x00" + _table_type(tt) + init


def _table_type(tt: TableType) -> bytes:
    return encode_valtype(tt.elem) + _limits(tt.limits, tt.address_type)


def _memory_type(mt: MemoryType) -> bytes:
    return _limits(mt.limits, mt.address_type, mt.shared)


def _global_type(gt: GlobalType) -> bytes:
    return encode_valtype(gt.valtype) + bytes((gt.mutable,))


def _import(imp: Import) -> bytes:
    head = _name(imp.module) + _name(imp.name) + bytes((imp.kind,))
    desc = imp.desc
    if isinstance(desc, int):
        return head + write_unsigned(desc)
    if isinstance(desc, TableType):
        return head + _table_type(desc)
    if isinstance(desc, MemoryType):
        return head + _memory_type(desc)
    if isinstance(desc, TagType):
        return head + _tag_type(desc)
    return head + _global_type(desc)


def _tag_type(tag: TagType) -> bytes:
    return b"\x00" + write_unsigned(tag.type_index)


def func_index_of(expr: bytes) -> int | None:
    """The index x if `expr` is exactly `ref.func x end`, else None."""
    if not expr or expr[0] != 0xD2:
        return None
    index, end = read_u32(expr, 1)
    return index if end == len(expr) - 1 and expr[end] == OP_END else None


def _by_index(seg: ElemSegment) -> bool:
    """Whether `seg` can use the compact encoding: a `(ref func)` segment of `ref.func`s only."""
    return seg.type == REF_FUNC and all(func_index_of(e) is not None for e in seg.init)


def elem_flags(seg: ElemSegment) -> int:
    """The flags field that the writer gives `seg`: bit 0 passive or declarative, bit 1 an
    explicit table (active) or declarative, bit 2 items as expressions."""
    by_index = _by_index(seg)
    if seg.mode is SegmentMode.ACTIVE:
        explicit_table = seg.table != 0 or (not by_index and seg.type != ValType.FUNCREF)
        flags = 2 if explicit_table else 0
    else:
        flags = 1 if seg.mode is SegmentMode.PASSIVE else 3
    return flags if by_index else flags | 4


def _elem(seg: ElemSegment) -> bytes:
    flags = elem_flags(seg)
    by_index = not flags & 4
    indices = [func_index_of(e) for e in seg.init]
    out = bytearray(write_unsigned(flags))
    if seg.mode is SegmentMode.ACTIVE:
        if flags & 2:
            out += write_unsigned(seg.table)
        out += seg.offset or b""
    if flags & 3:
        out += b"\x00" if by_index else encode_valtype(seg.type)
    if by_index:
        out += _vec(write_unsigned(i) for i in indices)  # type: ignore[arg-type]
    else:
        out += _vec(seg.init)
    return bytes(out)


def _data(seg: DataSegment) -> bytes:
    init = write_unsigned(len(seg.init)) + seg.init
    if seg.mode is SegmentMode.PASSIVE:
        return b"\x01" + init
    if seg.memory == 0:
        return b"\x00" + (seg.offset or b"") + init
    return b"\x02" + write_unsigned(seg.memory) + (seg.offset or b"") + init


def encode_locals(local_runs: tuple[tuple[int, ValueType], ...]) -> bytes:
    """A function's local declarations as the code section writes them: where its body starts,
    which the offsets of code metadata (branch hints) count from."""
    return _vec(write_unsigned(n) + encode_valtype(vt) for n, vt in local_runs)


def _code(local_runs: tuple[tuple[int, ValueType], ...], body: bytes) -> bytes:
    content = encode_locals(local_runs) + body
    return write_unsigned(len(content)) + content


_SECTION_WRITERS = {
    SectionId.TYPE: _type_section,
    SectionId.IMPORT: lambda m: _vec_or_none(map(_import, m.imports)),
    SectionId.FUNCTION: lambda m: _vec_or_none(write_unsigned(f.type_index) for f in m.funcs),
    SectionId.TABLE: lambda m: _vec_or_none(_table(tt, m.table_init(i)) for i, tt in enumerate(m.tables)),
    SectionId.MEMORY: lambda m: _vec_or_none(map(_memory_type, m.mems)),
    SectionId.TAG: lambda m: _vec_or_none(map(_tag_type, m.tags)),
    SectionId.GLOBAL: lambda m: _vec_or_none(_global_type(g.type) + g.init for g in m.globals),
    SectionId.EXPORT: lambda m: _vec_or_none(
        _name(e.name) + bytes((e.kind,)) + write_unsigned(e.index) for e in m.exports
    ),
    SectionId.START: lambda m: None if m.start is None else write_unsigned(m.start),
    SectionId.ELEMENT: lambda m: _vec_or_none(map(_elem, m.elems)),
    SectionId.DATA_COUNT: lambda m: None if m.data_count is None else write_unsigned(m.data_count),
    SectionId.CODE: lambda m: _vec_or_none(_code(f.locals, f.body) for f in m.funcs),
    SectionId.DATA: lambda m: _vec_or_none(map(_data, m.datas)),
}
