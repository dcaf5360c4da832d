"""Native code for a module (compiled once through LLVM) and its binding to instances.

Binding gives each instance a context (see `layout`), the cells of the globals native code
keeps, and the runtime helpers native code calls back into: host and cross-instance calls,
`call_indirect`, `call_ref`, `memory.grow`, shared globals, and the bulk and table operations. Each
defined function's `Func.fn` becomes a Python callable over its native entry, taking and
returning internal values as the Python engine's functions do.
"""

from __future__ import annotations

import ctypes
import enum
import functools
import hashlib
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ...binary import write_module
from ...bits import MASK32, MASK64
from ...errors import LinkError, Trap, TrapKind
from ...runtime import bulk, guard_pages
from ...runtime.func import Func, type_id
from ...runtime.heap import Array, Struct
from ...runtime.tag import WasmException
from ...runtime.values import from_bits, to_bits
from ...syntax.types import FuncType, StructType, ValType, ValueType
from ...validate import ValidModule
from ..base import BoundInstance, EngineGlobals, shared_globals
from ..metering import Meter
from ..python.atomics import FUNCTIONS as ATOMIC_FUNCTIONS
from . import artifact, faults, layout
from .atomics import machine_atomics
from .gc import POOL_SIZE, VIEW_CELLS, GcCode
from .global_cells import cell_address, in_cell
from .cache import ObjectCache
from .codegen import choose_tier
from .exceptions import ExceptionCells, exception_helper, in_flight, receive
from .layout import CELL_BYTES, CELL_WORDS, TRAP_HOST, TRAP_KINDS, TRAP_THROWN, TRAP_THROWN_HELD, Field, Helper, Variant, cell_words, cells_at, word_array
from .lower import NativeCompileError, entered_from_python
from .handles import I31_BIT, INDEX_MASK, HandleTable, Mirror, is_external
from .objects import all_numbers, buffer_address
from .pieces import Pieces, batch_objects
from .roots import stack_pointer, stack_words
from .stack import call_native, outermost_entry_sp

if TYPE_CHECKING:
    from ...runtime.memory import Memory

__all__ = ["NativeCompiledModule", "artifact_of"]

# The value types held as bit patterns (besides v128); every other one is a reference's handle.
_NUMBERS = frozenset({ValType.I32, ValType.I64, ValType.F32, ValType.F64})
_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)


class NativeCompiledModule:
    """A module's functions as machine code, ready to bind to instances.

    The module is compiled in pieces (see `pieces`): a small module in one, compiled now; a
    large one in many, each compiled (or loaded) when one of its functions is first called,
    from Python or from native code (which finds the function's slot empty and asks
    `load_function`), so that a program starts without compiling what it never runs. A
    piece's machine code comes from an artifact loaded in this process (`artifact`), else from
    the cache in `cache_dir`, else from compiling it (which fills the cache)."""

    def __init__(
        self, valid: ValidModule, metered: bool = False, cache_dir: Path | None = None, profiled: bool = False
    ) -> None:
        _refuse_shared_memories(valid)
        self.valid = valid
        self.metered = metered
        self.profiled = profiled  # keeps the store's shadow stack (see engine.shadow_stack)
        variant = (Variant.METERED if metered else Variant.PLAIN) | (Variant.PROFILED if profiled else Variant.PLAIN)
        module = valid.module
        # Mutable globals someone else can see live in their Global; native code asks for them.
        self.shared_globals = shared_globals(valid)
        self.tier = choose_tier(valid)
        digest = _digest(valid) if cache_dir is not None or artifact.loaded() else None
        given = artifact.loaded_objects(digest, variant) if digest is not None else None
        cache = ObjectCache(cache_dir, digest, variant, self.tier) if cache_dir and digest else None
        # Entered through `faults` when its code leaves out-of-bounds accesses to guard regions.
        self.guarded = guard_pages.enabled() and any(not memory.is_64 for memory in valid.memory_types)
        if self.guarded:
            faults.prepare()
        # Each defined function's machine code, loaded as it is called (see `pieces`).
        self.pieces = Pieces(valid, self.shared_globals, variant, self.tier, cache, given)
        self.slots_address = ctypes.addressof(self.pieces.slots)
        first = valid.imported_func_count
        # The functions Python can call get an entry, through ctypes (made once, shared by
        # instances); the others are called by native code only.
        self.entered = entered_from_python(valid)
        self._entries: dict[int, Any] = {}
        # What every instance needs and is the same for all (native code only reads it): the
        # type ids of the module's types; per function, its type's id and how it is called
        # (its parameter and result types, its cells).
        self.type_ids = [type_id(key) for key in valid.type_keys]
        self.type_id_cells = word_array(max(len(self.type_ids), 1))(*self.type_ids)
        self.func_type_ids = [self.type_ids[i] for i in module.func_type_indices()]
        self._signatures: dict[FuncType, tuple[tuple[ValueType, ...], tuple[ValueType, ...], int]] = {}
        self.gc_code = GcCode(valid, self.type_ids)  # what runs the GC instructions, made as they run
        # Whether a struct type has only numbers held natively (its instances get pools).
        self.pooled = any(isinstance(t, StructType) and all_numbers(t.fields) for t in module.types)
        self._first = first

    def signature(self, index: int) -> tuple[tuple[ValueType, ...], tuple[ValueType, ...], int]:
        """How function `index` is called from Python (see `_signature`), made on first need
        once per type: python.wasm's 47,161 functions in its table have a few hundred types."""
        func_type = self.valid.func_types[index]
        found = self._signatures.get(func_type)
        if found is None:
            found = self._signatures[func_type] = _signature(func_type)
        return found

    def compile_all(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Load every function's machine code, compiling what the cache and artifacts lack,
        reporting (functions done, functions) to `progress`."""
        self.pieces.compile_all(progress)

    def load_function(self, index: int) -> None:
        """Make sure defined function `index`'s machine code is loaded."""
        self.pieces.load_function(index)

    @property
    def compiled_now(self) -> bool:
        """Whether some of the module was compiled (not loaded) in this process."""
        return self.pieces.compiled_now

    def entry(self, index: int) -> Any:
        """The entry of defined function `index` (one Python can call: see `entered`)."""
        found = self._entries.get(index)
        if found is None:
            address = self.entry_address(index)
            found = self._entries[index] = faults.guarded_call(address) if self.guarded else _ENTRY(address)
        return found

    def entry_address(self, index: int) -> int:
        """The address of defined function `index`'s entry, its piece loaded first."""
        self.load_function(index)
        return cast(int, self.pieces.engine.get_function_address(f"entry{index}"))

    def direct_target(self, index: int) -> tuple[int, int]:
        """What a table's mirror holds for defined function `index`: its address (0 until
        its piece is loaded) and its type's id."""
        return self.pieces.slots[index - self._first], self.func_type_ids[index]

    def direct_targets(self, indices: list[int]) -> tuple[list[int], list[int]]:
        """`direct_target` of each of the defined functions `indices`: their addresses, and
        their types' ids."""
        slots, first, type_ids = self.pieces.slots, self._first, self.func_type_ids
        return [slots[index - first] for index in indices], [type_ids[index] for index in indices]

    def bind(self, instance: BoundInstance) -> None:
        binding = _Binding(self, instance)
        instance.native = binding  # type: ignore[attr-defined]
        instance.funcs.bind(binding.function)
        instance.engine_globals = EngineGlobals(
            (i for i in range(len(binding.global_types)) if i not in self.shared_globals),
            lambda i: binding.get(binding.globals, i, binding.global_types[i]),
            lambda i, value: binding.put(binding.globals, i, binding.global_types[i], value),
        )


def _digest(valid: ValidModule) -> bytes:
    """What names a module in the cache and in artifacts: the sha256 of its binary (of the
    binary it was read from, else of its encoding)."""
    return valid.digest or hashlib.sha256(write_module(valid.module)).digest()


def _refuse_shared_memories(valid: ValidModule) -> None:
    """A module with a shared 64-bit memory is refused, naming the feature, rather than run
    wrong: such a memory moves when it outgrows its reservation (see runtime.memory), under
    machine code running on other threads. A shared 32-bit memory never moves."""
    if any(mt.shared and mt.is_64 for mt in valid.memory_types):
        raise NativeCompileError("the native engine does not support shared 64-bit memories yet: use the Python engine")


def artifact_of(valid: ValidModule, cache_dir: Path | None, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The ahead-of-time artifact of `valid` (see `artifact`): the module and the machine code
    of its plain variant, an object file per batch (see `pieces`), compiled now (reporting to
    `progress`) or taken from the cache in `cache_dir`; none is linked into this process."""
    _refuse_shared_memories(valid)
    tier = choose_tier(valid)
    cache = ObjectCache(cache_dir, _digest(valid), Variant.PLAIN, tier) if cache_dir is not None else None
    objects = batch_objects(valid, shared_globals(valid), tier, cache, progress)
    return artifact.write_artifact(write_module(valid.module), objects, tier)


class _Binding:
    """One instance's native state: its context, global cells, references, and table mirrors."""

    def __init__(self, compiled: NativeCompiledModule, instance: BoundInstance) -> None:
        self.compiled = compiled
        self.instance = instance
        valid = compiled.valid
        self.context = word_array(Field.COUNT)()
        self.address = ctypes.addressof(self.context)
        # References native code holds, by handle (see `handles`), collected from time to time.
        self.references = HandleTable()
        self.decode = self.references.decode  # the reference a handle stands for
        self.cell_views: dict[int, Any] = {}  # see `_gc`
        # Per struct type whose fields are all numbers, the structs made ahead for native
        # code to take (see `gc.POOL_SIZE`), and the table of their addresses it reads.
        self.pools: dict[int, Any] = {}
        self.pool_table: Any = None
        if compiled.pooled:
            self.pool_table = word_array(len(valid.module.types))()
            self.context[Field.POOLS] = ctypes.addressof(self.pool_table)
        # What native code knows of each handle's object (see `handle`): for call_ref's
        # direct path, the address of a function of this instance; for the GC instructions',
        # the address of a struct's or array's native numbers (see `objects`) and its type.
        self.mirror = Mirror()
        self.context[Field.REFS] = self.mirror.address
        self.global_types = [gt.valtype for gt in valid.global_types]
        self.globals = cell_words(max(len(valid.global_types), 1))
        for i, glob in enumerate(instance.globals):
            if i not in compiled.shared_globals:
                self.put(self.globals, i, self.global_types[i], glob.internal)
            elif in_cell(self.global_types[i]):
                self.globals[CELL_WORDS * i] = cell_address(glob)
        self.context[Field.GLOBALS] = ctypes.addressof(self.globals)
        self.pending: BaseException | None = None
        # Exceptions: the tags' identities and the cells of the one in flight (see `exceptions`).
        # A module without tags throws none and catches only with catch_all: it shares cells.
        if valid.tag_types:
            room = max(len(tag_type.params) for tag_type in valid.tag_types)
            self.exceptions = ExceptionCells(instance.tags, room, word_array)
            self.exceptions.bind(self.context)
        else:
            self.exceptions = _NO_TAGS
        # Imported functions as this instance calls them, each found at its first call (see
        # `_first_call`), and the slots where native code finds those it calls at their
        # entries (see `link_import`), with the bindings they belong to.
        imported = valid.imported_func_count
        self.imported: list[tuple[Callable[..., object], FuncType, int] | None] = [None] * imported
        self.import_slots = word_array(2 * max(imported, 1))()
        self.context[Field.IMPORTS] = ctypes.addressof(self.import_slots)
        self.linked: dict[int, _Binding] = {}
        _register(self)
        for which, address in _CALLBACK_ADDRESSES.items():
            self.context[which] = address
        self.meter = instance.store.native_meter() if compiled.metered else None
        if self.meter is not None:
            self.context[Field.METER] = ctypes.addressof(self.meter)
        if compiled.profiled:
            shadow = instance.store.shadow_stack()
            self.context[Field.PROFILE] = shadow.address
            self.context[Field.PROFILE_TAG] = shadow.name_frames(instance.funcs.name_of) << 32
        self.context[Field.TYPE_IDS] = ctypes.addressof(compiled.type_id_cells)
        self.context[Field.FUNCTIONS] = compiled.slots_address
        # call_indirect's direct path: per table, a mirror of (address, type id) per element,
        # non-zero where the element is a function of this instance.
        self.descriptors = cell_words(max(len(instance.tables), 1))
        self.context[Field.TABLES] = ctypes.addressof(self.descriptors)
        self.mirrors: list[Any] = [None] * len(instance.tables)
        # Mirrored before the working set was linked, the tables list its functions as not
        # loaded: the first indirect call that takes the slow path after it is, mirrors them
        # again (yosys.wasm's start made 800 slow calls, a twentieth of a second, without).
        self.mirrored_before_link = not compiled.pieces.working_set_linked.is_set()
        this = weakref.ref(self)
        for i, table in enumerate(instance.tables):
            self._mirror(i, 0, len(table.elements))
            table.add_listener(functools.partial(_table_changed, this, i))
        # Each memory's (base, size in bytes), memory 0's in fields of their own too, kept
        # current through the memory's listeners: growth changes the size, and moves a 64-bit
        # memory that outgrows its reservation.
        self.memory: "Memory | None" = instance.mems[0] if instance.mems else None
        self.memories = cell_words(max(len(instance.mems), 1))
        self.context[Field.MEMORIES] = ctypes.addressof(self.memories)
        if compiled.guarded:  # its code checks no access to a 32-bit memory (see `faults`)
            for memory in instance.mems:
                if not memory.type.is_64 and not memory.guarded:
                    raise LinkError("native code compiled for guard regions needs memories that have them (see runtime.guard_pages)")
            faults.ensure_installed()
        for i, memory in enumerate(instance.mems):
            self._memory_grown(i, memory)
            memory.add_listener(functools.partial(_memory_changed, this, i), instance)  # see Memory.remove_listeners
            if memory.shared and memory.sync.machine is None:  # see `atomics`
                memory.sync.use_machine_code(machine_atomics().operations)

    def _mirror(self, i: int, start: int, stop: int) -> None:
        """Bring table `i`'s mirror up to date for elements start..stop.

        A table many instances share (a component's dynamically linked modules share one of
        thousands of elements) tells every instance's binding of each change: the common
        windows are settled without a look at each element (see `_window_kind`)."""
        table = self.instance.tables[i]
        elements = table.elements
        mirror = self.mirrors[i]
        if mirror is None or len(mirror) < CELL_WORDS * len(elements):
            mirror = self.mirrors[i] = cell_words(max(2 * len(elements), 1))
            self.descriptors[CELL_WORDS * i] = ctypes.addressof(mirror)
            start, stop = 0, len(elements)
        self.descriptors[CELL_WORDS * i + 1] = len(elements)
        if start >= stop:
            return
        funcs = self.instance.funcs
        lazy = table.functions is not None
        owner = table.owner_number(funcs) if lazy else None
        mine = -1 if owner is None else owner << 32  # where this instance's lazy entries begin
        first = self.compiled.valid.imported_func_count
        window = elements[start:stop]
        kind = _window_kind(window, mine + first if mine >= 0 else -1, mine + (1 << 32), funcs.any_defined_made())
        if kind is _Window.NONE_MINE:
            ctypes.memset(ctypes.addressof(mirror) + CELL_BYTES * start, 0, CELL_BYTES * (stop - start))
        elif kind is _Window.ALL_MINE:
            addresses, type_ids = self.compiled.direct_targets([cast(int, element) - mine for element in window])
            mirror[CELL_WORDS * start : CELL_WORDS * stop : CELL_WORDS] = addresses
            mirror[CELL_WORDS * start + 1 : CELL_WORDS * stop : CELL_WORDS] = type_ids
        else:
            direct = self.compiled.direct_target
            own = funcs.defined_index
            for k, element in enumerate(window, start):
                if lazy and element.__class__ is int:  # a lazy entry (see runtime.table): this instance's or not
                    index = element - mine if mine >= 0 and mine + first <= element < mine + (1 << 32) else None
                else:
                    index = own(element)
                mirror[CELL_WORDS * k], mirror[CELL_WORDS * k + 1] = (0, 0) if index is None else direct(index)

    def pool(self, type_index: int) -> Any:
        """The pool of structs made ahead of type `type_index` (see `gc.POOL_SIZE`)."""
        found = self.pools.get(type_index)
        if found is None:
            found = self.pools[type_index] = word_array(1 + 2 * POOL_SIZE)()
            self.pool_table[type_index] = ctypes.addressof(found)
        return found

    def new_object(self, reference: "Struct | Array", address: int = 0) -> int:
        """The handle of a struct or array just made, whose native numbers (see `objects`)
        are at `address` if it is not 0."""
        found = self.references.new(reference)
        self.mirror.fill(found & INDEX_MASK, found, numbers=address, type_word=reference.type_id + 1)
        return found

    def _memory_grown(self, i: int, memory: "Memory") -> None:
        """Tell native code memory `i`'s base and size, after growth."""
        base, size = memory.address, memory.size
        self.memories[CELL_WORDS * i], self.memories[CELL_WORDS * i + 1] = base, size
        if i == 0:
            self.context[Field.MEM_BASE], self.context[Field.MEM_SIZE] = base, size

    # -- values in cells --

    def put(self, words: Any, i: int, vt: ValueType, value: object) -> None:
        """Put an internal value in cell `i` as native code holds it: its bits, or a
        reference's handle."""
        if vt is ValType.FUNCREF or vt is ValType.EXTERNREF:
            words[CELL_WORDS * i] = self.handle(value, vt)
        elif vt is ValType.V128:
            words[CELL_WORDS * i] = value & MASK64  # type: ignore[operator]
            words[CELL_WORDS * i + 1] = value >> 64  # type: ignore[operator]
        elif vt in _NUMBERS:
            words[CELL_WORDS * i] = to_bits(vt, value)
        else:  # a typed reference: a handle as well
            words[CELL_WORDS * i] = self.handle(value, vt)

    def get(self, words: Any, i: int, vt: ValueType) -> object:
        """The internal value in cell `i`."""
        bits = words[CELL_WORDS * i]
        if vt is ValType.I32 or vt is ValType.F32:
            return from_bits(vt, bits & MASK32)
        if vt is ValType.FUNCREF or vt is ValType.EXTERNREF:
            return self.references.decode(bits)
        if vt is ValType.V128:
            return bits | (words[CELL_WORDS * i + 1] << 64)
        if vt is ValType.I64 or vt is ValType.F64:
            return from_bits(vt, bits)
        return self.references.decode(bits)  # a typed reference

    def handle(self, reference: object, vt: ValueType = ValType.FUNCREF) -> int:
        """The handle of a reference of type `vt` (see `handles`): an int is an i31 unless
        `vt` is an external reference (a host value, then)."""
        if reference is None:
            return 0
        if type(reference) is int and not is_external(vt):
            return I31_BIT | reference
        return self.object_handle(reference)

    def object_handle(self, reference: object) -> int:
        """The handle of a reference that is neither null nor an i31 (see `handle`)."""
        found, new = self.references.handle(reference)
        if new:
            at = found & INDEX_MASK
            index = self.instance.funcs.defined_index(reference)
            if index is not None:
                self.mirror.fill(at, found, function=self.compiled.direct_target(index)[0])
            elif type(reference) is Struct or type(reference) is Array:
                self.mirror.fill(at, found, numbers=buffer_address(reference), type_word=reference.type_id + 1)
            else:
                self.mirror.fill(at, found)
        return found

    def collect_if_due(self) -> None:
        """Free the handles native code no longer holds, when enough were made since the last
        collection. Called only where every handle native code holds is in its globals or on
        the stack (see `roots`), never while Python holds handles of its own."""
        references = self.references
        if references.made >= references.threshold:
            outer = outermost_entry_sp()
            roots = stack_words(stack_pointer(), outer) if outer else set()
            roots.update(self.globals)
            roots.update(self.exceptions.cells)  # the payload of an exception in flight
            for pool in self.pools.values():  # those not taken yet, and the last ones taken
                roots.update(pool)
            self.mirror.clear(references.collect(roots))

    # -- calls from Python into native code --

    def function(self, index: int) -> Callable[..., object]:
        """What defined function `index` runs as (its `Func.fn`). A partial, not a closure:
        a server makes an instance per request, and a closure's cells are that many more
        objects for the garbage collector. Only a function with an entry can be one: the
        runtime makes a defined function's `Func` for an export, a table or a reference; any
        other (made by the Python engine's code before the `auto` engine moved the instance
        here: see engine.tiered) is called only by its module's code, and says so if called."""
        if index not in self.compiled.entered:
            return functools.partial(_no_entry, index)
        return functools.partial(self.call, index)

    def call(self, index: int, *args: object) -> object:
        """Call defined function `index` with internal values; return its results likewise."""
        params, results, count = self.compiled.signature(index)
        cells = cell_words(count)
        for i, (vt, arg) in enumerate(zip(params, args)):
            self.put(cells, i, vt, arg)
        meter = self.meter
        depth = meter[Meter.DEPTH] if meter is not None else 0
        shadow = self.context[Field.PROFILE]  # profiled code's shadow stack: its depth first
        shadow_depth = ctypes.c_uint64.from_address(shadow).value if shadow else 0
        self.collect_if_due()
        status = call_native(self.compiled.entry(index), self.context, self.address, Field.STACK_LIMIT, cells, Field.ENTRY_SP)
        if status:
            # The frames a trap unwound did not count themselves out where it jumped out of
            # them (an access in a guard region: see `faults`).
            if meter is not None:
                meter[Meter.DEPTH] = depth
            if shadow:
                ctypes.c_uint64.from_address(shadow).value = shadow_depth
            raise self.take_trap(status)
        if not results:
            return None
        if len(results) == 1:
            return self.get(cells, 0, results[0])
        return tuple(self.get(cells, i, vt) for i, vt in enumerate(results))

    def take_trap(self, status: int) -> BaseException:
        """The exception for the trap native code returned with; the context is reset."""
        self.context[Field.TRAP] = 0
        if status == TRAP_HOST:
            pending, self.pending = self.pending, None
            return pending if pending is not None else Trap(TrapKind.HOST)
        if status == TRAP_THROWN or status == TRAP_THROWN_HELD:
            exception = in_flight(self, status)
            self.pending = None
            return exception
        return Trap(TRAP_KINDS[status])

    # -- calls from native code into Python --

    def _fail(self, err: BaseException) -> int:
        """Hold a Python exception for the entry to raise, and make native code unwind."""
        self.pending = err
        self.context[Field.TRAP] = TRAP_HOST
        return 1

    def _call_through(self, fn: Callable[..., object], func_type: FuncType, cells: Any) -> int:
        try:
            args = [self.get(cells, i, vt) for i, vt in enumerate(func_type.params)]
            result = fn(*args)
            self.collect_if_due()
            results = func_type.results
            if len(results) == 1:
                self.put(cells, 0, results[0], result)
            elif results:
                for i, (vt, value) in enumerate(zip(results, result)):  # type: ignore[call-overload]
                    self.put(cells, i, vt, value)
            return 0
        except WasmException as exception:  # thrown into the calling wasm code, which may catch it
            return receive(self, exception)
        except BaseException as err:  # noqa: BLE001 - it is re-raised by the entry
            return self._fail(err)

    def _host_call(self, _ctx: int, index: int, cells_address: int) -> int:
        fn, func_type, cell_count = self.imported[index] or self._first_call(index)
        return self._call_through(fn, func_type, cells_at(cells_address, cell_count))

    def _first_call(self, index: int) -> tuple[Callable[..., object], FuncType, int]:
        """Imported function `index` as this instance calls it (a host function that wants
        the caller gets this instance), with its type and the cells a call passes through,
        kept for the next calls; linked first if native code may call it at its entry. Found
        at the first call rather than for all at instantiation: a component's module imports
        hundreds of functions, and a request calls a few of them."""
        func = self.instance.funcs[index]
        found = self.imported[index] = (func.for_caller(self.instance), func.type, _cell_count(func.type))
        callee = _native_callee(found[0], func.type, self.instance.store, self.compiled.guarded)
        if callee is not None:
            self.link_import(index, *callee)
        return found

    def link_import(self, index: int, callee: _Binding, function: int) -> None:
        """Let native code call imported function `index`, function `function` of `callee`,
        at its entry with that instance's context (see `lower.call_import`): from now on its
        calls cross no Python (a component's modules, libpython calling libc, made 1,900
        calls a request through it)."""
        self.import_slots[2 * index] = callee.compiled.entry_address(function)
        self.import_slots[2 * index + 1] = callee.address
        self.linked[index] = callee

    def _import_failed(self, index: int, status: int) -> int:
        """A linked import's entry returned `status`: its trap, held exception or wasm
        exception, taken from its binding, made this instance's (as a call through the
        runtime makes it)."""
        failure = self.linked[index].take_trap(status)
        if isinstance(failure, WasmException):
            return receive(self, failure)
        return self._fail(failure)

    def _call_indirect(self, _ctx: int, table: int, element: int, type_index: int, cells_address: int) -> int:
        try:
            if self.mirrored_before_link and self.compiled.pieces.working_set_linked.is_set():
                self.mirrored_before_link = False
                for i, mirrored in enumerate(self.instance.tables):
                    self._mirror(i, 0, len(mirrored.elements))
            func = bulk.indirect_callee(self.instance.tables[table], element, self.compiled.type_ids[type_index])
            index = self.instance.funcs.defined_index(func)
            if index is not None:  # a function of this instance whose piece was not loaded: load it, mirror it
                self.compiled.load_function(index)
                self._mirror(table, element, element + 1)
        except Trap as trap:
            return self._fail(trap)
        except BaseException as err:  # noqa: BLE001 - it is re-raised by the entry
            return self._fail(err)
        cells = cells_at(cells_address, _cell_count(func.type))
        return self._call_through(func.fn, func.type, cells)

    def _call_ref(self, _ctx: int, handle: int, cells_address: int) -> int:
        try:
            func = cast(Func, self.decode(handle))  # not null: native code checked
            index = self.instance.funcs.defined_index(func)
            if index is not None:  # a function of this instance whose piece was not loaded: load it, mirror it
                self.compiled.load_function(index)
                self.mirror.fill(handle & INDEX_MASK, handle, function=self.compiled.direct_target(index)[0])
        except Trap as trap:
            return self._fail(trap)
        except BaseException as err:  # noqa: BLE001 - it is re-raised by the entry
            return self._fail(err)
        cells = cells_at(cells_address, _cell_count(func.type))
        return self._call_through(func.fn, func.type, cells)

    def _memory_grow(self, _ctx: int, delta: int) -> int:
        memory = self.memory
        return -1 if memory is None else memory.grow(delta)

    def _global_access(self, _ctx: int, index: int, write: int, cells_address: int) -> int:
        """Read or write shared reference global `index` (a number one is reached in place:
        see `global_cells`)."""
        cell = cells_at(cells_address, 1)
        glob = self.instance.globals[index]
        vt = self.global_types[index]
        if write:
            glob.internal = self.get(cell, 0, vt)
        else:
            self.put(cell, 0, vt, glob.internal)
        return 0

    def _helper(self, _ctx: int, which: int, cells_address: int) -> int:
        words = cells_at(cells_address, 5)
        cells = [words[CELL_WORDS * k] for k in range(5)]  # the operands (numbers, handles)
        instance = self.instance
        try:
            # A 32-bit index or length is zero-extended in its cell; a 64-bit one is whole.
            if which == Helper.MEMORY_INIT:
                bulk.memory_init(instance.mems[cells[4]], instance.datas[cells[0]], *cells[1:4])
            elif which == Helper.DATA_DROP:
                instance.datas[cells[0]] = b""
            elif which == Helper.TABLE_INIT:
                table = instance.tables[cells[0]]
                bulk.table_init(table, instance.elems[cells[1]], *cells[2:5])
            elif which == Helper.ELEM_DROP:
                instance.elems[cells[0]] = []
            elif which == Helper.TABLE_COPY:
                bulk.table_copy(instance.tables[cells[0]], instance.tables[cells[1]], *cells[2:5])
            elif which == Helper.TABLE_SIZE:
                words[0] = len(instance.tables[cells[0]].elements)
            elif which == Helper.REF_FUNC:
                words[0] = self.handle(instance.funcs[cells[0]])
            elif which == Helper.TABLE_GET:
                words[0] = self.handle(bulk.table_get(instance.tables[cells[0]], cells[1]))
            elif which == Helper.TABLE_SET:
                bulk.table_set(instance.tables[cells[0]], cells[1], self.decode(cells[2]))
            elif which == Helper.TABLE_GROW:
                words[0] = bulk.table_grow(instance.tables[cells[0]], self.decode(cells[1]), cells[2])
            elif which == Helper.TABLE_FILL:
                table = instance.tables[cells[0]]
                bulk.table_fill(table, cells[1], self.decode(cells[2]), cells[3])
            elif which == Helper.MEMORY_GROW:
                words[0] = instance.mems[cells[0]].grow(cells[1]) & MASK64
            elif which == Helper.MEMORY_WAIT32 or which == Helper.MEMORY_WAIT64:
                memory = instance.mems[cells[0]]
                wait = ATOMIC_FUNCTIONS["memory_atomic_wait32" if which == Helper.MEMORY_WAIT32 else "memory_atomic_wait64"]
                words[0] = wait(memory, instance.store, *cells[1:4])
            elif which == Helper.MEMORY_NOTIFY:
                words[0] = instance.mems[cells[0]].sync.notify(cells[1], cells[2])
            elif which == Helper.LOAD_FUNCTION:
                self.compiled.load_function(cells[0])
            elif which == Helper.IMPORT_FAILED:
                return self._import_failed(cells[0], cells[1])
            return 0
        except BaseException as err:  # noqa: BLE001 - it is re-raised by the entry
            return self._fail(err)

    def _gc(self, _ctx: int, op_index: int, first: int, second: int, cells_address: int) -> int:
        """A GC instruction (see `gc`); first, while native code holds its handles only in its
        frames and the cells, a collection of the handles if one is due. The cells are seen
        through a view made once per address (a loop calls from the same frame each time)."""
        try:
            self.collect_if_due()
            views = self.cell_views
            cells = views.get(cells_address)
            if cells is None:
                if len(views) > 1024:  # addresses of frames long gone
                    views.clear()
                cells = views[cells_address] = cells_at(cells_address, VIEW_CELLS)
            self.compiled.gc_code.run(op_index, first, second)(self, cells, cells_address)
            return 0
        except BaseException as err:  # noqa: BLE001 - it is re-raised by the entry
            return self._fail(err)


def _native_callee(fn: Callable[..., object], func_type: FuncType, store: object, guarded: bool) -> "tuple[_Binding, int] | None":
    """The binding and function index of `fn` if native code of an instance in `store`
    (`guarded`: its code leaves bounds to guard regions) may call it at its entry: a
    native function (`_Binding.function`) of an instance in the same store, taking and
    giving numbers only (a reference's handle means something to one binding only), and
    whose faults, if it leaves bounds to guard regions, reach a guarded entry."""
    if not (isinstance(fn, functools.partial) and getattr(fn.func, "__func__", None) is _Binding.call):
        return None
    callee = cast(_Binding, fn.func.__self__)  # type: ignore[attr-defined]
    if callee.instance.store is not store or (callee.compiled.guarded and not guarded):
        return None
    if not all(in_cell(vt) for vt in (*func_type.params, *func_type.results)):
        return None
    return callee, cast(int, fn.args[0])


class _Window(enum.Enum):
    """What a window of a table holds, as a binding's mirror sees it (see `_window_kind`)."""

    NONE_MINE = enum.auto()  # no function of this instance: the mirror's entries are all 0
    ALL_MINE = enum.auto()  # only this instance's lazy entries
    MIXED = enum.auto()  # anything else: each element looked at


def _window_kind(window: list[object], low: int, high: int, funcs_made: bool) -> _Window:
    """Which of the `_Window` kinds `window` is, found by C-speed scans (min, max, count):
    this instance's lazy entries are the ints in low..high (low -1: it has none), and
    `funcs_made` says whether any `Func` of its own exists (which a table may hold)."""
    if low < 0 and not funcs_made:
        return _Window.NONE_MINE  # nothing the table holds can be this instance's
    try:
        smallest, largest = min(window), max(window)  # type: ignore[type-var]
    except TypeError:  # not all ints: None, Funcs or host references among them
        smallest = largest = None
    if smallest.__class__ is not int or largest.__class__ is not int:  # (one element is not compared)
        return _Window.NONE_MINE if window.count(None) == len(window) else _Window.MIXED
    if low >= 0 and low <= smallest and largest < high:
        return _Window.ALL_MINE
    if low < 0 or largest < low or smallest >= high:
        return _Window.NONE_MINE  # ints only, none in this instance's range (or i31s)
    return _Window.MIXED


# The runtime helpers native code calls, made once for every instance: each finds the binding
# by the address of the context native code passes. (A ctypes callback takes about 2 us to
# make and is cyclic garbage once dropped, and a server makes an instance per request.) Weak
# references in a plain dict rather than a WeakValueDictionary, whose lookup is Python code:
# this one is on the path of every call from wasm into Python.
_BINDINGS: "dict[int, weakref.ref[_Binding]]" = {}


def _register(binding: "_Binding") -> None:
    address = binding.address
    _BINDINGS[address] = weakref.ref(binding, functools.partial(_forget, address))


def _live(ctx: int) -> "_Binding":
    """The binding whose context is at `ctx`: alive, since native code runs only in its calls."""
    return cast("_Binding", _BINDINGS[ctx]())


def _forget(address: int, reference: "weakref.ref[_Binding]") -> None:
    if _BINDINGS.get(address) is reference:  # not a newer binding at the same address
        del _BINDINGS[address]


@layout.HOST_CALL
def _host_call(ctx: int, index: int, cells: int) -> int:
    return _live(ctx)._host_call(ctx, index, cells)


@layout.MEMORY_GROW
def _memory_grow(ctx: int, delta: int) -> int:
    return _live(ctx)._memory_grow(ctx, delta)


@layout.CALL_INDIRECT
def _call_indirect(ctx: int, table: int, element: int, type_index: int, cells: int) -> int:
    return _live(ctx)._call_indirect(ctx, table, element, type_index, cells)


@layout.CALL_REF
def _call_ref(ctx: int, handle: int, cells: int) -> int:
    return _live(ctx)._call_ref(ctx, handle, cells)


@layout.GLOBAL_ACCESS
def _global_access(ctx: int, index: int, write: int, cells: int) -> int:
    return _live(ctx)._global_access(ctx, index, write, cells)


@layout.HELPER
def _helper(ctx: int, which: int, cells: int) -> int:
    return _live(ctx)._helper(ctx, which, cells)


@layout.EXCEPTION_HELPER
def _exception_helper(ctx: int, op: int, operand: int) -> int:
    return exception_helper(_live(ctx), op, operand)


@layout.GC
def _gc(ctx: int, op_index: int, first: int, second: int, cells: int) -> int:
    return _BINDINGS[ctx]()._gc(ctx, op_index, first, second, cells)  # type: ignore[union-attr]  # see _live


def _no_entry(index: int, *args: object) -> object:
    raise LookupError(f"function {index} is called only by its module's code: it has no entry")


_CALLBACK_ADDRESSES = {
    field: ctypes.cast(callback, ctypes.c_void_p).value or 0
    for field, callback in (
        (Field.HOST_CALL, _host_call),
        (Field.MEMORY_GROW, _memory_grow),
        (Field.CALL_INDIRECT, _call_indirect),
        (Field.CALL_REF, _call_ref),
        (Field.GLOBAL_ACCESS, _global_access),
        (Field.HELPER, _helper),
        (Field.EXCEPTION_HELPER, _exception_helper),
        (Field.GC, _gc),
    )
}


def _memory_changed(binding: "weakref.ref[_Binding]", i: int, memory: "Memory") -> None:
    alive = binding()
    if alive is not None:
        alive._memory_grown(i, memory)


def _table_changed(binding: "weakref.ref[_Binding]", i: int, table: object, start: int, stop: int) -> None:
    alive = binding()
    if alive is not None:
        alive._mirror(i, start, stop)


def _signature(func_type: FuncType) -> tuple[tuple[ValueType, ...], tuple[ValueType, ...], int]:
    """How a function of this type is called from Python: its parameter and result types and
    the cells its arguments and results pass through."""
    return func_type.params, func_type.results, _cell_count(func_type)


def _cell_count(func_type: FuncType) -> int:
    """The cells a call of this type passes its arguments in and gets its results back in."""
    return max(len(func_type.params), len(func_type.results), 1)


# The exception cells of the instances of modules without tags (see `_Binding`).
_NO_TAGS = ExceptionCells([], 0, word_array)
