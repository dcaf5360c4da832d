"""Metered code, shared by the engines: the layout of the store's meter, and where fuel is
charged, so that a program uses the same fuel on each: at function entry for the function's
instructions outside repeating loops, and at each iteration of a loop that a branch repeats
for the instructions directly inside it."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from ..binary.code import Instr
from ..opcodes import Imm

__all__ = ["Meter", "branched_loops", "fuel_counts"]


class Meter(enum.IntEnum):
    """The cells of a store's meter (`Store.meter`, and `Store.native_meter` for native code),
    which metered code reads and writes."""

    FUEL = 0  # fuel left; below zero, it ran out
    INTERRUPT = 1  # an interrupt was requested
    DEPTH = 2  # wasm calls in progress
    MAXIMUM = 3  # the most wasm calls in progress allowed


# The instructions that open a label, and those that close one (a legacy try ends at `end` or
# at `delegate`).
_OPENING = frozenset({"block", "loop", "if", "try_table", "try"})
_CLOSING = frozenset({"end", "delegate"})


def branched_loops(instrs: Sequence[Instr]) -> set[int]:
    """The offsets of the `loop` instructions that some branch targets."""
    opened: list[tuple[str, int]] = []
    targeted: set[int] = set()

    def target(depth: int) -> None:
        if depth < len(opened):
            kind, offset = opened[-1 - depth]
            if kind == "loop":
                targeted.add(offset)

    for instr in instrs:
        name = instr.op.name
        if name in _OPENING:
            if name == "try_table":  # its catch clauses branch from outside it
                for _, _, label in instr.imm[1]:
                    target(label)
            opened.append((name, instr.offset))
        elif name in _CLOSING:
            if opened:
                opened.pop()
        elif name.startswith("br"):  # br, br_if, br_table, br_on_null/non_null, br_on_cast(_fail)
            kind = instr.op.imm
            if kind is Imm.LABELS:
                labels, default = instr.imm
                for label in (*labels, default):
                    target(label)
            else:
                target(instr.imm[0] if kind is Imm.BR_ON_CAST else instr.imm)
    return targeted


def fuel_counts(instrs: Sequence[Instr], branched_loops: set[int]) -> dict[int | None, int]:
    """Fuel charged per entry: for the function (key None) its instructions outside loops that
    repeat, for each repeating loop (key: its offset) the instructions directly inside it."""
    counts: dict[int | None, int] = {None: 0}
    regions: list[int | None] = [None]
    opened: list[bool] = []  # per open block: does it open a region?
    for instr in instrs:
        counts[regions[-1]] += 1
        name = instr.op.name
        if name in _OPENING:
            repeats = name == "loop" and instr.offset in branched_loops
            opened.append(repeats)
            if repeats:
                regions.append(instr.offset)
                counts[instr.offset] = 0
        elif name in _CLOSING and opened:
            if opened.pop():
                regions.pop()
    return counts
