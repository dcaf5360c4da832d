"""What running a module and running a component from the command line share: the engine
and WASI configuration the flags ask for, the exit status after a trap and what is said of
it, and how `--invoke` writes a result as wasmtime does."""

from __future__ import annotations

import argparse
import math
import os
import sys
from decimal import Decimal

from ..engine.base import Engine
from ..engine.registry import cached_engine, compiled_first, get_engine
from ..errors import Trap, TrapKind
from ..runtime.values import f32
from ..syntax.types import HeapType, ValType, ValueType, ref_type
from ..wasi import WasiConfig
from .common import CliError, env_from_flags

__all__ = ["TRAP_EXIT_STATUS", "describe_trap", "engine_for", "format_result", "preopens", "trap_exit", "wasi_config"]

TRAP_EXIT_STATUS = 134


def engine_for(args: argparse.Namespace) -> Engine:
    """The engine to run on: compiled code is kept on disk unless told not to. A command
    (`_start`) is one call, which stays on the tier it starts on: `auto` runs it on native
    code, compiled first, rather than all of it on the Python engine (see engine.tiered)."""
    name = args.engine if args.invoke else compiled_first(args.engine)
    try:
        return get_engine(name, cache=False) if args.no_cache else cached_engine(name)
    except ValueError as err:  # the native engine without llvmlite
        raise CliError(str(err)) from None


def wasi_config(args: argparse.Namespace, program_args: list[str]) -> WasiConfig:
    """The WASI configuration of the flags, the program's arguments `program_args`."""
    # argv[0] is the file's name without its directory, as wasmtime gives it (so that the
    # program learns nothing of the host's paths), unless --argv0 says otherwise.
    argv0 = args.argv0 if args.argv0 is not None else os.path.basename(args.file)
    config = WasiConfig(argv=[argv0, *program_args], env=env_from_flags(args.env))
    for host, guest in preopens(args.dir):
        config.preopen_dir(host, guest)
    return config


def preopens(specs: list[str]) -> list[tuple[str, str]]:
    """The (host, guest) pairs of the `--dir` flags, each host a directory that exists: checked
    before anything runs, whether or not the module imports WASI, as wasmtime does."""
    pairs = []
    for spec in specs:
        host, _, guest = spec.partition("::")
        if not os.path.isdir(host):
            raise CliError(f"--dir {spec}: {host} is not a directory")
        pairs.append((host, guest or host))
    return pairs


# Traps that a limit of the command line caused: one line naming the limit, no backtrace.
_LIMIT_TRAPS = {
    TrapKind.OUT_OF_FUEL: "the fuel limit was reached",
    TrapKind.INTERRUPTED: "the time limit was reached",
}


def describe_trap(trap: Trap, backtrace: bool = True) -> str:
    """What to say of a trap: one line for a limit's, else the trap and (if asked and
    known) its wasm backtrace."""
    if trap.kind in _LIMIT_TRAPS:
        return f"{trap.message} ({_LIMIT_TRAPS[trap.kind]})"
    return str(trap) if backtrace else trap.message


def trap_exit(trap: Trap, backtrace: bool = True) -> int:
    """Say on stderr that the program trapped (`describe_trap`), after what it wrote to stdout,
    and give the exit status for it."""
    sys.stdout.flush()
    print(f"wasmkit: trap: {describe_trap(trap, backtrace)}", file=sys.stderr)
    return TRAP_EXIT_STATUS


# How wasmtime's --invoke prints references, which have no text of their own: by the name of
# the nullable type (a typed function reference as a funcref).
_REFERENCE_TEXT: dict[ValueType, str] = {ValType.FUNCREF: "funcref", ValType.EXTERNREF: "externref"}


def format_result(vt: ValueType, value: object) -> str:
    """One result of `--invoke` as wasmtime prints it: integers in decimal (a v128 as one
    unsigned number), floats in the fewest digits that read back as the same value of their
    type and never with an exponent (`3`, `0.1` for an f32, `NaN`, `-inf`), references as
    `<funcref>` or `<null externref>`."""
    if vt.is_ref:
        heap = vt.heap
        name = _REFERENCE_TEXT.get(vt) or (ref_type(True, heap).text if isinstance(heap, HeapType) else "funcref")
        return f"<{'' if value is not None else 'null '}{name}>"
    if isinstance(value, float):
        return _float_text(value, single=vt is ValType.F32)
    return str(value)


def _float_text(value: float, single: bool) -> str:
    """`value` as Rust's `Display` writes an f32 (`single`) or f64, which wasmtime uses."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    digits = repr(value)
    if single:  # the fewest significant digits that round back to the same f32
        digits = next(text for text in (f"{value:.{n}g}" for n in range(1, 10)) if f32(float(text)) == value)
    text = format(Decimal(digits), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
