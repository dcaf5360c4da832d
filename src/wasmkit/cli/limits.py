"""The resource limits of `wasmkit run`, in both spellings wasmtime users know:

    --fuel N   --timeout DURATION   --max-memory-size BYTES   --max-table-elements N
    -W fuel=N,timeout=DURATION,max-memory-size=BYTES,max-table-elements=N

`-W` also takes wasmtime's switches of the threads proposal, `threads[=y|n]` and
`shared-memory[=y|n]`: on by default, as every feature wasmkit has; `n` refuses modules that
use it, as `--disable-threads` does (`threads_disabled`).

A DURATION is a number with a unit, as wasmtime reads one: `500ms`, `10s`, `1m30s` (units ns,
us, ms, s, m, h). A bad value is argparse's usage error (exit status 2).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

from ..runtime import Store, StoreLimits
from ..engine.base import Engine

__all__ = ["RunLimits", "add_limit_options", "limits_from_args", "parse_duration", "threads_disabled", "read_switch"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in a duration like `10s`, `500ms` or `1m30s`."""
    parts = list(_DURATION_PART.finditer(text.strip()))
    if not parts or "".join(p.group(0) for p in parts) != text.strip().replace(" ", ""):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (such as 10s, 500ms or 1m30s)")
    return sum(float(p.group(1)) * _UNITS[p.group(2)] for p in parts)


def _count(text: str) -> int:
    """A non-negative integer (decimal, or 0x... hexadecimal)."""
    try:
        value = int(text, 0)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative integer")
    return value


def read_switch(text: str) -> bool:
    """A wasmtime switch's value: y/yes/true or n/no/false."""
    if text in ("y", "yes", "true"):
        return True
    if text in ("n", "no", "false"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not y or n")


# `-W` keys, each with the long option it is another spelling of, and how to read its value.
_W_OPTIONS = {
    "fuel": ("fuel", _count),
    "timeout": ("timeout", parse_duration),
    "max-memory-size": ("max_memory_size", _count),
    "max-table-elements": ("max_table_elements", _count),
}
_W_SWITCHES = {"threads": "threads", "shared-memory": "threads"}  # key -> what it turns on or off


def _w_option(text: str) -> list[tuple[str, object]]:
    """The settings of one `-W KEY=VALUE[,KEY=VALUE...]`."""
    settings: list[tuple[str, object]] = []
    for item in text.split(","):
        key, equals, value = item.partition("=")
        if key in _W_SWITCHES:
            settings.append((_W_SWITCHES[key], read_switch(value) if equals else True))
            continue
        if key not in _W_OPTIONS:
            known = ", ".join([*_W_OPTIONS, *_W_SWITCHES])
            raise argparse.ArgumentTypeError(f"unknown option {key!r} (wasmkit knows {known})")
        if not equals:
            raise argparse.ArgumentTypeError(f"{key} needs a value: -W {key}=VALUE")
        dest, read = _W_OPTIONS[key]
        settings.append((dest, read(value)))
    return settings


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """The limit flags of `wasmkit run`."""
    parser.add_argument("--fuel", type=_count, metavar="N", help="stop with a trap after about N instructions")
    parser.add_argument(
        "--timeout", type=parse_duration, metavar="DURATION", help="stop with a trap after DURATION (10s, 500ms, ...)"
    )
    parser.add_argument(
        "--max-memory-size", type=_count, metavar="BYTES", help="let no memory grow beyond BYTES (memory.grow gives -1)"
    )
    parser.add_argument(
        "--max-table-elements", type=_count, metavar="N", help="let no table grow beyond N elements (table.grow gives -1)"
    )
    parser.add_argument(
        "-W",
        dest="wasm_options",
        action="append",
        type=_w_option,
        default=[],
        metavar="KEY=VALUE",
        help="wasmtime's spelling of the limits: fuel=N, timeout=DURATION, max-memory-size=BYTES, max-table-elements=N; "
        "threads[=y|n], shared-memory[=y|n] (on by default)",
    )


@dataclass(frozen=True)
class RunLimits:
    """What `wasmkit run` was told to limit (None: no limit)."""

    fuel: int | None = None
    timeout: float | None = None
    max_memory_size: int | None = None
    max_table_elements: int | None = None

    def store(self, engine: Engine, profiling: bool = False) -> Store:
        """A store that enforces these limits (the timeout starts with `start_timeout`), its
        native code profiled if asked (see `profile.Profiler`)."""
        return Store(
            engine,
            StoreLimits(memory_bytes=self.max_memory_size, table_elements=self.max_table_elements),
            fuel=self.fuel,
            interruptible=self.timeout is not None,
            profiling=profiling,
        )

    def start_timeout(self, store: Store) -> None:
        if self.timeout is not None:
            store.set_deadline(self.timeout)

    def stop_timeout(self, store: Store) -> None:
        if self.timeout is not None:
            store.set_deadline(None)


def limits_from_args(args: argparse.Namespace) -> RunLimits:
    """The limits of the long options, with any `-W` setting of the same limit winning."""
    values = {dest: getattr(args, dest) for dest, _ in _W_OPTIONS.values()}
    for settings in args.wasm_options:
        values.update((dest, value) for dest, value in settings if dest in values)
    return RunLimits(**values)


def threads_disabled(args: argparse.Namespace) -> bool:
    """Whether `-W threads=n` (or `shared-memory=n`) turned the threads proposal off."""
    return any(dest == "threads" and not value for settings in args.wasm_options for dest, value in settings)
