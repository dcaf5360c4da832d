"""The canonical definitions' types: `canon lift` and `canon lower` checked against the
canonical ABI (design/mvp/CanonicalABI.md, `flatten_functype`), with their options, and the
core function types of the built-ins; in wasm-tools' words and order.

Lifting turns a core function into a component function of a given type: the core function's
type must be that type flattened (parameters as they are up to 16 core values, else one i32
pointer; a result of one core value as it is, else an i32 pointer). Lowering makes a core
function of a component function, of its flattened type (a result past one core value
becomes an out-pointer parameter). Whatever passes through linear memory needs `memory`;
what the callee must allocate needs `realloc` too, of type `(func (param i32 i32 i32 i32)
(result i32))`. The `async` option (for functions of an async type only) changes both: see
`types.lowered_type`; an async lift needs a `callback` (of parameters `i32 i32 i32`), as
lifting without one (stackful) is a gated feature.

The async built-ins of one fixed core type (`backpressure.inc`, `waitable.join`,
`stream.new`, ...) have it, `task.return` that of lowering a function of its result as a
parameter, reading and writing streams and futures theirs. What wasm-tools leaves out by
default is refused as it words it: the error-context, threading, forwarding, 64-bit and gc
features, the shared-everything-threads proposal, and the async forms of cancelling.
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
# What wasm-tools (1.262) refuses unless its component model gc feature is asked for.
_GATED_OPTIONS = {CanonOptKind.CORE_TYPE: "canonical option `core type` requires the component model gc feature",
                  CanonOptKind.GC: "canonical option `gc` requires the `cm-gc` feature"}  # fmt: skip
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
            elif opt.kind in _GATED_OPTIONS:
                raise ValidationError(_GATED_OPTIONS[opt.kind])
            else:
                if opt.kind == CanonOptKind.MEMORY:
                    _check_memory(memories[cast(int, opt.index)])
                given[opt.kind] = opt.index
        self.memory = given.get(CanonOptKind.MEMORY)
        self.realloc = given.get(CanonOptKind.REALLOC)
        self.post_return = given.get(CanonOptKind.POST_RETURN)
        self.is_async = CanonOptKind.ASYNC in given
        self.callback = given.get(CanonOptKind.CALLBACK)
        if CanonOptKind.CALLBACK in given and not self.is_async:
            raise ValidationError("cannot specify callback without async")
        if self.is_async and self.post_return is not None:
            raise ValidationError("cannot specify post-return function in async")
        if self.realloc is not None:
            if self.memory is None:
                raise ValidationError("canonical option `realloc` requires `memory` to also be specified")
            if not _same(core_funcs[self.realloc], _REALLOC):
                raise ValidationError("canonical option `realloc` uses a core function with an incorrect signature")

    def check_lower(self) -> None:
        """What a lowering (`canon lower`, `task.return`, reading and writing a stream or a
        future) must not have."""
        if self.post_return is not None:
            raise ValidationError("canonical option `post-return` cannot be specified for lowerings")
        if self.callback is not None:
            raise ValidationError("canonical option `callback` cannot be specified for lowerings")

    def check_asyncness(self, func: Func) -> None:
        """The `async` option is for functions of an async type only."""
        if self.is_async and not func.is_async:
            raise ValidationError("the `async` canonical option requires an async function type")

    def require_memory(self) -> None:
        if self.memory is None:
            raise ValidationError("canonical option `memory` is required")

    def require_realloc(self) -> None:
        self.require_memory()
        if self.realloc is None:
            raise ValidationError("canonical option `realloc` is required")


def _check_memory(memory: MemoryType) -> None:
    """A memory the canonical ABI can use: 32-bit (64-bit ones are a gated feature), not shared."""
    if memory.is_64:
        raise ValidationError("64-bit memories require the `cm64` feature to be enabled")
    if memory.shared:
        raise ValidationError("mismatch in the shared flag for memories")


def _same(a: CoreFuncType | None, b: CoreFuncType) -> bool:
    """Whether core function type `a` is `b` (None, a type not checked, passes)."""
    return a is None or (a.params == b.params and a.results == b.results)


def canon_type(
    item: Canon, core_funcs: Sequence[CoreFuncType | None], memories: Sequence[MemoryType],
    types: Sequence[object], funcs: Sequence[Func],
) -> Func | CoreFuncType:  # fmt: skip
    """The type of what `item` defines: a component function's (`lift`), else a core
    function's; ValidationError if it is ill-typed or of a feature wasm-tools leaves out."""
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
        options.check_lower()
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
        for given, what in ((options.realloc, "realloc"), (options.post_return, "post-return")):
            if given is not None:
                raise ValidationError(f"cannot specify `{what}` option on `task.return`")
        options.check_lower()
        if options.is_async:
            raise ValidationError("cannot specify `async` option on `task.return`")
        params = () if result is None else (("v", _value_type(result, types)),)
        return _lower(Func(params, None), options)
    if name.startswith("error-context."):
        raise ValidationError(f"`{name}` requires the component model error-context feature")
    if name.endswith(".forward"):
        raise ValidationError(f"`{name}` requires the component model forward feature")
    if name in _THREADING:
        raise ValidationError(f"`{name}` requires the component model threading feature")
    if name.startswith("thread.") and item.code >= 0x40:
        raise ValidationError(f"`{name}` requires the shared-everything-threads proposal")
    if name == "subtask.cancel" and item.immediates[0]:
        raise ValidationError(f"async `{name}` requires the component model more async builtins feature")
    if name in _FIXED:
        return CoreFuncType(*_FIXED[name])
    if name in ("waitable-set.wait", "waitable-set.poll"):
        _check_memory(memories[cast(int, item.immediates[1])])
        return CoreFuncType((_I32, _I32), (_I32,))
    kind, _, action = name.partition(".")
    if kind in ("stream", "future") and action in _ON_STREAM_OR_FUTURE:
        carried = types[cast(int, item.immediates[0])]
        if not isinstance(carried, Val) or carried.kind != kind:
            raise ValidationError(f"`{name}` requires a {kind} type")
        if action.startswith("cancel-") and item.immediates[1]:
            raise ValidationError(f"async `{name}` requires the component model more async builtins feature")
        return CoreFuncType(*_ON_STREAM_OR_FUTURE[action])
    if kind in ("stream", "future") and action in ("read", "write"):
        return _read_or_write(item, types, _Options(cast("tuple[CanonOpt, ...]", item.immediates[1]), core_funcs, memories))
    if name in ("context.get", "context.set"):
        value_type, slot = cast("tuple[ValType, int]", item.immediates)
        if value_type == _I64:
            raise ValidationError(f"64-bit `{name}` requires the component model 64-bit feature")
        if value_type != _I32:
            raise ValidationError(f"`{name}` only supports `i32` or `i64`")
        if slot != 0:
            raise ValidationError(f"`{name}` immediate must be zero: {slot}")
        return CoreFuncType((), (_I32,)) if name == "context.get" else CoreFuncType((_I32,), ())
    raise ValidationError(f"`{name}` is not a canonical built-in wasmkit knows")


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
    options.check_lower()
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
    """Check lifting core function `core_index` to `func`, in wasmparser's order: the
    post-return and callback functions' types, the async option against the function's
    type, what must pass through memory, then the core function's type."""
    actual = core_funcs[core_index]
    if options.post_return is not None:
        post = core_funcs[options.post_return]
        if actual is not None and post is not None and (post.params != actual.results or post.results):
            raise ValidationError("canonical option `post-return` uses a core function with an incorrect signature")
    if options.is_async:
        if options.callback is None:
            raise ValidationError("requires the component model async stackful feature")
        callback = core_funcs[options.callback]
        if callback is not None and callback.params != (_I32, _I32, _I32):
            raise ValidationError("canonical option `callback` uses a core function with an incorrect signature")
    options.check_asyncness(func)
    for _, param in func.params:
        if contains_pointer(param):
            options.require_realloc()
    expected, spilled_params, spilled_results = lowered_type(func, True, options.is_async, options.callback is not None)
    if spilled_params:
        options.require_realloc()
    if options.is_async and func.result is not None and contains_pointer(func.result):
        spilled_results = True  # `task.return` reads its strings and lists from memory
    if spilled_results:
        options.require_memory()
    if actual is None:
        return
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


def _lower(func: Func, options: _Options) -> CoreFuncType:
    """The core type of lowering `func` (or of `task.return`, lowering its result as a
    parameter); ValidationError if an option it needs is missing."""
    options.check_asyncness(func)
    for _, param in func.params:
        if contains_pointer(param):
            options.require_memory()
    lowered, spilled_params, spilled_results = lowered_type(func, False, options.is_async)
    if spilled_params:
        options.require_memory()
    if func.result is not None and contains_pointer(func.result):
        options.require_realloc()
    if spilled_results:
        options.require_memory()
    return lowered
