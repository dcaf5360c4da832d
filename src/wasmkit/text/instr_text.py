"""One instruction as text: its mnemonic and immediates as the text format writes them.

Shared by the module printer and by `wasmkit objdump -d`. Indices print as numbers, or as
`$name` when a name is known for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..binary.code import BLOCK_EMPTY, CATCH_ALL, Instr, block_valtype
from ..bits import MASK32
from ..opcodes import CASTS_TO_NULLABLE, NULLABLE_CAST, Imm, Op
from ..syntax.types import HeapType, RefType, ValueType, ref_type
from .numbers import format_f32, format_f64

__all__ = ["format_immediates", "format_instr", "format_blocktype", "IndexNamer"]

# Given an index space ("func", "local", "global", "table", "type", "elem", "data", "tag", "label")
# and an index, return the text for it (`$name` or the number).
IndexNamer = Callable[[str, int], str]


def _number(space: str, index: int) -> str:
    return str(index)


def format_blocktype(blocktype: int | RefType, namer: IndexNamer = _number) -> str:
    if blocktype == BLOCK_EMPTY:
        return ""
    valtype = block_valtype(blocktype)
    if valtype is not None:
        return f"(result {valtype.text})"
    return f"(type {namer('type', blocktype)})"  # type: ignore[arg-type]


def _memarg(op: Op, align: int, offset: int, memory: str = "") -> str:
    """`memory? offset=N? align=N?`, each part only when it is not the default."""
    parts = [memory] if memory else []
    if offset:
        parts.append(f"offset={offset}")
    if align != op.align_log2:
        parts.append(f"align={1 << align}")
    return " ".join(parts)


def _reftype(vt: ValueType, namer: IndexNamer) -> str:
    """A reference type, its type index (if any) named."""
    if isinstance(vt, RefType) and not isinstance(vt.heap, HeapType):
        return f"(ref {'null ' if vt.nullable else ''}{namer('type', vt.heap)})"
    return vt.text


def format_immediates(op: Op, imm: Any, namer: IndexNamer = _number) -> str:
    """The immediates of `op` in text form ("" when it has none); `imm` has the shape that
    `op.imm` gives it (see `opcodes.Imm`)."""
    kind = op.imm
    if kind is Imm.NONE:
        return ""
    if kind is Imm.BLOCK:
        return format_blocktype(imm, namer)
    if kind is Imm.LABEL:
        return namer("label", imm)
    if kind is Imm.LABELS:
        labels, default = imm
        return " ".join(namer("label", x) for x in (*labels, default))
    if kind in (Imm.FUNC, Imm.TYPE, Imm.LOCAL, Imm.GLOBAL, Imm.TABLE, Imm.ELEM, Imm.DATA, Imm.TAG):
        space = {Imm.FUNC: "func", Imm.TYPE: "type", Imm.LOCAL: "local", Imm.GLOBAL: "global", Imm.TABLE: "table",
                 Imm.ELEM: "elem", Imm.DATA: "data", Imm.TAG: "tag"}[kind]
        return namer(space, imm)
    if kind is Imm.TRY_TABLE:
        blocktype, clauses = imm
        parts = [format_blocktype(blocktype, namer)] if blocktype != BLOCK_EMPTY else []
        for clause_kind, tag, label in clauses:
            name = _CLAUSE_NAMES[clause_kind]
            target = namer("label", label)
            parts.append(f"({name} {target})" if clause_kind >= CATCH_ALL else f"({name} {namer('tag', tag)} {target})")
        return " ".join(parts)
    if kind is Imm.CALL_INDIRECT:
        type_index, table_index = imm
        table = f"{namer('table', table_index)} " if table_index else ""
        return f"{table}(type {namer('type', type_index)})"
    if kind is Imm.MEMARG:
        align, offset, memory = imm
        return _memarg(op, align, offset, namer("memory", memory) if memory else "")
    if kind is Imm.MEMLANE:
        align, offset, lane, memory = imm
        memarg = _memarg(op, align, offset, namer("memory", memory) if memory else "")
        return f"{memarg} {lane}" if memarg else str(lane)
    if kind is Imm.ZERO:
        return ""
    if kind is Imm.MEMORY:
        return namer("memory", imm) if imm else ""
    if kind is Imm.MEMORY_COPY:
        dst, src = imm
        return f"{namer('memory', dst)} {namer('memory', src)}" if dst or src else ""
    if kind is Imm.I32 or kind is Imm.I64:
        return str(imm)
    if kind is Imm.F32:
        return format_f32(imm)
    if kind is Imm.F64:
        return format_f64(imm)
    if kind is Imm.V128:
        lanes = [(imm >> (32 * i)) & MASK32 for i in range(4)]
        return "i32x4 " + " ".join(f"{lane:#010x}" for lane in lanes)
    if kind is Imm.LANE:
        return str(imm)
    if kind is Imm.SHUFFLE:
        return " ".join(map(str, imm))
    if kind is Imm.SELECT_T:
        types = " ".join(vt.text for vt in imm)
        return f"(result {types})" if types else "(result)"
    if kind is Imm.HEAPTYPE:
        if op in NULLABLE_CAST or op in CASTS_TO_NULLABLE:  # ref.test and ref.cast: a reference type
            return _reftype(ref_type(op in CASTS_TO_NULLABLE, imm), namer)
        return imm.text if isinstance(imm, HeapType) else namer("type", imm)
    if kind is Imm.TYPE_FIELD:
        return f"{namer('type', imm[0])} {imm[1]}"
    if kind is Imm.TYPE_SIZE:
        return f"{namer('type', imm[0])} {imm[1]}"
    if kind is Imm.TYPE_DATA:
        return f"{namer('type', imm[0])} {namer('data', imm[1])}"
    if kind is Imm.TYPE_ELEM:
        return f"{namer('type', imm[0])} {namer('elem', imm[1])}"
    if kind is Imm.TYPE_PAIR:
        return f"{namer('type', imm[0])} {namer('type', imm[1])}"
    if kind is Imm.BR_ON_CAST:
        label, source, target = imm
        return f"{namer('label', label)} {_reftype(source, namer)} {_reftype(target, namer)}"
    if kind is Imm.TABLE_INIT:
        elem_index, table_index = imm
        return f"{namer('table', table_index)} {namer('elem', elem_index)}"
    if kind is Imm.TABLE_COPY:
        dst, src = imm
        return f"{namer('table', dst)} {namer('table', src)}"
    # Imm.MEMORY_INIT: the data segment, after the memory when it is not memory 0.
    data_index, memory = imm
    data = namer("data", data_index)
    return f"{namer('memory', memory)} {data}" if memory else data


_CLAUSE_NAMES = ("catch", "catch_ref", "catch_all", "catch_all_ref")  # by kind (binary.code.CATCH, ...)


def format_instr(instr: Instr, namer: IndexNamer = _number) -> str:
    """`mnemonic immediates`, as one line of flat text."""
    text = format_immediates(instr.op, instr.imm, namer)
    return f"{instr.op.name} {text}" if text else instr.op.name
