"""Calls from Python into wasm: recursive fib of a WAT module against the same function in
plain Python, measured side by side in one run.

    python -m bench.fib [N] [--repeats R]

Prints the best time of each and their ratio (wasm / Python). The call path measured is the
public one: `instance.exports.fib(n)`, converting arguments and results at the edge.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import wasmkit

FIB_WAT = Path(__file__).resolve().parent.parent / "examples" / "fib.wat"


def python_fib(n: int) -> int:
    return n if n < 2 else python_fib(n - 1) + python_fib(n - 2)


def timed(fn, n: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(n)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engine", default="python")
    args = parser.parse_args(argv)
    instance = wasmkit.Instance(wasmkit.Module.from_file(FIB_WAT), store=wasmkit.Store(args.engine))
    wasm_time = python_time = float("inf")
    for _ in range(args.repeats):  # interleaved, so both see the same machine
        t, wasm_result = timed(instance.exports.fib, args.n)
        wasm_time = min(wasm_time, t)
        t, python_result = timed(python_fib, args.n)
        python_time = min(python_time, t)
    if wasm_result != python_result:
        print(f"results differ: wasm {wasm_result}, python {python_result}", file=sys.stderr)
        return 1
    print(f"| fib({args.n}) | time (best of {args.repeats}) |")
    print("|---|---:|")
    print(f"| plain Python | {python_time * 1e3:.1f} ms |")
    print(f"| wasm, {args.engine} engine | {wasm_time * 1e3:.1f} ms |")
    print(f"| ratio wasm / Python | {wasm_time / python_time:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
