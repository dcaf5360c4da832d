"""Exception handling: a loop that calls a function which throws on every other call, caught
by the caller, on wasmkit's engines (the native one when llvmlite is installed) against
wasmtime-py and plain Python, side by side.

    python -m bench.exceptions [--iterations N] [--repeats R]

Two forms of the same loop: `try_table` (WebAssembly 3.0) and the legacy `try`/`catch` (what
LLVM emits by default; wasmtime runs only the first). Prints the best time of each, in microseconds per iteration (half of
the iterations throw), and each peer's time over wasmkit's. The results must agree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import wasmkit

from .harness import best_of_peers, side_by_side

_CHECK = """
  (tag $odd (param i32))
  ;; 2x for an even x; throws $odd with x for an odd one
  (func $check (param i32) (result i32)
    (if (i32.and (local.get 0) (i32.const 1)) (then (throw $odd (local.get 0))))
    (i32.shl (local.get 0) (i32.const 1)))
"""
_TRY_TABLE = """
  (func (export "try_table") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (block $caught (result i32)
            (try_table (result i32) (catch $odd $caught) (call $check (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))
"""
_LEGACY = """
  (func (export "legacy") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (try (result i32) (do (call $check (local.get $i))) (catch $odd))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))
"""
WAT = f"(module {_CHECK} {_TRY_TABLE} {_LEGACY})"


class Odd(Exception):
    pass


def _check(x: int) -> int:
    if x & 1:
        raise Odd(x)
    return x << 1


def python_loop(n: int) -> int:
    total = 0
    for i in range(n):
        try:
            total += _check(i)
        except Odd as odd:
            total += odd.args[0]
    return total & 0xFFFFFFFF


def runners() -> dict[str, Callable[[int], int]]:
    instance = wasmkit.load(WAT)
    found: dict[str, Callable[[int], int]] = {
        "wasmkit (python engine), try_table": instance.exports.try_table,
        "wasmkit (python engine), legacy try": instance.exports.legacy,
    }
    try:
        native = wasmkit.Instance(wasmkit.Module(WAT), store=wasmkit.Store("native"))
    except ValueError as err:  # llvmlite is not installed
        print(f"note: the native engine: {err}: not measured", file=sys.stderr)
    else:
        found["wasmkit (native engine), try_table"] = native.exports.try_table
        found["wasmkit (native engine), legacy try"] = native.exports.legacy
    try:
        import wasmtime
    except ImportError:
        print("note: wasmtime-py is not installed: not measured", file=sys.stderr)
    else:
        config = wasmtime.Config()
        config.wasm_exceptions = True
        engine = wasmtime.Engine(config)
        store = wasmtime.Store(engine)
        # try_table only: wasmtime does not run the legacy encoding.
        exports = wasmtime.Instance(store, wasmtime.Module(engine, f"(module {_CHECK} {_TRY_TABLE})"), []).exports(store)
        found["wasmtime-py, try_table"] = lambda n: exports["try_table"](store, n)
    found["plain Python, try/except"] = python_loop
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    timings = best_of_peers(runners(), args.iterations, args.repeats)
    results = {result for _, result in timings.values()}
    if len(results) != 1:
        print(f"results differ: {timings}", file=sys.stderr)
        return 1
    title = f"{args.iterations} iterations, half of them throwing"
    per_iteration = {name: seconds for name, (seconds, _) in timings.items()}
    print("\n".join(side_by_side(title, "iteration", per_iteration, "wasmkit (python engine), try_table")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
