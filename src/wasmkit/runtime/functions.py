"""An instance's function index space, whose defined functions get their `Func` on first use.

An instance made for one request (as `wasmkit serve` makes them) reaches a handful of its
functions: its exports, what its tables hold, what `ref.func` names. Making a `Func` for every
function at instantiation was most of the time instantiation took, so a defined function's
`Func` is made when something first asks for it, and then kept: the same function is always
the same object. Engines say how a defined function runs through `bind`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .func import Func

if TYPE_CHECKING:
    from .module import Module
    from .store import Store

__all__ = ["FunctionSpace"]


class FunctionSpace(Sequence[Func]):
    """The functions of an instance by index, imported ones first."""

    def __init__(self, imported: list[Func], module: "Module", store: "Store") -> None:
        self._funcs: list[Func | None] = [*imported, *[None] * (len(module.valid.func_types) - len(imported))]
        self._module = module
        self._store = store
        self._make_fn: Callable[[int], Callable[..., Any]] | None = None
        self._tail_of: Callable[[int], Callable[..., Any] | None] | None = None
        self._defined: dict[Func, int] = {}  # the defined functions made so far, by identity

    def __len__(self) -> int:
        return len(self._funcs)

    @overload
    def __getitem__(self, index: int) -> Func: ...

    @overload
    def __getitem__(self, index: slice) -> list[Func]: ...

    def __getitem__(self, index: int | slice) -> Func | list[Func]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._funcs)))]
        func = self._funcs[index]
        if func is None:
            func = self._make(index % len(self._funcs))
        return func

    def __iter__(self) -> Iterator[Func]:
        """Every function, all of them made first (an engine binding them all asks this)."""
        for index, func in enumerate(self._funcs):
            if func is None:
                self._make(index)
        return iter(self._funcs)  # type: ignore[arg-type]  # no None is left

    def bind(
        self, make_fn: Callable[[int], Callable[..., Any]], tail_of: Callable[[int], Callable[..., Any] | None] | None = None
    ) -> None:
        """Have each defined function run what `make_fn(index)` returns (an engine's code for
        it), with `tail_of(index)` as its `Func.tail` (the Python engine's body for tail calls,
        see engine.python.tail), else None: the functions made already at once, the others
        when they are made."""
        self._make_fn = make_fn
        self._tail_of = tail_of
        for func, index in self._defined.items():
            func.fn = make_fn(index)
            func.tail = None if tail_of is None else tail_of(index)

    def made(self, index: int) -> Func | None:
        """Function `index`'s `Func` if it has been made, else None (without making it)."""
        return self._funcs[index]

    def name_of(self, index: int) -> str:
        """Function `index`'s name, without making its `Func` (the profiler asks this from
        its own thread, where making one would race with the instance's)."""
        func = self._funcs[index]
        return func.name if func is not None else self._module.function_name(index)

    def any_defined_made(self) -> bool:
        """Whether the `Func` of any defined function has been made (none can be anywhere
        before: a table's mirror in native code relies on it)."""
        return bool(self._defined)

    def defined_index(self, func: object) -> int | None:
        """The index of `func` if it is one of this instance's own functions, else None."""
        return self._defined.get(func) if isinstance(func, Func) else None

    def _make(self, index: int) -> Func:
        module = self._module
        fn = self._make_fn(index) if self._make_fn is not None else _unbound
        func = Func(module.valid.func_types[index], fn, known_type_id=module.func_type_ids[index])
        if self._tail_of is not None:
            func.tail = self._tail_of(index)
        func.of_module(module, index)
        func.type_ids = module.type_ids
        func.store = self._store
        self._funcs[index] = func
        self._defined[func] = index
        return func


def _unbound(*args: object) -> object:  # pragma: no cover - replaced by bind() before use
    raise RuntimeError("function called before its instance was bound")
