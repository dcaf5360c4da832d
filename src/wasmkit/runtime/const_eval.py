"""Evaluating constant expressions (global initialisers, segment offsets and elements)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from functools import lru_cache

from ..binary.code import iter_instructions
from ..bits import MASK32, MASK64
from .global_ import Global
from .values import f32_from_bits, f64_from_bits

__all__ = ["evaluate_const"]


def evaluate_const(expr: bytes, globals_: Sequence[Global], funcs: Sequence[object]) -> object:
    """The value of a validated constant expression, in the internal representation."""
    stack: list[object] = []
    for name, imm in _decoded(expr):
        if name == "i32.const":
            stack.append(imm & MASK32)
        elif name == "i64.const":
            stack.append(imm & MASK64)
        elif name == "f32.const":
            stack.append(f32_from_bits(imm))
        elif name == "f64.const":
            stack.append(f64_from_bits(imm))
        elif name == "v128.const":
            stack.append(imm)
        elif name == "ref.null":
            stack.append(None)
        elif name == "ref.func":
            stack.append(funcs[imm])
        elif name == "global.get":
            stack.append(globals_[imm].internal)
        elif name in _ARITHMETIC:  # extended-const (3.0)
            b, a = stack.pop(), stack.pop()
            stack.append(_ARITHMETIC[name](a, b))
    return stack[-1]


# The arithmetic extended constant expressions may do, on internal (unsigned) values.
_ARITHMETIC: dict[str, Callable[[Any, Any], int]] = {
    "i32.add": lambda a, b: (a + b) & MASK32,
    "i32.sub": lambda a, b: (a - b) & MASK32,
    "i32.mul": lambda a, b: (a * b) & MASK32,
    "i64.add": lambda a, b: (a + b) & MASK64,
    "i64.sub": lambda a, b: (a - b) & MASK64,
    "i64.mul": lambda a, b: (a * b) & MASK64,
}


@lru_cache(maxsize=4096)
def _decoded(expr: bytes) -> tuple[tuple[str, Any], ...]:
    """The (op name, immediate) pairs of `expr`, decoded once: a module's initialisers and
    offsets are evaluated again at every instantiation."""
    return tuple((instr.op.name, instr.imm) for instr in iter_instructions(expr))
