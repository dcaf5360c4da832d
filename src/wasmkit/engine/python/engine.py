"""The Python engine: each wasm function compiled to a Python function, on its first call,
into a code object shared by every instance of the module; each instance runs the code in a
namespace of its own, holding its functions, memory views, tables and globals under short
names."""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import struct
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, cast

from ...binary import write_module
from ...bits import MASK32, MASK64
from ...errors import Trap, TrapKind
from ...runtime import bulk, gc, refs
from ...runtime.call import register_code_names
from ...runtime.func import type_id
from ...runtime.tag import WasmException, throw_ref
from ...validate import ValidModule
from ..base import BoundInstance, EngineGlobals, shared_globals
from . import atomics, numeric, simd
from .cache import CodeCache
from .gc_instructions import GC_NAMES, gc_names
from .compiler import CompileError, ModuleLayout, compile_function, memory_suffix
from .tail import TailCall, tail_callee

if TYPE_CHECKING:
    from ...runtime.memory import Memory

__all__ = ["PythonEngine", "PythonCompiledModule"]

_counter = itertools.count()

# Reading and writing an f32 goes through its bits when it is a NaN (see runtime.values). One
# pair per memory, the names ending in its `memory_suffix` (`{m}`).
_PRELUDE_MEMORY = '''
def ld_f32{m}(a):
    v = MF32{m}[a >> 2] if not a & 3 else uf32(M{m}, a)[0]
    if v == v:
        return v
    return f32_from_bits(M32{m}[a >> 2] if not a & 3 else u32(M{m}, a)[0])

def st_f32{m}(a, v):
    if v == v:
        if a & 3: pf32(M{m}, a, v)
        else: MF32{m}[a >> 2] = v
    else:
        b = f32_to_bits(v)
        if a & 3: p32(M{m}, a, b)
        else: M32{m}[a >> 2] = b
'''


def _trap_unreachable() -> None:
    raise Trap(TrapKind.UNREACHABLE)


def _base_namespace() -> dict[str, object]:
    """The names every instance's code uses: numerics, memory unpackers, helpers."""
    names: dict[str, object] = {name: getattr(numeric, name) for name in numeric.__all__}
    names["copysign"] = math.copysign
    for suffix, fmt in (("16", "<H"), ("32", "<I"), ("64", "<Q"), ("f32", "<f"), ("f64", "<d")):
        packer = struct.Struct(fmt)
        names[f"u{suffix}"] = packer.unpack_from
        names[f"p{suffix}"] = packer.pack_into
    names["trap_unreachable"] = _trap_unreachable
    names["call_indirect"] = bulk.indirect_callee
    names.update((name, getattr(gc, name)) for name in GC_NAMES)
    names["TailCall"] = TailCall
    names["tail_callee"] = tail_callee
    names["WasmException"] = WasmException
    names["THROWN"] = WasmException.thrown
    names["throw_ref"] = throw_ref
    names["ref_callee"] = refs.ref_callee
    names["ref_as_non_null"] = refs.ref_as_non_null
    names["table_get"] = bulk.table_get
    names["table_set"] = bulk.table_set
    names["table_grow"] = bulk.table_grow
    names["table_fill"] = bulk.table_fill
    names["table_copy"] = bulk.table_copy
    names["memory_copy_between"] = bulk.memory_copy_between
    names["table_size"] = lambda table: len(table.elements)
    names.update(simd.FUNCTIONS)
    names.update(atomics.FUNCTIONS)
    names["__builtins__"] = __builtins__
    return names


_BASE = _base_namespace()


class PythonCompiledModule:
    """A module's functions, compiled to Python code objects on first call (or found in the
    on-disk cache), and bound to instances."""

    def __init__(self, valid: ValidModule, metered: bool = False, cache_dir: Path | None = None) -> None:
        self.valid = valid
        module = valid.module
        self.layout = ModuleLayout(valid, shared_globals(valid), metered)
        digest = hashlib.sha256(write_module(module)).digest() if cache_dir is not None else None
        self.filename = f"<wasm:{digest.hex()[:16] if digest else next(_counter)}>"
        self._cache = CodeCache(cache_dir, digest, "metered" if metered else "plain") if cache_dir and digest else None
        self.codes: dict[int, CodeType] = self._cache.codes if self._cache else {}
        prelude = "".join(_PRELUDE_MEMORY.format(m=memory_suffix(i)) for i in range(len(valid.memory_types)))
        self._prelude = compile(prelude, self.filename, "exec") if prelude else None
        # The namespace names of each type's id: the same for every instance, so made once.
        self._references: dict[int, tuple[tuple[str, int], ...]] = {}  # see `_name_references`
        self._type_ids = {f"TY{i}": type_id(key) for i, key in enumerate(valid.type_keys)}
        self._gc_names = gc_names(valid)
        self._names_registered = False

    def code(self, index: int) -> CodeType:
        """The code object defining function `index` (compiled on first need)."""
        found = self.codes.get(index)
        if found is None:
            func = self.valid.module.funcs[index - self.valid.imported_func_count]
            source = compile_function(self.layout, index, func)
            try:
                found = compile(source, self.filename, "exec")
            except (SyntaxError, RecursionError, MemoryError) as err:
                # CPython's own limits (about 100 levels of indentation, 20 nested blocks).
                message = getattr(err, "msg", None) or type(err).__name__
                raise CompileError(f"function {index} is nested too deeply for the Python engine ({message})") from None
            self.codes[index] = found
        return found

    def compile_all(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Compile every function now, reporting (done, total), and write them to the disk
        cache at once rather than at exit: other processes can use them from then on (the
        workers of `wasmkit serve`, after the parent has checked the modules)."""
        first = self.valid.imported_func_count
        total = len(self.valid.module.funcs)
        for n in range(total):
            self.code(first + n)
            if progress is not None:
                progress(n + 1, total)
        if self._cache is not None:
            self._cache.save()

    @property
    def source(self) -> str:
        """The Python source of every function (for reading; not what runs from the cache)."""
        first = self.valid.imported_func_count
        return "\n\n".join(
            compile_function(self.layout, i, func) for i, func in enumerate(self.valid.module.funcs, start=first)
        )

    def bind(self, instance: BoundInstance) -> None:
        """Bind the code to `instance` in a namespace of its own. Nothing is made per defined
        function here: a function's entry in the namespace (`f<i>`, and `F<i>`, its `Func`) is
        made when the code of a function that names it is first run, or when its `Func` is
        made (see `runtime.functions`), so that an instance of a module of 13,000 functions
        made per request pays for the few it runs."""
        ns = dict(_BASE)
        funcs = instance.funcs
        first = self.valid.imported_func_count
        for i in range(first):
            func = funcs[i]
            ns[f"F{i}"] = func
            ns[f"f{i}"] = func.for_caller(instance)
        for i, table in enumerate(instance.tables):
            ns[f"TT{i}"] = table
        ns.update(self._type_ids)
        ns.update(self._gc_names)
        for i, tag in enumerate(instance.tags):
            ns[f"TG{i}"] = tag
        shared = self.layout.shared_globals
        for i, glob in enumerate(instance.globals):
            if i in shared:
                ns[f"G{i}"] = glob
            else:
                ns[f"g{i}"] = glob.internal
        instance.engine_globals = EngineGlobals(
            (i for i in range(len(instance.globals)) if i not in shared),
            lambda i: ns[f"g{i}"],
            lambda i, value: ns.__setitem__(f"g{i}", value),
        )
        _bind_segments(ns, instance)
        ns["STORE"] = instance.store  # its interrupt stops memory.atomic.wait
        if self.layout.metered:
            ns["METER"] = instance.store.meter
            ns["meter_stop"] = instance.store.meter_stop
        for i, memory in enumerate(instance.mems):
            _bind_memory(ns, memory, memory_suffix(i), instance)
            ns[f"MEM{i}"] = memory  # for the bulk and atomic instructions' helpers
        if self._prelude is not None:
            exec(self._prelude, ns)
        if not self._names_registered:  # a defined function's name is its module's, in every instance
            names = {f"f{i}": funcs.name_of(i) for i in range(first, len(funcs))}
            names.update({f"t{key[1:]}": name for key, name in names.items()})  # bodies that tail-call
            register_code_names(self.filename, names)
            self._names_registered = True
        funcs.bind(lambda index: self._entry(ns, instance, index), lambda index: cast("Callable[..., Any] | None", ns.get(f"t{index}")))

    def _entry(self, ns: dict[str, object], instance: BoundInstance, index: int) -> Callable[..., object]:
        """Defined function `index`'s entry in the namespace: its definition once it has run,
        else what defines it on its first call (made now if need be)."""
        key = f"f{index}"
        found = ns.get(key)
        if found is None:
            found = ns[key] = self._first_call(ns, instance, index)
        return found  # type: ignore[return-value]

    def _name_references(self, ns: dict[str, object], instance: BoundInstance, index: int, code: CodeType) -> None:
        """Put in the namespace the functions (`f<j>`) and `Func`s (`F<j>`) that function
        `index`'s code names, before it runs."""
        found = self._references.get(index)
        if found is None:
            found = self._references[index] = _function_references(code)
        funcs = instance.funcs
        for name, j in found:
            if name not in ns:
                ns[name] = funcs[j] if name[0] == "F" else self._entry(ns, instance, j)

    def _first_call(self, ns: dict[str, object], instance: BoundInstance, index: int) -> Callable[..., object]:
        """What function `index` is until its first call defines it in the namespace (whoever
        still holds this afterwards, an importing instance say, is passed on to it). The
        function's `Func.fn` becomes the definition too, unless something else has taken its
        place meanwhile (the `auto` engine's route to the current tier: see engine.tiered)."""
        key = f"f{index}"

        def first_call(*args: object) -> object:
            fn = ns[key]
            if fn is first_call:
                code = self.code(index)
                self._name_references(ns, instance, index, code)
                exec(code, ns)
                fn = ns[key]
                func = instance.funcs.made(index)
                if func is not None and func.fn is first_call:
                    func.fn = fn  # type: ignore[assignment]
                    func.tail = ns.get(f"t{index}")  # type: ignore[assignment]
            return fn(*args)  # type: ignore[operator]

        return first_call


_FUNCTION_NAME = re.compile(r"[Ff]([0-9]+)")


def _function_references(code: CodeType) -> tuple[tuple[str, int], ...]:
    """The names of functions (`f<j>`) and `Func`s (`F<j>`) that `code` (with the code nested
    in it) reads, with each one's index."""
    found: set[tuple[str, int]] = set()
    pending = [code]
    while pending:
        current = pending.pop()
        for name in current.co_names:
            match = _FUNCTION_NAME.fullmatch(name)
            if match is not None:
                found.add((name, int(match.group(1))))
        pending.extend(const for const in current.co_consts if isinstance(const, CodeType))
    return tuple(sorted(found))


def _bind_memory(ns: dict[str, object], memory: "Memory", m: str, instance: BoundInstance) -> None:
    """The names of a memory's views and helpers, ending in `m` (its `memory_suffix`). The
    views are renewed while `instance` lives (see `Memory.add_listener`)."""
    names = tuple(name + m for name in ("M", "M16", "M32", "M64", "MF32", "MF64"))
    pages = "MP" + m

    def refresh(memory: "Memory") -> None:
        ns.update(zip(names, memory.views))
        ns[pages] = memory.pages

    refresh(memory)
    memory.add_listener(refresh, instance)
    mask = MASK64 if memory.type.is_64 else MASK32
    ns["MEM_GROW" + m] = lambda delta: memory.grow(delta) & mask
    ns["memory_fill" + m] = lambda dst, value, length: bulk.memory_fill(memory, dst, value, length)
    if not m:
        ns["memory_copy"] = lambda dst, src, length: bulk.memory_copy(memory, dst, src, length)


def _bind_segments(ns: dict[str, object], instance: BoundInstance) -> None:
    """Helpers that read the instance's (droppable) element and data segments."""
    datas = instance.datas
    elems = instance.elems

    def memory_init(segment: int, dst: int, src: int, length: int) -> None:
        bulk.memory_init(instance.mems[0], datas[segment], dst, src, length)

    def memory_init_in(memory: "Memory", segment: int, dst: int, src: int, length: int) -> None:
        bulk.memory_init(memory, datas[segment], dst, src, length)

    def data_drop(segment: int) -> None:
        datas[segment] = b""

    def table_init(table, segment: int, dst: int, src: int, length: int) -> None:
        bulk.table_init(table, elems[segment], dst, src, length)

    def elem_drop(segment: int) -> None:
        elems[segment] = []

    ns.update(
        DATAS=datas,
        ELEMS=elems,
        memory_init=memory_init,
        memory_init_in=memory_init_in,
        data_drop=data_drop,
        table_init=table_init,
        elem_drop=elem_drop,
    )


class PythonEngine:
    """Compiles modules to Python (pure standard library; runs wherever Python runs). With a
    `cache_dir`, compiled code is kept on disk there (see `cache`)."""

    name = "python"

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir

    def compile(self, module: ValidModule, metered: bool = False, profiled: bool = False) -> PythonCompiledModule:
        return PythonCompiledModule(module, metered, self.cache_dir)
