"""Random control flow (see control_flow.py) on the Python engine, plain and metered, the
native engine and wasmtime: the same results and traps for every generated module and input.
Hypothesis draws the generator's choices, so a disagreement shrinks to a small module."""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.control_flow import Program, RandomChooser, disagreement, generate

SEED_OF_DEEP_HANDLERS = 2  # a program whose try_tables and loops nest 175 deep, 22 throws among them

pytest.importorskip("llvmlite")


class _DrawChooser:
    """The generator's choices drawn by hypothesis."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@st.composite
def programs(draw: st.DrawFn, exceptions: bool = False) -> Program:
    return generate(_DrawChooser(draw), size=draw(st.integers(5, 60)), exceptions=exceptions)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs())
def test_engines_agree_on_random_control_flow(program: Program) -> None:
    assert disagreement(program) is None, program.text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs(exceptions=True))
def test_engines_agree_on_random_exceptions(program: Program) -> None:
    """try_tables among the blocks, loops and ifs, their handlers branching out, throws from
    anywhere inside: on the Python engine written as closures too (its deep shapes)."""
    assert disagreement(program) is None, program.text


@pytest.mark.parametrize("seed", [5, 12])  # seeds whose programs have both
def test_engines_agree_on_deeply_nested_programs(seed: int) -> None:
    """Programs nested some 700 levels deep (loops among them): past the depths where the
    Python engine writes code flat and loops as closures, at its real thresholds."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # the generator recurses per level of nesting
    try:
        program = generate(RandomChooser(random.Random(seed)), size=3000)
    finally:
        sys.setrecursionlimit(limit)
    assert program.text.count("\n") > 5000  # big, as the seed was chosen for
    assert disagreement(program) is None, program.text


def test_engines_agree_on_deeply_nested_handlers() -> None:
    """A program with try_tables nested among some 300 levels: the Python engine writes trys
    and loops past CPython's 20 nested blocks as closures, at its real thresholds."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        program = generate(RandomChooser(random.Random(SEED_OF_DEEP_HANDLERS)), size=1500, exceptions=True)
    finally:
        sys.setrecursionlimit(limit)
    assert program.text.count("try_table") > 100 and program.text.count("throw") > 20
    assert disagreement(program) is None, program.text
