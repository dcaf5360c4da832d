"""Run a WASI program on wasmtime's engine with wasmkit's WASI functions linked in.

Until wasmkit's own engine runs whole programs, this lets the WASI layer be tested end to end
against real compiled programs (the wasi-testsuite, tests/wasi/programs): wasmtime executes
the wasm, every `wasi_snapshot_preview1` import is one of `WasiPreview1.host_functions()`.
Comparing with `wasmtime run`-style execution (wasmtime's own WASI) is then a comparison of
the two WASI implementations alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wasmkit.errors import ExitTrap, Trap
from wasmkit.syntax.types import FuncType, ValType
from wasmkit.wasi import MODULE, WasiConfig, WasiPreview1

wasmtime = pytest.importorskip("wasmtime")

_ENGINE: Any = None
_MODULES: dict[Path, Any] = {}


def engine() -> Any:
    """One wasmtime engine for the whole run (each module is compiled once per run)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = wasmtime.Engine()
    return _ENGINE


def module(path: Path) -> Any:
    if path not in _MODULES:
        _MODULES[path] = wasmtime.Module.from_file(engine(), str(path))
    return _MODULES[path]


class CallerMemory:
    """The memory contract of WASI host functions, over a wasmtime caller's memory."""

    def __init__(self, caller: Any) -> None:
        self._caller = caller
        self._memory = caller["memory"]

    @property
    def size(self) -> int:
        return int(self._memory.data_len(self._caller))

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise IndexError("out of bounds")
        return bytes(self._memory.read(self._caller, offset, offset + length))

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0 or offset + len(data) > self.size:
            raise IndexError("out of bounds")
        self._memory.write(self._caller, data, offset)


def _wasmtime_type(functype: FuncType) -> Any:
    kinds = {ValType.I32: wasmtime.ValType.i32(), ValType.I64: wasmtime.ValType.i64()}
    return wasmtime.FuncType([kinds[t] for t in functype.params], [kinds[t] for t in functype.results])


def _adapt(functype: FuncType, function: Callable[..., int | None]) -> Callable[..., int | None]:
    masks = [(1 << 32) - 1 if t is ValType.I32 else (1 << 64) - 1 for t in functype.params]

    def host(caller: Any, *args: int) -> int | None:
        return function(CallerMemory(caller), *(arg & mask for arg, mask in zip(args, masks, strict=True)))

    return host


@dataclass
class Outcome:
    exit_code: int
    trap: str | None
    wasi: WasiPreview1


def run(path: Path, config: WasiConfig) -> Outcome:
    """Run `_start` of the program at `path` with wasmkit's WASI set up from `config`."""
    store = wasmtime.Store(engine())
    linker = wasmtime.Linker(engine())
    wasi = WasiPreview1(config)
    for name, (functype, function) in wasi.host_functions().items():
        linker.define_func(
            MODULE, name, _wasmtime_type(functype), _adapt(functype, function), access_caller=True
        )
    instance = linker.instantiate(store, module(path))
    try:
        instance.exports(store)["_start"](store)
    except ExitTrap as exc:
        return Outcome(exc.code, None, wasi)
    except Trap as exc:
        return Outcome(134, str(exc), wasi)
    except wasmtime.Trap as exc:
        return Outcome(134, str(exc), wasi)
    except wasmtime.WasmtimeError as exc:
        return Outcome(134, str(exc), wasi)
    finally:
        wasi.close()
    return Outcome(0, None, wasi)


def run_reference(
    path: Path,
    argv: list[str],
    env: dict[str, str],
    preopens: list[tuple[str, str]],
    stdin: Path | None,
    stdout: Path,
    stderr: Path,
) -> tuple[int, str | None]:
    """Run the program on wasmtime with wasmtime's own WASI (the reference); stdout and
    stderr go to the given files."""
    store = wasmtime.Store(engine())
    config = wasmtime.WasiConfig()
    config.argv = argv
    config.env = list(env.items())
    for host, guest in preopens:
        config.preopen_dir(host, guest)
    if stdin is not None:
        config.stdin_file = str(stdin)
    config.stdout_file = str(stdout)
    config.stderr_file = str(stderr)
    store.set_wasi(config)
    linker = wasmtime.Linker(engine())
    linker.define_wasi()
    instance = linker.instantiate(store, module(path))
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exc:
        return exc.code, None
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        return 134, str(exc)
    return 0, None
