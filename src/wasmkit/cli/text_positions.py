"""Where in a .wat file a validation error lies.

The validator reports a function index and an instruction's byte offset in the function's
body; a module read from text has no bytes in the file, so this finds the text of that
instruction instead. The function's `(func ...)` form is found among the module's fields;
its body is walked in the order the binary lists instructions (a folded form's operands before
its operator, a `block`'s implicit `end` at its closing parenthesis), giving one text offset per
instruction. When the count does not match the body's (a form this walk does not know), the
`(func` itself is reported: never a wrong place.
"""

from __future__ import annotations

from typing import cast

from ..binary.code import iter_instructions
from ..errors import ParseError, ValidationError
from ..opcodes import BY_NAME
from ..syntax.module import Module
from ..text.cursor import is_form
from ..text.lexer import ATOM, ID, Form, Item, Source, Token, read_forms

__all__ = ["locate_validation_error"]

# Forms inside a function that are not instructions: its header, and the block types and
# type uses inside instructions.
_HEADER_FORMS = frozenset({"export", "import", "type", "param", "result", "local"})


def locate_validation_error(err: ValidationError, module: Module, text: str, path: str) -> ParseError | None:
    """`err` placed in `text` (the source of `module`): the instruction at fault, else its
    function; None when the function cannot be found."""
    if err.func_index is None:
        return None
    imported = len(module.func_type_indices()) - len(module.funcs)
    defined = err.func_index - imported
    source = Source(text, path)
    func_forms = _func_forms(read_forms(source))
    if not 0 <= defined < len(func_forms) or defined >= len(module.funcs):
        return None
    form = func_forms[defined]
    where = f"func {form[1].text}, index {err.func_index}" if _has_id(form) else f"func {err.func_index}"
    message = f"{err.message} (in {where})"
    offsets = _instruction_offsets(form)
    body = module.funcs[defined].body
    instr_offsets = [instr.offset for instr in iter_instructions(body)]
    at = form.offset
    if err.offset is not None and len(offsets) == len(instr_offsets):
        body_offset = err.offset - module.funcs[defined].body_offset
        if body_offset in instr_offsets:
            at = offsets[instr_offsets.index(body_offset)]
    return source.error(message, at)


def _has_id(form: Form) -> bool:
    return len(form) > 1 and isinstance(form[1], Token) and form[1].kind == ID


def _func_forms(items: list[Item]) -> list[Form]:
    """The `(func ...)` fields that define a function (not those that import one), in order."""
    if len(items) == 1 and is_form(items[0], "module"):
        items = items[0][1:]
    return [
        item
        for item in items
        if is_form(item, "func") and not any(is_form(child, "import") for child in item)
    ]


def _instruction_offsets(func: Form) -> list[int]:
    """One text offset per instruction of the function's body, in binary order, ending with
    the body's implicit `end` (the function's closing parenthesis)."""
    body = list(func[1:])
    if body and isinstance(body[0], Token) and body[0].kind == ID:
        body = body[1:]
    while body and isinstance(body[0], Form) and body[0].head in _HEADER_FORMS:
        body = body[1:]
    out: list[int] = []
    _walk(body, out)
    out.append(func.end - 1)
    return out


def _is_instruction(item: Item) -> bool:
    return isinstance(item, Token) and item.kind == ATOM and item.text in BY_NAME


def _walk(items: list[Item], out: list[int]) -> None:
    """Append the offsets of the instructions among `items`, flat or folded."""
    for item in items:
        if _is_instruction(item):
            out.append(item.offset)
        elif isinstance(item, Form) and item.head in BY_NAME:
            _walk_folded(item, out)


def _walk_folded(form: Form, out: list[int]) -> None:
    head = cast(Token, form[0])  # a form with an instruction's head starts with its token
    rest = list(form[1:])
    if head.text in ("block", "loop"):
        out.append(head.offset)
        _walk(rest, out)
        out.append(form.end - 1)
    elif head.text == "if":
        branches = [item for item in rest if is_form(item, "then") or is_form(item, "else")]
        _walk([item for item in rest if not any(item is branch for branch in branches)], out)  # the condition
        out.append(head.offset)
        for branch in branches:
            if branch.head == "else":
                out.append(branch[0].offset)
            _walk(list(branch[1:]), out)
        out.append(form.end - 1)
    else:
        _walk(rest, out)  # operands first
        out.append(head.offset)
