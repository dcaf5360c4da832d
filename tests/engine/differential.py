"""Differential runs: mutated modules on the Python engine, the native engine and wasmtime,
compared result by result. Run as a script (by tests/engine/test_differential.py), so that if
native code ever brought the process down, the test would see it die rather than die with it.

    python -m tests.engine.differential COUNT SEED

Prints one JSON object: how many modules and calls were compared (and how many modules also
against wasmtime), and every disagreement. Python and native must agree exactly (results,
trap messages, memory); wasmtime on results and on whether a call traps, where wasmkit's own
limits (fuel, call depth) did not stop the run first.
"""

from __future__ import annotations

import json
import math
import random
import struct
import sys

import wasmtime

import wasmkit
from tests.engine.test_fuzz_execution import SEEDS
from wasmkit.engine.base import RUNNABLE_FEATURES
from wasmkit.errors import WasmError
from wasmkit.syntax.types import ValType

FUEL = 20_000
ARGUMENTS = {ValType.I32: [0, 1, 7, 0xFFFF_FFFF, 0x8000_0000], ValType.I64: [0, 3, 2**63, 2**64 - 1],
             ValType.F32: [0.0, 1.5, -2.0, math.inf, math.nan], ValType.F64: [0.0, -2.25, 1e300, math.nan],
             ValType.V128: [0, 3, 2**127 + 5]}  # fmt: skip


def mutate(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(SEEDS))
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(8, len(data))] = rng.randrange(256)
    return bytes(data)


def normal(vt: ValType, value: object) -> object:
    """A result as compared: NaNs as "nan" (engines may choose their payload), the rest as is."""
    if vt in (ValType.F32, ValType.F64) and isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float):
        return struct.pack("<d", value).hex()
    return value


def run_wasmkit(engine: str, data: bytes, calls: list[tuple[str, list[object]]]) -> list[object]:
    store = wasmkit.Store(engine, wasmkit.StoreLimits(max_call_depth=300), fuel=FUEL)
    try:
        instance = wasmkit.Instance(wasmkit.Module(data), store=store)
    except WasmError as err:
        return [f"instantiate: {err}"]
    outcomes: list[object] = []
    for name, args in calls:
        func = instance.exports[name]
        try:
            result = func(*args)
            results = result if isinstance(result, tuple) else () if result is None else (result,)
            outcomes.append([normal(vt, _unsigned(vt, v)) for vt, v in zip(func.type.results, results)])
        except wasmkit.Trap as trap:
            outcomes.append(f"trap: {trap.kind.value}")
    memory = instance.exports["memory"] if "memory" in instance.exports else instance.memory
    outcomes.append(bytes(memory.read(0, memory.size)).hex() if memory is not None else None)
    return outcomes


def run_wasmtime(data: bytes, calls: list[tuple[str, list[object]]], results_types: dict[str, tuple]) -> list[object] | None:
    config = wasmtime.Config()
    config.consume_fuel = True
    store = wasmtime.Store(wasmtime.Engine(config))
    store.set_fuel(FUEL * 100)
    try:
        instance = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
    except Exception:  # noqa: BLE001 - a difference in what links is reported, not raised
        return ["instantiate"]
    exports = instance.exports(store)
    outcomes: list[object] = []
    for name, args in calls:
        try:
            result = exports[name](store, *[_signed(a) for a in args])
            results = result if isinstance(result, list) else () if result is None else (result,)
            outcomes.append([normal(vt, _unsigned(vt, v)) for vt, v in zip(results_types[name], results)])
        except wasmtime.Trap as trap:
            if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                return None  # ran longer than wasmkit's budget allows: not comparable
            outcomes.append("trap")
    return outcomes


def _signed(value: object) -> object:
    """wasmtime-py takes integers in the signed range."""
    if isinstance(value, int):
        if value >= 2**63:
            return value - 2**64
        if 2**31 <= value < 2**32:
            return value - 2**32
    return value


def _unsigned(vt: ValType, value: object) -> object:
    if isinstance(value, int) and vt in (ValType.I32, ValType.I64):
        return value & (0xFFFF_FFFF if vt is ValType.I32 else 0xFFFF_FFFF_FFFF_FFFF)
    return value


def main(count: int, seed: int) -> int:
    rng = random.Random(seed)
    compared = calls_compared = against_wasmtime = 0
    disagreements: list[dict[str, object]] = []
    for _ in range(count):
        data = mutate(rng)
        try:
            module = wasmkit.Module(data, features=RUNNABLE_FEATURES)  # what both engines run
        except WasmError:
            continue
        if module.imports:
            continue
        calls: list[tuple[str, list[object]]] = []
        results_types: dict[str, tuple] = {}
        for name, extern in module.exports:
            if isinstance(extern, wasmkit.FuncType) and not any(vt.is_ref for vt in (*extern.params, *extern.results)):
                args = [rng.choice(ARGUMENTS[vt]) for vt in extern.params]
                calls.append((name, args))
                results_types[name] = extern.results
        python = run_wasmkit("python", data, calls)
        native = run_wasmkit("native", data, calls)
        compared += 1
        calls_compared += len(calls)
        if python != native:
            disagreements.append({"module": data.hex(), "python": python, "native": native})
            continue
        if any(isinstance(o, str) and ("fuel" in o or "call stack" in o) for o in python) or python[0:1] and isinstance(python[0], str) and python[0].startswith("instantiate"):
            continue  # wasmkit's own limits stopped it: wasmtime has other ones
        if any(vt is ValType.V128 for types in results_types.values() for vt in types) or any(
            isinstance(a, int) and a >= 2**64 for _, args in calls for a in args
        ):
            continue  # wasmtime-py passes no v128 values
        reference = run_wasmtime(data, calls, results_types)
        if reference is None:
            continue
        against_wasmtime += 1
        ours = [("trap" if isinstance(o, str) else o) for o in python[:-1]]
        if ours != reference:
            disagreements.append({"module": data.hex(), "wasmkit": ours, "wasmtime": reference})
    summary = {"modules": compared, "calls": calls_compared, "against_wasmtime": against_wasmtime}
    print(json.dumps({**summary, "disagreements": disagreements}))
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
