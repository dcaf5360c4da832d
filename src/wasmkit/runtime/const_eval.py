"""Evaluating constant expressions (global initialisers, segment offsets and elements)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast
from functools import lru_cache

from ..binary.code import iter_instructions, ref_func_index
from ..bits import MASK32, MASK64
from ..syntax.types import ArrayType, DefinedType, StructType
from . import gc
from .global_ import Global
from .values import f32_from_bits, f64_from_bits

__all__ = ["evaluate_const", "constant_offset"]


def evaluate_const(
    expr: bytes, globals_: Sequence[Global], funcs: Sequence[object], types: Sequence[DefinedType] = (), type_ids: Sequence[int] = ()
) -> object:
    """The value of a validated constant expression, in the internal representation. GC's
    allocations need the module's `types` and their run-time `type_ids`."""
    index = ref_func_index(expr)
    if index is not None:
        return funcs[index]
    stack: list[object] = []
    for name, imm in _decoded(expr):
        if name in _GC:
            _GC[name](stack, imm, types, type_ids)
            continue
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


def constant_offset(expr: bytes) -> int | None:
    """The value of a validated offset expression that reads no global (so is the same in
    every instance), else None."""
    if any(name == "global.get" for name, _ in _decoded(expr)):
        return None
    return cast(int, evaluate_const(expr, (), ()))


# The arithmetic extended constant expressions may do, on internal (unsigned) values.
_ARITHMETIC: dict[str, Callable[[Any, Any], int]] = {
    "i32.add": lambda a, b: (a + b) & MASK32,
    "i32.sub": lambda a, b: (a - b) & MASK32,
    "i32.mul": lambda a, b: (a * b) & MASK32,
    "i64.add": lambda a, b: (a + b) & MASK64,
    "i64.sub": lambda a, b: (a - b) & MASK64,
    "i64.mul": lambda a, b: (a * b) & MASK64,
}


def _struct_new(stack: list[object], type_index: int, types: Sequence[DefinedType], type_ids: Sequence[int]) -> None:
    fields = cast(StructType, types[type_index]).fields
    values = stack[len(stack) - len(fields) :]
    del stack[len(stack) - len(fields) :]
    stack.append(gc.Struct(type_ids[type_index], [gc.stored(f, v) for f, v in zip(fields, values)]))


def _struct_new_default(stack: list[object], type_index: int, types: Sequence[DefinedType], type_ids: Sequence[int]) -> None:
    fields = cast(StructType, types[type_index]).fields
    stack.append(gc.Struct(type_ids[type_index], [gc.field_default(f) for f in fields]))


def _array_new(stack: list[object], type_index: int, types: Sequence[DefinedType], type_ids: Sequence[int]) -> None:
    length = cast(int, stack.pop())
    element = cast(ArrayType, types[type_index]).element
    stack.append(gc.array_new(type_ids[type_index], gc.stored(element, stack.pop()), length))


def _array_new_default(stack: list[object], type_index: int, types: Sequence[DefinedType], type_ids: Sequence[int]) -> None:
    length = cast(int, stack.pop())
    element = cast(ArrayType, types[type_index]).element
    stack.append(gc.array_new(type_ids[type_index], gc.field_default(element), length))


def _array_new_fixed(stack: list[object], imm: tuple[int, int], types: Sequence[DefinedType], type_ids: Sequence[int]) -> None:
    type_index, count = imm
    element = cast(ArrayType, types[type_index]).element
    values = stack[len(stack) - count :]
    del stack[len(stack) - count :]
    stack.append(gc.Array(type_ids[type_index], [gc.stored(element, v) for v in values]))


# GC's constant instructions: each takes the stack, its immediate, the types and their ids.
_GC: dict[str, Callable[[list[object], Any, Sequence[DefinedType], Sequence[int]], None]] = {
    "struct.new": _struct_new,
    "struct.new_default": _struct_new_default,
    "array.new": _array_new,
    "array.new_default": _array_new_default,
    "array.new_fixed": _array_new_fixed,
    "ref.i31": lambda stack, imm, types, ids: stack.append(cast(int, stack.pop()) & 0x7FFF_FFFF),
    "any.convert_extern": lambda stack, imm, types, ids: stack.append(gc.internalize(stack.pop())),
    "extern.convert_any": lambda stack, imm, types, ids: stack.append(gc.externalize(stack.pop())),
}


@lru_cache(maxsize=4096)
def _decoded(expr: bytes) -> tuple[tuple[str, Any], ...]:
    """The (op name, immediate) pairs of `expr`, decoded once: a module's initialisers and
    offsets are evaluated again at every instantiation."""
    return tuple((instr.op.name, instr.imm) for instr in iter_instructions(expr))
