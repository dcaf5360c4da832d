"""WIT text to tokens (wit-parser's `lex.rs`): words, `%`-escaped words, semver versions,
numbers, string literals, punctuation and comments. Every comment is kept, because WIT
attaches the comments before an item to it as its docs (`///` ones and plain ones alike, as
wit-parser does).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ...errors import WitError

__all__ = ["Source", "Token", "tokenize", "validate_id"]


class Source:
    """One WIT file's text and name, to turn an offset into a line and a column."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text.replace("\r\n", "\n")
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def error(self, message: str, offset: int) -> WitError:
        """A WitError at `offset` of this file."""
        line = bisect.bisect_right(self.line_starts, offset)
        column = offset - self.line_starts[line - 1] + 1
        return WitError(message, self.name, line, column)


@dataclass(frozen=True)
class Token:
    """`kind` is "id" (a plain word, keywords included), "explicit" (a `%word`, `text` without
    the `%`), "version", "int", "string" (`text` unquoted), "comment" or the punctuation itself."""

    kind: str
    text: str
    start: int


_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
_INT = re.compile(r"[0-9]+")
_WORD = re.compile(r"[\w-]+")
_SPACE = re.compile(r"[ \t\n]+")
_PUNCTUATION = "=,:.;(){}<>*@/+"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not tab, newline, carriage return (refused alone)
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # which can make text read other than it parses


def tokenize(source: Source) -> list[Token]:
    """The tokens of `source`, comments included, whitespace left out."""
    text, tokens, pos = source.text, list[Token](), 0
    for pattern, message in ((_CONTROL, "Control code '\\u{{{:x}}}'"),
                             (_BIDI, "Input contains bidirectional override codepoint '\\u{{{:x}}}'")):
        found = pattern.search(text)
        if found:
            raise source.error(message.format(ord(found.group())), found.start())
    while pos < len(text):
        c = text[pos]
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
            continue
        if text.startswith("//", pos):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end + 1
            tokens.append(Token("comment", text[pos:end], pos))
            pos = end
        elif text.startswith("/*", pos):
            end = _block_comment_end(source, pos)
            tokens.append(Token("comment", text[pos:end], pos))
            pos = end
        elif text.startswith("->", pos):
            tokens.append(Token("->", "->", pos))
            pos += 2
        elif c in "0123456789":
            match = _VERSION.match(text, pos) or _INT.match(text, pos)
            if match is None:
                raise source.error(f"unexpected character {c!r}", pos)
            tokens.append(Token("version" if "." in match.group() else "int", match.group(), pos))
            pos = match.end()
        elif c == "%":
            word = _WORD.match(text, pos + 1)
            tokens.append(Token("explicit", word.group() if word else "", pos))
            pos = word.end() if word else pos + 1
        elif c.isalpha() or c in "_-":
            word = _WORD.match(text, pos)
            if word is None:
                raise source.error(f"unexpected character {c!r}", pos)
            tokens.append(Token("id", word.group(), pos))
            pos = word.end()
        elif c == '"':
            pos = _string(source, pos, tokens)
        elif c in _PUNCTUATION:
            tokens.append(Token(c, c, pos))
            pos += 1
        else:
            raise source.error(f"unexpected character {c!r}", pos)
    return tokens


def _block_comment_end(source: Source, start: int) -> int:
    """Where the block comment at `start` ends (block comments nest)."""
    text, depth, pos = source.text, 1, start + 2
    while depth:
        if pos >= len(text):
            raise source.error("unterminated block comment", start)
        if text.startswith("/*", pos):
            depth, pos = depth + 1, pos + 2
        elif text.startswith("*/", pos):
            depth, pos = depth - 1, pos + 2
        else:
            pos += 1
    return pos


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
_UNICODE = re.compile(r"u\{([0-9a-fA-F]{1,6})\}")


def _string(source: Source, start: int, tokens: list[Token]) -> int:
    """Append the string literal at `start`, its escapes (`\\n`, `\\t`, `\\r`, `\\\\`,
    `\\"`, `\\'`, `\\u{hex}`) undone, and return where it ends."""
    text, pos, out = source.text, start + 1, list[str]()
    while True:
        if pos >= len(text) or text[pos] == "\n":
            raise source.error("unterminated string literal", start)
        c = text[pos]
        if c == '"':
            tokens.append(Token("string", "".join(out), start))
            return pos + 1
        if c != "\\":
            out.append(c)
            pos += 1
            continue
        escape = text[pos + 1:pos + 2]
        unicode = _UNICODE.match(text, pos + 1)
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            pos += 2
        elif unicode and int(unicode.group(1), 16) <= 0x10FFFF and not 0xD800 <= int(unicode.group(1), 16) < 0xE000:
            out.append(chr(int(unicode.group(1), 16)))
            pos = unicode.end()
        else:
            raise source.error(f"invalid string escape {escape!r}", pos + 1)


def validate_id(source: Source, token: Token) -> str:
    """`token`'s word if it is a valid WIT identifier (kebab-case: words of letters and
    digits, each all lower or all upper case, the first starting with a letter)."""
    name = token.text
    if not name:
        raise source.error("identifiers must have characters between '-'s", token.start)
    for n, part in enumerate(name.split("-")):
        if not part:
            raise source.error("identifiers must have characters between '-'s", token.start)
        if n == 0 and not (part[0].isascii() and part[0].isalpha()):
            raise source.error(f"invalid character in identifier {part[0]!r}", token.start)
        letters = [ch for ch in part if not ch.isdigit()]
        bad = next((ch for ch in part if not (ch.isascii() and ch.isalnum())), None)
        if bad is None and letters and not (all(ch.islower() for ch in letters) or all(ch.isupper() for ch in letters)):
            bad = next(ch for ch in letters if ch.isupper() != letters[0].isupper())
        if bad is not None:
            raise source.error(f"invalid character in identifier {bad!r}", token.start)
    return name
