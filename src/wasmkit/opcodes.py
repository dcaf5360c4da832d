"""THE instruction table: every WebAssembly instruction, once.

Each row gives an instruction's binary code (with its prefix byte, if any), its text mnemonic,
the kind of its immediates and its typing. The binary reader and writer, the text parser and
printer, the validator and the engines are all driven by this table; no other module lists
opcodes.

Row format, one instruction per line, inside a `[feature]` group::

    CODE   MNEMONIC   IMMEDIATES   TYPE

- CODE is two hex digits, or `FC:hh` / `FD:hhh` / `FE:hh` for prefixed instructions (the
  sub-opcode, in hex, is an unsigned LEB128 in the binary format: two bytes from 0x80 on).
- IMMEDIATES is `-` or an `Imm` name in lower case; `memarg:N` carries the access width N in
  bytes (its natural alignment), `lane:N` the lane count, `memlane:N:L` both.
- TYPE is `PARAMS -> RESULTS` for instructions whose typing is fixed, or `special` for those
  the validator types by rule (control, parametric, variable, reference and table
  instructions).

What a memory instruction does is derived from its row, once, for every engine: `width` (the
bytes accessed), `valtype` (the type of the value loaded or stored), `narrow` (it accesses fewer
bytes than the value has: the mnemonic names the access size, as in `i64.load32_u` or
`v128.load8_splat`), `signed` (a narrow load sign-extends: `_s`) and, for the SIMD loads that
extend each lane (`v128.load8x8_s`), `lanes` (how many lanes they read: 8). The atomic
instructions of the threads proposal (`atomic`: every 0xFE instruction with a memarg) take
their `valtype` from their value operand (the stored, added, expected or awaited value), and
are `narrow` when they access fewer bytes than it has (`i64.atomic.rmw8.add_u`); none of them
sign-extends.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from .syntax.types import ValType

__all__ = [
    "Imm",
    "Feature",
    "WASM_2_0",
    "ALL_FEATURES",
    "Op",
    "ALL",
    "BY_NAME",
    "SINGLE_BYTE",
    "PREFIXED",
    "PREFIX_GC",
    "PREFIX_MISC",
    "PREFIX_SIMD",
    "PREFIX_ATOMIC",
    "SELECT_TYPED",
    "NULLABLE_CAST",
    "CASTS_TO_NULLABLE",
    "op",
]

PREFIX_GC = 0xFB
PREFIX_MISC = 0xFC
PREFIX_SIMD = 0xFD
PREFIX_ATOMIC = 0xFE


class Imm(enum.Enum):
    """The kinds of immediate operands an instruction carries."""

    NONE = "-"
    BLOCK = "block"  # block type: empty, a value type, or a type index (s33)
    LABEL = "label"
    LABELS = "labels"  # br_table: vec(label) then the default label
    FUNC = "func"
    TYPE = "type"  # a type index
    TYPE_FIELD = "type_field"  # a struct type index, a field index
    TYPE_SIZE = "type_size"  # an array type index, an element count
    TYPE_DATA = "type_data"  # an array type index, a data segment index
    TYPE_ELEM = "type_elem"  # an array type index, an element segment index
    TYPE_PAIR = "type_pair"  # destination and source array type indices
    BR_ON_CAST = "br_on_cast"  # nullability flags, a label, two heap types
    CALL_INDIRECT = "call_indirect"  # type index, table index
    LOCAL = "local"
    GLOBAL = "global"
    TABLE = "table"
    MEMARG = "memarg"  # alignment exponent, offset, memory index (multi-memory)
    MEMORY = "memory"  # a memory index; a reserved zero byte in 2.0
    I32 = "i32"
    I64 = "i64"
    F32 = "f32"
    F64 = "f64"
    V128 = "v128"
    LANE = "lane"  # one lane-index byte
    MEMLANE = "memlane"  # memarg then a lane-index byte
    SHUFFLE = "shuffle"  # sixteen lane-index bytes
    SELECT_T = "select_t"  # vec(valtype)
    HEAPTYPE = "heaptype"
    ELEM = "elem"
    DATA = "data"
    TABLE_INIT = "table_init"  # element segment index, table index
    TABLE_COPY = "table_copy"  # destination table, source table
    MEMORY_INIT = "memory_init"  # data segment index, memory index (a zero byte in 2.0)
    MEMORY_COPY = "memory_copy"  # destination memory, source memory (zero bytes in 2.0)
    ZERO = "zero"  # a reserved byte that must be zero, no index (atomic.fence's ordering)
    TAG = "tag"  # a tag index
    TRY_TABLE = "try_table"  # block type, then vec(catch clause): see binary.code


class Feature(enum.Enum):
    """The proposal that introduced an instruction or a rule, so that later proposals slot in
    beside."""

    MVP = "mvp"
    SIGN_EXTENSION = "sign-extension"
    SATURATING_FLOAT_TO_INT = "saturating-float-to-int"
    BULK_MEMORY = "bulk-memory"
    REFERENCE_TYPES = "reference-types"
    SIMD = "simd"
    # WebAssembly 3.0: arithmetic in constant expressions; and, from the GC proposal, constant
    # expressions that read the module's own (earlier, immutable) globals.
    EXTENDED_CONST = "extended-const"
    GC = "gc"
    # WebAssembly 3.0: SIMD instructions whose result the spec leaves to the implementation,
    # within a set it allows; docs/decisions.md records the one wasmkit gives.
    RELAXED_SIMD = "relaxed-simd"
    # WebAssembly 3.0: calls that replace the caller's frame.
    TAIL_CALL = "tail-call"
    # WebAssembly 3.0: non-nullable and typed references to functions, and calls through them.
    FUNCTION_REFERENCES = "function-references"
    # WebAssembly 3.0: tags, throwing and catching exceptions, the exnref type; and the legacy
    # encoding (try, catch, catch_all, delegate, rethrow) that toolchains still emit.
    EXCEPTIONS = "exceptions"
    # WebAssembly 3.0: more than one memory, and memory indices in the memory instructions.
    MULTI_MEMORY = "multi-memory"
    # WebAssembly 3.0: memories and tables with 64-bit addresses (memory64 and table64).
    MEMORY64 = "memory64"
    # The threads proposal: shared memories, atomic accesses, wait and notify, fences.
    THREADS = "threads"


# What WebAssembly 2.0 has, for users (and the 2.0 testsuite) that want nothing newer.
WASM_2_0 = frozenset({
    Feature.MVP, Feature.SIGN_EXTENSION, Feature.SATURATING_FLOAT_TO_INT, Feature.BULK_MEMORY,
    Feature.REFERENCE_TYPES, Feature.SIMD,
})  # fmt: skip
ALL_FEATURES = frozenset(Feature)


@dataclass(frozen=True, slots=True)
class Op:
    """One instruction of the table."""

    name: str
    prefix: int  # 0 for single-byte opcodes, else PREFIX_MISC, PREFIX_SIMD or PREFIX_ATOMIC
    code: int
    imm: Imm
    params: tuple[ValType, ...] | None  # None: typed by a rule of the validator
    results: tuple[ValType, ...] | None
    feature: Feature
    width: int = 0  # bytes accessed by a memory instruction (its natural alignment)
    lanes: int = 0  # lane count bounding a lane-index immediate; the lanes an extending load reads
    index: int = 0  # position in ALL: a dense key for per-instruction tables
    encoding: bytes = b""  # the opcode bytes (prefix and LEB128 sub-opcode included)
    align_log2: int = 0  # the largest valid alignment exponent of a memory instruction
    valtype: ValType | None = None  # the value a memory instruction loads or stores
    narrow: bool = False  # a memory instruction accesses fewer bytes than its value has
    signed: bool = False  # a narrow load sign-extends
    atomic: bool = False  # an atomic memory access (threads): its alignment must be natural

    def __repr__(self) -> str:
        return f"<Op {self.name}>"


_TABLE = """
[mvp]
00 unreachable          -              special
01 nop                  -              ->
02 block                block          special
03 loop                 block          special
04 if                   block          special
05 else                 -              special
0B end                  -              special
0C br                   label          special
0D br_if                label          special
0E br_table             labels         special
0F return               -              special
10 call                 func           special
11 call_indirect        call_indirect  special
1A drop                 -              special
1B select               -              special
20 local.get            local          special
21 local.set            local          special
22 local.tee            local          special
23 global.get           global         special
24 global.set           global         special
28 i32.load             memarg:4       i32 -> i32
29 i64.load             memarg:8       i32 -> i64
2A f32.load             memarg:4       i32 -> f32
2B f64.load             memarg:8       i32 -> f64
2C i32.load8_s          memarg:1       i32 -> i32
2D i32.load8_u          memarg:1       i32 -> i32
2E i32.load16_s         memarg:2       i32 -> i32
2F i32.load16_u         memarg:2       i32 -> i32
30 i64.load8_s          memarg:1       i32 -> i64
31 i64.load8_u          memarg:1       i32 -> i64
32 i64.load16_s         memarg:2       i32 -> i64
33 i64.load16_u         memarg:2       i32 -> i64
34 i64.load32_s         memarg:4       i32 -> i64
35 i64.load32_u         memarg:4       i32 -> i64
36 i32.store            memarg:4       i32 i32 ->
37 i64.store            memarg:8       i32 i64 ->
38 f32.store            memarg:4       i32 f32 ->
39 f64.store            memarg:8       i32 f64 ->
3A i32.store8           memarg:1       i32 i32 ->
3B i32.store16          memarg:2       i32 i32 ->
3C i64.store8           memarg:1       i32 i64 ->
3D i64.store16          memarg:2       i32 i64 ->
3E i64.store32          memarg:4       i32 i64 ->
3F memory.size          memory         -> i32
40 memory.grow          memory         i32 -> i32
41 i32.const            i32            -> i32
42 i64.const            i64            -> i64
43 f32.const            f32            -> f32
44 f64.const            f64            -> f64
45 i32.eqz              -              i32 -> i32
46 i32.eq               -              i32 i32 -> i32
47 i32.ne               -              i32 i32 -> i32
48 i32.lt_s             -              i32 i32 -> i32
49 i32.lt_u             -              i32 i32 -> i32
4A i32.gt_s             -              i32 i32 -> i32
4B i32.gt_u             -              i32 i32 -> i32
4C i32.le_s             -              i32 i32 -> i32
4D i32.le_u             -              i32 i32 -> i32
4E i32.ge_s             -              i32 i32 -> i32
4F i32.ge_u             -              i32 i32 -> i32
50 i64.eqz              -              i64 -> i32
51 i64.eq               -              i64 i64 -> i32
52 i64.ne               -              i64 i64 -> i32
53 i64.lt_s             -              i64 i64 -> i32
54 i64.lt_u             -              i64 i64 -> i32
55 i64.gt_s             -              i64 i64 -> i32
56 i64.gt_u             -              i64 i64 -> i32
57 i64.le_s             -              i64 i64 -> i32
58 i64.le_u             -              i64 i64 -> i32
59 i64.ge_s             -              i64 i64 -> i32
5A i64.ge_u             -              i64 i64 -> i32
5B f32.eq               -              f32 f32 -> i32
5C f32.ne               -              f32 f32 -> i32
5D f32.lt               -              f32 f32 -> i32
5E f32.gt               -              f32 f32 -> i32
5F f32.le               -              f32 f32 -> i32
60 f32.ge               -              f32 f32 -> i32
61 f64.eq               -              f64 f64 -> i32
62 f64.ne               -              f64 f64 -> i32
63 f64.lt               -              f64 f64 -> i32
64 f64.gt               -              f64 f64 -> i32
65 f64.le               -              f64 f64 -> i32
66 f64.ge               -              f64 f64 -> i32
67 i32.clz              -              i32 -> i32
68 i32.ctz              -              i32 -> i32
69 i32.popcnt           -              i32 -> i32
6A i32.add              -              i32 i32 -> i32
6B i32.sub              -              i32 i32 -> i32
6C i32.mul              -              i32 i32 -> i32
6D i32.div_s            -              i32 i32 -> i32
6E i32.div_u            -              i32 i32 -> i32
6F i32.rem_s            -              i32 i32 -> i32
70 i32.rem_u            -              i32 i32 -> i32
71 i32.and              -              i32 i32 -> i32
72 i32.or               -              i32 i32 -> i32
73 i32.xor              -              i32 i32 -> i32
74 i32.shl              -              i32 i32 -> i32
75 i32.shr_s            -              i32 i32 -> i32
76 i32.shr_u            -              i32 i32 -> i32
77 i32.rotl             -              i32 i32 -> i32
78 i32.rotr             -              i32 i32 -> i32
79 i64.clz              -              i64 -> i64
7A i64.ctz              -              i64 -> i64
7B i64.popcnt           -              i64 -> i64
7C i64.add              -              i64 i64 -> i64
7D i64.sub              -              i64 i64 -> i64
7E i64.mul              -              i64 i64 -> i64
7F i64.div_s            -              i64 i64 -> i64
80 i64.div_u            -              i64 i64 -> i64
81 i64.rem_s            -              i64 i64 -> i64
82 i64.rem_u            -              i64 i64 -> i64
83 i64.and              -              i64 i64 -> i64
84 i64.or               -              i64 i64 -> i64
85 i64.xor              -              i64 i64 -> i64
86 i64.shl              -              i64 i64 -> i64
87 i64.shr_s            -              i64 i64 -> i64
88 i64.shr_u            -              i64 i64 -> i64
89 i64.rotl             -              i64 i64 -> i64
8A i64.rotr             -              i64 i64 -> i64
8B f32.abs              -              f32 -> f32
8C f32.neg              -              f32 -> f32
8D f32.ceil             -              f32 -> f32
8E f32.floor            -              f32 -> f32
8F f32.trunc            -              f32 -> f32
90 f32.nearest          -              f32 -> f32
91 f32.sqrt             -              f32 -> f32
92 f32.add              -              f32 f32 -> f32
93 f32.sub              -              f32 f32 -> f32
94 f32.mul              -              f32 f32 -> f32
95 f32.div              -              f32 f32 -> f32
96 f32.min              -              f32 f32 -> f32
97 f32.max              -              f32 f32 -> f32
98 f32.copysign         -              f32 f32 -> f32
99 f64.abs              -              f64 -> f64
9A f64.neg              -              f64 -> f64
9B f64.ceil             -              f64 -> f64
9C f64.floor            -              f64 -> f64
9D f64.trunc            -              f64 -> f64
9E f64.nearest          -              f64 -> f64
9F f64.sqrt             -              f64 -> f64
A0 f64.add              -              f64 f64 -> f64
A1 f64.sub              -              f64 f64 -> f64
A2 f64.mul              -              f64 f64 -> f64
A3 f64.div              -              f64 f64 -> f64
A4 f64.min              -              f64 f64 -> f64
A5 f64.max              -              f64 f64 -> f64
A6 f64.copysign         -              f64 f64 -> f64
A7 i32.wrap_i64         -              i64 -> i32
A8 i32.trunc_f32_s      -              f32 -> i32
A9 i32.trunc_f32_u      -              f32 -> i32
AA i32.trunc_f64_s      -              f64 -> i32
AB i32.trunc_f64_u      -              f64 -> i32
AC i64.extend_i32_s     -              i32 -> i64
AD i64.extend_i32_u     -              i32 -> i64
AE i64.trunc_f32_s      -              f32 -> i64
AF i64.trunc_f32_u      -              f32 -> i64
B0 i64.trunc_f64_s      -              f64 -> i64
B1 i64.trunc_f64_u      -              f64 -> i64
B2 f32.convert_i32_s    -              i32 -> f32
B3 f32.convert_i32_u    -              i32 -> f32
B4 f32.convert_i64_s    -              i64 -> f32
B5 f32.convert_i64_u    -              i64 -> f32
B6 f32.demote_f64       -              f64 -> f32
B7 f64.convert_i32_s    -              i32 -> f64
B8 f64.convert_i32_u    -              i32 -> f64
B9 f64.convert_i64_s    -              i64 -> f64
BA f64.convert_i64_u    -              i64 -> f64
BB f64.promote_f32      -              f32 -> f64
BC i32.reinterpret_f32  -              f32 -> i32
BD i64.reinterpret_f64  -              f64 -> i64
BE f32.reinterpret_i32  -              i32 -> f32
BF f64.reinterpret_i64  -              i64 -> f64

[sign-extension]
C0 i32.extend8_s        -              i32 -> i32
C1 i32.extend16_s       -              i32 -> i32
C2 i64.extend8_s        -              i64 -> i64
C3 i64.extend16_s       -              i64 -> i64
C4 i64.extend32_s       -              i64 -> i64

[saturating-float-to-int]
FC:00 i32.trunc_sat_f32_s  -           f32 -> i32
FC:01 i32.trunc_sat_f32_u  -           f32 -> i32
FC:02 i32.trunc_sat_f64_s  -           f64 -> i32
FC:03 i32.trunc_sat_f64_u  -           f64 -> i32
FC:04 i64.trunc_sat_f32_s  -           f32 -> i64
FC:05 i64.trunc_sat_f32_u  -           f32 -> i64
FC:06 i64.trunc_sat_f64_s  -           f64 -> i64
FC:07 i64.trunc_sat_f64_u  -           f64 -> i64

[bulk-memory]
FC:08 memory.init       memory_init    i32 i32 i32 ->
FC:09 data.drop         data           ->
FC:0A memory.copy       memory_copy    i32 i32 i32 ->
FC:0B memory.fill       memory         i32 i32 i32 ->
FC:0C table.init        table_init     special
FC:0D elem.drop         elem           ->
FC:0E table.copy        table_copy     special

[reference-types]
1C select               select_t       special
25 table.get            table          special
26 table.set            table          special
D0 ref.null             heaptype       special
D1 ref.is_null          -              special
D2 ref.func             func           special
FC:0F table.grow        table          special
FC:10 table.size        table          special
FC:11 table.fill        table          special

[simd]
FD:00 v128.load                    memarg:16      i32 -> v128
FD:01 v128.load8x8_s               memarg:8       i32 -> v128
FD:02 v128.load8x8_u               memarg:8       i32 -> v128
FD:03 v128.load16x4_s              memarg:8       i32 -> v128
FD:04 v128.load16x4_u              memarg:8       i32 -> v128
FD:05 v128.load32x2_s              memarg:8       i32 -> v128
FD:06 v128.load32x2_u              memarg:8       i32 -> v128
FD:07 v128.load8_splat             memarg:1       i32 -> v128
FD:08 v128.load16_splat            memarg:2       i32 -> v128
FD:09 v128.load32_splat            memarg:4       i32 -> v128
FD:0A v128.load64_splat            memarg:8       i32 -> v128
FD:0B v128.store                   memarg:16      i32 v128 ->
FD:0C v128.const                   v128           -> v128
FD:0D i8x16.shuffle                shuffle        v128 v128 -> v128
FD:0E i8x16.swizzle                -              v128 v128 -> v128
FD:0F i8x16.splat                  -              i32 -> v128
FD:10 i16x8.splat                  -              i32 -> v128
FD:11 i32x4.splat                  -              i32 -> v128
FD:12 i64x2.splat                  -              i64 -> v128
FD:13 f32x4.splat                  -              f32 -> v128
FD:14 f64x2.splat                  -              f64 -> v128
FD:15 i8x16.extract_lane_s         lane:16        v128 -> i32
FD:16 i8x16.extract_lane_u         lane:16        v128 -> i32
FD:17 i8x16.replace_lane           lane:16        v128 i32 -> v128
FD:18 i16x8.extract_lane_s         lane:8         v128 -> i32
FD:19 i16x8.extract_lane_u         lane:8         v128 -> i32
FD:1A i16x8.replace_lane           lane:8         v128 i32 -> v128
FD:1B i32x4.extract_lane           lane:4         v128 -> i32
FD:1C i32x4.replace_lane           lane:4         v128 i32 -> v128
FD:1D i64x2.extract_lane           lane:2         v128 -> i64
FD:1E i64x2.replace_lane           lane:2         v128 i64 -> v128
FD:1F f32x4.extract_lane           lane:4         v128 -> f32
FD:20 f32x4.replace_lane           lane:4         v128 f32 -> v128
FD:21 f64x2.extract_lane           lane:2         v128 -> f64
FD:22 f64x2.replace_lane           lane:2         v128 f64 -> v128
FD:23 i8x16.eq                     -              v128 v128 -> v128
FD:24 i8x16.ne                     -              v128 v128 -> v128
FD:25 i8x16.lt_s                   -              v128 v128 -> v128
FD:26 i8x16.lt_u                   -              v128 v128 -> v128
FD:27 i8x16.gt_s                   -              v128 v128 -> v128
FD:28 i8x16.gt_u                   -              v128 v128 -> v128
FD:29 i8x16.le_s                   -              v128 v128 -> v128
FD:2A i8x16.le_u                   -              v128 v128 -> v128
FD:2B i8x16.ge_s                   -              v128 v128 -> v128
FD:2C i8x16.ge_u                   -              v128 v128 -> v128
FD:2D i16x8.eq                     -              v128 v128 -> v128
FD:2E i16x8.ne                     -              v128 v128 -> v128
FD:2F i16x8.lt_s                   -              v128 v128 -> v128
FD:30 i16x8.lt_u                   -              v128 v128 -> v128
FD:31 i16x8.gt_s                   -              v128 v128 -> v128
FD:32 i16x8.gt_u                   -              v128 v128 -> v128
FD:33 i16x8.le_s                   -              v128 v128 -> v128
FD:34 i16x8.le_u                   -              v128 v128 -> v128
FD:35 i16x8.ge_s                   -              v128 v128 -> v128
FD:36 i16x8.ge_u                   -              v128 v128 -> v128
FD:37 i32x4.eq                     -              v128 v128 -> v128
FD:38 i32x4.ne                     -              v128 v128 -> v128
FD:39 i32x4.lt_s                   -              v128 v128 -> v128
FD:3A i32x4.lt_u                   -              v128 v128 -> v128
FD:3B i32x4.gt_s                   -              v128 v128 -> v128
FD:3C i32x4.gt_u                   -              v128 v128 -> v128
FD:3D i32x4.le_s                   -              v128 v128 -> v128
FD:3E i32x4.le_u                   -              v128 v128 -> v128
FD:3F i32x4.ge_s                   -              v128 v128 -> v128
FD:40 i32x4.ge_u                   -              v128 v128 -> v128
FD:41 f32x4.eq                     -              v128 v128 -> v128
FD:42 f32x4.ne                     -              v128 v128 -> v128
FD:43 f32x4.lt                     -              v128 v128 -> v128
FD:44 f32x4.gt                     -              v128 v128 -> v128
FD:45 f32x4.le                     -              v128 v128 -> v128
FD:46 f32x4.ge                     -              v128 v128 -> v128
FD:47 f64x2.eq                     -              v128 v128 -> v128
FD:48 f64x2.ne                     -              v128 v128 -> v128
FD:49 f64x2.lt                     -              v128 v128 -> v128
FD:4A f64x2.gt                     -              v128 v128 -> v128
FD:4B f64x2.le                     -              v128 v128 -> v128
FD:4C f64x2.ge                     -              v128 v128 -> v128
FD:4D v128.not                     -              v128 -> v128
FD:4E v128.and                     -              v128 v128 -> v128
FD:4F v128.andnot                  -              v128 v128 -> v128
FD:50 v128.or                      -              v128 v128 -> v128
FD:51 v128.xor                     -              v128 v128 -> v128
FD:52 v128.bitselect               -              v128 v128 v128 -> v128
FD:53 v128.any_true                -              v128 -> i32
FD:54 v128.load8_lane              memlane:1:16   i32 v128 -> v128
FD:55 v128.load16_lane             memlane:2:8    i32 v128 -> v128
FD:56 v128.load32_lane             memlane:4:4    i32 v128 -> v128
FD:57 v128.load64_lane             memlane:8:2    i32 v128 -> v128
FD:58 v128.store8_lane             memlane:1:16   i32 v128 ->
FD:59 v128.store16_lane            memlane:2:8    i32 v128 ->
FD:5A v128.store32_lane            memlane:4:4    i32 v128 ->
FD:5B v128.store64_lane            memlane:8:2    i32 v128 ->
FD:5C v128.load32_zero             memarg:4       i32 -> v128
FD:5D v128.load64_zero             memarg:8       i32 -> v128
FD:5E f32x4.demote_f64x2_zero      -              v128 -> v128
FD:5F f64x2.promote_low_f32x4      -              v128 -> v128
FD:60 i8x16.abs                    -              v128 -> v128
FD:61 i8x16.neg                    -              v128 -> v128
FD:62 i8x16.popcnt                 -              v128 -> v128
FD:63 i8x16.all_true               -              v128 -> i32
FD:64 i8x16.bitmask                -              v128 -> i32
FD:65 i8x16.narrow_i16x8_s         -              v128 v128 -> v128
FD:66 i8x16.narrow_i16x8_u         -              v128 v128 -> v128
FD:67 f32x4.ceil                   -              v128 -> v128
FD:68 f32x4.floor                  -              v128 -> v128
FD:69 f32x4.trunc                  -              v128 -> v128
FD:6A f32x4.nearest                -              v128 -> v128
FD:6B i8x16.shl                    -              v128 i32 -> v128
FD:6C i8x16.shr_s                  -              v128 i32 -> v128
FD:6D i8x16.shr_u                  -              v128 i32 -> v128
FD:6E i8x16.add                    -              v128 v128 -> v128
FD:6F i8x16.add_sat_s              -              v128 v128 -> v128
FD:70 i8x16.add_sat_u              -              v128 v128 -> v128
FD:71 i8x16.sub                    -              v128 v128 -> v128
FD:72 i8x16.sub_sat_s              -              v128 v128 -> v128
FD:73 i8x16.sub_sat_u              -              v128 v128 -> v128
FD:74 f64x2.ceil                   -              v128 -> v128
FD:75 f64x2.floor                  -              v128 -> v128
FD:76 i8x16.min_s                  -              v128 v128 -> v128
FD:77 i8x16.min_u                  -              v128 v128 -> v128
FD:78 i8x16.max_s                  -              v128 v128 -> v128
FD:79 i8x16.max_u                  -              v128 v128 -> v128
FD:7A f64x2.trunc                  -              v128 -> v128
FD:7B i8x16.avgr_u                 -              v128 v128 -> v128
FD:7C i16x8.extadd_pairwise_i8x16_s  -            v128 -> v128
FD:7D i16x8.extadd_pairwise_i8x16_u  -            v128 -> v128
FD:7E i32x4.extadd_pairwise_i16x8_s  -            v128 -> v128
FD:7F i32x4.extadd_pairwise_i16x8_u  -            v128 -> v128
FD:80 i16x8.abs                    -              v128 -> v128
FD:81 i16x8.neg                    -              v128 -> v128
FD:82 i16x8.q15mulr_sat_s          -              v128 v128 -> v128
FD:83 i16x8.all_true               -              v128 -> i32
FD:84 i16x8.bitmask                -              v128 -> i32
FD:85 i16x8.narrow_i32x4_s         -              v128 v128 -> v128
FD:86 i16x8.narrow_i32x4_u         -              v128 v128 -> v128
FD:87 i16x8.extend_low_i8x16_s     -              v128 -> v128
FD:88 i16x8.extend_high_i8x16_s    -              v128 -> v128
FD:89 i16x8.extend_low_i8x16_u     -              v128 -> v128
FD:8A i16x8.extend_high_i8x16_u    -              v128 -> v128
FD:8B i16x8.shl                    -              v128 i32 -> v128
FD:8C i16x8.shr_s                  -              v128 i32 -> v128
FD:8D i16x8.shr_u                  -              v128 i32 -> v128
FD:8E i16x8.add                    -              v128 v128 -> v128
FD:8F i16x8.add_sat_s              -              v128 v128 -> v128
FD:90 i16x8.add_sat_u              -              v128 v128 -> v128
FD:91 i16x8.sub                    -              v128 v128 -> v128
FD:92 i16x8.sub_sat_s              -              v128 v128 -> v128
FD:93 i16x8.sub_sat_u              -              v128 v128 -> v128
FD:94 f64x2.nearest                -              v128 -> v128
FD:95 i16x8.mul                    -              v128 v128 -> v128
FD:96 i16x8.min_s                  -              v128 v128 -> v128
FD:97 i16x8.min_u                  -              v128 v128 -> v128
FD:98 i16x8.max_s                  -              v128 v128 -> v128
FD:99 i16x8.max_u                  -              v128 v128 -> v128
FD:9B i16x8.avgr_u                 -              v128 v128 -> v128
FD:9C i16x8.extmul_low_i8x16_s     -              v128 v128 -> v128
FD:9D i16x8.extmul_high_i8x16_s    -              v128 v128 -> v128
FD:9E i16x8.extmul_low_i8x16_u     -              v128 v128 -> v128
FD:9F i16x8.extmul_high_i8x16_u    -              v128 v128 -> v128
FD:A0 i32x4.abs                    -              v128 -> v128
FD:A1 i32x4.neg                    -              v128 -> v128
FD:A3 i32x4.all_true               -              v128 -> i32
FD:A4 i32x4.bitmask                -              v128 -> i32
FD:A7 i32x4.extend_low_i16x8_s     -              v128 -> v128
FD:A8 i32x4.extend_high_i16x8_s    -              v128 -> v128
FD:A9 i32x4.extend_low_i16x8_u     -              v128 -> v128
FD:AA i32x4.extend_high_i16x8_u    -              v128 -> v128
FD:AB i32x4.shl                    -              v128 i32 -> v128
FD:AC i32x4.shr_s                  -              v128 i32 -> v128
FD:AD i32x4.shr_u                  -              v128 i32 -> v128
FD:AE i32x4.add                    -              v128 v128 -> v128
FD:B1 i32x4.sub                    -              v128 v128 -> v128
FD:B5 i32x4.mul                    -              v128 v128 -> v128
FD:B6 i32x4.min_s                  -              v128 v128 -> v128
FD:B7 i32x4.min_u                  -              v128 v128 -> v128
FD:B8 i32x4.max_s                  -              v128 v128 -> v128
FD:B9 i32x4.max_u                  -              v128 v128 -> v128
FD:BA i32x4.dot_i16x8_s            -              v128 v128 -> v128
FD:BC i32x4.extmul_low_i16x8_s     -              v128 v128 -> v128
FD:BD i32x4.extmul_high_i16x8_s    -              v128 v128 -> v128
FD:BE i32x4.extmul_low_i16x8_u     -              v128 v128 -> v128
FD:BF i32x4.extmul_high_i16x8_u    -              v128 v128 -> v128
FD:C0 i64x2.abs                    -              v128 -> v128
FD:C1 i64x2.neg                    -              v128 -> v128
FD:C3 i64x2.all_true               -              v128 -> i32
FD:C4 i64x2.bitmask                -              v128 -> i32
FD:C7 i64x2.extend_low_i32x4_s     -              v128 -> v128
FD:C8 i64x2.extend_high_i32x4_s    -              v128 -> v128
FD:C9 i64x2.extend_low_i32x4_u     -              v128 -> v128
FD:CA i64x2.extend_high_i32x4_u    -              v128 -> v128
FD:CB i64x2.shl                    -              v128 i32 -> v128
FD:CC i64x2.shr_s                  -              v128 i32 -> v128
FD:CD i64x2.shr_u                  -              v128 i32 -> v128
FD:CE i64x2.add                    -              v128 v128 -> v128
FD:D1 i64x2.sub                    -              v128 v128 -> v128
FD:D5 i64x2.mul                    -              v128 v128 -> v128
FD:D6 i64x2.eq                     -              v128 v128 -> v128
FD:D7 i64x2.ne                     -              v128 v128 -> v128
FD:D8 i64x2.lt_s                   -              v128 v128 -> v128
FD:D9 i64x2.gt_s                   -              v128 v128 -> v128
FD:DA i64x2.le_s                   -              v128 v128 -> v128
FD:DB i64x2.ge_s                   -              v128 v128 -> v128
FD:DC i64x2.extmul_low_i32x4_s     -              v128 v128 -> v128
FD:DD i64x2.extmul_high_i32x4_s    -              v128 v128 -> v128
FD:DE i64x2.extmul_low_i32x4_u     -              v128 v128 -> v128
FD:DF i64x2.extmul_high_i32x4_u    -              v128 v128 -> v128
FD:E0 f32x4.abs                    -              v128 -> v128
FD:E1 f32x4.neg                    -              v128 -> v128
FD:E3 f32x4.sqrt                   -              v128 -> v128
FD:E4 f32x4.add                    -              v128 v128 -> v128
FD:E5 f32x4.sub                    -              v128 v128 -> v128
FD:E6 f32x4.mul                    -              v128 v128 -> v128
FD:E7 f32x4.div                    -              v128 v128 -> v128
FD:E8 f32x4.min                    -              v128 v128 -> v128
FD:E9 f32x4.max                    -              v128 v128 -> v128
FD:EA f32x4.pmin                   -              v128 v128 -> v128
FD:EB f32x4.pmax                   -              v128 v128 -> v128
FD:EC f64x2.abs                    -              v128 -> v128
FD:ED f64x2.neg                    -              v128 -> v128
FD:EF f64x2.sqrt                   -              v128 -> v128
FD:F0 f64x2.add                    -              v128 v128 -> v128
FD:F1 f64x2.sub                    -              v128 v128 -> v128
FD:F2 f64x2.mul                    -              v128 v128 -> v128
FD:F3 f64x2.div                    -              v128 v128 -> v128
FD:F4 f64x2.min                    -              v128 v128 -> v128
FD:F5 f64x2.max                    -              v128 v128 -> v128
FD:F6 f64x2.pmin                   -              v128 v128 -> v128
FD:F7 f64x2.pmax                   -              v128 v128 -> v128
FD:F8 i32x4.trunc_sat_f32x4_s      -              v128 -> v128
FD:F9 i32x4.trunc_sat_f32x4_u      -              v128 -> v128
FD:FA f32x4.convert_i32x4_s        -              v128 -> v128
FD:FB f32x4.convert_i32x4_u        -              v128 -> v128
FD:FC i32x4.trunc_sat_f64x2_s_zero  -             v128 -> v128
FD:FD i32x4.trunc_sat_f64x2_u_zero  -             v128 -> v128
FD:FE f64x2.convert_low_i32x4_s    -              v128 -> v128
FD:FF f64x2.convert_low_i32x4_u    -              v128 -> v128

[relaxed-simd]
FD:100 i8x16.relaxed_swizzle              -  v128 v128 -> v128
FD:101 i32x4.relaxed_trunc_f32x4_s        -  v128 -> v128
FD:102 i32x4.relaxed_trunc_f32x4_u        -  v128 -> v128
FD:103 i32x4.relaxed_trunc_f64x2_s_zero   -  v128 -> v128
FD:104 i32x4.relaxed_trunc_f64x2_u_zero   -  v128 -> v128
FD:105 f32x4.relaxed_madd                 -  v128 v128 v128 -> v128
FD:106 f32x4.relaxed_nmadd                -  v128 v128 v128 -> v128
FD:107 f64x2.relaxed_madd                 -  v128 v128 v128 -> v128
FD:108 f64x2.relaxed_nmadd                -  v128 v128 v128 -> v128
FD:109 i8x16.relaxed_laneselect           -  v128 v128 v128 -> v128
FD:10A i16x8.relaxed_laneselect           -  v128 v128 v128 -> v128
FD:10B i32x4.relaxed_laneselect           -  v128 v128 v128 -> v128
FD:10C i64x2.relaxed_laneselect           -  v128 v128 v128 -> v128
FD:10D f32x4.relaxed_min                  -  v128 v128 -> v128
FD:10E f32x4.relaxed_max                  -  v128 v128 -> v128
FD:10F f64x2.relaxed_min                  -  v128 v128 -> v128
FD:110 f64x2.relaxed_max                  -  v128 v128 -> v128
FD:111 i16x8.relaxed_q15mulr_s            -  v128 v128 -> v128
FD:112 i16x8.relaxed_dot_i8x16_i7x16_s    -  v128 v128 -> v128
FD:113 i32x4.relaxed_dot_i8x16_i7x16_add_s  -  v128 v128 v128 -> v128

[tail-call]
12 return_call          func           special
13 return_call_indirect call_indirect  special

[exceptions]
08 throw                tag            special
0A throw_ref            -              special
1F try_table            try_table      special
06 try                  block          special
07 catch                tag            special
19 catch_all            -              special
18 delegate             label          special
09 rethrow              label          special

[function-references]
14 call_ref             type           special
15 return_call_ref      type           special
D4 ref.as_non_null      -              special
D5 br_on_null           label          special
D6 br_on_non_null       label          special

[gc]
D3 ref.eq               -              eqref eqref -> i32
FB:00 struct.new          type           special
FB:01 struct.new_default  type           special
FB:02 struct.get          type_field     special
FB:03 struct.get_s        type_field     special
FB:04 struct.get_u        type_field     special
FB:05 struct.set          type_field     special
FB:06 array.new           type           special
FB:07 array.new_default   type           special
FB:08 array.new_fixed     type_size      special
FB:09 array.new_data      type_data      special
FB:0A array.new_elem      type_elem      special
FB:0B array.get           type           special
FB:0C array.get_s         type           special
FB:0D array.get_u         type           special
FB:0E array.set           type           special
FB:0F array.len           -              arrayref -> i32
FB:10 array.fill          type           special
FB:11 array.copy          type_pair      special
FB:12 array.init_data     type_data      special
FB:13 array.init_elem     type_elem      special
FB:14 ref.test            heaptype       special
FB:15 ref.test            heaptype       special
FB:16 ref.cast            heaptype       special
FB:17 ref.cast            heaptype       special
FB:18 br_on_cast          br_on_cast     special
FB:19 br_on_cast_fail     br_on_cast     special
FB:1A any.convert_extern  -              special
FB:1B extern.convert_any  -              special
FB:1C ref.i31             -              special
FB:1D i31.get_s           -              i31ref -> i32
FB:1E i31.get_u           -              i31ref -> i32

[threads]
FE:00 memory.atomic.notify       memarg:4  i32 i32 -> i32
FE:01 memory.atomic.wait32       memarg:4  i32 i32 i64 -> i32
FE:02 memory.atomic.wait64       memarg:8  i32 i64 i64 -> i32
FE:03 atomic.fence               zero      ->
FE:10 i32.atomic.load            memarg:4  i32 -> i32
FE:11 i64.atomic.load            memarg:8  i32 -> i64
FE:12 i32.atomic.load8_u         memarg:1  i32 -> i32
FE:13 i32.atomic.load16_u        memarg:2  i32 -> i32
FE:14 i64.atomic.load8_u         memarg:1  i32 -> i64
FE:15 i64.atomic.load16_u        memarg:2  i32 -> i64
FE:16 i64.atomic.load32_u        memarg:4  i32 -> i64
FE:17 i32.atomic.store           memarg:4  i32 i32 ->
FE:18 i64.atomic.store           memarg:8  i32 i64 ->
FE:19 i32.atomic.store8          memarg:1  i32 i32 ->
FE:1A i32.atomic.store16         memarg:2  i32 i32 ->
FE:1B i64.atomic.store8          memarg:1  i32 i64 ->
FE:1C i64.atomic.store16         memarg:2  i32 i64 ->
FE:1D i64.atomic.store32         memarg:4  i32 i64 ->
FE:1E i32.atomic.rmw.add         memarg:4  i32 i32 -> i32
FE:1F i64.atomic.rmw.add         memarg:8  i32 i64 -> i64
FE:20 i32.atomic.rmw8.add_u      memarg:1  i32 i32 -> i32
FE:21 i32.atomic.rmw16.add_u     memarg:2  i32 i32 -> i32
FE:22 i64.atomic.rmw8.add_u      memarg:1  i32 i64 -> i64
FE:23 i64.atomic.rmw16.add_u     memarg:2  i32 i64 -> i64
FE:24 i64.atomic.rmw32.add_u     memarg:4  i32 i64 -> i64
FE:25 i32.atomic.rmw.sub         memarg:4  i32 i32 -> i32
FE:26 i64.atomic.rmw.sub         memarg:8  i32 i64 -> i64
FE:27 i32.atomic.rmw8.sub_u      memarg:1  i32 i32 -> i32
FE:28 i32.atomic.rmw16.sub_u     memarg:2  i32 i32 -> i32
FE:29 i64.atomic.rmw8.sub_u      memarg:1  i32 i64 -> i64
FE:2A i64.atomic.rmw16.sub_u     memarg:2  i32 i64 -> i64
FE:2B i64.atomic.rmw32.sub_u     memarg:4  i32 i64 -> i64
FE:2C i32.atomic.rmw.and         memarg:4  i32 i32 -> i32
FE:2D i64.atomic.rmw.and         memarg:8  i32 i64 -> i64
FE:2E i32.atomic.rmw8.and_u      memarg:1  i32 i32 -> i32
FE:2F i32.atomic.rmw16.and_u     memarg:2  i32 i32 -> i32
FE:30 i64.atomic.rmw8.and_u      memarg:1  i32 i64 -> i64
FE:31 i64.atomic.rmw16.and_u     memarg:2  i32 i64 -> i64
FE:32 i64.atomic.rmw32.and_u     memarg:4  i32 i64 -> i64
FE:33 i32.atomic.rmw.or          memarg:4  i32 i32 -> i32
FE:34 i64.atomic.rmw.or          memarg:8  i32 i64 -> i64
FE:35 i32.atomic.rmw8.or_u       memarg:1  i32 i32 -> i32
FE:36 i32.atomic.rmw16.or_u      memarg:2  i32 i32 -> i32
FE:37 i64.atomic.rmw8.or_u       memarg:1  i32 i64 -> i64
FE:38 i64.atomic.rmw16.or_u      memarg:2  i32 i64 -> i64
FE:39 i64.atomic.rmw32.or_u      memarg:4  i32 i64 -> i64
FE:3A i32.atomic.rmw.xor         memarg:4  i32 i32 -> i32
FE:3B i64.atomic.rmw.xor         memarg:8  i32 i64 -> i64
FE:3C i32.atomic.rmw8.xor_u      memarg:1  i32 i32 -> i32
FE:3D i32.atomic.rmw16.xor_u     memarg:2  i32 i32 -> i32
FE:3E i64.atomic.rmw8.xor_u      memarg:1  i32 i64 -> i64
FE:3F i64.atomic.rmw16.xor_u     memarg:2  i32 i64 -> i64
FE:40 i64.atomic.rmw32.xor_u     memarg:4  i32 i64 -> i64
FE:41 i32.atomic.rmw.xchg        memarg:4  i32 i32 -> i32
FE:42 i64.atomic.rmw.xchg        memarg:8  i32 i64 -> i64
FE:43 i32.atomic.rmw8.xchg_u     memarg:1  i32 i32 -> i32
FE:44 i32.atomic.rmw16.xchg_u    memarg:2  i32 i32 -> i32
FE:45 i64.atomic.rmw8.xchg_u     memarg:1  i32 i64 -> i64
FE:46 i64.atomic.rmw16.xchg_u    memarg:2  i32 i64 -> i64
FE:47 i64.atomic.rmw32.xchg_u    memarg:4  i32 i64 -> i64
FE:48 i32.atomic.rmw.cmpxchg     memarg:4  i32 i32 i32 -> i32
FE:49 i64.atomic.rmw.cmpxchg     memarg:8  i32 i64 i64 -> i64
FE:4A i32.atomic.rmw8.cmpxchg_u  memarg:1  i32 i32 i32 -> i32
FE:4B i32.atomic.rmw16.cmpxchg_u memarg:2  i32 i32 i32 -> i32
FE:4C i64.atomic.rmw8.cmpxchg_u  memarg:1  i32 i64 i64 -> i64
FE:4D i64.atomic.rmw16.cmpxchg_u memarg:2  i32 i64 i64 -> i64
FE:4E i64.atomic.rmw32.cmpxchg_u memarg:4  i32 i64 i64 -> i64
"""


_NARROW = re.compile(r"\w+\.(load|store)\d")  # the mnemonic of a narrow access names its size
_EXTENDING = re.compile(r"v128\.load\d+x(\d+)_")  # a SIMD load that extends each of N lanes


def _parse_types(text: str) -> tuple[ValType, ...]:
    return tuple(ValType.from_text(word) or _bad_type(word) for word in text.split())


def _bad_type(word: str) -> ValType:
    raise ValueError(f"opcode table: unknown type {word!r}")


def _uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _parse_table(text: str) -> tuple[Op, ...]:
    ops: list[Op] = []
    feature = Feature.MVP
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("["):
            feature = Feature(line.strip("[]"))
            continue
        code_text, name, imm_text, typing = line.split(None, 3)
        prefix, code = (int(part, 16) for part in code_text.split(":")) if ":" in code_text else (0, int(code_text, 16))
        imm_name, *imm_args = imm_text.split(":")
        width = int(imm_args[0]) if imm_args else 0
        lanes = int(imm_args[-1]) if imm_name in ("lane", "memlane") else 0
        if imm_name == "lane":
            width = 0
        params: tuple[ValType, ...] | None = None
        results: tuple[ValType, ...] | None = None
        if typing != "special":
            before, after = typing.split("->")
            params, results = _parse_types(before), _parse_types(after)
        encoding = bytes([code]) if not prefix else bytes([prefix]) + _uleb(code)
        valtype = None
        atomic = prefix == PREFIX_ATOMIC and imm_name == "memarg"
        if imm_name in ("memarg", "memlane") and params is not None and results is not None:
            valtype = results[0] if results else params[-1]
            if atomic and len(params) > 1:  # the value operand: stored, added, expected, awaited
                valtype = params[1]
        if atomic:
            narrow = valtype is not None and width < (8 if valtype is ValType.I64 else 4)
        else:
            narrow = valtype is not None and _NARROW.match(name) is not None
        extending = _EXTENDING.match(name)
        if extending:
            lanes = int(extending.group(1))
        ops.append(
            Op(name, prefix, code, Imm(imm_name), params, results, feature, width, lanes, len(ops),
               encoding, width.bit_length() - 1, valtype, narrow, narrow and name.endswith("_s"), atomic)
        )
    return tuple(ops)


ALL: tuple[Op, ...] = _parse_table(_TABLE)

SINGLE_BYTE: list[Op | None] = [None] * 256
PREFIXED: dict[int, dict[int, Op]] = {PREFIX_GC: {}, PREFIX_MISC: {}, PREFIX_SIMD: {}, PREFIX_ATOMIC: {}}
BY_NAME: dict[str, Op] = {}
for _op in ALL:
    if _op.prefix:
        PREFIXED[_op.prefix][_op.code] = _op
    else:
        SINGLE_BYTE[_op.code] = _op
    BY_NAME.setdefault(_op.name, _op)  # `select` names both 0x1B and the typed 0x1C
del _op

SELECT_TYPED: Op = SINGLE_BYTE[0x1C]  # type: ignore[assignment]
# `ref.test` and `ref.cast` to a nullable type: the same mnemonic as the non-null forms (which
# BY_NAME gives), the next opcode; the text's `(ref null ...)` picks them.
NULLABLE_CAST: dict[Op, Op] = {PREFIXED[PREFIX_GC][code]: PREFIXED[PREFIX_GC][code + 1] for code in (0x14, 0x16)}
CASTS_TO_NULLABLE = frozenset(NULLABLE_CAST.values())


def op(name: str) -> Op:
    """The instruction with text mnemonic `name` (KeyError if there is none)."""
    return BY_NAME[name]
