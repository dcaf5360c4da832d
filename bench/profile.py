"""`python -m bench.profile`: what the guest profiler costs a program, per engine.

    python -m bench.profile [--programs nbody,fib] [--engines python,native] [--runs 5]

Each program (../shared/bench/) runs in this process, alternately: in a plain store; in a
store made with `profiling=True` (the native engine's profiled code, which keeps a shadow
stack) but no profiler running; and under `wasmkit.Profiler` sampling every 10 ms (wasmtime's
default) and every 1 ms. Printed: the best wall-clock time of each and its ratio to the plain
store's, then the best CPU time of the process (the sampling thread's included) and its ratio:
on a busy machine the CPU time is the steadier of the two.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import wasmkit
from wasmkit.wasi import WasiConfig

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
# SIZE per program and engine: about a second each on this machine kind.
SIZES = {
    "python": {"nbody": 30000, "fib": 30},
    "native": {"nbody": 5000000, "fib": 36},
}
SETUPS = ("plain", "profiled code", "sampling 10 ms", "sampling 1 ms")


_MODULES: dict[str, wasmkit.Module] = {}  # read once: each is compiled once per engine and variant


def _instance(program: str, engine: str, size: int, profiling: bool) -> wasmkit.Instance:
    config = WasiConfig(argv=[program, str(size)])
    config.capture_stdout()
    module = _MODULES.get(program)
    if module is None:
        module = _MODULES[program] = wasmkit.Module(str(BENCH / f"{program}.wasm"))
    return wasmkit.load(module, wasi=config, engine=engine, profiling=profiling)


def _run_once(program: str, engine: str, size: int, setup: str) -> tuple[float, float]:
    instance = _instance(program, engine, size, profiling=setup != "plain")
    profiler = None
    if setup.startswith("sampling"):
        profiler = wasmkit.Profiler(interval=0.010 if "10" in setup else 0.001)
    began, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.start()
    try:
        instance.exports._start()
    except wasmkit.ExitTrap:
        pass
    finally:
        if profiler is not None:
            profiler.stop()
    return time.perf_counter() - began, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", default="nbody,fib")
    parser.add_argument("--engines", default="python,native")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"| program | engine | {' | '.join(SETUPS)} |")
    print(f"|---|---|{'---:|' * len(SETUPS)}")
    for program in args.programs.split(","):
        for engine in args.engines.split(","):
            size = SIZES[engine][program]
            for setup in SETUPS:  # compile (and cache) each variant before timing
                _run_once(program, engine, 1, setup)
            wall = {setup: float("inf") for setup in SETUPS}
            cpu = dict(wall)
            for _ in range(args.runs):  # interleaved, so that the machine's load hits all alike
                for setup in SETUPS:
                    elapsed, used = _run_once(program, engine, size, setup)
                    wall[setup], cpu[setup] = min(wall[setup], elapsed), min(cpu[setup], used)
            cells = [
                f"{wall[s]:.3f} s ({wall[s] / wall['plain']:.2f}x), CPU {cpu[s]:.3f} s ({cpu[s] / cpu['plain']:.2f}x)"
                for s in SETUPS
            ]
            print(f"| {program} {size} | {engine} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
