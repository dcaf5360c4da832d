"""The text round trip (binary -> text -> binary) and the canonical form that says when two
modules are the same module up to what the text format cannot say; shared by the 2.0 and 3.0
text suites."""

from __future__ import annotations

import dataclasses

from wasmkit.binary import read_module, write_module
from wasmkit.binary.code import encode_instruction, inline_blocktype, iter_instructions
from wasmkit.opcodes import Imm
from wasmkit.syntax.module import ElemSegment, Module
from wasmkit.syntax.types import REF_FUNC, FuncType, ValType
from wasmkit.text import parse_module, print_module


def round_trip(module: Module) -> str:
    """How binary -> text -> binary treats the module: "same bytes", "same module" (the bytes
    differ only where the text format cannot say what the binary said), or "differs"."""
    first = write_module(module)
    back = write_module(parse_module(print_module(read_module(first))))
    if back == first:
        return "same bytes"
    return "same module" if canonical(read_module(back)) == canonical(read_module(first)) else "differs"


def canonical(module: Module) -> Module:
    """The module as its text gives it back (the printer's documented losses): no custom
    sections; a data count section only where an instruction needs it; every LEB128 in code
    minimal; and a block type that is the index of a final function type `[] -> []` or
    `[] -> [t]` with no supertype in the short form."""
    types = module.types

    def code(expr: bytes) -> bytes:
        out = []
        for instr in iter_instructions(expr):
            imm = instr.imm
            ft = types[imm] if instr.op.imm is Imm.BLOCK and isinstance(imm, int) and 0 <= imm < len(types) else None
            if isinstance(ft, FuncType) and ft.final and not ft.supertypes and not ft.params and len(ft.results) <= 1:
                imm = inline_blocktype(ft.results)
            out.append(encode_instruction(instr.op, imm))
        return b"".join(out)

    def offset(expr: bytes | None) -> bytes | None:
        return None if expr is None else code(expr)

    uses_data = any(
        instr.op.imm in (Imm.DATA, Imm.MEMORY_INIT) for func in module.funcs for instr in iter_instructions(func.body)
    )
    return dataclasses.replace(
        module,
        funcs=tuple(dataclasses.replace(func, body=code(func.body)) for func in module.funcs),
        globals=tuple(dataclasses.replace(glob, init=code(glob.init)) for glob in module.globals),
        elems=tuple(
            dataclasses.replace(seg, init=tuple(map(code, seg.init)), offset=offset(seg.offset)) for seg in module.elems
        ),
        datas=tuple(dataclasses.replace(seg, offset=offset(seg.offset)) for seg in module.datas),
        data_count=len(module.datas) if uses_data else None,
        customs=(),
    )


def index_encoded(module: Module) -> Module:
    """The module as wabt's wat2wasm and wasm-tools encode it: a funcref element segment whose
    items are all `ref.func` in the index encoding, which WebAssembly 3.0 reads as a
    `(ref func)` segment (the text says funcref; a subtype, and the same functions)."""

    def compact(seg: ElemSegment) -> ElemSegment:
        by_index = seg.type is ValType.FUNCREF and all(
            [instr.op.name for instr in iter_instructions(item)] == ["ref.func", "end"] for item in seg.init
        )
        return dataclasses.replace(seg, type=REF_FUNC) if by_index else seg

    return dataclasses.replace(module, elems=tuple(map(compact, module.elems)))
