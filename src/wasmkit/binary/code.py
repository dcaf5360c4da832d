"""Instructions in the binary format: decoding and encoding, driven by `wasmkit.opcodes`.

Immediates are decoded to plain values:

=============  ==========================================================================
Imm            value
=============  ==========================================================================
BLOCK          the s33 block type: -64 empty, -1..-23 a one-byte value type (see
               `block_type`), >= 0 a type index; or the RefType of the block's result
LABELS         `(labels, default)`
CALL_INDIRECT  `(type_index, table_index)`
MEMARG         `(align_log2, offset, memory)`
MEMLANE        `(align_log2, offset, lane, memory)`
MEMORY         the memory index
I32, I64       the signed integer
F32, F64       the IEEE bit pattern as an unsigned int (NaN payloads survive)
V128           the 128-bit little-endian value as an unsigned int
SHUFFLE        a tuple of 16 lane indices
SELECT_T       a tuple of value types
HEAPTYPE       a HeapType, or a type index
BR_ON_CAST     `(label, source type, target type)`, the types reference types
TRY_TABLE      `(blocktype, clauses)`, each clause `(kind, tag, label)`: kind one of
               CATCH, CATCH_REF, CATCH_ALL, CATCH_ALL_REF; tag None for the catch_all kinds
two indices    a pair (TABLE_INIT: elem, table; TABLE_COPY and MEMORY_COPY: dst, src;
               MEMORY_INIT: data, memory; TYPE_FIELD: type, field; TYPE_SIZE: type, count;
               TYPE_DATA: type, data; TYPE_ELEM: type, elem; TYPE_PAIR: dst type, src type)
ZERO           0 (the byte must be zero)
others         the index
=============  ==========================================================================

The memory indices and offsets are read as WebAssembly 3.0 has them (multi-memory: a memory index
where 2.0 has a zero byte, and after the alignment when its bit 6 is set; memory64: 64-bit
offsets). `imm_readers(features)` gives 2.0's stricter readers to a decoder told to refuse those
proposals, so that their encodings are malformed there, as the 2.0 testsuite expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DecodeError
from ..opcodes import ALL, ALL_FEATURES, PREFIXED, SINGLE_BYTE, Feature, Imm, Op
from ..syntax.types import FuncType, HeapType, RefType, ValType, ValueType, ref_type
from .leb128 import (
    UNEXPECTED_END,
    read_s32,
    read_s33,
    read_s64,
    read_u32,
    read_u64,
    write_signed,
    write_unsigned,
)

__all__ = [
    "Instr",
    "read_opcode",
    "read_immediate",
    "imm_readers",
    "IMM_READER_BY_OP",
    "read_valtype",
    "VALTYPE_BY_BYTE",
    "read_reftype",
    "read_heaptype",
    "encode_valtype",
    "encode_blocktype",
    "iter_instructions",
    "scan_expression",
    "encode_instruction",
    "encode_immediate",
    "block_valtype",
    "block_type",
    "inline_blocktype",
    "BLOCK_EMPTY",
    "OP_END",
    "OP_ELSE",
    "CATCH",
    "CATCH_REF",
    "CATCH_ALL",
    "CATCH_ALL_REF",
]

OP_END = 0x0B
OP_ELSE = 0x05
BLOCK_EMPTY = -64  # the s33 reading of 0x40
# The kinds of a try_table's catch clauses (their encoding).
CATCH, CATCH_REF, CATCH_ALL, CATCH_ALL_REF = 0, 1, 2, 3
_OP_TRY, _OP_CATCH, _OP_CATCH_ALL, _OP_DELEGATE, _OP_TRY_TABLE = 0x06, 0x07, 0x19, 0x18, 0x1F


@dataclass(frozen=True, slots=True)
class Instr:
    """One decoded instruction: its offset in the code it came from, its op and immediate."""

    offset: int
    op: Op
    imm: Any


def _hex(byte: int) -> str:
    return f"{byte:02x}"


def ref_func_index(expr: bytes) -> int | None:
    """N when the constant expression `expr` is exactly `ref.func N` and `end`, the form in
    which element segments list functions, else None: the commonest constant expression by
    far (yosys.wasm has 8,269), read without decoding instructions."""
    if len(expr) < 3 or expr[0] != 0xD2 or expr[-1] != 0x0B:
        return None
    index, end = read_u32(expr, 1)
    return index if end == len(expr) - 1 else None


def read_opcode(data: bytes, pos: int) -> tuple[Op, int]:
    """Read one opcode (with its prefix) at `pos`."""
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    byte = data[pos]
    op = SINGLE_BYTE[byte]
    if op is not None:
        return op, pos + 1
    table = PREFIXED.get(byte)
    if table is None:
        raise DecodeError(f"illegal opcode {_hex(byte)}", pos)
    sub, end = read_u32(data, pos + 1)
    op = table.get(sub)
    if op is None:
        raise DecodeError(f"illegal opcode {_hex(byte)} {sub:x}", pos)
    return op, end


# The first byte of a reference type written in full: `(ref null ht)` and `(ref ht)`.
REF_NULL = 0x63
REF = 0x64
_ONE_BYTE_TYPES = frozenset(ValType)


def read_heaptype(data: bytes, pos: int) -> tuple[HeapType | int, int]:
    """A heap type: an abstract one (one negative s33 byte) or a type index."""
    value, end = read_s33(data, pos)
    if value >= 0:
        return value, end
    try:
        return HeapType(value & 0x7F), end
    except ValueError:
        raise DecodeError("malformed heap type", pos) from None


# The value types of one byte, by that byte.
VALTYPE_BY_BYTE = {vt.value: vt for vt in ValType}


def read_valtype(data: bytes, pos: int) -> tuple[ValueType, int]:
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    byte = data[pos]
    found = VALTYPE_BY_BYTE.get(byte)  # looked up, not made: an enum's call costs a microsecond
    if found is not None:
        return found, pos + 1
    if byte == REF_NULL or byte == REF:
        heap, end = read_heaptype(data, pos + 1)
        return ref_type(byte == REF_NULL, heap), end
    try:
        return ValType(byte), pos + 1
    except ValueError:
        raise DecodeError("malformed value type", pos) from None


def read_reftype(data: bytes, pos: int) -> tuple[ValueType, int]:
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    byte = data[pos]
    if byte == REF_NULL or byte == REF or (byte in _ONE_BYTE_TYPES and ValType(byte).is_ref):
        return read_valtype(data, pos)
    raise DecodeError("malformed reference type", pos)


def encode_heaptype(heap: HeapType | int) -> bytes:
    return write_signed(int(heap) - 0x80) if isinstance(heap, HeapType) else write_signed(heap)


def encode_valtype(vt: ValueType) -> bytes:
    """The binary encoding of a value type: one byte, or a prefix and a heap type."""
    if isinstance(vt, RefType):
        return bytes((REF_NULL if vt.nullable else REF,)) + encode_heaptype(vt.heap)
    return bytes((vt,))


def block_valtype(blocktype: int | RefType) -> ValueType | None:
    """The single result type of a value block type, else None."""
    if isinstance(blocktype, RefType):
        return blocktype
    if BLOCK_EMPTY < blocktype < 0:
        return ValType(blocktype & 0x7F)
    return None


def inline_blocktype(results: Sequence[ValueType]) -> int | RefType:
    """The block type, without a type index, of a block with no parameters and `results`
    (none or one)."""
    if not results:
        return BLOCK_EMPTY
    result = results[0]
    return result if isinstance(result, RefType) else int(result) - 0x80


# The types of the block types written without a type index, but for RefTypes.
_INLINE_TYPES = {inline_blocktype(ft.results): ft for ft in [FuncType(), *(FuncType((), (vt,)) for vt in ValType)]}


def encode_blocktype(blocktype: int | RefType) -> bytes:
    return encode_valtype(blocktype) if isinstance(blocktype, RefType) else write_signed(blocktype)


def block_type(blocktype: int | RefType, types: Callable[[int], FuncType]) -> FuncType:
    """The function type of a block type: [] -> [] for BLOCK_EMPTY, [] -> [t] for a value type,
    else type `blocktype`, found with `types` (which raises what it raises for a bad index)."""
    if isinstance(blocktype, RefType):
        return FuncType((), (blocktype,))
    if blocktype >= 0:
        return types(blocktype)
    return _INLINE_TYPES[blocktype]


def _read_block(data: bytes, pos: int) -> tuple[int | RefType, int]:
    value, end = read_s33(data, pos)
    if value >= 0 or value == BLOCK_EMPTY:
        return value, end
    byte = value & 0x7F
    if byte == REF_NULL or byte == REF:
        vt, end = read_valtype(data, pos)
        return inline_blocktype((vt,)), end
    if byte not in _ONE_BYTE_TYPES:
        raise DecodeError("malformed value type", pos)
    return value, end


def _read_labels(data: bytes, pos: int) -> tuple[tuple[tuple[int, ...], int], int]:
    count, pos = read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    labels = []
    for _ in range(count):
        label, pos = read_u32(data, pos)
        labels.append(label)
    default, pos = read_u32(data, pos)
    return (tuple(labels), default), pos


def _read_br_on_cast(data: bytes, pos: int) -> tuple[tuple[int, ValueType, ValueType], int]:
    """`br_on_cast`'s flags (bit 0: the source type is nullable, bit 1: the target type), its
    label and two heap types, as (label, source type, target type)."""
    flags, pos = _read_byte(data, pos)
    if flags > 3:
        raise DecodeError("malformed br_on_cast flags", pos - 1)
    label, pos = read_u32(data, pos)
    source, pos = read_heaptype(data, pos)
    target, pos = read_heaptype(data, pos)
    return (label, ref_type(bool(flags & 1), source), ref_type(bool(flags & 2), target)), pos


_Clauses = tuple[tuple[int, int | None, int], ...]  # a try_table's: (kind, tag, label) each


def _read_try_table(data: bytes, pos: int) -> tuple[tuple[int | RefType, _Clauses], int]:
    blocktype, pos = _read_block(data, pos)
    count, pos = read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    clauses = []
    for _ in range(count):
        if pos >= len(data):
            raise DecodeError(UNEXPECTED_END, pos)
        kind = data[pos]
        if kind > CATCH_ALL_REF:
            raise DecodeError("malformed catch clause", pos)
        pos += 1
        tag = None
        if kind < CATCH_ALL:
            tag, pos = read_u32(data, pos)
        label, pos = read_u32(data, pos)
        clauses.append((kind, tag, label))
    return (blocktype, tuple(clauses)), pos


def _read_pair(data: bytes, pos: int) -> tuple[tuple[int, int], int]:
    first, pos = read_u32(data, pos)
    second, pos = read_u32(data, pos)
    return (first, second), pos


def _read_zero(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    if data[pos] != 0:
        raise DecodeError("zero byte expected", pos)
    return 0, pos + 1


def _read_zero_flag(data: bytes, pos: int) -> tuple[int, int]:
    """atomic.fence's reserved byte (an ordering to come), which is no index."""
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    if data[pos] != 0:
        raise DecodeError("zero flag expected", pos)
    return 0, pos + 1


_MEMARG_HAS_MEMORY = 0x40  # bit 6 of a memarg's alignment field: a memory index follows


def _memarg_reader(multi_memory: bool, memory64: bool) -> Callable[[bytes, int], tuple[tuple[int, int, int], int]]:
    """The reader of a memarg: with multi-memory, flags below 0x80 whose bit 6 says a memory
    index follows (2.0: an alignment below 32); with memory64, a 64-bit offset (2.0: 32-bit)."""
    read_offset = read_u64 if memory64 else read_u32
    # Flags below this, in one byte, name memory 0 with no index after them: with a one-byte
    # offset, the most common memarg by far, read without the general path.
    plain_flags = _MEMARG_HAS_MEMORY if multi_memory else 32

    def read_memarg(data: bytes, pos: int) -> tuple[tuple[int, int, int], int]:
        if pos + 1 < len(data):
            flags = data[pos]
            offset = data[pos + 1]
            if flags < plain_flags and offset < 0x80:
                return (flags, offset, 0), pos + 2
        flags, end = read_u32(data, pos)
        memory = 0
        if not multi_memory:
            if flags >= 32:
                raise DecodeError("malformed memop flags", end - 1)
        elif flags >= 0x80:
            raise DecodeError("malformed memop flags", pos)
        elif flags & _MEMARG_HAS_MEMORY:
            memory, end = read_u32(data, end)
        offset, end = read_offset(data, end)
        return (flags & 0x3F, offset, memory), end

    return read_memarg


def _memlane_reader(multi_memory: bool, memory64: bool) -> Callable[[bytes, int], tuple[tuple[int, int, int, int], int]]:
    read_memarg = _memarg_reader(multi_memory, memory64)

    def read_memlane(data: bytes, pos: int) -> tuple[tuple[int, int, int, int], int]:
        (align, offset, memory), pos = read_memarg(data, pos)
        lane, pos = _read_byte(data, pos)
        return (align, offset, lane, memory), pos

    return read_memlane


def _read_byte(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise DecodeError(UNEXPECTED_END, pos)
    return data[pos], pos + 1


def _read_fixed(size: int) -> Callable[[bytes, int], tuple[int, int]]:
    def read(data: bytes, pos: int) -> tuple[int, int]:
        end = pos + size
        if end > len(data):
            raise DecodeError(UNEXPECTED_END, len(data))
        return int.from_bytes(data[pos:end], "little"), end

    return read


def _read_shuffle(data: bytes, pos: int) -> tuple[tuple[int, ...], int]:
    end = pos + 16
    if end > len(data):
        raise DecodeError(UNEXPECTED_END, len(data))
    return tuple(data[pos:end]), end


def _read_valtypes(data: bytes, pos: int) -> tuple[tuple[ValueType, ...], int]:
    count, pos = read_u32(data, pos)
    if count > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    types = []
    for _ in range(count):
        vt, pos = read_valtype(data, pos)
        types.append(vt)
    return tuple(types), pos


def _read_memory_init_2_0(data: bytes, pos: int) -> tuple[tuple[int, int], int]:
    segment, pos = read_u32(data, pos)
    memory, pos = _read_zero(data, pos)
    return (segment, memory), pos


def _read_memory_copy_2_0(data: bytes, pos: int) -> tuple[tuple[int, int], int]:
    dst, pos = _read_zero(data, pos)
    src, pos = _read_zero(data, pos)
    return (dst, src), pos


_IMM_READERS: dict[Imm, Callable[[bytes, int], tuple[Any, int]]] = {
    Imm.BLOCK: _read_block,
    Imm.LABEL: read_u32,
    Imm.LABELS: _read_labels,
    Imm.FUNC: read_u32,
    Imm.TYPE: read_u32,
    Imm.CALL_INDIRECT: _read_pair,
    Imm.LOCAL: read_u32,
    Imm.GLOBAL: read_u32,
    Imm.TABLE: read_u32,
    Imm.MEMARG: _memarg_reader(True, True),
    Imm.MEMORY: read_u32,
    Imm.I32: read_s32,
    Imm.I64: read_s64,
    Imm.F32: _read_fixed(4),
    Imm.F64: _read_fixed(8),
    Imm.V128: _read_fixed(16),
    Imm.LANE: _read_byte,
    Imm.MEMLANE: _memlane_reader(True, True),
    Imm.SHUFFLE: _read_shuffle,
    Imm.SELECT_T: _read_valtypes,
    Imm.HEAPTYPE: read_heaptype,
    Imm.ELEM: read_u32,
    Imm.DATA: read_u32,
    Imm.TABLE_INIT: _read_pair,
    Imm.TABLE_COPY: _read_pair,
    Imm.MEMORY_INIT: _read_pair,
    Imm.MEMORY_COPY: _read_pair,
    Imm.TYPE_FIELD: _read_pair,
    Imm.TYPE_SIZE: _read_pair,
    Imm.TYPE_DATA: _read_pair,
    Imm.TYPE_ELEM: _read_pair,
    Imm.TYPE_PAIR: _read_pair,
    Imm.BR_ON_CAST: _read_br_on_cast,
    Imm.ZERO: _read_zero_flag,
    Imm.TAG: read_u32,
    Imm.TRY_TABLE: _read_try_table,
}

# The immediate reader of each op, indexed by `Op.index` (None: no immediates).
IMM_READER_BY_OP: list[Callable[[bytes, int], tuple[Any, int]] | None] = [
    _IMM_READERS.get(op.imm) for op in ALL
]


def _readers_for(multi_memory: bool, memory64: bool) -> list[Callable[[bytes, int], tuple[Any, int]] | None]:
    if multi_memory and memory64:
        return IMM_READER_BY_OP
    readers = {**_IMM_READERS, Imm.MEMARG: _memarg_reader(multi_memory, memory64)}
    readers[Imm.MEMLANE] = _memlane_reader(multi_memory, memory64)
    if not multi_memory:
        readers.update({Imm.MEMORY: _read_zero, Imm.MEMORY_INIT: _read_memory_init_2_0, Imm.MEMORY_COPY: _read_memory_copy_2_0})
    return [readers.get(op.imm) for op in ALL]


# By (multi-memory, memory64): the readers of a decoder allowed them or not.
_IMM_READERS_BY_FEATURES = {(mm, m64): _readers_for(mm, m64) for mm in (False, True) for m64 in (False, True)}


def imm_readers(features: frozenset[Feature] = ALL_FEATURES) -> list[Callable[[bytes, int], tuple[Any, int]] | None]:
    """The immediate readers, by `Op.index`, of a decoder allowed `features`: without
    multi-memory, zero bytes for memory indices (as 2.0 has them); without memory64, 32-bit
    offsets."""
    return _IMM_READERS_BY_FEATURES[Feature.MULTI_MEMORY in features, Feature.MEMORY64 in features]


def read_immediate(op: Op, data: bytes, pos: int) -> tuple[Any, int]:
    reader = IMM_READER_BY_OP[op.index]
    if reader is None:
        return None, pos
    return reader(data, pos)


def iter_instructions(code: bytes, start: int = 0, end: int | None = None) -> Iterator[Instr]:
    """Decode the instructions in `code[start:end]`, in order (the final `end` included)."""
    stop = len(code) if end is None else end
    data = code if end is None else code[:end]
    pos = start
    while pos < stop:
        op, after = read_opcode(data, pos)
        reader = IMM_READER_BY_OP[op.index]
        imm = None
        if reader is not None:
            imm, after = reader(data, after)
        yield Instr(pos, op, imm)
        pos = after


def scan_expression(
    data: bytes,
    pos: int,
    readers: list[Callable[[bytes, int], tuple[Any, int]] | None] = IMM_READER_BY_OP,
    refused: frozenset[Feature] = frozenset(),
) -> tuple[int, bool]:
    """Check the well-formedness of the expression at `pos` and find its end (with the
    immediate `readers` of `imm_readers`).

    Returns the position just after the `end` that closes the expression, and whether it uses a
    data segment index (`memory.init`, `data.drop`), which requires a data count section.
    Nesting is tracked with a counter and a bit per level (is it an `if`), so that ten thousand
    nested blocks cost no recursion. An instruction of a feature in `refused` is an illegal
    opcode, as it was before that feature (2.0's binary.wast tests this).
    """
    depth = 0
    if_levels = 0  # bit i set: level i is an `if` (so `else` is allowed there)
    try_levels = 0  # bit i set: level i is a legacy `try` (so `catch`, `delegate` are allowed)
    uses_data = False
    length = len(data)
    while True:
        if pos >= length:
            raise DecodeError(UNEXPECTED_END, pos)
        byte = data[pos]
        op = SINGLE_BYTE[byte]
        if op is not None:
            after = pos + 1
        else:
            op, after = read_opcode(data, pos)
            if op.imm is Imm.DATA or op.imm is Imm.MEMORY_INIT or op.imm is Imm.TYPE_DATA:
                uses_data = True
        if refused and op.feature in refused:
            raise DecodeError(f"illegal opcode {op.encoding.hex(' ')}: {op.name} ({op.feature.value} proposal, not enabled)", pos)
        reader = readers[op.index]
        if reader is not None:
            _, after = reader(data, after)
        if byte == OP_END:
            if depth == 0:
                return after, uses_data
            depth -= 1
            if_levels >>= 1
            try_levels >>= 1
        elif byte == 0x02 or byte == 0x03 or byte == _OP_TRY_TABLE:
            depth += 1
            if_levels <<= 1
            try_levels <<= 1
        elif byte == 0x04:
            depth += 1
            if_levels = (if_levels << 1) | 1
            try_levels <<= 1
        elif byte == _OP_TRY:
            depth += 1
            if_levels <<= 1
            try_levels = (try_levels << 1) | 1
        elif byte == _OP_CATCH or byte == _OP_CATCH_ALL or byte == _OP_DELEGATE:
            if depth == 0 or not try_levels & 1:
                raise DecodeError("END opcode expected", pos)
            if byte == _OP_DELEGATE:  # ends the try
                depth -= 1
                if_levels >>= 1
                try_levels >>= 1
        elif byte == OP_ELSE:
            if depth == 0 or not if_levels & 1:
                raise DecodeError("END opcode expected", pos)
            if_levels &= ~1  # a second `else` in the same `if` is misplaced too
        pos = after


def encode_immediate(op: Op, imm: Any) -> bytes:
    """The binary encoding of `op`'s immediate `imm` (see the table in this module's doc)."""
    kind = op.imm
    if kind is Imm.NONE:
        return b""
    if kind in (Imm.LABEL, Imm.FUNC, Imm.TYPE, Imm.LOCAL, Imm.GLOBAL, Imm.TABLE, Imm.ELEM, Imm.DATA, Imm.TAG):
        return write_unsigned(imm)
    if kind is Imm.BLOCK:
        return encode_blocktype(imm)
    if kind is Imm.I32 or kind is Imm.I64:
        return write_signed(imm)
    if kind is Imm.MEMARG:
        return _encode_memarg(imm[0], imm[1], imm[2])
    if kind is Imm.MEMLANE:
        return _encode_memarg(imm[0], imm[1], imm[3]) + bytes((imm[2],))
    if kind is Imm.MEMORY:
        return write_unsigned(imm)
    if kind is Imm.ZERO:
        return b"\x00"
    if kind is Imm.F32:
        return imm.to_bytes(4, "little")
    if kind is Imm.F64:
        return imm.to_bytes(8, "little")
    if kind is Imm.V128:
        return imm.to_bytes(16, "little")
    if kind is Imm.LANE:
        return bytes((imm,))
    if kind is Imm.SHUFFLE:
        return bytes(imm)
    if kind is Imm.LABELS:
        labels, default = imm
        return write_unsigned(len(labels)) + b"".join(map(write_unsigned, labels)) + write_unsigned(default)
    if kind is Imm.SELECT_T:
        return write_unsigned(len(imm)) + b"".join(map(encode_valtype, imm))
    if kind is Imm.BR_ON_CAST:
        label, source, target = imm
        flags = int(source.nullable) | int(target.nullable) << 1
        return bytes((flags,)) + write_unsigned(label) + encode_heaptype(source.heap) + encode_heaptype(target.heap)
    if kind is Imm.HEAPTYPE:
        return encode_heaptype(imm)
    if kind is Imm.TRY_TABLE:
        blocktype, clauses = imm
        encoded = [
            bytes((k,)) + (write_unsigned(tag) if tag is not None else b"") + write_unsigned(label)
            for k, tag, label in clauses
        ]
        return encode_blocktype(blocktype) + write_unsigned(len(encoded)) + b"".join(encoded)
    # The pairs: CALL_INDIRECT, TABLE_INIT, TABLE_COPY, MEMORY_INIT, MEMORY_COPY.
    return write_unsigned(imm[0]) + write_unsigned(imm[1])


def _encode_memarg(align: int, offset: int, memory: int) -> bytes:
    """A memarg: memory 0 is left implicit, as 2.0 has it; another follows the alignment,
    whose bit 6 then says so."""
    if not memory:
        return write_unsigned(align) + write_unsigned(offset)
    return write_unsigned(align | _MEMARG_HAS_MEMORY) + write_unsigned(memory) + write_unsigned(offset)


def encode_instruction(op: Op, imm: Any = None) -> bytes:
    return op.encoding + encode_immediate(op, imm)
