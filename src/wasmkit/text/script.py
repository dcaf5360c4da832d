"""The .wast script format: modules, actions and assertions, as plain values.

A script is read whole into commands; the modules in it are parsed when a runner asks for them
(`ScriptModule.build`), so that a module meant to be malformed fails where the assertion
expects it to, not when the script is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..bits import MASK32, MASK64
from ..errors import ParseError
from ..opcodes import ALL_FEATURES, Feature
from ..syntax.module import Module
from ..syntax.types import ValType, ValueType, ref_type
from .body import take_f32, take_f64, take_i32, take_i64, take_v128
from .cursor import Cursor, is_form, unexpected
from .lexer import ATOM, Form, Item, Source, Token, read_forms
from .parser import module_from_form

__all__ = [
    "ScriptModule",
    "Value",
    "NanPattern",
    "LanePatterns",
    "RefPattern",
    "Either",
    "Result",
    "Action",
    "ModuleCommand",
    "ModuleInstance",
    "Register",
    "ActionCommand",
    "AssertReturn",
    "AssertTrap",
    "AssertExhaustion",
    "AssertException",
    "AssertMalformed",
    "AssertInvalid",
    "AssertMalformedCustom",
    "AssertInvalidCustom",
    "AssertUnlinkable",
    "AssertUninstantiable",
    "ModuleAssertion",
    "InstanceAssertion",
    "Unreadable",
    "Command",
    "parse_script",
]


@dataclass(frozen=True)
class ScriptModule:
    """A module written in a script: as text (a form to parse), binary, or quoted text."""

    source: Source
    form: Form
    line: int
    name: str | None
    kind: str  # "text", "binary" or "quote"

    def build(self, features: frozenset[Feature] = ALL_FEATURES) -> Module:
        """Parse the module, reading what `features` allow (2.0's script reads 32-bit limits
        and offsets, and zero bytes for memory indices, and no 3.0 instructions in binary).
        Raises ParseError or DecodeError if it is malformed."""
        return module_from_form(self.source, self.form, features=features)


@dataclass(frozen=True)
class Value:
    """A constant argument or expected result: its type and its bits (floats and v128 as bit
    patterns; references as None for null, or the extern's number)."""

    type: ValueType
    bits: int | None


@dataclass(frozen=True)
class NanPattern:
    """`nan:canonical` or `nan:arithmetic` for an f32 or f64 result."""

    type: ValueType
    kind: str  # "canonical" or "arithmetic"


@dataclass(frozen=True)
class LanePatterns:
    """A v128 result given lane by lane, where float lanes may be NaN patterns."""

    shape: str
    lanes: tuple[Union[int, NanPattern], ...]


# The reference results a script writes `(ref.KIND)` (any non-null reference of the kind) or,
# for func, extern and host (a host value seen as an anyref), `(ref.KIND N)`.
_REFERENCE_RESULTS = {
    "ref.func": ValType.FUNCREF,
    "ref.extern": ValType.EXTERNREF,
    "ref.host": ValType.ANYREF,
    "ref.any": ValType.ANYREF,
    "ref.eq": ValType.EQREF,
    "ref.i31": ValType.I31REF,
    "ref.struct": ValType.STRUCTREF,
    "ref.array": ValType.ARRAYREF,
}

@dataclass(frozen=True)
class RefPattern:
    """`(ref.func)`, `(ref.extern)`, `(ref.struct)`, ... without a value: any non-null
    reference of that kind."""

    type: ValType


@dataclass(frozen=True)
class Either:
    """One of several results."""

    options: tuple["Result", ...]


Result = Union[Value, NanPattern, LanePatterns, RefPattern, Either]


@dataclass(frozen=True)
class Action:
    kind: str  # "invoke" or "get"
    module: str | None
    name: str
    args: tuple[Value, ...] = ()


@dataclass(frozen=True)
class ModuleCommand:
    """A module: defined (checked and kept under its name, and as the latest definition) and,
    unless it is a `(module definition ...)`, instantiated as the current instance too."""

    line: int
    module: ScriptModule
    definition: bool = False  # `(module definition ...)`: compiled, not instantiated


@dataclass(frozen=True)
class ModuleInstance:
    """`(module instance $I? $M?)`: a new instance of the module defined as `$M` (of the latest
    definition without it), kept as the current instance and as `$I`. With one name, the name
    is the module's, as the reference interpreter reads it."""

    line: int
    name: str | None  # the instance's
    definition: str | None  # the module definition's


@dataclass(frozen=True)
class Register:
    line: int
    as_name: str
    module: str | None


@dataclass(frozen=True)
class ActionCommand:
    line: int
    action: Action


@dataclass(frozen=True)
class AssertReturn:
    line: int
    action: Action
    results: tuple[Result, ...]


@dataclass(frozen=True)
class AssertTrap:
    """That an action traps or, given a module (`(module ...)` or `(module instance ...)`),
    that instantiating it traps."""

    line: int
    action: Action | None
    module: ScriptModule | ModuleInstance | None
    message: str


@dataclass(frozen=True)
class AssertExhaustion:
    line: int
    action: Action
    message: str


@dataclass(frozen=True)
class AssertException:
    """That the action ends in a wasm exception that no handler caught."""

    line: int
    action: Action


@dataclass(frozen=True)
class ModuleAssertion:
    """An assertion about a module as a whole: that reading or checking it fails with
    `message`. Each kind below is one of these."""

    line: int
    module: ScriptModule
    message: str


class AssertMalformed(ModuleAssertion):
    """The module must fail to decode or parse."""


class AssertInvalid(ModuleAssertion):
    """The module must parse and then fail validation."""


class AssertMalformedCustom(ModuleAssertion):
    """The module must be malformed only in its custom annotations (an AnnotationError)."""


class AssertInvalidCustom(ModuleAssertion):
    """The module must be valid, and its custom sections not (a CustomSectionError)."""


@dataclass(frozen=True)
class InstanceAssertion:
    """An assertion about instantiating a module, written in place (`(module ...)`) or defined
    before (`(module instance $I? $M?)`, whose instance is not kept): that it fails with
    `message`."""

    line: int
    module: ScriptModule | ModuleInstance
    message: str


class AssertUnlinkable(InstanceAssertion):
    """The module must fail to link against what the script registered."""


class AssertUninstantiable(InstanceAssertion):
    """The module must link and then trap while instantiating."""


@dataclass(frozen=True)
class Unreadable:
    """A command the reader could not read (a form it does not know, or a malformed one),
    kept in place of the command when a script is read with `keep_going`: it fails when run,
    and the script goes on."""

    line: int
    keyword: str  # the form's head as written ("assert_exception"), or "" if it has none
    error: ParseError


Command = Union[
    ModuleCommand,
    ModuleInstance,
    Register,
    ActionCommand,
    AssertReturn,
    AssertTrap,
    AssertExhaustion,
    AssertException,
    ModuleAssertion,  # AssertMalformed, AssertInvalid, AssertMalformedCustom, AssertInvalidCustom
    InstanceAssertion,  # AssertUnlinkable, AssertUninstantiable
    Unreadable,
]


def parse_script(text: str, name: str = "", keep_going: bool = False) -> list[Command]:
    """Read a .wast script into commands. Raises ParseError if the script itself is malformed;
    with `keep_going`, only if its forms cannot be read at all (unbalanced parentheses, a bad
    token): a command that cannot be read becomes an `Unreadable` in its place."""
    source = Source(text, name)
    reader = _Reader(source)
    commands: list[Command] = []
    for item in _group_inline_modules(read_forms(source)):
        try:
            commands.append(reader.command(item))
        except ParseError as err:
            if not keep_going:
                raise
            keyword = (item.head if isinstance(item, Form) else None) or ""
            commands.append(Unreadable(reader.line(item), keyword, err))
    source.raise_pending()
    return commands


_FIELDS = frozenset({"type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data"})


def _group_inline_modules(items: list[Item]) -> list[Item]:
    """A script may give a module as bare fields: gather each run of them into a module form."""
    out: list[Item] = []
    for item in items:
        if isinstance(item, Form) and item.head in _FIELDS:
            module = out[-1] if out else None
            if not isinstance(module, _InlineModule):
                module = _InlineModule(item.offset)
                module.append(Token(ATOM, "module", item.offset))
                out.append(module)
            module.append(item)
            module.end = item.end
        else:
            out.append(item)
    return out


class _InlineModule(Form):
    """The module form gathered from bare fields."""

    __slots__ = ()


_MODULE_ASSERTIONS: dict[str, type[ModuleAssertion]] = {
    "assert_malformed": AssertMalformed,
    "assert_invalid": AssertInvalid,
    "assert_malformed_custom": AssertMalformedCustom,
    "assert_invalid_custom": AssertInvalidCustom,
}
_INSTANCE_ASSERTIONS: dict[str, type[InstanceAssertion]] = {
    "assert_unlinkable": AssertUnlinkable,
    "assert_uninstantiable": AssertUninstantiable,
}


class _Reader:
    def __init__(self, source: Source) -> None:
        self.source = source

    def line(self, item: Item) -> int:
        """The line of an item: of a form, the line of its keyword (as wabt reports it)."""
        if isinstance(item, Form) and item:
            item = item[0]
        return self.source.locate(item.offset)[0]

    def command(self, item: Item) -> Command:
        if not isinstance(item, Form):
            unexpected(Cursor(self.source, [item], 0, item.offset), item)
        cursor = Cursor(self.source, item)
        line = self.line(item)
        head = item.head
        if head == "module":
            if cursor.peek_atom() == "instance":
                return self.instance(item)
            return ModuleCommand(line, self.module(item), definition=cursor.peek_atom() == "definition")
        if head == "register":
            as_name = cursor.take_name()
            module = cursor.take_id()
            cursor.expect_end()
            return Register(line, as_name, module)
        if head in ("invoke", "get"):
            return ActionCommand(line, self.action(item))
        if head == "assert_return":
            action = self.action(cursor.take())
            results = []
            while not cursor.at_end():
                results.append(self.result(cursor.take()))
            return AssertReturn(line, action, tuple(results))
        if head == "assert_exception":
            action = self.action(cursor.take())
            cursor.expect_end()
            return AssertException(line, action)
        if head in ("assert_trap", "assert_exhaustion"):
            target = cursor.take()
            message = cursor.take_name()
            cursor.expect_end()
            if head == "assert_exhaustion":
                return AssertExhaustion(line, self.action(target), message)
            if is_form(target, "module"):
                return AssertTrap(line, None, self.instantiation(target), message)
            return AssertTrap(line, self.action(target), None, message)
        if head in _MODULE_ASSERTIONS or head in _INSTANCE_ASSERTIONS:
            target = cursor.take()
            if not is_form(target, "module"):
                unexpected(cursor, target)
            message = cursor.take_name()
            cursor.expect_end()
            if head in _INSTANCE_ASSERTIONS:
                return _INSTANCE_ASSERTIONS[head](line, self.instantiation(target), message)
            return _MODULE_ASSERTIONS[head](line, self.module(target), message)
        unexpected(cursor, item[0] if item else None)

    def instance(self, form: Form) -> ModuleInstance:
        """`(module instance $I? $M?)`: with one name, the name is the module definition's."""
        cursor = Cursor(self.source, form)
        cursor.take_keyword("instance")
        first = cursor.take_id()
        second = cursor.take_id()
        cursor.expect_end()
        if second is None:
            return ModuleInstance(self.line(form), None, first)
        return ModuleInstance(self.line(form), first, second)

    def instantiation(self, form: Form) -> ScriptModule | ModuleInstance:
        """What `assert_unlinkable` and `assert_trap` instantiate: a module written in place or
        `(module instance ...)`; a module definition there is misplaced, as the reference
        interpreter says."""
        cursor = Cursor(self.source, form)
        if cursor.peek_atom() == "instance":
            return self.instance(form)
        if cursor.peek_atom() == "definition":
            cursor.fail("misplaced module definition", cursor.peek())
        return self.module(form)

    def module(self, form: Form) -> ScriptModule:
        """A module form; `(module definition $id? ...)` is read as the module it defines."""
        cursor = Cursor(self.source, form)
        if cursor.peek_atom() == "instance":  # no module to read: an instance of one
            unexpected(cursor, cursor.peek())
        if cursor.take_if_keyword("definition"):
            stripped = Form(form.offset)
            stripped.end = form.end
            stripped.extend([form[0]] + form[2:])
            form = stripped
            cursor = Cursor(self.source, form)
        name = cursor.take_id()
        kind = cursor.peek_atom()
        kind = kind if kind in ("binary", "quote") else "text"
        return ScriptModule(self.source, form, self.line(form), name, kind)

    def action(self, item: Item) -> Action:
        if not isinstance(item, Form) or item.head not in ("invoke", "get"):
            unexpected(Cursor(self.source, [item], 0, item.offset), item)
        cursor = Cursor(self.source, item)
        module = cursor.take_id()
        name = cursor.take_name()
        args = []
        while not cursor.at_end():
            args.append(self.const(cursor.take()))
        return Action(item.head, module, name, tuple(args))

    def const(self, item: Item) -> Value:
        result = self.result(item)
        if not isinstance(result, Value):
            unexpected(Cursor(self.source, [item], 0, item.offset), item)
        return result

    def result(self, item: Item) -> Result:
        """An expected result: one value or pattern, or `(either ...)` of results. An `either`
        nested in another is flattened into it (it matches the same values), with an explicit
        stack, so that deep nesting costs no recursion here or when results are matched."""
        if not is_form(item, "either"):
            return self.single_result(item)
        options = []
        pending = [iter(item[1:])]
        while pending:
            option = next(pending[-1], None)
            if option is None:
                pending.pop()
            elif is_form(option, "either"):
                pending.append(iter(option[1:]))
            else:
                options.append(self.single_result(option))
        return Either(tuple(options))

    def single_result(self, item: Item) -> Result:
        """A value or pattern, not `either`."""
        if not isinstance(item, Form) or item.head is None:
            unexpected(Cursor(self.source, [item], 0, item.offset), item)
        cursor = Cursor(self.source, item)
        head = item.head
        if head == "ref.null":
            if cursor.at_end():  # a null of any type
                return Value(ValType.NULLREF, None)
            heap = cursor.take_heaptype()
            cursor.expect_end()
            return Value(ref_type(True, heap), None)
        reference = _REFERENCE_RESULTS.get(head)
        if reference is not None:
            if cursor.at_end():
                return RefPattern(reference)
            if reference not in (ValType.FUNCREF, ValType.EXTERNREF, ValType.ANYREF):
                unexpected(cursor, cursor.peek())
            value = cursor.take_u32()
            cursor.expect_end()
            return Value(reference, value)
        if head in ("f32.const", "f64.const"):
            vt = ValType.F32 if head == "f32.const" else ValType.F64
            pattern = self.nan_pattern(cursor, vt)
            if pattern is not None:
                cursor.expect_end()
                return pattern
            bits = take_f32(cursor) if vt == ValType.F32 else take_f64(cursor)
            cursor.expect_end()
            return Value(vt, bits)
        if head == "i32.const":
            value = take_i32(cursor) & MASK32
            cursor.expect_end()
            return Value(ValType.I32, value)
        if head == "i64.const":
            value = take_i64(cursor) & MASK64
            cursor.expect_end()
            return Value(ValType.I64, value)
        if head == "v128.const":
            shape = cursor.peek_atom()
            if shape in ("f32x4", "f64x2") and any(
                isinstance(lane, Token) and lane.text.startswith("nan:") and lane.text[4:5].isalpha()
                for lane in item[2:]
            ):
                return self.lane_patterns(cursor, shape)
            bits = take_v128(cursor)
            cursor.expect_end()
            return Value(ValType.V128, bits)
        unexpected(cursor, item[0])

    def nan_pattern(self, cursor: Cursor, vt: ValType) -> NanPattern | None:
        text = cursor.peek_atom()
        if text in ("nan:canonical", "nan:arithmetic"):
            cursor.pos += 1
            return NanPattern(vt, text[4:])
        return None

    def lane_patterns(self, cursor: Cursor, shape: str) -> LanePatterns:
        cursor.take_atom()
        vt = ValType.F32 if shape == "f32x4" else ValType.F64
        count = 4 if shape == "f32x4" else 2
        lanes: list[int | NanPattern] = []
        for _ in range(count):
            pattern = self.nan_pattern(cursor, vt)
            if pattern is not None:
                lanes.append(pattern)
            else:
                lanes.append(take_f32(cursor) if vt == ValType.F32 else take_f64(cursor))
        cursor.expect_end()
        return LanePatterns(shape, tuple(lanes))
