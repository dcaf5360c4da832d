"""Checks of a module's custom sections, as the reference interpreter makes them for
`assert_invalid_custom`: the meaning of a custom section is no part of a module's validity (an
engine ignores what it does not understand), so only scripts ask for them.

Checked: the `metadata.code.branch_hint` section, each of whose hints must point at an `if` or
`br_if` instruction of a function defined in the module, in increasing order of offset.
"""

from __future__ import annotations

from ..binary.code import iter_instructions
from ..binary.writer import encode_locals
from ..errors import DecodeError, ValidationError
from ..syntax.module import Module
from ..text.annotations import BRANCH_HINT, read_branch_hints

__all__ = ["CustomSectionError", "check_custom_sections"]

_HINTED = frozenset({"if", "br_if"})


class CustomSectionError(ValidationError):
    """A custom section whose content does not fit the module it is in."""


def check_custom_sections(module: Module) -> None:
    """Raise CustomSectionError at the first custom section that does not fit `module`."""
    for section in module.custom(BRANCH_HINT):
        try:
            _check_branch_hints(module, section.data)
        except DecodeError as err:
            raise CustomSectionError(f"@{BRANCH_HINT} section: {err.message}") from None


def _check_branch_hints(module: Module, data: bytes) -> None:
    imported = len(module.func_type_indices()) - len(module.funcs)
    for func_index, hints in read_branch_hints(data):
        if not imported <= func_index < imported + len(module.funcs):
            raise CustomSectionError(f"@{BRANCH_HINT} section: unknown function {func_index}")
        func = module.funcs[func_index - imported]
        start = len(encode_locals(func.locals))
        targets = {instr.offset + start: instr.op.name for instr in iter_instructions(func.body)}
        last = -1
        for offset, _ in hints:
            if targets.get(offset) not in _HINTED:
                raise CustomSectionError(f"@{BRANCH_HINT} annotation: invalid target", func_index, offset)
            if offset <= last:
                raise CustomSectionError(f"@{BRANCH_HINT} annotation: invalid order", func_index, offset)
            last = offset
