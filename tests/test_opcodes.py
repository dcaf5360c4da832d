"""The instruction table: complete, consistent, and in agreement with wabt."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from tests.support import tool
from wasmkit.binary import read_module
from wasmkit.binary.code import Instr, encode_instruction, iter_instructions
from wasmkit.opcodes import ALL, BY_NAME, CASTS_TO_NULLABLE, PREFIX_SIMD, Feature, Imm, Op
from wasmkit.syntax.types import HeapType, RefType, ValType
from wasmkit.text.instr_text import format_instr


def test_feature_counts_match_webassembly_2_0() -> None:
    counts = Counter(op.feature for op in ALL)
    assert counts[Feature.SIMD] == 236
    assert counts[Feature.SIGN_EXTENSION] == 5
    assert counts[Feature.SATURATING_FLOAT_TO_INT] == 8
    assert counts[Feature.BULK_MEMORY] == 7
    assert counts[Feature.REFERENCE_TYPES] == 9
    # threads: notify, two waits and fence, 7 loads, 7 stores, 6 read-modify-writes and cmpxchg at 7 widths
    assert counts[Feature.THREADS] == 4 + 7 + 7 + 7 * 7
    assert all(op.atomic == (op.imm is Imm.MEMARG) for op in ALL if op.feature is Feature.THREADS)
    assert all(op.prefix == PREFIX_SIMD for op in ALL if op.feature is Feature.SIMD)


def test_codes_and_names_are_unique() -> None:
    codes = Counter((op.prefix, op.code) for op in ALL)
    assert max(codes.values()) == 1
    names = Counter(op.name for op in ALL)
    # select: untyped and typed; ref.test and ref.cast: to a non-null and a nullable type
    assert [name for name, n in names.items() if n > 1] == ["select", "ref.test", "ref.cast"]
    assert all(BY_NAME[op.name] is op for op in ALL if op.name != "select" and op not in CASTS_TO_NULLABLE)


def test_memory_instructions_know_their_width() -> None:
    for op in ALL:
        if op.imm in (Imm.MEMARG, Imm.MEMLANE):
            assert op.width in (1, 2, 4, 8, 16), op
        if op.imm in (Imm.LANE, Imm.MEMLANE):
            assert op.lanes in (2, 4, 8, 16), op


def test_memory_instructions_describe_their_access() -> None:
    """What the engines derive every load and store from: the value type, and whether the
    access is narrower than the value (then the width the mnemonic names) and sign-extends. An
    atomic instruction's value is its value operand (stored, added, expected or awaited)."""
    memory = [op for op in ALL if op.imm in (Imm.MEMARG, Imm.MEMLANE)]
    full = {op.valtype: op.width for op in memory if not op.narrow}
    assert full == {ValType.I32: 4, ValType.I64: 8, ValType.F32: 4, ValType.F64: 8, ValType.V128: 16}
    for op in memory:
        assert op.params is not None and op.results is not None, op
        operand = op.params[1] if op.atomic and len(op.params) > 1 else None
        assert op.valtype == (operand or (op.results[0] if op.results else op.params[-1])), op
        assert op.narrow == (op.width < full[op.valtype]), op
        assert op.signed == (op.narrow and op.name.endswith("_s")), op
    assert [op.name for op in memory if op.signed] == [
        "i32.load8_s", "i32.load16_s", "i64.load8_s", "i64.load16_s", "i64.load32_s",
        "v128.load8x8_s", "v128.load16x4_s", "v128.load32x2_s",
    ]  # fmt: skip
    assert {op.name: op.lanes for op in memory if op.imm is Imm.MEMARG and op.lanes} == {
        name: lanes for lanes, bits in ((8, 8), (4, 16), (2, 32)) for name in (f"v128.load{bits}x{lanes}_s", f"v128.load{bits}x{lanes}_u")
    }


_SAMPLE_IMMEDIATES = {
    Imm.LABEL: 0,
    Imm.LABELS: ((0, 0), 0),
    Imm.FUNC: 0,
    Imm.CALL_INDIRECT: (0, 0),
    Imm.LOCAL: 0,
    Imm.GLOBAL: 0,
    Imm.TABLE: 0,
    Imm.MEMORY: 0,
    Imm.I32: -5,
    Imm.I64: -(2**40),
    Imm.F32: 0x3FC00000,
    Imm.F64: 0x3FF8000000000000,
    Imm.V128: 0x0102030405060708090A0B0C0D0E0F10,
    Imm.LANE: 1,
    Imm.SHUFFLE: tuple(range(16)),
    Imm.SELECT_T: (ValType.I64,),
    Imm.HEAPTYPE: HeapType.EXTERN,
    Imm.TYPE: 0,
    Imm.TYPE_FIELD: (0, 1),
    Imm.TYPE_SIZE: (0, 2),
    Imm.TYPE_DATA: (0, 0),
    Imm.TYPE_ELEM: (0, 0),
    Imm.TYPE_PAIR: (0, 0),
    Imm.BR_ON_CAST: (0, ValType.ANYREF, RefType(False, HeapType.STRUCT)),
    Imm.ELEM: 0,
    Imm.DATA: 0,
    Imm.TABLE_INIT: (0, 0),
    Imm.TABLE_COPY: (0, 0),
    Imm.MEMORY_INIT: (0, 0),
    Imm.MEMORY_COPY: (0, 0),
    Imm.ZERO: 0,
    Imm.TAG: 0,
}
_CONTROL = ("block", "loop", "if", "else", "end", "try_table", "try", "catch", "catch_all", "delegate")


def _sample(op: Op) -> object:
    if op.imm is Imm.MEMARG:
        return (max(op.align_log2 - 1, 0), 16, 0)
    if op.imm is Imm.MEMLANE:
        return (op.align_log2, 8, 1, 0)
    return _SAMPLE_IMMEDIATES.get(op.imm)


def test_every_instruction_agrees_with_wasm_tools(tmp_path: Path) -> None:
    """Print every instruction with wasmkit, assemble the text with `wasm-tools parse` (which
    knows every 3.0 proposal), and check that its bytes are wasmkit's encoding: this checks
    codes, immediates and mnemonics."""
    ops = [op for op in ALL if op.name not in _CONTROL]
    lines = [format_instr(Instr(0, op, _sample(op))) for op in ops]
    wat = tmp_path / "all.wat"
    wat.write_text(
        "(module (type (func)) (memory 1) (table 1 funcref) (global (mut i32) (i32.const 0))\n"
        " (elem func 0) (data \"\") (tag (type 0))\n"
        " (func (local i32)\n  " + "\n  ".join(lines) + "\n  block loop end end if nop else nop end\n"
        "  try_table (catch 0 0) (catch_all 0) end try nop catch 0 nop catch_all nop end try delegate 0))\n"
    )
    wasm = tmp_path / "all.wasm"
    subprocess.run([tool("wasm-tools"), "parse", str(wat), "-o", str(wasm)], check=True, capture_output=True)
    body = read_module(wasm.read_bytes()).funcs[0].body
    expected = b"".join(encode_instruction(op, _sample(op)) for op in ops)
    expected += bytes.fromhex("02 40 03 40 0b 0b 04 40 01 05 01 0b")
    expected += bytes.fromhex("1f 40 02 00 00 00 02 00 0b 06 40 01 07 00 01 19 01 0b 06 40 18 00 0b")
    assert body == expected
    decoded = [instr.op for instr in iter_instructions(body)][: len(ops)]
    assert decoded == ops
