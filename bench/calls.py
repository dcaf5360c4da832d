"""The cost of crossing between Python and wasm, wasmkit and wasmtime-py side by side.

    python -m bench.calls [--calls N]

wasmkit is measured on each engine (the native one when llvmlite is installed).
Python -> wasm: calling an exported function that adds two i32s, from Python.
wasm -> Python: a wasm loop calling an imported Python function N times, per call.
Each figure is the best of several runs, in microseconds per call.
"""

from __future__ import annotations

import argparse
import sys
import time

import wasmkit

WAT = """
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "call_host") (param i32) (result i32) (local i32)
    (loop
      (local.set 1 (call $host (local.get 1)))
      (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))
"""


def best_per_call(run, calls: int, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(calls)
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def wasmkit_calls(calls: int, engine: str = "python") -> tuple[float, float]:
    instance = wasmkit.load(WAT, imports={"env": {"host": lambda x: x + 1}}, engine=engine)
    add, call_host = instance.exports.add, instance.exports.call_host

    def into_wasm(n: int) -> None:
        for i in range(n):
            add(i, 1)

    return best_per_call(into_wasm, calls), best_per_call(call_host, calls)


def wasmtime_calls(calls: int) -> tuple[float, float] | None:
    try:
        import wasmtime
    except ImportError:
        return None
    store = wasmtime.Store()
    host = wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], [wasmtime.ValType.i32()]), lambda x: x + 1)
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, WAT), [host])
    exports = instance.exports(store)
    add, call_host = exports["add"], exports["call_host"]

    def into_wasm(n: int) -> None:
        for i in range(n):
            add(store, i, 1)

    return best_per_call(into_wasm, calls), best_per_call(lambda n: call_host(store, n), calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    rows = [("wasmkit (python engine)", wasmkit_calls(args.calls))]
    try:
        rows.append(("wasmkit (native engine)", wasmkit_calls(args.calls, "native")))
    except ValueError as err:  # llvmlite is not installed
        print(f"native engine: {err}")
    peer = wasmtime_calls(args.calls)
    if peer is not None:
        rows.append(("wasmtime-py", peer))
    print("| runtime | Python -> wasm (µs/call) | wasm -> Python (µs/call) |")
    print("|---|---:|---:|")
    for name, (into, out) in rows:
        print(f"| {name} | {into:.2f} | {out:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
