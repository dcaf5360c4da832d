"""The text format's lexer, and the S-expression tree built from its tokens.

A token is a parenthesis or a *run*: a maximal stretch of characters that are not white space,
parentheses or `;`, where a string literal (which may hold any of those) counts as part of the
run. A run that is exactly one string is a string token, `$` and id characters an identifier,
id characters alone an atom (a keyword or a number); anything else (`data"a"`, `"a""b"`) is a
reserved token, which no rule of the grammar accepts. Comments (`;;` to the end of the line,
nested `(; ;)` blocks) are skipped.

An annotation `(@id ...)` is checked as the spec's lexer checks it (an id, balanced parentheses,
only the characters tokens and strings may hold) and kept out of the tree of forms: it goes to
`Source.annotations`, in textual order, where the parser looks for the annotations it knows
(@custom, @name, @metadata.code.branch_hint) by their positions. Every other annotation is
ignored, as the spec asks.

Positions are byte-independent character offsets into the source; `Source.locate` turns one
into line and column only when an error is reported.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NoReturn, Union, cast

from ..errors import ParseError

__all__ = [
    "Source", "Token", "Form", "Annotation", "Item", "read_forms", "item_end", "skip_trivia", "ATOM", "ID", "STRING", "RESERVED",
]  # fmt: skip

ATOM, ID, STRING, RESERVED = "atom", "id", "string", "reserved"

_IDCHARS = r"0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~"
_ATOM = re.compile(f"[{_IDCHARS}]+")
_ID = re.compile(f"\\$[{_IDCHARS}]+")
_SCAN = re.compile(
    r"""
    (?P<space>[ \t\n\r]+)
  | (?P<line_comment>;;[^\n\r]*)
  | (?P<block_comment>\(;)
  | (?P<annotation>\(@)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<run>(?:[^ \t\n\r()";]++|"[^"\\\x00-\x1f\x7f]*+(?:\\[^\x00-\x1f\x7f][^"\\\x00-\x1f\x7f]*+)*+")++)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_STRING = re.compile(r'"([^"\\\x00-\x1f\x7f]*+(?:\\[^\x00-\x1f\x7f][^"\\\x00-\x1f\x7f]*+)*+)"')
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{2})|u\{([0-9a-fA-F](?:_?[0-9a-fA-F])*+)\}|(.))", re.DOTALL)
_STRING_PREFIX = re.compile(r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+')
# A string literal whose escapes are all `\hh` or one of _SIMPLE_ESCAPES (the common case).
_SIMPLE_STRING = re.compile(r'"[^"\\\x00-\x1f\x7f]*+(?:\\(?:[0-9a-fA-F]{2}|[tnr"\'\\])[^"\\\x00-\x1f\x7f]*+)*+"')
_COMMENT_DELIMITER = re.compile(r"\(;|;\)")
# An annotation's id: id characters, or a string literal (decoded, it must be UTF-8 and not empty).
_ANNOTATION_ID = re.compile(f"[{_IDCHARS}]+|{_STRING.pattern}")
# In a run inside an annotation: a string literal, or a character no token may hold there.
_ANNOTATION_ILLEGAL = re.compile(f"{_STRING.pattern}|(?P<illegal>[^\\x21-\\x7e])")
_SIMPLE_ESCAPES = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}
# Each one-character escape and its `\hh` spelling, the escaped backslash first (see
# _decode_simple).
_HEX_SPELLINGS = sorted(
    ((f"\\{char}", f"\\{byte[0]:02x}") for char, byte in _SIMPLE_ESCAPES.items()), key=lambda pair: pair[0] != "\\\\"
)


class Source:
    """Source text with a name, for locating errors."""

    def __init__(self, text: str, name: str = "") -> None:
        self.text = text
        self.name = name
        self._line_starts: list[int] | None = None
        self.pending_error: ParseError | None = None  # see read_forms
        self.annotations: list[Annotation] = []  # the top-level annotations read, in order

    def raise_pending(self) -> None:
        """Raise the error that reading left for after parsing, if any."""
        if self.pending_error is not None:
            raise self.pending_error

    def locate(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def error(self, message: str, offset: int, kind: type[ParseError] = ParseError) -> ParseError:
        """A ParseError (or the subclass `kind`) located at `offset`."""
        line, column = self.locate(offset)
        start = self._line_starts[line - 1] if self._line_starts else 0
        end = self.text.find("\n", start)
        source_line = self.text[start : end if end >= 0 else len(self.text)]
        return kind(message, line, column, source_line[:200], self.name)

    def fail(self, message: str, offset: int, kind: type[ParseError] = ParseError) -> NoReturn:
        raise self.error(message, offset, kind)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ATOM, ID, STRING or RESERVED
    text: str  # the token as written (for a string, its source text with quotes)
    offset: int
    value: bytes | str = ""  # a string's bytes; an identifier's name (without `$`)


class Form(list):
    """A parenthesised form: its items are tokens and nested forms."""

    __slots__ = ("offset", "end")

    def __init__(self, offset: int) -> None:
        super().__init__()
        self.offset = offset
        self.end = offset

    @property
    def head(self) -> str | None:
        """The keyword that opens the form, if it starts with one."""
        if self and isinstance(self[0], Token) and self[0].kind == ATOM:
            return self[0].text
        return None


class Annotation(Form):
    """An annotation `(@name item*)`: its items are tokens, parenthesised forms and nested
    annotations; `offset` is where `(@` stands and `end` is just after its `)`."""

    __slots__ = ("name",)

    def __init__(self, offset: int, name: str) -> None:
        super().__init__(offset)
        self.name = name


Item = Union[Token, Form]


def item_end(item: Item) -> int:
    """The offset just after an item."""
    return item.end if isinstance(item, Form) else item.offset + len(item.text)


def _decode_simple(body: str) -> bytes:
    r"""The bytes of a string literal's body (between the quotes) whose escapes are all `\hh`
    or one-character ones: each is spelled `\xhh` and the codec decodes them, so that a string
    of many escapes (a large data segment) costs C speed, not a Python step per escape. Each
    `\\` found left to right is an escaped backslash (no escape ends in a backslash); once
    those are `\5c`, every backslash opens an escape, so each `\n` found is one, and so on."""
    for escape, hex_escape in _HEX_SPELLINGS:
        body = body.replace(escape, hex_escape)
    return body.replace("\\", "\\x").encode("utf-8").decode("unicode_escape").encode("latin-1")


def _decode_string(body: str, offset: int, source: Source) -> bytes:
    """The bytes of any string literal's body, escape by escape."""
    out = bytearray()
    pos = 0
    for match in _ESCAPE.finditer(body):
        out += body[pos : match.start()].encode("utf-8")
        hex_byte, code_point, other = match.groups()
        if hex_byte is not None:
            out.append(int(hex_byte, 16))
        elif code_point is not None:
            value = int(code_point.replace("_", ""), 16)
            if value >= 0x110000 or 0xD800 <= value < 0xE000:
                source.fail("malformed UTF-8 encoding", offset + match.start())
            out += chr(value).encode("utf-8")
        elif other in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[other]
        else:
            source.fail("illegal escape", offset + match.start())
        pos = match.end()
    out += body[pos:].encode("utf-8")
    return bytes(out)


def _classify(run: str, offset: int, source: Source) -> Token:
    if run[0] == '"':
        if _SIMPLE_STRING.fullmatch(run):
            return Token(STRING, run, offset, _decode_simple(run[1:-1]))
        match = _STRING.fullmatch(run)
        if match:
            return Token(STRING, run, offset, _decode_string(match.group(1), offset + 1, source))
    elif run[0] == "$":
        if _ID.fullmatch(run):
            return Token(ID, run, offset, run[1:])
        if run[1:2] == '"' and _STRING.fullmatch(run, 1):
            return Token(ID, run, offset, _string_id(_classify(run[1:], offset + 1, source), offset, source))
    elif _ATOM.fullmatch(run):
        return Token(ATOM, run, offset)
    return Token(RESERVED, run, offset)


def _string_id(string: Token, offset: int, source: Source) -> str:
    """The name of the identifier `$"..."` (3.0): the string's UTF-8 text, not empty. `$fh`
    and `$"fh"` are the same identifier."""
    try:
        name = cast(bytes, string.value).decode("utf-8")
    except UnicodeDecodeError:
        source.fail("malformed UTF-8 encoding", offset + 1)
    if not name:
        source.fail("empty identifier", offset)
    return name


def _block_comment_end(text: str, start: int) -> int | None:
    """The offset just after the block comment opening at `start` (comments nest), or None if
    it is never closed. One pass over the delimiters, so that deep nesting costs linear time."""
    depth = 0
    for match in _COMMENT_DELIMITER.finditer(text, start):
        depth += 1 if match.group() == "(;" else -1
        if depth == 0:
            return match.end()
    return None


def _skip_block_comment(text: str, start: int, source: Source) -> int:
    end = _block_comment_end(text, start)
    if end is None:
        source.fail("unclosed comment", start)
    return end


def skip_trivia(text: str, start: int = 0) -> int:
    """The offset of the first character from `start` on that is neither white space nor in a
    comment (the end of the text if an unclosed block comment runs to it): where the text's
    first token stands."""
    pos = start
    while pos < len(text):
        match = _SCAN.match(text, pos)
        kind = match.lastgroup  # type: ignore[union-attr]
        if kind in ("space", "line_comment"):
            pos = match.end()  # type: ignore[union-attr]
        elif kind == "block_comment":
            pos = _block_comment_end(text, pos) or len(text)
        else:
            break
    return pos


def read_forms(source: Source) -> list[Item]:
    """Read the whole text into top-level items (forms and tokens), skipping comments and
    annotations. Nesting is handled with an explicit stack, so deep nesting costs no
    recursion.

    Unbalanced parentheses do not fail at once: the forms read so far (the open ones closed)
    are returned and the error is left in `source.pending_error`, to be raised once they have
    been parsed. A parser that reads as it goes, like the reference one, would have met any
    fault in those forms first."""
    text = source.text
    stack: list[Form] = []
    top: list[Item] = []
    current: list[Item] = top
    pos = 0
    length = len(text)
    scan = _SCAN.match
    while pos < length:
        match = scan(text, pos)
        kind = match.lastgroup  # type: ignore[union-attr]
        end = match.end()  # type: ignore[union-attr]
        if kind == "run":
            if not stack:
                # Modules and scripts are made of forms: a word outside any is where the text
                # stops being one (a C file fails on its first word, not on a later `;`).
                source.pending_error = source.error("unexpected token", pos)
                return top
            current.append(_classify(match.group(), pos, source))  # type: ignore[union-attr]
        elif kind == "open":
            form = Form(pos)
            current.append(form)
            stack.append(form)
            current = form
        elif kind == "close":
            if not stack:
                source.pending_error = source.error("unexpected token", pos)
                return top
            stack.pop().end = end
            current = stack[-1] if stack else top
        elif kind == "block_comment":
            end = _skip_block_comment(text, pos, source)
        elif kind == "annotation":
            annotation = _read_annotation(text, pos, source)
            source.annotations.append(annotation)
            end = annotation.end
        elif kind == "other":
            char = text[pos]
            last = current[-1] if current else None
            if char == '"' and isinstance(last, Token) and last.text == "$" and last.offset == pos - 1:
                source.fail("empty identifier", pos - 1)  # `$` and a string that is not one
            if char == '"':
                source.fail("unclosed string" if _unclosed(text, pos) else "illegal character in string", pos)
            if char == ";":
                source.fail("unexpected token", pos)
            source.fail("misplaced unicode character" if ord(char) > 0x7F else "illegal character", pos)
        pos = end
    if stack:
        source.pending_error = source.error("unexpected end of input: unclosed parenthesis", length)
        for form in stack:
            form.end = length + 1
    return top


def _unclosed(text: str, start: int) -> bool:
    """Whether the string literal opening at `start` runs to the end of its line unclosed
    (rather than holding an illegal character)."""
    match = _STRING_PREFIX.match(text, start)
    end = match.end() if match else start
    return end >= len(text) or text[end] == "\n"


def _annotation_start(text: str, start: int, source: Source) -> Annotation:
    """The annotation opening with `(@` at `start`, with its id read and no items yet."""
    match = _ANNOTATION_ID.match(text, start + 2)
    if match is None:
        source.fail("empty annotation id", start)
    name = match.group()
    if name[0] == '"':
        token = _classify(name, start + 2, source)
        try:
            name = token.value.decode("utf-8")  # type: ignore[union-attr]
        except UnicodeDecodeError:
            source.fail("malformed UTF-8 encoding", start + 2)
        if not name:
            source.fail("empty annotation id", start)
    annotation = Annotation(start, name)
    annotation.end = match.end()
    return annotation


def _read_annotation(text: str, start: int, source: Source) -> Annotation:
    """The annotation `(@id ...)` opening at `start`, with its items. Inside it, `;` and the
    brackets `, [ ] { }` are tokens too; any other character outside a string that no token
    may hold is an "illegal character". Nesting uses an explicit stack, as in read_forms."""
    root = _annotation_start(text, start, source)
    stack: list[Form] = [root]
    pos = root.end
    length = len(text)
    while pos < length:
        match = _SCAN.match(text, pos)
        kind = match.lastgroup  # type: ignore[union-attr]
        end = match.end()  # type: ignore[union-attr]
        if kind == "run":
            run = match.group()  # type: ignore[union-attr]
            for part in _ANNOTATION_ILLEGAL.finditer(run):
                if part.group("illegal") is not None:
                    source.fail("illegal character", pos + part.start())
            stack[-1].append(_classify(run, pos, source))
        elif kind == "open" or kind == "annotation":
            # Inside an annotation, `(@` with no id after it opens a plain form (`(@)`).
            form: Form = Form(pos)
            if kind == "annotation" and _ANNOTATION_ID.match(text, pos + 2):
                form = _annotation_start(text, pos, source)
            else:
                end = pos + 1
            stack[-1].append(form)
            stack.append(form)
            end = max(end, form.end)
        elif kind == "close":
            closed = stack.pop()
            closed.end = end
            if not stack:
                return root
        elif kind == "block_comment":
            end = _skip_block_comment(text, pos, source)
        elif kind == "other":
            char = text[pos]
            if char == '"':
                source.fail("unclosed string" if _unclosed(text, pos) else "illegal character in string", pos)
            if char != ";":
                source.fail("illegal character", pos)
            stack[-1].append(Token(RESERVED, char, pos))
        pos = end
    source.fail("unclosed annotation", start)
