"""The annotations a module's text gives meaning to, as the reference interpreter reads them:

- `(@custom "name" (before|after SECTION)? "bytes"*)` at module level is a custom section,
  placed where it says (by default after all sections);
- `(@name "text")` just after a definition's keyword and `$id` names it in the name section
  (just inside the module, before its fields, it names the module);
- `(@metadata.code.branch_hint "\\00"|"\\01")` in a function body hints the first instruction
  after it; the hints go into the `metadata.code.branch_hint` section, before the code.

Every other annotation is ignored. The lexer has checked the annotations' tokens; what is
checked here is only what these three say, after the module itself has parsed, so that a
module's own errors are reported first (as the reference does). Those faults raise
`AnnotationError`, which `assert_malformed_custom` expects.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import NoReturn, TypeGuard

from ..binary.leb128 import read_u32, write_unsigned
from ..binary.names import encode_names
from ..binary.reader import SectionId
from ..binary.writer import SECTION_LAYOUT, encode_locals
from ..errors import DecodeError, ParseError
from ..syntax.module import CustomSection, NameSection
from ..syntax.types import ValType, ValueType
from .lexer import ATOM, STRING, Annotation, Form, Item, Source, Token, item_end

__all__ = [
    "AnnotationError",
    "ModuleAnnotations",
    "BRANCH_HINT",
    "placement_text",
    "read_branch_hints",
    "stands_before_code",
]

BRANCH_HINT = "metadata.code.branch_hint"


class AnnotationError(ParseError):
    """A known annotation that is malformed or misplaced: the module text is fine otherwise."""


# The section keywords of a placement, and the ids of the sections they name.
_SECTIONS = {
    "type": SectionId.TYPE,
    "import": SectionId.IMPORT,
    "func": SectionId.FUNCTION,
    "table": SectionId.TABLE,
    "memory": SectionId.MEMORY,
    "tag": SectionId.TAG,
    "global": SectionId.GLOBAL,
    "export": SectionId.EXPORT,
    "start": SectionId.START,
    "elem": SectionId.ELEMENT,
    "datacount": SectionId.DATA_COUNT,
    "code": SectionId.CODE,
    "data": SectionId.DATA,
    "first": SECTION_LAYOUT[0],
    "last": SECTION_LAYOUT[-1],
}
_LAYOUT_INDEX = {section_id: index for index, section_id in enumerate(SECTION_LAYOUT)}
_KEYWORDS = {section_id: word for word, section_id in _SECTIONS.items() if word not in ("first", "last")}

# Where a custom section goes: (the section it is written after, 0 before all, and whether it
# is placed "before" the next one), compared by the position of that section in the layout.
_Place = tuple[int, int]
_AFTER_LAST: _Place = (SECTION_LAYOUT[-1], 0)
_BEFORE_CODE: _Place = (SectionId.DATA_COUNT, 1)

# The name section's field for each index space that @name can name.
_NAME_FIELDS = {
    "type": "types",
    "func": "funcs",
    "table": "tables",
    "memory": "memories",
    "global": "globals",
    "elem": "elems",
    "data": "datas",
    "tag": "tags",
}
_KIND_WORDS = {"func": "function", "local": "local", "module": "module"}


def _place(direction: str, section_id: int) -> _Place:
    """The place `(before S)` or `(after S)`: "before S" is after the section that precedes S
    in the layout (and after everything placed "after" that one)."""
    if direction == "after":
        return (section_id, 0)
    index = _LAYOUT_INDEX[section_id]
    return (SECTION_LAYOUT[index - 1] if index else 0, 1)


def placement_text(after: int) -> str:
    """The placement that puts a custom section after section `after` (0: before all)."""
    return "(before first)" if after == 0 else f"(after {_KEYWORDS[after]})"


def stands_before_code(after: int) -> bool:
    """Whether a custom section placed after section `after` comes before the code section,
    where a branch hint section written from annotations goes."""
    return after == 0 or _LAYOUT_INDEX[after] < _LAYOUT_INDEX[SectionId.CODE]


def read_branch_hints(data: bytes) -> list[tuple[int, list[tuple[int, int]]]]:
    """The content of a branch hint section: per function, its index and its hints as (byte
    offset from the function's local declarations, hint). Raises DecodeError if malformed."""
    funcs = []
    count, pos = read_u32(data, 0)
    for _ in range(count):
        func, pos = read_u32(data, pos)
        hint_count, pos = read_u32(data, pos)
        hints = []
        for _ in range(hint_count):
            offset, pos = read_u32(data, pos)
            reserved, pos = read_u32(data, pos)
            if reserved != 1:
                raise DecodeError("missing reserved byte", pos)
            hint, pos = read_u32(data, pos)
            if hint > 1:
                raise DecodeError("invalid hint value", pos)
            hints.append((offset, hint))
        funcs.append((func, hints))
    if pos != len(data):
        raise DecodeError("unexpected content after the last function", pos)
    return funcs


def _sort_key(place: _Place, offset: int) -> tuple[int, int, int]:
    after, before = place
    return (_LAYOUT_INDEX[after] if after else -1, before, offset)


@dataclass
class NameSlot:
    """A place where a `(@name ...)` annotation may stand, and what it then names: `space` and
    `index` (for locals, `func` is the function), between the offsets `start` and `end`."""

    space: str  # "module", "local" or an index space of _NAME_FIELDS
    index: int
    start: int
    end: int
    func: int = 0


class ModuleAnnotations:
    """The known annotations of one module (those between `start` and `end` in its source)."""

    def __init__(self, source: Source, start: int, end: int) -> None:
        self.source = source
        self.end = end
        annotations = source.annotations
        first = bisect.bisect_left(annotations, start, key=lambda a: a.offset)
        last = bisect.bisect_right(annotations, end, key=lambda a: a.offset)
        mine = [a for a in annotations[first:last] if a.end <= end + 1]
        self.customs = [a for a in mine if a.name == "custom"]
        self.names = [a for a in mine if a.name == "name"]
        self.hints = [a for a in mine if a.name == BRANCH_HINT]
        self.name_slots: list[NameSlot] = []
        self.hint_funcs: dict[int, int] = {}  # id of a hint annotation -> its function
        self.placed: dict[int, tuple[int, list[tuple[int, Annotation]]]] = {}  # see function_hints

    def fail(self, message: str, item: Item) -> NoReturn:
        self.source.fail(message, item.offset, AnnotationError)

    # -- @name --

    def name_slot(self, space: str, index: int, form: Form, pos: int, func: int = 0) -> None:
        """Let an @name annotation name entry `index` of `space` where it stands in `form` just
        before the item at `pos` (after the keyword and the optional `$id`)."""
        start = item_end(form[pos - 1])
        end = form[pos].offset if pos < len(form) else form.end
        self.name_slots.append(NameSlot(space, index, start, end, func))

    def module_slot(self, name_start: int, fields: list[Form], end: int) -> None:
        """The module's own name: an @name before its first field."""
        self.name_slots.append(NameSlot("module", 0, name_start, fields[0].offset if fields else end))

    def name_section(self, names: NameSection) -> NameSection:
        """`names` (from `$ids`, or empty) with what the @name annotations give, which wins."""
        fields: dict[str, dict[int, str]] = {field: dict(getattr(names, field)) for field in _NAME_FIELDS.values()}
        locals_ = {func: dict(local_names) for func, local_names in names.locals.items()}
        module = names.module
        slots = sorted(self.name_slots, key=lambda slot: slot.start)
        starts = [slot.start for slot in slots]
        named: set[int] = set()
        for annotation in self.names:
            text = self.name_text(annotation)
            i = bisect.bisect_right(starts, annotation.offset) - 1
            if i < 0 or annotation.end > slots[i].end:
                self.fail("misplaced @name annotation", annotation)
            slot = slots[i]
            if i in named:
                kind = _KIND_WORDS.get(slot.space, slot.space)
                self.fail(f"@name annotation: multiple {kind} names", annotation)
            named.add(i)
            if slot.space == "module":
                module = text
            elif slot.space == "local":
                locals_.setdefault(slot.func, {})[slot.index] = text
            else:
                fields[_NAME_FIELDS[slot.space]][slot.index] = text
        return NameSection(module=module, locals=locals_, **fields)  # type: ignore[arg-type]

    def name_text(self, annotation: Annotation) -> str:
        """The name an @name annotation gives: its one string."""
        raw = self.string(annotation[0] if annotation else annotation, "@name annotation: string expected")
        text = self.utf8(raw, "malformed UTF-8 encoding", annotation)
        if len(annotation) > 1:
            self.fail("@name annotation: unexpected token", annotation[1])
        return text

    def string(self, item: Item, message: str) -> bytes:
        """The bytes of a string item; fail with `message` if it is none."""
        if not (isinstance(item, Token) and item.kind == STRING and isinstance(item.value, bytes)):
            self.fail(message, item)
        return item.value

    def utf8(self, raw: bytes, message: str, item: Item) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(message, item)

    def custom_sections(self, fields: list[Form], ids: NameSection, debug_names: bool) -> tuple[CustomSection, ...]:
        """Every custom section the module's text asks for, in the order to write them: the
        @custom ones, the branch hints, and the name section, with the `$names` in `ids`
        (when `debug_names`) and the @name annotations."""
        keyed = self.custom_annotations(fields) + self.branch_hint_section()
        names = self.name_section(ids)
        if debug_names or self.names:
            offset = self.names[0].offset if self.names else self.end
            keyed.append((_sort_key(_AFTER_LAST, offset), CustomSection("name", encode_names(names), _AFTER_LAST[0])))
        return tuple(section for _, section in sorted(keyed, key=lambda pair: pair[0]))

    # -- @custom --

    def custom_annotations(self, fields: list[Form]) -> list[tuple[tuple[int, int, int], CustomSection]]:
        """The @custom sections, each with its sort key. An @custom inside a field is misplaced."""
        out = []
        starts = [field.offset for field in fields]
        for annotation in self.customs:
            name, place, data = self.custom_parts(annotation)
            i = bisect.bisect_right(starts, annotation.offset) - 1
            if i >= 0 and annotation.end <= fields[i].end:
                self.fail("misplaced @custom annotation", annotation)
            out.append((_sort_key(place, annotation.offset), CustomSection(name, data, place[0])))
        return out

    def custom_parts(self, annotation: Annotation) -> tuple[str, _Place, bytes]:
        """`"name" place? "bytes"*` of an @custom annotation."""
        first = annotation[0] if annotation else annotation
        raw = self.string(first, "@custom annotation: missing section name")
        name = self.utf8(raw, "@custom annotation: malformed UTF-8 encoding", first)
        pos = 1
        place = _AFTER_LAST
        placement = annotation[1] if len(annotation) > 1 else None
        if isinstance(placement, Form) and not isinstance(placement, Annotation):
            pos = 2
            direction = placement[0] if placement else None
            if not (_is_atom(direction) and direction.text in ("before", "after")):
                self.fail("@custom annotation: malformed placement", placement)
            section = placement[1] if len(placement) > 1 else placement
            if not (_is_atom(section) and section.text in _SECTIONS):
                self.fail("@custom annotation: malformed section kind", section)
            if len(placement) > 2:
                self.fail("@custom annotation: unexpected token", placement[2])
            place = _place(direction.text, _SECTIONS[section.text])
        data = b"".join(self.string(item, "@custom annotation: unexpected token") for item in annotation[pos:])
        return name, place, data

    # -- @metadata.code.branch_hint --

    def hints_in(self, form: Form) -> list[Annotation]:
        """The branch hints inside a function's form, in textual order."""
        first = bisect.bisect_left(self.hints, form.offset, key=lambda a: a.offset)
        last = bisect.bisect_left(self.hints, form.end, key=lambda a: a.offset)
        return self.hints[first:last]

    def function_hints(
        self,
        func: int,
        local_runs: tuple[tuple[int, ValueType], ...],
        hints: list[Annotation],
        placed: list[tuple[int, Annotation]],
    ) -> None:
        """Record where the branch hints of function `func` landed: each placed one at the byte
        offset of its instruction in the body, which follows the declarations of `local_runs`."""
        for annotation in hints:
            self.hint_funcs[id(annotation)] = func
        if placed:
            self.placed[func] = (len(encode_locals(local_runs)), placed)

    def branch_hint_section(self) -> list[tuple[tuple[int, int, int], CustomSection]]:
        """The branch hint section (with its sort key), if the module has hints."""
        if not self.hints:
            return []
        landed = {id(a) for _, placed in self.placed.values() for _, a in placed}
        for annotation in self.hints:
            self.hint_value(annotation)
            if id(annotation) not in self.hint_funcs:
                self.fail(f"@{BRANCH_HINT} annotation: not in a function", annotation)
            if id(annotation) not in landed:
                self.fail(f"@{BRANCH_HINT} annotation: invalid placement", annotation)
        funcs = []
        for func in sorted(self.placed):
            locals_length, placed = self.placed[func]
            hints = []
            last_offset = -1
            for offset, annotation in sorted(placed, key=lambda pair: (pair[0], pair[1].offset)):
                if offset == last_offset:
                    self.fail(f"@{BRANCH_HINT} annotation: duplicate annotation", annotation)
                last_offset = offset
                hint = self.hint_value(annotation)
                hints.append(write_unsigned(locals_length + offset) + b"\x01" + write_unsigned(hint))
            funcs.append(write_unsigned(func) + write_unsigned(len(hints)) + b"".join(hints))
        data = write_unsigned(len(funcs)) + b"".join(funcs)
        section = CustomSection(BRANCH_HINT, data, _BEFORE_CODE[0])
        return [(_sort_key(_BEFORE_CODE, self.hints[0].offset), section)]

    def hint_value(self, annotation: Annotation) -> int:
        """0 (likely not taken) or 1 (likely taken), from the annotation's string(s)."""
        payload = b"".join(self.string(item, f"@{BRANCH_HINT} annotation: unexpected token") for item in annotation)
        if payload not in (b"\x00", b"\x01"):
            self.fail(f"@{BRANCH_HINT} annotation: invalid hint value", annotation)
        return payload[0]


def _is_atom(item: Item | None) -> TypeGuard[Token]:
    return isinstance(item, Token) and item.kind == ATOM
