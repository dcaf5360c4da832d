"""The canonical definitions' types: `canon lift` and `canon lower` checked against the
canonical ABI (design/mvp/CanonicalABI.md, `flatten_functype`), with their options, and the
core function types of the resource built-ins; in wasm-tools' words.

Lifting turns a core function into a component function of a given type: the core function's
type must be that type flattened (parameters as they are up to 16 core values, else one i32
pointer; a result of one core value as it is, else an i32 pointer). Lowering makes a core
function of a component function, of its flattened type (a result past one core value
becomes an out-pointer parameter). Whatever passes through linear memory needs `memory`;
what the callee must allocate needs `realloc` too, of type `(func (param i32 i32 i32 i32)
(result i32))`. The async built-ins of one fixed core type (`backpressure.inc`,
`waitable.join`, `stream.new`, ...) have it, `task.return` that of lowering a function of its
result as a parameter, reading and writing streams and futures theirs; the others (waiting,
threads, ...) give a core function of no checked type (None); the error-context and threading ones are refused,
as wasm-tools leaves those features out by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ..errors import ValidationError
from ..syntax.types import FuncType as CoreFuncType
from ..syntax.types import MemoryType, ValType
from .syntax import Canon, CanonOpt, CanonOptKind, Prim
from .types import Func, Resource, Val, VType, contains_pointer, describe_core_types, lowered_type

__all__ = ["canon_type"]

_ENCODINGS = {CanonOptKind.UTF8: "utf8", CanonOptKind.UTF16: "utf16", CanonOptKind.LATIN1_UTF16: "latin1-utf16"}
_ONCE = {CanonOptKind.MEMORY: "memory", CanonOptKind.REALLOC: "realloc", CanonOptKind.POST_RETURN: "post-return",
         CanonOptKind.ASYNC: "async", CanonOptKind.CALLBACK: "callback"}  # fmt: skip
_I32, _I64 = ValType.I32, ValType.I64
_REALLOC = CoreFuncType((_I32, _I32, _I32, _I32), (_I32,))

# The built-ins of one core type each (parameters, results), as wasm-tools types them.
_FIXED: dict[str, tuple[tuple[ValType, ...], tuple[ValType, ...]]] = {
    "backpressure.inc": ((), ()), "backpressure.dec": ((), ()), "task.cancel": ((), ()),
    "subtask.drop": ((_I32,), ()), "subtask.cancel": ((_I32,), (_I32,)),
    "waitable-set.new": ((), (_I32,)), "waitable-set.drop": ((_I32,), ()), "waitable.join": ((_I32, _I32), ()),
    "thread.yield": ((), (_I32,)),
}  # fmt: skip
# A stream's or future's built-ins of one core type each, by what they do.
_ON_STREAM_OR_FUTURE: dict[str, tuple[tuple[ValType, ...], tuple[ValType, ...]]] = {
    "new": ((), (_I64,)), "drop-readable": ((_I32,), ()), "drop-writable": ((_I32,), ()),
    "cancel-read": ((_I32,), (_I32,)), "cancel-write": ((_I32,), (_I32,)),
}  # fmt: skip
# What wasm-tools (1.262) refuses unless its threading feature is asked for.
_THREADING = frozenset({
    "thread.index", "thread.new-indirect", "thread.resume-later", "thread.suspend", "thread.suspend-then-resume",
    "thread.yield-then-resume", "thread.suspend-then-promote", "thread.yield-then-promote",
})  # fmt: skip


class _Options:
    """A canonical definition's options, each given at most once."""

    def __init__(self, opts: Sequence[CanonOpt], core_funcs: Sequence[CoreFuncType | None], memories: Sequence[MemoryType]) -> None:
        encoding: str | None = None
        given: dict[CanonOptKind, int | None] = {}
        for opt in opts:
            if opt.kind in _ENCODINGS:
                if encoding is not None:
                    raise ValidationError(f"canonical encoding option `{encoding}` conflicts with option `{_ENCODINGS[opt.kind]}`")
                encoding = _ENCODINGS[opt.kind]
            elif opt.kind in given:
                raise ValidationError(f"canonical option `{_ONCE[opt.kind]}` is specified more than once")
            else:
                given[opt.kind] = opt.index
        self.memory = given.get(CanonOptKind.MEMORY)
        self.realloc = given.get(CanonOptKind.REALLOC)
        self.post_return = given.get(CanonOptKind.POST_RETURN)
        self.is_async = CanonOptKind.ASYNC in given
        self.callback = CanonOptKind.CALLBACK in given
        if CanonOptKind.CALLBACK in given and not self.is_async:
            raise ValidationError("cannot specify callback without async")
        if self.is_async and self.post_return is not None:
            raise ValidationError("cannot specify post-return function in async")
        if self.memory is not None:
            memory = memories[self.memory]
            if memory.is_64:
                raise ValidationError("64-bit memories require the `cm64` feature to be enabled")
            if memory.shared:
                raise ValidationError("canonical option `memory` must be a memory that is not shared")
        if self.realloc is not None:
            if self.memory is None:
                raise ValidationError("canonical option `realloc` requires `memory` to also be specified")
            if not _same(core_funcs[self.realloc], _REALLOC):
                raise ValidationError("canonical option `realloc` uses a core function with an incorrect signature")

    def require_memory(self) -> None:
        if self.memory is None:
            raise ValidationError("canonical option `memory` is required")

    def require_realloc(self) -> None:
        self.require_memory()
        if self.realloc is None:
            raise ValidationError("canonical option `realloc` is required")


def _same(a: CoreFuncType | None, b: CoreFuncType) -> bool:
    """Whether core function type `a` is `b` (None, a type not checked, passes)."""
    return a is None or (a.params == b.params and a.results == b.results)


def canon_type(
    item: Canon, core_funcs: Sequence[CoreFuncType | None], memories: Sequence[MemoryType],
    types: Sequence[object], funcs: Sequence[Func],
) -> Func | CoreFuncType | None:  # fmt: skip
    """The type of what `item` defines: a component function's (`lift`), else a core
    function's (None when not checked); ValidationError if it is ill-typed."""
    name = item.name
    if name == "lift":
        core_index, opts, type_index = cast("tuple[int, tuple[CanonOpt, ...], int]", item.immediates)
        func = types[type_index]
        if not isinstance(func, Func):
            raise ValidationError(f"type index {type_index} is not a function type")
        _lift(func, core_index, _Options(opts, core_funcs, memories), core_funcs)
        return func
    if name == "lower":
        func_index, opts = cast("tuple[int, tuple[CanonOpt, ...]]", item.immediates)
        options = _Options(opts, core_funcs, memories)
        if options.post_return is not None:
            raise ValidationError("canonical option `post-return` cannot be specified for lowerings")
        return _lower(funcs[func_index], options)
    if name in ("resource.new", "resource.drop", "resource.rep"):
        index: int = item.immediates[0]  # type: ignore[assignment]
        resource = types[index]
        if not isinstance(resource, Resource):
            raise ValidationError(f"type index {index} is not a resource type")
        if name == "resource.drop":
            return CoreFuncType((_I32,), ())
        if resource.rep is None:
            raise ValidationError(f"type {index} is not a local resource")
        return CoreFuncType((resource.rep,), (_I32,)) if name == "resource.new" else CoreFuncType((_I32,), (resource.rep,))
    if name == "task.return":
        result, opts = cast("tuple[object, tuple[CanonOpt, ...]]", item.immediates)
        options = _Options(opts, core_funcs, memories)
        for given, what in ((options.realloc, "realloc"), (options.post_return, "post-return"), (options.is_async or None, "async")):
            if given is not None:
                raise ValidationError(f"cannot specify `{what}` option on `task.return`")
        params = () if result is None else (("v", _value_type(result, types)),)
        return _lower(Func(params, None), options)
    if name.startswith("error-context."):
        raise ValidationError(f"`{name}` requires the component model error-context feature")
    if name in _THREADING:
        raise ValidationError(f"`{name}` requires the component model threading feature")
    if name in _FIXED:
        return CoreFuncType(*_FIXED[name])
    kind, _, action = name.partition(".")
    if kind in ("stream", "future") and action in _ON_STREAM_OR_FUTURE:
        carried = types[cast(int, item.immediates[0])]
        if not isinstance(carried, Val) or carried.kind != kind:
            raise ValidationError(f"`{name}` requires a {kind} type")
        return CoreFuncType(*_ON_STREAM_OR_FUTURE[action])
    if kind in ("stream", "future") and action in ("read", "write"):
        return _read_or_write(item, types, _Options(cast("tuple[CanonOpt, ...]", item.immediates[1]), core_funcs, memories))
    if name in ("context.get", "context.set"):
        value_type, slot = cast("tuple[ValType, int]", item.immediates)
        if slot != 0:
            raise ValidationError(f"`{name}` immediate must be zero: {slot}")
        if value_type == _I32:
            return CoreFuncType((), (_I32,)) if name == "context.get" else CoreFuncType((_I32,), ())
    return None


def _read_or_write(item: Canon, types: Sequence[object], options: _Options) -> CoreFuncType:
    """`stream.read`, `stream.write`, `future.read`, `future.write`: of a stream or future
    type, asynchronous (the synchronous ones are a gated feature), with memory to move its
    values through (and realloc to read values that hold strings or lists)."""
    name = item.name
    kind, _, action = name.partition(".")
    carried = types[cast(int, item.immediates[0])]
    if not isinstance(carried, Val) or carried.kind != kind:
        raise ValidationError(f"`{name}` requires a {kind} type")
    if not options.is_async:
        raise ValidationError(f"synchronous `{name}` requires the component model more async builtins feature")
    if carried.children:
        options.require_memory()
        if action == "read" and contains_pointer(carried.children[0]):
            options.require_realloc()
    if options.post_return is not None:
        raise ValidationError("canonical option `post-return` cannot be specified for lowerings")
    if options.callback:
        raise ValidationError("canonical option `callback` cannot be specified for lowerings")
    return CoreFuncType((_I32, _I32, _I32) if kind == "stream" else (_I32, _I32), (_I32,))


def _value_type(found: object, types: Sequence[object]) -> VType:
    """A value type as a canonical definition gives it: a primitive or a type index."""
    if isinstance(found, Prim):
        return found
    named = types[cast(int, found)]
    if not isinstance(named, (Prim, Val)):
        raise ValidationError(f"type index {found} is not a defined type")
    return named


def _lift(func: Func, core_index: int, options: _Options, core_funcs: Sequence[CoreFuncType | None]) -> None:
    if options.is_async:
        return  # async lifts (a gated feature): their core signature is not checked here
    for _, param in func.params:
        if contains_pointer(param):
            options.require_realloc()
    expected, spilled_params, spilled_results = lowered_type(func, lift=True)
    if spilled_params:
        options.require_realloc()
    if spilled_results:
        options.require_memory()
    actual = core_funcs[core_index]
    if actual is None:
        return
    if options.post_return is not None:
        post = core_funcs[options.post_return]
        if post is not None and (post.params != actual.results or post.results):
            raise ValidationError("canonical option `post-return` uses a core function with an incorrect signature")
    if expected.params != actual.params:
        raise ValidationError(
            f"lowered parameter types `{describe_core_types(expected.params)}` do not match parameter types "
            f"`{describe_core_types(actual.params)}` of core function {core_index}"
        )
    if expected.results != actual.results:
        raise ValidationError(
            f"lowered result types `{describe_core_types(expected.results)}` do not match result types "
            f"`{describe_core_types(actual.results)}` of core function {core_index}"
        )


def _lower(func: Func, options: _Options) -> CoreFuncType | None:
    if options.is_async:
        return None  # async lowers (a gated feature): not checked here
    for _, param in func.params:
        if contains_pointer(param):
            options.require_memory()
    lowered, spilled_params, spilled_results = lowered_type(func, lift=False)
    if spilled_params:
        options.require_memory()
    if func.result is not None and contains_pointer(func.result):
        options.require_realloc()
    if spilled_results:
        options.require_memory()
    return lowered
