"""From a validated module to machine code, and machine code into this process.

`pieces` splits a module into the runs of functions it is compiled in, `compile_piece` (or
`compile_pieces`, several) lowers a piece to LLVM IR, optimises it for its tier and emits its
object file (`object_file` compiles IR kept earlier: `tier_up`); `load_objects` links object files into a fresh MCJIT execution engine and
`add_objects` more into it. Object files are
what the on-disk cache (`cache`) and ahead-of-time artifacts (`artifact`) keep, so loading
from either is the same step as loading what was just compiled. `toolchain` names what
machine code depends on besides the module: code made by another toolchain is never loaded.
"""

from __future__ import annotations

import functools
import os
import struct
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, cast

import llvmlite.binding as llvm

from ...version import __version__
from ...runtime import guard_pages
from ...validate import ValidModule
from ..cache_dir import source_digest
from .layout import Variant
from .lower import lower_piece

__all__ = [
    "FAST", "FULL", "RECOMPILE", "CompiledPiece", "add_objects", "batches", "choose_tier", "compile_piece", "compile_pieces", "listing",
    "load_objects", "object_file", "optimise_register_allocation", "pack_objects", "pieces", "toolchain", "unpack_objects",
]

# The two tiers: full optimisation, or fast compilation (for large modules, whose compile time
# through the full pipeline runs to tens of seconds: 7.6 s against 0.9 s for a 131 KB one).
FULL = "full"
FAST = "fast"
# What `tier_up` compiles a FAST piece's IR again with: the FAST tier's passes, then LLVM's -O2
# code generator (block placement, instruction selection that folds compares and address
# arithmetic, the optimising register allocator). Not a tier a module is compiled on.
RECOMPILE = "recompile"
_CODEGEN_LEVELS = {FULL: 3, FAST: 0, RECOMPILE: 2}
FAST_TIER_BYTES = 64 * 1024
# LLVM's O3 and its full code generator cost about 3.5 ms per function even for tiny ones
# (5,000 functions of 7 bytes: 20 s against 4.5 s on the fast tier).
FAST_TIER_FUNCTIONS = 1000
# What compiling a whole large module (`batches`) puts in one object file: up to this many
# functions, or about this much wasm code.
BATCH_FUNCTIONS = 1000
BATCH_BYTES = 64 * 1024
LLVM_LOCK = threading.Lock()  # LLVM's global state is not for two threads at once
_initialised = False


def _machine(tier: str) -> llvm.TargetMachine:
    """A target machine for this host (a new one each time: an execution engine owns its own)."""
    global _initialised
    if not _initialised:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.initialize_native_asmparser()  # for the inline assembly of nan.first_nan_wins
        _initialised = True
    return llvm.Target.from_default_triple().create_target_machine(opt=_CODEGEN_LEVELS[tier], jit=True)


def toolchain() -> dict[str, str]:
    """What machine code depends on besides the module and its variant: wasmkit's version,
    the native engine's source, LLVM's version, the host CPU that LLVM compiled for, and
    whether 32-bit memories have guard regions (code then checks no access: see `lower`)."""
    return {
        "guards": "on" if guard_pages.enabled() else "off",
        "wasmkit": __version__,
        "engine": source_digest(Path(__file__).parent).hex(),
        "llvm": ".".join(map(str, llvm.llvm_version_info)),
        "host": f"{llvm.get_process_triple()} {llvm.get_host_cpu_name()} {llvm.get_host_cpu_features().flatten()}",
    }


def choose_tier(valid: ValidModule) -> str:
    """FULL (LLVM's O3) for modules of up to FAST_TIER_BYTES of code in up to
    FAST_TIER_FUNCTIONS functions, FAST otherwise, unless $WASMKIT_NATIVE_TIER says "fast" or
    "full"."""
    chosen = os.environ.get("WASMKIT_NATIVE_TIER", "auto")
    if chosen in (FAST, FULL):
        return chosen
    funcs = valid.module.funcs
    small = len(funcs) <= FAST_TIER_FUNCTIONS and sum(len(func.body) for func in funcs) <= FAST_TIER_BYTES
    return FULL if small else FAST


# The FULL tier's passes, in order: twice over, what turns the lowering's slots into registers
# and simplifies (SROA, instcombine, CFG), propagates constants (SCCP) and removes dead memory
# operations and code; then jump threading and loop unrolling, and a last clean-up. Not LLVM's
# default<O3>: built through llvmlite, that pipeline keeps about 72 KB per module it runs on
# (0.66 MB for 24 KB of code) for as long as the process lives, which a server that reloads
# modules cannot afford; this list, in one pass manager for the process (`_Compiler`), keeps
# nothing measurable, compiles about 30% faster, and runs the benchmark programs about as fast.
# No NewGVN (the only GVN llvmlite offers): it aborted the process on an LLVM assertion for
# sha, sieve and matmul. LLVM inlines only `alwaysinline` here; a wasm producer has already
# inlined what a C compiler would.
_FULL_PASSES = (
    "always_inliner",
    *(("sroa", "instruction_combine", "simplify_cfg", "sccp", "mem_copy_opt",
       "dead_store_elimination", "aggressive_dce") * 2),
    "jump_threading",
    "loop_simplify",
    "loop_rotate",
    "loop_unroll",
    "instruction_combine",
    "simplify_cfg",
)  # fmt: skip
# The FAST tier's: just what makes decent code quickly (locals into registers, the control flow
# and instructions simplified), for the fast code generator.
_FAST_PASSES = ("sroa", "simplify_cfg", "instruction_combine")


class _Compiler:
    """What compiles modules of one tier: a target machine, LLVM's pass builder for it and
    the tier's passes. One per tier for the process (used under LLVM_LOCK): llvmlite never
    frees a module pass manager (it has no dispose), so one made per compile kept about 10 KB,
    and a pass builder made per compile another 1.4 KB."""

    def __init__(self, tier: str) -> None:
        self.machine = _machine(tier)
        self.passes = llvm.create_pass_builder(
            self.machine, llvm.create_pipeline_tuning_options(speed_level=3 if tier == FULL else 0)
        )
        self.manager = llvm.create_new_module_pass_manager()
        for name in _FULL_PASSES if tier == FULL else _FAST_PASSES:
            getattr(self.manager, f"add_{name}_pass")()

    def object_file(self, source: str) -> bytes:
        """The object file of the LLVM IR `source`, optimised."""
        ir_module = self.optimised(source)
        try:
            return cast(bytes, self.machine.emit_object(ir_module))
        finally:
            ir_module.close()

    def optimised(self, source: str) -> llvm.ModuleRef:
        """The LLVM module of the IR `source`, checked and optimised (the caller closes it)."""
        ir_module = llvm.parse_assembly(source)
        try:
            ir_module.triple = self.machine.triple
            ir_module.data_layout = str(self.machine.target_data)
            ir_module.verify()
            self.manager.run(ir_module, self.passes)
        except BaseException:
            ir_module.close()
            raise
        return ir_module

    def listing(self, source: str) -> tuple[str, str]:
        """The IR `source` optimised, as text, and the assembly of its machine code."""
        ir_module = self.optimised(source)
        try:
            return str(ir_module), cast(str, self.machine.emit_assembly(ir_module))
        finally:
            ir_module.close()


@functools.cache
def _compiler(tier: str) -> _Compiler:
    return _Compiler(tier)


def pieces(valid: ValidModule, tier: str) -> list[range]:
    """The runs of defined functions (by index) `valid` is compiled in: on the FULL tier one,
    the whole module, for LLVM to optimise across functions; on the FAST tier (large modules)
    one per function, each compiled and loaded when it is first called (see `module`), so that
    a large program compiles only what it runs (yosys.wasm's synthesis of a small design runs
    3,265 of its 46,473 functions) and holds one function's IR at a time. None for a module
    without functions."""
    first = valid.imported_func_count
    end = len(valid.func_types)
    if tier == FULL:
        return [range(first, end)] if end > first else []
    return [range(index, index + 1) for index in range(first, end)]


def batches(valid: ValidModule, tier: str) -> list[range]:
    """The runs of defined functions a whole module is compiled in (`Pieces.compile_all`,
    ahead-of-time artifacts): on the FULL tier the one piece; on the FAST tier runs of up to
    BATCH_FUNCTIONS functions and about BATCH_BYTES of wasm code, each one object file, since
    an object file per function costs LLVM and the linker a thousand times over on a module
    of 89,000 functions (python.wasm)."""
    if tier == FULL:
        return pieces(valid, tier)
    first = valid.imported_func_count
    runs: list[range] = []
    start = size = 0
    for i, func in enumerate(valid.module.funcs):
        if i > start and (i - start >= BATCH_FUNCTIONS or size >= BATCH_BYTES):
            runs.append(range(first + start, first + i))
            start, size = i, 0
        size += len(func.body)
    if len(valid.module.funcs) > start:
        runs.append(range(first + start, first + len(valid.module.funcs)))
    return runs


class CompiledPiece(NamedTuple):
    """A piece's object file, and the LLVM IR it was made from."""

    object_file: bytes
    source: str  # kept by the cache for `tier_up`


def compile_piece(
    valid: ValidModule, shared_globals: frozenset[int], variant: Variant, tier: str, run: range, whole: bool
) -> CompiledPiece:
    """The piece of `valid` defining the functions of `run` (see `lower.lower_piece`),
    compiled on `tier`; `whole` when it is the only one."""
    source = lower_piece(valid, shared_globals, variant, run, whole)
    return CompiledPiece(object_file(tier, source), source)


def optimise_register_allocation() -> None:
    """Have LLVM's code generator allocate registers as its optimising levels do at every
    level, for the rest of this process: the FAST tier's code then keeps values in registers
    across blocks instead of spilling them (about a third smaller; yosys's synthesis runs
    in about half the time) and takes about 1.6 times as long to make. Only `tier_up`'s
    process asks for it: a setting of LLVM's for the whole process, and too slow for code
    that a run waits for."""
    llvm.set_option("", "-optimize-regalloc")


def compile_pieces(
    valid: ValidModule, shared_globals: frozenset[int], variant: Variant, tier: str, runs: list[range],
    whole: bool, progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[range, bytes]]:
    """Each of `runs` with its object file, as `compile_piece` makes them, reporting
    (functions done, functions in `runs`) to `progress`.

    LLVM compiles a piece on a thread of its own while this one lowers the next: lowering is
    Python, and LLVM, called through ctypes, runs without the GIL, so on two cores the two
    overlap (10,000 small functions: 7.6 s -> 5.3 s)."""
    total = sum(len(run) for run in runs)
    done = 0

    def finish(run: range, future: Future[bytes]) -> tuple[range, bytes]:
        nonlocal done
        data = future.result()
        done += len(run)
        if progress is not None:
            progress(done, total)
        return run, data

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wasmkit-llvm") as llvm_thread:
        compiling: tuple[range, Future[bytes]] | None = None  # the piece LLVM is on, while the next is lowered
        for run in runs:
            future = llvm_thread.submit(object_file, tier, lower_piece(valid, shared_globals, variant, run, whole))
            if compiling is not None:
                yield finish(*compiling)
            compiling = (run, future)
        if compiling is not None:
            yield finish(*compiling)


def listing(tier: str, source: str) -> tuple[str, str]:
    """What `tier` makes of the IR `source` as text: the optimised IR and the assembly of its
    machine code (what `wasmkit explore --engine native` shows)."""
    with LLVM_LOCK:
        return _compiler(tier).listing(source)


def object_file(tier: str, source: str) -> bytes:
    """The object file of the LLVM IR `source`, compiled on `tier`."""
    with LLVM_LOCK:
        return _compiler(tier).object_file(source)


def load_objects(objects: list[bytes]) -> llvm.ExecutionEngine:
    """An execution engine holding `objects`, linked and ready to run."""
    with LLVM_LOCK:
        machine = _machine(FAST)
        empty = llvm.parse_assembly("")
        empty.triple = machine.triple
        engine = llvm.create_mcjit_compiler(empty, machine)
    add_objects(engine, objects)
    return engine


def add_objects(engine: llvm.ExecutionEngine, objects: list[bytes]) -> None:
    """Link `objects` into `engine`, ready to run beside what it holds already."""
    with LLVM_LOCK:
        for data in objects:
            engine.add_object_file(llvm.ObjectFileRef.from_data(data))
        engine.finalize_object()


def pack_objects(objects: list[bytes]) -> bytes:
    """Object files as one byte string: their count, then each one's length and bytes."""
    parts = [struct.pack("<I", len(objects))]
    for data in objects:
        parts += [struct.pack("<Q", len(data)), data]
    return b"".join(parts)


def unpack_objects(data: bytes) -> list[bytes]:
    """The object files `pack_objects` made into `data`; ValueError if it is not that."""
    try:
        (count,) = struct.unpack_from("<I", data, 0)
        at = 4
        objects = []
        for _ in range(count):
            (length,) = struct.unpack_from("<Q", data, at)
            at += 8
            if at + length > len(data):
                raise ValueError("truncated object file")
            objects.append(data[at : at + length])
            at += length
    except struct.error as err:
        raise ValueError(f"truncated: {err}") from None
    if at != len(data):
        raise ValueError("bytes after the last object file")
    return objects
