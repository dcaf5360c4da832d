"""Walking the items of a form: the small vocabulary the text parsers are written in, and the
index spaces that map `$names` to indices."""

from __future__ import annotations

from typing import NoReturn, TypeGuard

from ..syntax.types import HeapType, ValueType, ValType, ref_type
from ..opcodes import BY_NAME
from .lexer import ATOM, ID, RESERVED, STRING, Form, Item, Source, Token
from .numbers import is_number, parse_int

__all__ = ["Cursor", "Space", "is_form", "is_keyword", "unexpected"]

U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF


def is_form(item: Item | None, head: str) -> TypeGuard[Form]:
    """Whether `item` is a form opened by the keyword `head`."""
    return isinstance(item, Form) and item.head == head


class Cursor:
    """A position in the items of a form (by default, just after its opening keyword)."""

    __slots__ = ("source", "items", "pos", "end_offset")

    def __init__(self, source: Source, items: list[Item], start: int = 1, end_offset: int | None = None) -> None:
        self.source = source
        self.items = items
        self.pos = start
        self.end_offset = end_offset if end_offset is not None else getattr(items, "end", 0) - 1

    # -- errors --

    def offset_of(self, item: Item | None) -> int:
        if item is None:
            return self.end_offset
        return item.offset

    def fail(self, message: str, item: Item | None = None) -> NoReturn:
        if message == "unexpected token" and _is_unknown_token(item):
            # What the reference lexer says of such a token (a lone `$` names nothing).
            message = "empty identifier" if item.text == "$" else f"unknown operator {item.text}"
        self.source.fail(message, self.offset_of(item))

    def fail_here(self, message: str) -> NoReturn:
        self.fail(message, self.peek())

    # -- looking --

    def peek(self, ahead: int = 0) -> Item | None:
        index = self.pos + ahead
        return self.items[index] if index < len(self.items) else None

    def at_end(self) -> bool:
        return self.pos >= len(self.items)

    def peek_form(self, head: str) -> Form | None:
        item = self.peek()
        return item if is_form(item, head) else None

    def peek_atom(self) -> str | None:
        item = self.peek()
        if isinstance(item, Token) and item.kind == ATOM:
            return item.text
        return None

    # -- taking --

    def take(self) -> Item:
        item = self.peek()
        if item is None:
            self.fail("unexpected token")
        self.pos += 1
        return item

    def take_form(self, head: str) -> Form | None:
        form = self.peek_form(head)
        if form is not None:
            self.pos += 1
        return form

    def take_forms(self, head: str) -> list[Form]:
        forms = []
        while (form := self.take_form(head)) is not None:
            forms.append(form)
        return forms

    def take_atom(self) -> Token:
        item = self.take()
        if not (isinstance(item, Token) and item.kind == ATOM):
            self.fail("unexpected token", item)
        return item

    def take_keyword(self, keyword: str) -> None:
        item = self.take()
        if not (isinstance(item, Token) and item.kind == ATOM and item.text == keyword):
            self.fail("unexpected token", item)

    def take_if_keyword(self, keyword: str) -> bool:
        if self.peek_atom() == keyword:
            self.pos += 1
            return True
        return False

    def take_id(self) -> str | None:
        """An optional `$name`."""
        item = self.peek()
        if isinstance(item, Token) and item.kind == ID:
            self.pos += 1
            return item.value  # type: ignore[return-value]
        return None

    def take_string(self) -> bytes:
        item = self.take()
        if not (isinstance(item, Token) and item.kind == STRING):
            self.fail("unexpected token", item)
        return item.value  # type: ignore[return-value]

    def take_strings(self) -> bytes:
        parts = []
        while isinstance(item := self.peek(), Token) and item.kind == STRING:
            parts.append(item.value)
            self.pos += 1
        return b"".join(parts)  # type: ignore[arg-type]

    def take_name(self) -> str:
        item = self.peek()
        raw = self.take_string()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("malformed UTF-8 encoding", item)

    def take_u32(self) -> int:
        token = self.take_atom()
        value = parse_int(token.text)
        if value is None or token.text[0] in "+-":
            self.fail("unexpected token", token)
        if value > U32_MAX:
            self.fail("i32 constant out of range", token)
        return value

    def take_u64(self) -> int:
        """An unsigned number of 64 bits at most (limits and offsets of WebAssembly 3.0)."""
        token = self.take_atom()
        value = parse_int(token.text)
        if value is None or token.text[0] in "+-":
            self.fail("unexpected token", token)
        if value > U64_MAX:
            self.fail("i64 constant out of range", token)
        return value

    def peek_u32(self) -> bool:
        text = self.peek_atom()
        return text is not None and text[0].isdigit() and parse_int(text) is not None

    def take_valtype(self, types: "Space | None" = None) -> ValueType:
        """A value type: a keyword (`i32`, `funcref`, ...) or `(ref null? heaptype)`, whose
        `$names` are those of `types` (none are known without it)."""
        item = self.peek()
        if isinstance(item, Form) and item.head == "ref":
            self.pos += 1
            inner = Cursor(self.source, item)
            nullable = inner.take_if_keyword("null")
            heap = inner.take_heaptype(types)
            inner.expect_end()
            return ref_type(nullable, heap)
        token = self.take_atom()
        vt = ValType.from_text(token.text)
        if vt is None:
            self.fail("unexpected token", token)
        return vt

    def take_reftype(self, types: "Space | None" = None) -> ValueType:
        item = self.peek()
        vt = self.take_valtype(types)
        if not vt.is_ref:
            self.fail("unexpected token", item)
        return vt

    def take_heaptype(self, types: "Space | None" = None) -> HeapType | int:
        """An abstract heap type's keyword, or a type index (a u32 or a `$name` of `types`)."""
        item = self.peek()
        if isinstance(item, Token) and item.kind == ATOM:
            heap = HeapType.from_text(item.text)
            if heap is not None:
                self.pos += 1
                return heap
        if types is None or not types.peek_index(self):
            unexpected(self, item)
        return types.resolve(self)

    def expect_end(self) -> None:
        if not self.at_end():
            self.fail("unexpected token", self.peek())


class Space:
    """One index space (functions, locals, ...): how many entries it has and their names."""

    __slots__ = ("kind", "names", "count")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.names: dict[str, int] = {}
        self.count = 0

    def define(self, name: str | None, cursor: Cursor, item: Item | None = None) -> int:
        """Add an entry (named, if `name` is given) and return its index."""
        index = self.count
        if name is not None:
            if name in self.names:
                cursor.fail(f"duplicate {self.kind}", item)
            self.names[name] = index
        self.count += 1
        return index

    def resolve(self, cursor: Cursor) -> int:
        """Take an index: a u32, or a `$name` defined in this space."""
        item = cursor.peek()
        if isinstance(item, Token) and item.kind == ID:
            cursor.pos += 1
            index = self.names.get(item.value)  # type: ignore[arg-type]
            if index is None:
                cursor.fail(f"unknown {self.kind} {item.text}", item)
            return index
        return cursor.take_u32()

    def peek_index(self, cursor: Cursor) -> bool:
        """Whether the next item is an index of this space (a u32 or an identifier)."""
        item = cursor.peek()
        return isinstance(item, Token) and (item.kind == ID or cursor.peek_u32())


# Every keyword of the text format (instruction mnemonics are in the opcode table). A token
# that is none of these and no number is one the reference lexer rejects: "unknown operator".
_GRAMMAR_WORDS = frozenset(
    """module binary quote definition instance type func param result import export table memory
    global mut local elem data start offset item declare then else end funcref externref i32 i64
    f32 f64 v128 extern ref null any eq i31 struct array none nofunc noextern exn noexn anyref eqref
    i31ref structref arrayref nullref nullfuncref nullexternref exnref nullexnref rec sub final field
    i8 i16 register invoke get assert_return assert_trap assert_exhaustion
    assert_malformed assert_invalid assert_malformed_custom assert_invalid_custom assert_unlinkable
    assert_uninstantiable nan:canonical
    nan:arithmetic ref.extern ref.host either script input output i8x16 i16x8 i32x4 i64x2 f32x4
    f64x2 block loop if""".split()
)


def is_keyword(text: str) -> bool:
    """Whether `text` is a keyword of the text format (an instruction, a grammar word, or a
    memory-argument field)."""
    return text in _GRAMMAR_WORDS or text in BY_NAME or text.startswith(("offset=", "align="))


def _is_known_atom(text: str) -> bool:
    return is_keyword(text) or is_number(text)


def _is_unknown_token(item: Item | None) -> TypeGuard[Token]:
    """Whether `item` is a token the reference lexer rejects (no keyword, number or string)."""
    return isinstance(item, Token) and (item.kind == RESERVED or (item.kind == ATOM and not _is_known_atom(item.text)))


def unexpected(cursor: Cursor, item: Item | None) -> NoReturn:
    """Fail on an item no rule accepts here, with the message the reference parser gives:
    "unknown operator" for a token that is no keyword or number at all, else "unexpected token"."""
    cursor.fail("unexpected token", item)
