"""Two big real programs, yosys.wasm (synth of a small design) and python.wasm (a numpy and
pandas snippet), on wasmkit's engines against the wasmtime CLI, side by side in one run.

    python -m bench.big [--engines python,native] [--programs yosys,python] [--repeats 3]

Per program and runtime (each run a separate, bounded process; tests/corpus/big.py runs them):
  cold start    a run that starts the program and does nothing, with an empty compiled-code
                cache: decoding, validating, compiling, instantiating, the program's own start
  cached start  the same run again, with the cache the cold run filled (best of REPEATS)
  warm run      the work itself: per repeat, a full run with a filled cache (after a first
                full run, not measured, has compiled what only it runs) less the idle run
                just before it; the median of REPEATS. Adjacent runs share the machine's state
                (what of the module and its code is still in the page cache): the best full
                run less the best idle run drew on different runs, and swung by more than the
                work itself takes
plus the peak resident memory of the full run, the warm run against wasmtime's, and the time
wasmkit's native engine went on compiling in the background after runs (a large module's
pieces compiled again, better: `wasmkit.engine.native.tier_up`), which each measured run
waits for, so that none shares the machine with it. A runtime that cannot run a program is
reported with the error that stops it, not fatal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.corpus import big

from .harness import machine


@dataclass
class Figures:
    """One runtime's figures for one program, or `failure` when it could not run it."""

    cold: float = 0.0
    cached: float = 0.0
    pairs: list[float] = field(default_factory=list)  # per repeat: the full run less the idle run before it
    peak_memory: int = 0
    background: float = 0.0
    failure: str | None = None

    @property
    def warm(self) -> float:
        return max(statistics.median(self.pairs), 0.0) if self.pairs else 0.0


def measure(program: str, runtime: str, repeats: int) -> Figures:
    """The figures of `program` under `runtime`, with a compiled-code cache of its own."""
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="wasmkit-bench-big-") as tmp:
        cache = Path(tmp)
        try:
            cold = big.run(program, runtime, cache, idle=True)
        except big.Unavailable as err:
            return Figures(failure=f"unavailable: {err}")
        if cold.status != 0:
            return Figures(failure=cold.summary())
        figures.cold = cold.seconds
        first = big.run(program, runtime, cache)  # what only the first full run compiles, then cached
        if first.status != 0:
            return Figures(failure=first.summary())
        cached = []
        for _ in range(repeats):
            figures.background += _settle(cache)
            cached.append(big.run(program, runtime, cache, idle=True).seconds)
            figures.background += _settle(cache)
            outcome = big.run(program, runtime, cache)
            if outcome.status != 0:
                return Figures(failure=outcome.summary())
            figures.pairs.append(outcome.seconds - cached[-1])
            figures.peak_memory = max(figures.peak_memory, outcome.peak_memory)
        figures.background += _settle(cache)
        figures.cached = min(cached)
    return figures


def _settle(cache: Path) -> float:
    """Wait until no wasmkit process compiles in the background into `cache`: the seconds
    waited."""
    from wasmkit.engine.native import tier_up  # with the native engine's dependencies, only then

    start = time.perf_counter()
    tier_up.wait(cache)
    return time.perf_counter() - start


def table(results: dict[str, dict[str, Figures]]) -> list[str]:
    """A Markdown table: one row per program and runtime."""
    lines = [
        "| program | runtime | cold start (s) | cached start (s) | warm run (s) | peak memory (MiB) | warm run ÷ wasmtime's | background compile (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for program, by_runtime in results.items():
        reference = by_runtime.get("wasmtime")
        for runtime, f in by_runtime.items():
            if f.failure is not None:
                lines.append(f"| {program} | {runtime} | cannot run it yet: {f.failure[:160]} |  |  |  |  |  |")
                continue
            ratio = f"{f.warm / reference.warm:.3g}" if reference and not reference.failure and reference.warm else ""
            lines.append(
                f"| {program} | {runtime} | {f.cold:.2f} | {f.cached:.2f} | {f.warm:.2f} | {f.peak_memory >> 20} | {ratio} "
                f"| {f.background:.0f} |"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="python,native", help="wasmkit engines, comma-separated")
    parser.add_argument("--programs", default="yosys,python", help="yosys, python, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    programs = [p for p in args.programs.split(",") if p]
    unknown = [p for p in programs if p not in big.RUNTIMES]
    if unknown:
        parser.error(f"unknown program {unknown[0]!r} (yosys, python)")
    runtimes = ["wasmtime", *(f"wasmkit-{e}" for e in args.engines.split(",") if e)]
    results: dict[str, dict[str, Figures]] = {}
    for program in programs:
        results[program] = {}
        for runtime in runtimes:
            print(f"{program} on {runtime} ...", file=sys.stderr)
            results[program][runtime] = figures = measure(program, runtime, args.repeats)
            if figures.failure is not None:
                print(f"  {runtime} cannot run {program}: {figures.failure}", file=sys.stderr)
    print(f"{machine()}; starts: best of {args.repeats}, warm runs: median of {args.repeats}; bounds per run: {big.TIMEOUT} s, {big.MEMORY_LIMIT >> 30} GiB "
          "(wasmkit; wasmtime unbounded in memory)\n")  # fmt: skip
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
