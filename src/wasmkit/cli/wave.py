"""The WAVE text (WebAssembly Value Encoding, wasm-wave) of `wasmtime run --invoke` for
components, in the subset `wasmkit run --invoke` takes and prints.

    call = parse_call('greet("Ada", 3)')          # Call("greet", ['"Ada"', '3'] as tokens)
    value = parse_value(Prim.STRING, token)        # "Ada"
    wave_text(Prim.STRING, "Ada")                  # '"Ada"'

Arguments: booleans (`true`, `false`), integers in decimal, floats (`1.5`, `1e30`, `nan`,
`inf`, `-inf`; an integer too), chars (`'x'`) and strings (`"x"`), with WAVE's escapes
(`\\n`, `\\t`, `\\r`, `\\\\`, `\\"`, `\\'`, `\\u{HEX}`). Results: those types, and `option`
(`some(v)`, `none`), `result` (`ok`, `ok(v)`, `err`, `err(v)`), `list` (`[a, b]`) and `enum`
(the case's label) of them. Strings and chars are written as wasm-wave writes them: quotes,
backslashes, tab, newline and return escaped, and any other character Python does not
print (controls, unassigned, separators but the space) as `\\u{HEX}`; floats as Rust
writes them, without an exponent (`format_result`), `nan` and `inf` in lower case.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..component.abi import Err, Ok, Some
from ..component.syntax import Prim
from ..component.types import Val, VType
from ..syntax.types import ValType
from .common import CliError
from .running import format_result

__all__ = ["ARGUMENT_TYPES", "Call", "RESULT_TYPES", "parse_call", "parse_value", "printable", "type_text", "wave_text"]

_INTS = {
    Prim.S8: (-(1 << 7), (1 << 7) - 1), Prim.U8: (0, (1 << 8) - 1),
    Prim.S16: (-(1 << 15), (1 << 15) - 1), Prim.U16: (0, (1 << 16) - 1),
    Prim.S32: (-(1 << 31), (1 << 31) - 1), Prim.U32: (0, (1 << 32) - 1),
    Prim.S64: (-(1 << 63), (1 << 63) - 1), Prim.U64: (0, (1 << 64) - 1),
}  # fmt: skip
ARGUMENT_TYPES = frozenset({Prim.BOOL, *_INTS, Prim.F32, Prim.F64, Prim.CHAR, Prim.STRING})
RESULT_TYPES = "bool, integers, floats, char, string, and option, result, list and enum of them"

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<char>'(?:[^'\\]|\\.|\\u\{[0-9a-fA-F]+\})')
      | (?P<word>-?[A-Za-z0-9_.+-]+)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}
_ESCAPED = {v: f"\\{k}" for k, v in _ESCAPES.items()}


@dataclass(frozen=True)
class Call:
    """A function call written `name(arg, ...)`: the name and each argument's token."""

    name: str
    args: tuple[str, ...]


def parse_call(text: str) -> Call:
    """The call `--invoke` names: a function name, then its arguments in parentheses."""
    name, paren, rest = text.partition("(")
    name = name.strip()
    if not paren or not name or not rest.rstrip().endswith(")"):
        raise CliError(f"--invoke {text!r}: expected a call such as 'name()' or 'name(1, \"two\")'")
    inner = rest.rstrip()[:-1]
    tokens: list[str] = []
    position = 0
    while position < len(inner):
        match = _TOKEN.match(inner, position)
        if match is None or match.group("punct") in ("(", ")"):
            if inner[position:].strip() == "":
                break
            raise CliError(f"--invoke {text!r}: cannot read the arguments from {inner[position:].strip()!r}")
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    args = tokens[0::2]
    if tokens[1::2] != [","] * len(tokens[1::2]) or "," in args or (tokens and tokens[-1] == ","):
        raise CliError(f"--invoke {text!r}: the arguments are to be separated by commas")
    return Call(name, tuple(args))


def type_text(vt: VType) -> str:
    return vt.text if isinstance(vt, Prim) else vt.kind


def parse_value(vt: VType, token: str) -> object:
    """The Python value of argument `token` for a parameter of type `vt` (one of
    ARGUMENT_TYPES); a CliError when it is not one."""
    wrong = CliError(f"--invoke: cannot read {token} as {type_text(vt)}")
    if vt is Prim.BOOL:
        if token not in ("true", "false"):
            raise wrong
        return token == "true"
    if vt in _INTS:
        if not re.fullmatch(r"-?[0-9]+", token):
            raise wrong
        low, high = _INTS[vt]
        if not low <= int(token) <= high:
            raise CliError(f"--invoke: {token} is out of range for {type_text(vt)}")
        return int(token)
    if vt in (Prim.F32, Prim.F64):
        if token in ("nan", "inf", "-inf"):
            return float(token)
        if not _NUMBER.fullmatch(token):
            raise wrong
        return float(token)
    if vt is Prim.CHAR:
        if not (len(token) >= 3 and token[0] == token[-1] == "'"):
            raise wrong
        text = _unescape(token[1:-1], token)
        if len(text) != 1:
            raise wrong
        return text
    if vt is Prim.STRING:
        if not (len(token) >= 2 and token[0] == token[-1] == '"'):
            raise wrong
        return _unescape(token[1:-1], token)
    raise CliError(f"--invoke: arguments of type {type_text(vt)} cannot be given on the command line")


def _unescape(body: str, token: str) -> str:
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        code = body[i + 1 : i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
            continue
        match = re.match(r"u\{([0-9a-fA-F]{1,6})\}", body[i + 1 :])
        if code != "u" or match is None or not _scalar(int(match.group(1), 16)):
            raise CliError(f"--invoke: bad escape in {token}")
        out.append(chr(int(match.group(1), 16)))
        i += 1 + match.end()
    return "".join(out)


def _scalar(code: int) -> bool:
    return code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF


def printable(vt: VType | None) -> bool:
    """Whether `wave_text` writes values of type `vt` (None: no result)."""
    if vt is None or vt in ARGUMENT_TYPES:
        return True
    if not isinstance(vt, Val):
        return False
    if vt.kind == "enum":
        return True
    if vt.kind in ("option", "list", "result"):
        return all(part is None or printable(part) for part in vt.parts)  # type: ignore[arg-type]
    return False


def wave_text(vt: VType, value: object) -> str:
    """`value`, of type `vt` (`printable`), as WAVE text."""
    if vt is Prim.BOOL:
        return "true" if value else "false"
    if vt in _INTS:
        return str(value)
    if vt in (Prim.F32, Prim.F64):
        number = float(value)  # type: ignore[arg-type]
        if math.isnan(number):
            return "nan"
        return format_result(ValType.F32 if vt is Prim.F32 else ValType.F64, number)
    if vt is Prim.CHAR:
        return f"'{_escape(str(value))}'"
    if vt is Prim.STRING:
        return f'"{_escape(str(value))}"'
    if not isinstance(vt, Val):
        raise ValueError(f"no WAVE text for values of {vt!r}")  # `printable` refuses these first
    if vt.kind == "enum":
        return str(getattr(value, "value", value))
    if vt.kind == "list":
        return "[" + ", ".join(wave_text(vt.parts[0], item) for item in value) + "]"  # type: ignore[arg-type, attr-defined]
    if vt.kind == "option":
        if value is None:
            return "none"
        inner = value.value if isinstance(value, Some) else value
        return f"some({wave_text(vt.parts[0], inner)})"  # type: ignore[arg-type]
    if vt.kind == "result":
        ok = isinstance(value, Ok)
        case, payload_type = ("ok", vt.parts[0]) if ok else ("err", vt.parts[1])
        payload = value.value if isinstance(value, (Ok, Err)) else None
        return case if payload_type is None else f"{case}({wave_text(payload_type, payload)})"  # type: ignore[arg-type]
    raise AssertionError(f"not printable: {vt}")


def _escape(text: str) -> str:
    return "".join(
        _ESCAPED[c] if c in _ESCAPED else c if c == " " or c.isprintable() else f"\\u{{{ord(c):x}}}" for c in text
    )
