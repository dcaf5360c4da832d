"""A function's arguments and result across the boundary: flattened when they fit (16 core
values of parameters, 1 of results), else through memory, as `flatten_functype` and
`lift_flat_values`/`lower_flat_values` say:

- `canon lift` (someone calls a component's core function): `lower_args` gives the core
  arguments (spilled parameters go in a block the callee allocates through `realloc`, passed
  as one pointer), `lift_result` reads the core results (a spilled result is behind the one
  pointer the core function returns).
- `canon lower` (a component's core code calls out): `lift_args` reads the core arguments
  (spilled ones behind one pointer), `lower_result` gives the core results (a spilled result
  is stored at the pointer the caller passed last, and there are no core results).

A pointer that is misaligned or past the end of memory traps. For the Python API, a function
whose result is a `result` returns its ok value and raises its error (`to_python`), and a
host function's ok value or raised `Err` becomes its result (`from_python`).

`run_lift` and `run_lower` put these together for one synchronous call, with the borrow
scopes' checks where the ABI makes them; entering and leaving instances (`may_enter`,
`may_leave`) is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ...bits import MASK32
from ..types import MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, Func, Val, lowered_type
from .codec import Codec, FlatReader
from .records import TupleCodec
from .resources import BorrowScope, LendScope
from .values import Err, Ok

if TYPE_CHECKING:
    from ...syntax.types import FuncType as CoreFuncType
    from .context import Context

__all__ = ["FunctionAbi"]


class FunctionAbi:
    """The calls of one component function type (made by `CanonicalAbi.function`)."""

    __slots__ = ("func", "params", "result", "param_block", "params_spilled", "result_spilled", "is_result")

    def __init__(self, func: Func, params: Sequence[Codec], result: Codec | None) -> None:
        self.func = func
        self.params = tuple(params)
        self.result = result
        self.param_block = TupleCodec(self.params, "parameters")  # the layout of spilled parameters
        self.params_spilled = sum(len(c.flat) for c in self.params) > MAX_FLAT_PARAMS
        self.result_spilled = result is not None and len(result.flat) > MAX_FLAT_RESULTS
        self.is_result = isinstance(func.result, Val) and func.result.kind == "result"

    def core_type(self, lift: bool) -> CoreFuncType:
        """The core function type of a `canon lift` (`lift`) or `canon lower` of this type."""
        return lowered_type(self.func, lift)[0]

    def _check_count(self, args: Sequence[object]) -> None:
        if len(args) != len(self.params):
            raise TypeError(f"the function takes {len(self.params)} argument(s), got {len(args)}")

    # -- canon lift: into a component's core function and back --

    def lower_args(self, cx: Context, args: Sequence[object]) -> list[object]:
        self._check_count(args)
        if self.params_spilled:
            block = self.param_block
            ptr = cx.allocate(block.align, block.size)
            block.store(cx, args, ptr)
            return [ptr]
        out: list[object] = []
        for codec, arg in zip(self.params, args):
            codec.lower_flat(cx, arg, out)
        return out

    def lift_result(self, cx: Context, flat: Sequence[object]) -> object:
        result = self.result
        if result is None:
            return None
        if self.result_spilled:
            ptr = flat[0] & MASK32  # type: ignore[operator]
            cx.check_range(ptr, result.size, result.align, "return")
            return result.load(cx, ptr)
        return result.lift_flat(cx, FlatReader(flat))

    # -- canon lower: out of a component's core code and back --

    def lift_args(self, cx: Context, flat: Sequence[object]) -> list[object]:
        if self.params_spilled:
            block = self.param_block
            ptr = flat[0] & MASK32  # type: ignore[operator]
            cx.check_range(ptr, block.size, block.align, "parameter")
            return list(block.load(cx, ptr))  # type: ignore[call-overload]
        reader = FlatReader(flat)
        return [codec.lift_flat(cx, reader) for codec in self.params]

    def lower_result(self, cx: Context, value: object, flat_args: Sequence[object]) -> list[object]:
        result = self.result
        if result is None:
            return []
        if self.result_spilled:
            ptr = flat_args[-1] & MASK32  # type: ignore[operator]
            cx.check_range(ptr, result.size, result.align, "return")
            result.store(cx, value, ptr)
            return []
        out: list[object] = []
        result.lower_flat(cx, value, out)
        return out

    # -- the Python API's view of a `result` --

    def to_python(self, value: object) -> object:
        """A lifted result as a Python call returns it: the ok value, or the error raised."""
        if not self.is_result:
            return value
        if isinstance(value, Err):
            raise value
        return value.value  # type: ignore[attr-defined]

    def from_python(self, call: Callable[[], object]) -> object:
        """Run a host function; its return value as a value of the result type: a plain
        value (or `Ok`) is ok, a raised or returned `Err` the error."""
        if not self.is_result:
            return call()
        try:
            value = call()
        except Err as err:
            return err
        return value if isinstance(value, (Ok, Err)) else Ok(value)

    # -- one synchronous call --

    def run_lift(
        self, cx: Context, core: Callable[..., Sequence[object]], args: Sequence[object],
        post_return: Callable[..., object] | None = None,
    ) -> object:  # fmt: skip
        """`canon lift`: call core function `core` (given the core arguments, it returns the
        core results) with `args`; its result. `cx.scope` must be a fresh `BorrowScope`: the
        callee must have dropped the borrows it got when it returns. `post_return`, if any,
        then gets the core results."""
        scope = cx.scope
        if not isinstance(scope, BorrowScope):
            raise TypeError("a lifted call lowers its arguments into the callee: the context needs a BorrowScope")
        flat_results = core(*self.lower_args(cx, args))
        value = self.lift_result(cx, flat_results)
        scope.finish()
        if post_return is not None:
            post_return(*flat_results)
        return value

    def run_lower(self, cx: Context, host: Callable[..., object], flat_args: Sequence[object]) -> list[object]:
        """`canon lower`: the core arguments lifted, `host` called with them (its return
        value or raised `Err` taken by `from_python`), its result lowered; the core results.
        `cx.scope` must be a fresh `LendScope`: the handles the caller lent are its own again
        once the result is lowered."""
        scope = cx.scope
        if not isinstance(scope, LendScope):
            raise TypeError("a lowered call lifts its arguments out of the caller: the context needs a LendScope")
        args = self.lift_args(cx, flat_args)
        value = self.from_python(lambda: host(*args))
        results = self.lower_result(cx, value, flat_args)
        scope.finish()
        return results
