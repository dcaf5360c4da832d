"""Functions: wasm functions of an instance and host functions written in Python.

Every function has an internal callable `fn` that takes and returns values in the engines'
representation (one result as itself, several as a tuple, none as None); wasm code calls it
directly. Calling the `Func` object itself is the public way in: it checks and converts the
arguments, runs `fn` behind the call boundary and converts the results.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from ..syntax.types import FuncType
from .call import HostError, Thrown, call_inline, call_wasm
from .values import FuncReference, to_api, to_internal
from .wasm_thread import run_async

_T = TypeVar("_T")

__all__ = ["Func", "Caller", "type_id", "takes_caller"]

_TYPE_IDS: dict[Hashable, int] = {}


def type_id(func_type: Hashable) -> int:
    """A small int standing for a function type, given as its canonical key
    (`ValidModule.type_keys`; a FuncType that names no other type is its own key): equal for
    equivalent types (call_indirect compares these). Instances do not ask per function: their
    module looks the ids up once (`Module.func_type_ids`)."""
    found = _TYPE_IDS.get(func_type)
    if found is None:
        found = _TYPE_IDS[func_type] = len(_TYPE_IDS)
    return found


class Caller:
    """What a host function sees of the instance that called it."""

    __slots__ = ("instance", "_memory")

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self._memory: Any = None  # found once: an instance's exports and memories never change

    @property
    def memory(self) -> Any:
        """The caller's exported "memory", else its first memory (None if it has none)."""
        if self._memory is None and self.instance is not None:
            exported = self.get("memory")
            self._memory = exported if exported is not None else self.instance.memory
        return self._memory

    def get(self, name: str) -> Any:
        """The caller's export `name`, or None."""
        if self.instance is None or name not in self.instance.exports:
            return None
        return self.instance.exports[name]


def takes_caller(fn: Callable[..., Any]) -> bool:
    """Whether `fn`'s first parameter is annotated `Caller` (it then receives the calling
    instance, as a host function made with `access_caller=True`)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        return False
    return bool(params) and hints.get(params[0].name) is Caller


_ASK_MODULE: Any = object()  # what `_name` and `_leaf` of a module's function hold until first read


class _FoundWhenAsked(typing.Generic[_T]):
    """An attribute kept in the slot `slot` that, for a function of a module (`Func.of_module`),
    is found on the first read by asking the module (its method `finder`, given the
    function's index), and kept: for what costs time to find for every function of a large
    module, and is seldom asked."""

    def __init__(self, slot: str, finder: str) -> None:
        self.slot = slot
        self.finder = finder

    @typing.overload
    def __get__(self, obj: None, owner: type) -> "_FoundWhenAsked[_T]": ...
    @typing.overload
    def __get__(self, obj: object, owner: type) -> _T: ...

    def __get__(self, obj: object, owner: type) -> "_T | _FoundWhenAsked[_T]":
        if obj is None:
            return self
        value = getattr(obj, self.slot)
        if value is _ASK_MODULE:
            value = getattr(obj._module, self.finder)(obj._index)  # type: ignore[attr-defined]
            setattr(obj, self.slot, value)
        return cast(_T, value)

    def __set__(self, obj: object, value: _T) -> None:
        setattr(obj, self.slot, value)


class Func(FuncReference):
    """A function: wasm code of an instance, or a host function.

    A host function that asks for the caller (`access_caller=True`) gets a `Caller` as its
    first argument; each instance that imports it calls it through its own binding
    (`for_caller`), so that the caller is known at no cost to other calls.
    """

    __slots__ = (
        "type", "type_id", "type_ids", "fn", "tail", "_name", "store", "_leaf", "_with_caller", "_module", "_index",
        "__weakref__",
    )  # fmt: skip

    def __init__(
        self,
        func_type: FuncType,
        fn: Callable[..., Any],
        name: str = "",
        with_caller: Callable[[Caller], Callable[..., Any]] | None = None,
        known_type_id: int | None = None,
    ) -> None:
        self.type = func_type
        # An instance passes the id its module looked up once, saving a lookup per function.
        self.type_id = type_id(func_type) if known_type_id is None else known_type_id
        # The run-time ids of the types of the module a wasm function belongs to, by index:
        # what its parameters' references to defined types are checked against.
        self.type_ids: tuple[int, ...] = ()
        self.fn = fn
        # For a wasm function that makes tail calls, the engine's body that returns a tail call
        # request rather than making it (see engine.python.tail); None for any other function.
        self.tail: Callable[..., Any] | None = None
        self._name: str = name  # see `name`
        self.store: Any = None  # the store of the instance a wasm function belongs to
        self._leaf = False  # see `leaf`
        self._with_caller = with_caller
        self._module: Any = None  # a wasm function's module and index in it (see `of_module`)
        self._index = 0

    # Whether a call cannot nest other calls (a host function, or a wasm function whose body
    # calls nothing): Python then calls it on its own thread (`call_inline`). For a wasm
    # function it is found when first asked, since looking through every body as an instance
    # is made costs seconds on a large module.
    leaf = _FoundWhenAsked[bool]("_leaf", "calls_nothing")
    # What traps and tracebacks call the function: for a wasm function, its name in the
    # module's name section, found when first asked (reading that section costs a tenth of a
    # second on a large module).
    name = _FoundWhenAsked[str]("_name", "function_name")

    def of_module(self, module: Any, index: int) -> None:
        """Have `name` and `leaf` be what `module` (a `runtime.Module`) says of its function
        `index`, each asked once, when first wanted (an instance of a component's module
        makes a thousand Funcs: a finder object for each was six more objects apiece)."""
        self._module = module
        self._index = index
        self._name = self._leaf = _ASK_MODULE

    @classmethod
    def host(
        cls, func_type: FuncType, callable_: Callable[..., Any], name: str = "", access_caller: bool = False
    ) -> "Func":
        """A host function calling `callable_` with Python values (DESIGN.md §3)."""
        params = func_type.params
        results = func_type.results
        label = name or getattr(callable_, "__name__", "host function")

        def bind(caller: Caller | None) -> Callable[..., Any]:
            lead = (caller,) if access_caller else ()

            def fn(*args: Any) -> Any:
                try:
                    result = callable_(*lead, *[to_api(t, a) for t, a in zip(params, args)])
                    return _results_to_internal(results, result, label)
                except Thrown:
                    raise  # a wasm exception: thrown into the calling wasm code, which may catch it
                except Exception as err:
                    raise HostError(err) from err

            return fn

        func = cls(func_type, bind(Caller(None)), label, bind if access_caller else None)
        func.leaf = True
        return func

    @classmethod
    def raw(
        cls, func_type: FuncType, callable_: Callable[..., Any], name: str = "", access_caller: bool = False
    ) -> "Func":
        """A host function that takes and returns the engines' internal values (see
        `wasmkit.runtime.values`), skipping conversion: for fast host interfaces like WASI."""

        def bind(caller: Caller | None) -> Callable[..., Any]:
            def fn(*args: Any) -> Any:
                try:
                    return callable_(caller, *args) if access_caller else callable_(*args)
                except Thrown:
                    raise
                except Exception as err:
                    raise HostError(err) from err

            return fn

        func = cls(func_type, bind(Caller(None)), name, bind if access_caller else None)
        func.leaf = True
        return func

    def for_caller(self, instance: Any) -> Callable[..., Any]:
        """The internal callable that `instance` should call this function through."""
        return self._with_caller(Caller(instance)) if self._with_caller is not None else self.fn

    def __call__(self, *args: Any) -> Any:
        call = call_inline if self.leaf else call_wasm
        return self._results(call(self.fn, self._arguments(args), None if self.store is None else self.store.guard))

    async def call_async(self, *args: Any) -> Any:
        """Call from asyncio code: the function runs on a wasm thread, off the event loop.
        Cancelling the awaiting task stops the call and so lets go of the store: through the
        store's interruption when it is interruptible (a call still waiting for the store
        does not run), else by raising `Cancelled` in the Python code running it (the
        Python engine stops at its next instruction, native code when it returns)."""
        internal = self._arguments(args)
        store = self.store
        if store is not None and store.interruptible:
            call = store.cancellable_call()
            result = await run_async(call_wasm, (self.fn, internal, call), call.cancel)
        else:
            result = await run_async(call_wasm, (self.fn, internal, None if store is None else store.guard), None)
        return self._results(result)

    def _arguments(self, args: tuple) -> tuple:
        """Python values as internal ones, checked against the parameter types."""
        params = self.type.params
        if len(args) != len(params):
            raise TypeError(f"{self._describe()} takes {len(params)} argument(s), got {len(args)}")
        try:
            return tuple(to_internal(t, a, self.type_ids) for t, a in zip(params, args))
        except (TypeError, ValueError) as err:
            raise TypeError(f"{self._describe()}: {err}") from None

    def _results(self, result: Any) -> Any:
        """Internal results as Python values: one as itself, several as a tuple, none as None."""
        results = self.type.results
        if not results:
            return None
        if len(results) == 1:
            return to_api(results[0], result)
        return tuple(to_api(t, v) for t, v in zip(results, result))

    def _describe(self) -> str:
        return f"{self.name or 'function'}{self.type}"

    def __repr__(self) -> str:
        return f"<Func {self._describe()}>"


def _results_to_internal(results: tuple, value: Any, label: str) -> Any:
    if not results:
        if value is not None:
            raise TypeError(f"host function {label} returned a value but has no results")
        return None
    if len(results) == 1:
        return to_internal(results[0], value)
    if not isinstance(value, (tuple, list)) or len(value) != len(results):
        raise TypeError(f"host function {label} must return {len(results)} values")
    return tuple(to_internal(t, v) for t, v in zip(results, value))
