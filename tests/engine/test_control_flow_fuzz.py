"""Random control flow (see control_flow.py) on the Python engine, plain and metered, the
native engine and wasmtime: the same results and traps for every generated module and input.
Hypothesis draws the generator's choices, so a disagreement shrinks to a small module."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.control_flow import Program, disagreement, generate

pytest.importorskip("llvmlite")


class _DrawChooser:
    """The generator's choices drawn by hypothesis."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@st.composite
def programs(draw: st.DrawFn) -> Program:
    return generate(_DrawChooser(draw), size=draw(st.integers(5, 60)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(program=programs())
def test_engines_agree_on_random_control_flow(program: Program) -> None:
    assert disagreement(program) is None, program.text
