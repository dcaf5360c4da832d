"""`wasmkit run`: run a module, with the flags of `wasmtime run` (a component: `run_component`).

    wasmkit run [--dir HOST[::GUEST]]... [--env NAME[=VALUE]]... [--engine python|native|auto]
                [--invoke NAME] [--argv0 NAME] [--fuel N] [--timeout DURATION]
                [--max-memory-size BYTES] [-W KEY=VALUE,...]
                [--profile PATH|guest[,PATH[,INTERVAL]]] [--profile-svg PATH] FILE [ARGS...]

A module that imports WASI gets it: `argv` is FILE's name (without its directory, as
wasmtime gives it; `--argv0` replaces it) then ARGS, the environment holds only the
`--env` variables (`--env NAME` passes the host's value through), the `--dir`s are preopened
(read-write), stdio is inherited. Its `_start` runs; with `--invoke NAME` the exported
function NAME is called instead, with ARGS parsed by its parameter types, and each result is
printed on its own line, written as wasmtime writes it (`format_result`).

`--engine native` compiles the module to machine code through LLVM (the `native` extra);
`auto` picks it when llvmlite is installed. Compiled code is kept on disk (in
`$WASMKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/wasmkit`, else `~/.cache/wasmkit`), so that the
next run of the same module skips compiling, and so is the verdict that a large module is valid
(`runtime.verdicts`), so that it skips checking its function bodies; `--no-cache` turns both off.

`--fuel`, `--timeout`, `--max-memory-size` and `--max-table-elements` (or wasmtime's `-W fuel=N`,
...; see `limits.py`) bound the run; running out of fuel or time is a trap.

`--profile` samples the wasm call stack (every 10ms, as wasmtime; `--profile-interval`) and
writes a profile for the Firefox Profiler, `--profile-svg` a flame graph (see `profiling`);
the native engine then runs its profiled variant of the code (see `wasmkit.profile`).

A wasi-threads program (wasm32-wasip1-threads) gets `wasi.thread-spawn` and the shared memory
it imports (see `wasmkit.wasi.threads`); a trap or an exit in any of its threads ends the
run. wasmtime's `-W threads`, `-W shared-memory` and `-S threads` are accepted (all on by
default); `=n` turns each off.

A component (told by its header) is run as a WASI 0.2 command by `run_component`, with the
same flags where they apply.

Exit status: the program's (`proc_exit`), 0 when `_start` returns; 134 after a trap (the trap
and its wasm backtrace go to stderr; for fuel or time run out, one line); 1 for a wasmkit
error (a missing file, a malformed or invalid module, an unknown import, bad arguments); 2 for
a bad option, as wasmtime does.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from decimal import Decimal

from ..version import __version__
from .. import collector
from ..engine.base import Engine
from ..engine.registry import cached_engine, compiled_first, get_engine
from ..errors import ExitTrap, Trap, TrapKind
from ..opcodes import Feature
from ..runtime import Exports, Func, Linker, Module
from ..runtime.values import f32, to_internal
from ..syntax.types import HeapType, ValType, ValueType, ref_type
from ..wasi import MODULE as WASI_MODULE
from ..wasi import WasiConfig, define_wasi
from ..wasi.threads import WasiThreads, thread_imports
from ..runtime.source import is_native_artifact
from ..binary.reader import looks_binary
from ..component.header import is_component
from .common import CliError, add_engine_option, env_from_flags, module_from_bytes, read_input
from .features import add_feature_options, check_features, disabled_features
from .limits import add_limit_options, limits_from_args, read_switch, threads_disabled
from .profiling import add_profile_options, profiling, wanted as profiling_wanted
from .running import TRAP_EXIT_STATUS, describe_trap, engine_for, format_result, preopens, trap_exit, wasi_config

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("run", help="run a WebAssembly module (WASI programs included) or a WASI 0.2 command component")
    p.add_argument("--version", action="version", version=f"wasmkit {__version__}")
    p.add_argument(
        "--invoke",
        metavar="NAME",
        help="call the exported function NAME instead of _start (a component's: a call in WAVE, 'name(1, \"x\")')",
    )
    p.add_argument("--argv0", metavar="NAME", help="the program's argv[0] (default: the file's name, without its directory)")
    add_engine_option(p)
    add_limit_options(p)
    add_feature_options(p)
    add_profile_options(p)
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="do not keep compiled code or validation verdicts on disk (they are kept in $WASMKIT_CACHE_DIR, else ~/.cache/wasmkit)",
    )
    p.add_argument(
        "--dir", action="append", default=[], metavar="HOST[::GUEST]", help="preopen a host directory for WASI"
    )
    p.add_argument(
        "--env", action="append", default=[], metavar="NAME[=VALUE]", help="set (or pass through) an environment variable"
    )
    p.add_argument(
        "-S",
        dest="wasi_options",
        action="append",
        type=_wasi_option,
        default=[],
        metavar="KEY[=VALUE]",
        help="wasmtime's WASI switches: threads[=y|n] (wasi-threads' thread-spawn, on by default)",
    )
    p.add_argument("file", help="the .wasm or .wat file (a module, or a component exporting wasi:cli/run)")
    rest = p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program or function")
    rest.required = False  # argparse counts a REMAINDER as required: "required: file, args"
    p.set_defaults(handler=_run)


def _wasi_option(text: str) -> list[tuple[str, bool]]:
    """The settings of one `-S KEY[=VALUE][,...]`: only `threads` is known."""
    settings = []
    for item in text.split(","):
        key, equals, value = item.partition("=")
        if key != "threads":
            raise argparse.ArgumentTypeError(f"unknown WASI option {key!r} (wasmkit knows threads)")
        settings.append((key, read_switch(value) if equals else True))
    return settings


def _load_module(args: argparse.Namespace, data: bytes) -> Module:
    """The module FILE holds (`data`), read, checked against the `--disable-*` flags and validated.

    This is the one place that decides what FILE is, so the place where a native ahead-of-time
    artifact (`wasmkit compile --engine native -o OUT`) is to be recognised, by its header,
    and handed to the native engine's loader instead."""
    disabled = disabled_features(args) | ({Feature.THREADS} if threads_disabled(args) else set())
    if is_native_artifact(data):  # machine code for the native engine: run it there
        args.engine = "native"
    elif not disabled and looks_binary(data):
        # Module reads the bytes itself, and trusts a verdict on them if it keeps one (see
        # runtime.verdicts), which --no-cache turns off as it does the engines' code cache.
        return Module.from_content(data, args.file, cache=not args.no_cache)
    syntax = module_from_bytes(data, args.file, debug_names=True)
    check_features(syntax, disabled)
    return Module(syntax, name=args.file)


def _run(args: argparse.Namespace) -> int:
    preopens(args.dir)
    data = read_input(args.file)
    if is_component(data):  # a WASI 0.2 command: see run_component
        from .run_component import run_component

        return run_component(args, data)
    limits = limits_from_args(args)
    with collector.paused():  # no collection of what is loaded before it leaves the generations
        module = _load_module(args, data)
        collector.keep_loaded()  # the module lives as long as this process
    store = limits.store(engine_for(args), profiling=profiling_wanted(args))
    linker = Linker(store)
    wasi = None
    if any(module_name == WASI_MODULE for module_name, _, _ in module.imports):
        try:
            wasi = define_wasi(linker, wasi_config(args, [] if args.invoke else args.args))
        except OSError as err:
            raise CliError(f"cannot set up WASI: {err}") from None
    threads = WasiThreads(on_failure=_end_program)
    spawning = all(value for settings in args.wasi_options for _, value in settings)  # not -S threads=n
    try:
        needed = thread_imports(
            module, threads, lambda name, field: linker.get(name, field) is not None or not spawning, limits.max_memory_size
        )
    except ValueError as err:
        raise CliError(str(err)) from None
    for module_name, items in needed.items():
        for name, item in items.items():
            linker.define(module_name, name, item)
    limits.start_timeout(store)
    try:
        with profiling(args):
            status = _execute(args, module, linker)
        threads.join(_GRACE)  # threads ending as the program does: let them
        return status
    finally:
        limits.stop_timeout(store)
        if wasi is not None and not threads.running:
            wasi.close()


# How long a program's last spawned threads may take to end after its main thread has (the
# rest stop with the process, as in wasmtime).
_GRACE = 1.0


def _end_program(failure: BaseException) -> None:
    """wasi-threads: a trap or an exit in any thread ends the whole program, as in wasmtime
    (whose status for a trap is wasmkit's, 134)."""
    sys.stdout.flush()
    if isinstance(failure, ExitTrap):
        status = failure.code
    elif isinstance(failure, Trap):
        print(f"wasmkit: trap in a spawned thread: {describe_trap(failure)}", file=sys.stderr)
        status = TRAP_EXIT_STATUS
    else:
        print(f"wasmkit: error in a spawned thread: {failure!r}", file=sys.stderr)
        status = 1
    sys.stderr.flush()
    os._exit(status)


def _execute(args: argparse.Namespace, module: Module, linker: Linker) -> int:
    try:
        instance = linker.instantiate(module)
        name = args.invoke or "_start"
        func = instance.exports[name] if name in instance.exports else None
        if not isinstance(func, Func):
            raise CliError(_no_function(args.file, name, instance.exports, invoked=bool(args.invoke)))
        if args.invoke:
            initialize = instance.exports["_initialize"] if "_initialize" in instance.exports else None
            if isinstance(initialize, Func):
                initialize()
            if len(args.args) != len(func.type.params):
                raise CliError(f"{name}{func.type} takes {len(func.type.params)} argument(s), got {len(args.args)}")
            values = [_parse_argument(vt, text, name) for vt, text in zip(func.type.params, args.args)]
            result = func(*values)
            results = result if isinstance(result, tuple) else () if result is None else (result,)
            for vt, value in zip(func.type.results, results):
                print(format_result(vt, value))
        else:
            func()
    except ExitTrap as exit_:
        return exit_.code
    except Trap as trap:
        return trap_exit(trap)
    return 0


def _no_function(path: str, name: str, exports: Exports, invoked: bool) -> str:
    """The error for a missing export `name`, naming the functions there are to call."""
    functions = [export for export in exports if isinstance(exports[export], Func)]
    hint = ("" if invoked else "; call one with --invoke NAME") if functions else ""
    listed = ", ".join(functions) if functions else "none"
    return f"{path}: no exported function {name!r} (its exported functions: {listed}{hint})"


def _parse_argument(vt: ValueType, text: str, name: str) -> object:
    """The value of one `--invoke` argument: an integer (in any base Python reads, `0x...`) or
    a float, checked to fit `vt`."""
    if vt not in (ValType.I32, ValType.I64, ValType.V128, ValType.F32, ValType.F64):
        raise CliError(f"{name}: arguments of type {vt.text} cannot be given on the command line")
    try:
        value = float(text) if vt in (ValType.F32, ValType.F64) else int(text, 0)
    except ValueError:
        raise CliError(f"{name}: cannot read {text!r} as {vt.text}") from None
    try:
        to_internal(vt, value)
    except ValueError as err:
        raise CliError(f"{name}: {err}") from None
    return value
