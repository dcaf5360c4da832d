"""Instructions in the text format, flat and folded, encoded to bytes as they are parsed.

Folded instructions nest arbitrarily deep, so the parser keeps an explicit stack of work
instead of recursing: a *run* frame walks the items of a form, an *emit* frame appends bytes
(and opens or closes a label) once the items before it are done. `(i32.add A B)` pushes
"emit i32.add" and then a run over `A B`; `(if C (then T) (else E))` pushes, in reverse, the
run over C, "emit if", the run over T, "emit else", the run over E and "emit end".

Code annotations (branch hints) given to the parser land on the first instruction that starts
after them, as the reference places them; the parser reports the byte offset in the body where
that instruction was emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..binary.code import CATCH, CATCH_ALL, CATCH_ALL_REF, CATCH_REF, encode_blocktype, encode_immediate
from ..binary.leb128 import write_unsigned
from ..opcodes import BY_NAME, NULLABLE_CAST, SELECT_TYPED, Imm, Op
from ..syntax.types import RefType, ValueType
from .cursor import Cursor, Space, is_form, is_keyword, unexpected
from .lexer import ATOM, ID, RESERVED, Annotation, Form, Source, Token
from .numbers import OutOfRange, parse_f32, parse_f64, parse_int

__all__ = ["CodeContext", "parse_code", "parse_annotated_code", "take_i32", "take_i64", "take_f32", "take_f64"]

_BLOCK, _LOOP, _IF, _ELSE, _END = 0x02, 0x03, 0x04, 0x05, 0x0B
_TRY, _CATCH, _CATCH_ALL, _DELEGATE, _TRY_TABLE = 0x06, 0x07, 0x19, 0x18, 0x1F
_CLAUSES = {"catch": CATCH, "catch_ref": CATCH_REF, "catch_all": CATCH_ALL, "catch_all_ref": CATCH_ALL_REF}
_OPEN_LABEL, _CLOSE_LABEL = 1, 2
_NO_LOCALS = Space("local")  # constant expressions have none (a use is caught by validation)
_NO_FIELDS = Space("field")  # a type with no field names (an index past the types is validation's)


class CodeContext(Protocol):
    """What instruction parsing needs from the module being parsed."""

    types: Space
    funcs: Space
    tables: Space
    mems: Space
    globals: Space
    tags: Space
    elems: Space
    datas: Space
    uses_data_index: bool
    wide_numbers: bool  # memarg offsets of 64 bits (memory64), not 32
    field_names: list[Space]  # per type index, the names of a struct type's fields

    def block_type(self, cursor: Cursor) -> int | RefType: ...

    def type_use(self, cursor: Cursor) -> int: ...


# -- numbers --


def _take_number(cursor: Cursor, parse: Callable[[str], int | None], in_range: Callable[[int], bool]) -> int:
    """A numeric literal: "unknown operator" if the token is no number at all (as the reference
    lexer sees it), "constant out of range" if it is one that does not fit."""
    item = cursor.peek()
    if not (isinstance(item, Token) and item.kind in (ATOM, RESERVED)):
        cursor.fail("unexpected token", item)
    cursor.pos += 1
    try:
        value = parse(item.text)
    except OutOfRange:
        cursor.fail("constant out of range", item)
    if value is None:
        unexpected(cursor, item)
    if not in_range(value):
        cursor.fail("constant out of range", item)
    return value


def take_i32(cursor: Cursor) -> int:
    """An i32 literal (signed or unsigned), as the signed value."""
    value = _take_number(cursor, parse_int, lambda v: -(1 << 31) <= v < (1 << 32))
    return value - (1 << 32) if value >= 1 << 31 else value


def take_i64(cursor: Cursor) -> int:
    value = _take_number(cursor, parse_int, lambda v: -(1 << 63) <= v < (1 << 64))
    return value - (1 << 64) if value >= 1 << 63 else value


def take_f32(cursor: Cursor) -> int:
    return _take_number(cursor, parse_f32, lambda v: True)


def take_f64(cursor: Cursor) -> int:
    return _take_number(cursor, parse_f64, lambda v: True)


def _take_int_lane(bits: int) -> Callable[[Cursor], int]:
    def take(cursor: Cursor) -> int:
        value = _take_number(cursor, parse_int, lambda v: -(1 << (bits - 1)) <= v < (1 << bits))
        return value & ((1 << bits) - 1)

    return take


# Per v128 shape: lane count, lane width in bits, and the reader of one lane's bits.
_SHAPES: dict[str, tuple[int, int, Callable[[Cursor], int]]] = {
    "i8x16": (16, 8, _take_int_lane(8)),
    "i16x8": (8, 16, _take_int_lane(16)),
    "i32x4": (4, 32, _take_int_lane(32)),
    "i64x2": (2, 64, _take_int_lane(64)),
    "f32x4": (4, 32, take_f32),
    "f64x2": (2, 64, take_f64),
}


def take_v128(cursor: Cursor) -> int:
    """`shape lane*` as the 128-bit little-endian value."""
    shape_token = cursor.peek()
    shape = cursor.take_atom().text
    if shape not in _SHAPES:
        cursor.fail("unexpected token", shape_token)
    count, bits, take_lane = _SHAPES[shape]
    given = 0  # lane literals: numbers, or tokens the lexer would reject (which fail below)
    while isinstance(item := cursor.peek(given), Token) and (item.kind == RESERVED or (item.kind == ATOM and not is_keyword(item.text))):
        given += 1
    if given != count:
        cursor.fail("wrong number of lane literals", cursor.peek(min(given, count)))
    value = 0
    for lane in range(count):
        value |= take_lane(cursor) << (lane * bits)
    return value


def _take_lane_index(cursor: Cursor) -> int:
    """A lane index immediate: a natural number below 256."""
    item = cursor.peek()
    value = parse_int(item.text) if isinstance(item, Token) and item.kind == ATOM else None
    if value is None or item.text[0] in "+-":  # type: ignore[union-attr]
        unexpected(cursor, item)
    if value > 255:
        cursor.fail("malformed lane index", item)
    cursor.pos += 1
    return value


def _take_shuffle_lanes(cursor: Cursor) -> tuple[int, ...]:
    """The sixteen lane indices of i8x16.shuffle, each below 32 once validated."""
    lanes = []
    while isinstance(item := cursor.peek(), Token) and (item.kind == RESERVED or (item.kind == ATOM and not is_keyword(item.text))):
        value = parse_int(item.text) if item.kind == ATOM else None
        if value is None or item.text[0] in "+-" or value > 255:
            cursor.fail("malformed lane index", item)
        lanes.append(value)
        cursor.pos += 1
    if len(lanes) != 16:
        cursor.fail("invalid lane length", cursor.peek())
    return tuple(lanes)


def _take_memarg_field(cursor: Cursor, prefix: str) -> int | None:
    """The number of an `offset=N` or `align=N` token, if one comes next."""
    text = cursor.peek_atom()
    if text is None or not text.startswith(prefix):
        return None
    token = cursor.take()
    digits = text[len(prefix) :]
    value = parse_int(digits)
    if value is None or digits[:1] in ("+", "-"):
        cursor.fail("unknown operator", token)
    return value


def _take_memarg(cursor: Cursor, op: Op, wide: bool) -> tuple[int, int]:
    """`offset=N? align=N?`: the alignment exponent and the offset (of 64 bits when `wide`)."""
    offset_at = cursor.peek()
    offset = _take_memarg_field(cursor, "offset=")
    if offset is not None and offset > (0xFFFF_FFFF_FFFF_FFFF if wide else 0xFFFF_FFFF):
        cursor.fail("i64 constant out of range" if wide else "i32 constant out of range", offset_at)
    align_at = cursor.peek()
    align = _take_memarg_field(cursor, "align=")
    if align is not None and (align <= 0 or align & (align - 1)):
        cursor.fail("alignment must be a power of two", align_at)
    return (op.align_log2 if align is None else align.bit_length() - 1), offset or 0


# -- the parser --


class _Run:
    """Items of one form (or instruction sequence) being parsed."""

    __slots__ = ("cursor", "folded_only", "label_height")

    def __init__(self, cursor: Cursor, folded_only: bool) -> None:
        self.cursor = cursor
        self.folded_only = folded_only
        self.label_height = -1  # set when the run starts


class _Label:
    __slots__ = ("name", "kind", "flat", "seen_else", "else_end")

    def __init__(self, name: str | None, kind: int, flat: bool) -> None:
        self.name = name
        self.kind = kind
        self.flat = flat
        self.seen_else = False
        self.else_end = -1  # where the output stood just after a flat `else`


# Bytes to emit, what to do with the label stack then (0, _OPEN_LABEL or _CLOSE_LABEL), the
# label to open, and the code annotations that land on the instruction emitted.
_Emit = tuple[bytes, int, "_Label | None", "list[Annotation] | None"]
_NO_MORE = float("inf")


class _CodeParser:
    def __init__(
        self, ctx: CodeContext, source: Source, local_space: Space | None, annotations: list[Annotation]
    ) -> None:
        self.ctx = ctx
        self.source = source
        self.locals = local_space
        self.out = bytearray()
        self.labels: list[_Label] = []
        # Where each label name stands in `labels` (innermost last), so that a branch to a
        # named label is found at once, however deep the nesting.
        self.named_heights: dict[str, list[int]] = {}
        # Work still to do, innermost last: runs of instructions to parse, and bytes to emit
        # (with a label to open or close) once the runs pushed after them are done.
        self.stack: list[_Run | _Emit] = []
        self.annotations = annotations  # code annotations not yet placed, in textual order
        self.next_annotation_end = annotations[0].end if annotations else _NO_MORE
        self.placed: list[tuple[int, Annotation]] = []  # (offset in the body, annotation)

    def parse(self, cursor: Cursor) -> bytes:
        stack = self.stack
        stack.append(_Run(cursor, folded_only=False))
        out = self.out
        while stack:
            frame = stack[-1]
            if not isinstance(frame, _Run):
                stack.pop()
                data, action, label, placed = frame
                if placed:
                    self.place(placed)
                out += data
                if action == _OPEN_LABEL and label is not None:
                    self.push_label(label)
                elif action == _CLOSE_LABEL:
                    self.pop_label()
                continue
            run = frame
            if run.label_height < 0:
                run.label_height = len(self.labels)
            cursor = run.cursor
            if cursor.pos >= len(cursor.items):
                if len(self.labels) != run.label_height:  # a flat block left open
                    cursor.fail("unexpected token")
                stack.pop()
                continue
            item = cursor.items[cursor.pos]
            cursor.pos += 1
            if isinstance(item, Form):
                self.folded(item)
            elif run.folded_only or item.kind != ATOM:
                unexpected(cursor, item)
            else:
                self.flat(item, run)
        out.append(_END)
        return bytes(out)

    # -- code annotations --

    def annotations_before(self, offset: int) -> list[Annotation]:
        """The annotations that land on the instruction starting at `offset`: those not yet
        placed that end before it (the callers first test `next_annotation_end`, which makes
        an unannotated body cost one comparison per instruction)."""
        pending = self.annotations
        count = 0
        while count < len(pending) and pending[count].end <= offset:
            count += 1
        landed, self.annotations = pending[:count], pending[count:]
        self.next_annotation_end = self.annotations[0].end if self.annotations else _NO_MORE
        return landed

    def place(self, annotations: list[Annotation]) -> None:
        """Place annotations on the instruction about to be emitted."""
        self.placed.extend((len(self.out), annotation) for annotation in annotations)

    # -- flat instructions --

    def flat(self, token: Token, run: _Run) -> None:
        cursor = run.cursor
        name = token.text
        if name != "else" and name != "end" and token.offset >= self.next_annotation_end:
            self.place(self.annotations_before(token.offset))
        if name == "block" or name == "loop" or name == "if":
            label = cursor.take_id()
            code = _BLOCK if name == "block" else _LOOP if name == "loop" else _IF
            self.out.append(code)
            self.out += encode_blocktype(self.ctx.block_type(cursor))
            self.push_label(_Label(label, code, flat=True))
        elif name == "try_table" or name == "try":
            label = cursor.take_id()
            if name == "try":
                self.out.append(_TRY)
                self.out += encode_blocktype(self.ctx.block_type(cursor))
                self.push_label(_Label(label, _TRY, flat=True))
            else:
                self.out += self.try_table_header(cursor)
                self.push_label(_Label(label, _TRY_TABLE, flat=True))
        elif name == "catch" or name == "catch_all" or name == "delegate":
            if len(self.labels) <= run.label_height or not self.labels[-1].flat:
                cursor.fail("unexpected token", token)
            block = self.labels[-1]
            if block.kind != _TRY or block.seen_else:  # nothing follows catch_all but end
                cursor.fail("unexpected token", token)
            if name == "catch":
                self.out.append(_CATCH)
                self.out += write_unsigned(self.ctx.tags.resolve(cursor))
            elif name == "catch_all":
                block.seen_else = True
                self.out.append(_CATCH_ALL)
            else:
                self.pop_label()  # the label of delegate counts from outside the try
                self.out.append(_DELEGATE)
                self.out += write_unsigned(self.label(cursor))
        elif name == "else" or name == "end":
            if len(self.labels) <= run.label_height or not self.labels[-1].flat:
                cursor.fail("unexpected token", token)
            block = self.labels[-1]
            if name == "else":
                if block.kind != _IF or block.seen_else:
                    cursor.fail("unexpected token", token)
                block.seen_else = True
            closing = cursor.peek()
            closing_name = cursor.take_id()
            if closing_name is not None and closing_name != block.name:
                cursor.fail("mismatching label", closing)
            if name == "else":
                self.out.append(_ELSE)
                block.else_end = len(self.out)
                return
            self.pop_label()
            if block.else_end == len(self.out):
                del self.out[-1]  # an empty else branch is left out, as wabt does
            self.out.append(_END)
        else:
            op = BY_NAME.get(name)
            if op is None:
                unexpected(cursor, token)
            self.out += self.plain(op, cursor)

    # -- folded instructions --

    def folded(self, form: Form) -> None:
        cursor = Cursor(self.source, form)
        head = form.head
        stack = self.stack
        if head is None:
            unexpected(cursor, form[0] if form else None)
        landed = self.annotations_before(form.offset) if form.offset >= self.next_annotation_end else None
        if head == "block" or head == "loop":
            label = cursor.take_id()
            code = _BLOCK if head == "block" else _LOOP
            if landed:
                self.place(landed)
            self.out.append(code)
            self.out += encode_blocktype(self.ctx.block_type(cursor))
            self.push_label(_Label(label, code, flat=False))
            stack.append((b"\x0b", _CLOSE_LABEL, None, None))
            stack.append(_Run(cursor, folded_only=False))
        elif head == "try_table":
            label = cursor.take_id()
            if landed:
                self.place(landed)
            self.out += self.try_table_header(cursor)
            self.push_label(_Label(label, _TRY_TABLE, flat=False))
            stack.append((b"\x0b", _CLOSE_LABEL, None, None))
            stack.append(_Run(cursor, folded_only=False))
        elif head == "try":
            self.folded_try(cursor, landed)
        elif head == "if":
            label = cursor.take_id()
            blocktype = encode_blocktype(self.ctx.block_type(cursor))
            conditions = Form(form.offset)
            conditions.end = form.end
            while cursor.peek() is not None and not is_form(cursor.peek(), "then"):
                item = cursor.take()
                if not isinstance(item, Form):
                    unexpected(cursor, item)
                conditions.append(item)
            then_form = cursor.take_form("then")
            if then_form is None:
                cursor.fail("unexpected token")
            else_form = cursor.take_form("else")
            cursor.expect_end()
            stack.append((b"\x0b", _CLOSE_LABEL, None, None))
            if else_form is not None and len(else_form) > 1:  # an empty else is left out
                stack.append(_Run(Cursor(self.source, else_form), folded_only=False))
                stack.append((b"\x05", 0, None, None))
            stack.append(_Run(Cursor(self.source, then_form), folded_only=False))
            stack.append((bytes([_IF]) + blocktype, _OPEN_LABEL, _Label(label, _IF, flat=False), landed))
            stack.append(_Run(Cursor(self.source, conditions, 0, form.end - 1), folded_only=True))
        else:
            op = BY_NAME.get(head)
            if op is None or head in ("else", "end", "then", "catch", "catch_all", "delegate"):
                unexpected(cursor, form[0])
            stack.append((self.plain(op, cursor), 0, None, landed))
            stack.append(_Run(cursor, folded_only=True))

    def try_table_header(self, cursor: Cursor) -> bytes:
        """`try_table`, its block type and its catch clauses (whose labels count from outside
        the try_table: its own label is pushed after), encoded."""
        blocktype = self.ctx.block_type(cursor)
        clauses: list[tuple[int, int | None, int]] = []
        while isinstance(item := cursor.peek(), Form) and item.head in _CLAUSES:
            cursor.pos += 1
            inner = Cursor(self.source, item)
            kind = _CLAUSES[item.head]
            tag = self.ctx.tags.resolve(inner) if kind < CATCH_ALL else None
            clauses.append((kind, tag, self.label(inner)))
            inner.expect_end()
        op = BY_NAME["try_table"]
        return op.encoding + encode_immediate(op, (blocktype, tuple(clauses)))

    def folded_try(self, cursor: Cursor, landed: list[Annotation] | None) -> None:
        """`(try $l? blocktype (do instr*) (catch tag instr*)* (catch_all instr*)?)`, or with
        `(delegate label)` in place of the handlers (the label counts from outside the try,
        where the parser stands now)."""
        stack = self.stack
        label = cursor.take_id()
        blocktype = encode_blocktype(self.ctx.block_type(cursor))
        do_form = cursor.take_form("do")
        if do_form is None:
            cursor.fail("unexpected token")
        handlers: list[tuple[bytes, Cursor]] = []
        closing = b"\x0b"
        delegate = cursor.take_form("delegate")
        if delegate is not None:
            inner = Cursor(self.source, delegate)
            closing = bytes((_DELEGATE,)) + write_unsigned(self.label(inner))
            inner.expect_end()
        else:
            for form in cursor.take_forms("catch"):
                inner = Cursor(self.source, form)
                handlers.append((bytes((_CATCH,)) + write_unsigned(self.ctx.tags.resolve(inner)), inner))
            catch_all = cursor.take_form("catch_all")
            if catch_all is not None:
                handlers.append((bytes((_CATCH_ALL,)), Cursor(self.source, catch_all)))
        cursor.expect_end()
        stack.append((closing, _CLOSE_LABEL, None, None))
        for header, inner in reversed(handlers):
            stack.append(_Run(inner, folded_only=False))
            stack.append((header, 0, None, None))
        stack.append(_Run(Cursor(self.source, do_form), folded_only=False))
        stack.append((bytes((_TRY,)) + blocktype, _OPEN_LABEL, _Label(label, _TRY, flat=False), landed))

    # -- plain instructions and their immediates --

    def plain(self, op: Op, cursor: Cursor) -> bytes:
        """`op` and its immediates (read from `cursor`), encoded."""
        kind = op.imm
        ctx = self.ctx
        if kind is Imm.NONE:
            if op.name == "select" and cursor.peek_form("result") is not None:
                types = [vt for form in cursor.take_forms("result") for vt in _valtypes(self.source, form, ctx.types)]
                return SELECT_TYPED.encoding + encode_immediate(SELECT_TYPED, tuple(types))
            return op.encoding
        imm: object
        if kind is Imm.I32:
            imm = take_i32(cursor)
        elif kind is Imm.LOCAL:
            imm = (self.locals or _NO_LOCALS).resolve(cursor)
        elif kind is Imm.GLOBAL:
            imm = ctx.globals.resolve(cursor)
        elif kind is Imm.MEMARG:
            memory = self.memory_index(cursor, before_lane=False)
            imm = (*_take_memarg(cursor, op, ctx.wide_numbers), memory)
        elif kind is Imm.FUNC:
            imm = ctx.funcs.resolve(cursor)
        elif kind is Imm.TYPE:
            imm = ctx.types.resolve(cursor)
        elif kind is Imm.LABEL:
            imm = self.label(cursor)
        elif kind is Imm.I64:
            imm = take_i64(cursor)
        elif kind is Imm.F32:
            imm = take_f32(cursor)
        elif kind is Imm.F64:
            imm = take_f64(cursor)
        elif kind is Imm.LABELS:
            labels = [self.label(cursor)]
            while self.label_follows(cursor):
                labels.append(self.label(cursor))
            imm = (tuple(labels[:-1]), labels[-1])
        elif kind is Imm.CALL_INDIRECT:
            table = ctx.tables.resolve(cursor) if ctx.tables.peek_index(cursor) else 0
            imm = (ctx.type_use(cursor), table)
        elif kind is Imm.ZERO:
            imm = 0
        elif kind is Imm.MEMORY:
            imm = ctx.mems.resolve(cursor) if ctx.mems.peek_index(cursor) else 0
        elif kind is Imm.MEMORY_COPY:
            if ctx.mems.peek_index(cursor):
                dst = ctx.mems.resolve(cursor)
                imm = (dst, ctx.mems.resolve(cursor))
            else:
                imm = (0, 0)
        elif kind is Imm.TABLE:
            imm = ctx.tables.resolve(cursor) if ctx.tables.peek_index(cursor) else 0
        elif kind is Imm.V128:
            imm = take_v128(cursor)
        elif kind is Imm.LANE:
            imm = _take_lane_index(cursor)
        elif kind is Imm.MEMLANE:
            # `memory? memarg lane`: an index before the lane is the memory's.
            memory = self.memory_index(cursor, before_lane=True)
            align, offset = _take_memarg(cursor, op, ctx.wide_numbers)
            imm = (align, offset, _take_lane_index(cursor), memory)
        elif kind is Imm.SHUFFLE:
            imm = _take_shuffle_lanes(cursor)
        elif kind is Imm.HEAPTYPE:
            if op in NULLABLE_CAST:  # ref.test and ref.cast name a reference type
                target = cursor.take_reftype(ctx.types)
                op = NULLABLE_CAST[op] if target.nullable else op
                imm = target.heap
            else:
                imm = cursor.take_heaptype(ctx.types)
        elif kind is Imm.TYPE_FIELD:
            type_index = ctx.types.resolve(cursor)
            fields = ctx.field_names[type_index] if type_index < len(ctx.field_names) else _NO_FIELDS
            imm = (type_index, fields.resolve(cursor))
        elif kind is Imm.TYPE_SIZE:
            imm = (ctx.types.resolve(cursor), cursor.take_u32())
        elif kind is Imm.TYPE_DATA:
            imm = (ctx.types.resolve(cursor), ctx.datas.resolve(cursor))
            ctx.uses_data_index = True
        elif kind is Imm.TYPE_ELEM:
            imm = (ctx.types.resolve(cursor), ctx.elems.resolve(cursor))
        elif kind is Imm.TYPE_PAIR:
            dst_type = ctx.types.resolve(cursor)
            imm = (dst_type, ctx.types.resolve(cursor))
        elif kind is Imm.BR_ON_CAST:
            label = self.label(cursor)
            source = cursor.take_reftype(ctx.types)
            imm = (label, source, cursor.take_reftype(ctx.types))
        elif kind is Imm.ELEM:
            imm = ctx.elems.resolve(cursor)
        elif kind is Imm.TAG:
            imm = ctx.tags.resolve(cursor)
        elif kind is Imm.DATA:
            imm = ctx.datas.resolve(cursor)
            ctx.uses_data_index = True
        elif kind is Imm.MEMORY_INIT:
            # `memory.init data` or `memory.init memory data`: two indices name the memory first.
            if _index_follows(cursor, 1):
                memory = ctx.mems.resolve(cursor)
                imm = (ctx.datas.resolve(cursor), memory)
            else:
                imm = (ctx.datas.resolve(cursor), 0)
            ctx.uses_data_index = True
        elif kind is Imm.TABLE_INIT:
            # `table.init elem` or `table.init table elem`: two indices name the table first.
            if _index_follows(cursor, 1):
                table = ctx.tables.resolve(cursor)
                imm = (ctx.elems.resolve(cursor), table)
            else:
                imm = (ctx.elems.resolve(cursor), 0)
        elif kind is Imm.TABLE_COPY:
            if ctx.tables.peek_index(cursor):
                dst = ctx.tables.resolve(cursor)
                imm = (dst, ctx.tables.resolve(cursor))
            else:
                imm = (0, 0)
        else:  # Imm.BLOCK, Imm.SELECT_T: only block, loop, if and typed select have them,
            # and those are parsed before an op gets here.
            unexpected(cursor, cursor.peek())
        return op.encoding + encode_immediate(op, imm)

    def memory_index(self, cursor: Cursor, before_lane: bool) -> int:
        """The memory index that may precede a memarg (memory 0 when there is none). Before a
        lane index, a number is the memory's only when the memarg or the lane follows it
        (`v128.load8_lane 1 0` is memory 1, lane 0; `v128.load8_lane 1` lane 1)."""
        if not _index_follows(cursor, 0):
            return 0
        item = cursor.peek()
        if before_lane and isinstance(item, Token) and item.kind != ID:
            following = cursor.peek(1)
            memarg_follows = isinstance(following, Token) and following.text.startswith(("offset=", "align="))
            if not (memarg_follows or _index_follows(cursor, 1)):
                return 0
        return self.ctx.mems.resolve(cursor)

    def push_label(self, label: _Label) -> None:
        if label.name is not None:
            self.named_heights.setdefault(label.name, []).append(len(self.labels))
        self.labels.append(label)

    def pop_label(self) -> None:
        label = self.labels.pop()
        if label.name is not None:
            self.named_heights[label.name].pop()

    def label(self, cursor: Cursor) -> int:
        item = cursor.peek()
        if isinstance(item, Token) and item.kind == ID:
            cursor.pos += 1
            heights = self.named_heights.get(item.value)  # type: ignore[arg-type]
            if not heights:
                cursor.fail(f"unknown label {item.text}", item)
            return len(self.labels) - 1 - heights[-1]
        return cursor.take_u32()

    def label_follows(self, cursor: Cursor) -> bool:
        item = cursor.peek()
        return isinstance(item, Token) and (item.kind == ID or (item.kind == ATOM and cursor.peek_u32()))


def _index_follows(cursor: Cursor, ahead: int) -> bool:
    item = cursor.peek(ahead)
    if not isinstance(item, Token):
        return False
    return item.kind == ID or (item.kind == ATOM and item.text[:1].isdigit())


def _valtypes(source: Source, form: Form, type_space: Space) -> list[ValueType]:
    cursor = Cursor(source, form)
    types = []
    while not cursor.at_end():
        types.append(cursor.take_valtype(type_space))
    return types


def parse_code(ctx: CodeContext, source: Source, cursor: Cursor, local_space: Space | None = None) -> bytes:
    """Parse the instructions from `cursor` to the end of its form; return them encoded, with
    the final `end`."""
    return _CodeParser(ctx, source, local_space, []).parse(cursor)


def parse_annotated_code(
    ctx: CodeContext, source: Source, cursor: Cursor, local_space: Space | None, annotations: list[Annotation]
) -> tuple[bytes, list[tuple[int, Annotation]]]:
    """As parse_code, for a function body with code annotations (in textual order): also where
    each one landed, as the byte offset in the body of the instruction it precedes. One that
    no instruction follows lands nowhere."""
    parser = _CodeParser(ctx, source, local_space, annotations)
    body = parser.parse(cursor)
    return body, parser.placed
