"""The benchmark harness: the programs of ../shared/bench on wasmkit and its peers, side by side.

Every runner runs each program as a separate process, twice per repetition: with REPEATS
repetitions of the work, and with REPEATS=0, which does all the start-up (process, load,
compile, libc) and none of the work. Run time is the difference of the best times of the two,
divided by REPEATS; load time is the best REPEATS=0 time. A runner that does the work in much
less than a second gets a larger REPEATS (found by a first calibrating run), so that its run
time stands well above the noise of starting a process. Runners are interleaved within each
repetition, so that a busy moment of the machine hits them alike. The outputs of one
repetition of the work must agree across runners.
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
SHARED = Path(os.environ.get("WASMKIT_SHARED", PROJECT.parent / "shared"))
PROGRAMS = ("fib", "sieve", "nbody", "sha", "matmul", "qsortb")

# (SIZE, REPEATS) per program, per comparison. "pywasm": about 5-12 s each under pywasm;
# "wasmtime": about 10-250 ms each under wasmtime (see ../shared/bench/README.md).
SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "pywasm": {"fib": (24, 1), "sieve": (100000, 1), "nbody": (2000, 1), "sha": (16, 1), "matmul": (40, 1), "qsortb": (2000, 1)},
    "wasmtime": {
        "fib": (32, 1),
        "sieve": (20000000, 1),
        "nbody": (2000000, 1),
        "sha": (16384, 1),
        "matmul": (400, 1),
        "qsortb": (1000000, 1),
    },
    "tiny": {"fib": (5, 1), "sieve": (100, 1), "nbody": (2, 1), "sha": (1, 1), "matmul": (3, 1), "qsortb": (10, 1)},
}


@dataclass
class Runner:
    """How to run a program under one runtime."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, program: Path, args: Sequence[str]) -> list[str]:
        return [*self.command, str(program), *args]


def wasmkit_runner(engine: str) -> Runner:
    return Runner(f"wasmkit-{engine}", [sys.executable, "-m", "wasmkit", "run", "--engine", engine])


def wasmtime_runner() -> Runner | None:
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        return None
    return Runner("wasmtime", [sys.executable, str(HERE / "peers" / "wasmtime_run.py")])


def pywasm_runner() -> Runner | None:
    """pywasm wants Python 3.12: the interpreter in WASMKIT_PYWASM_PYTHON, or .venv-pywasm."""
    python = os.environ.get("WASMKIT_PYWASM_PYTHON") or str(PROJECT / ".venv-pywasm" / "bin" / "python")
    if not shutil.which(python) and not Path(python).exists():
        return None

    class Pywasm(Runner):
        def argv(self, program: Path, args: Sequence[str]) -> list[str]:
            flags = [part for arg in args for part in ("--wasi-args", arg)]
            return [*self.command, *flags, str(program)]

    return Pywasm("pywasm", [python, "-m", "pywasm", "--wasi", "preview1"])


TARGET_SECONDS = 1.0  # how long a runner's timed work should take at least
MAX_REPEATS = 1000


@dataclass
class Timing:
    load: float = math.inf  # best REPEATS=0 time
    full: float = math.inf  # best time with the work, REPEATS times
    repeats: int = 1
    output: str = ""  # of one repetition of the work

    @property
    def run(self) -> float:
        """Seconds per repetition of the work."""
        return max(self.full - self.load, 1e-9) / self.repeats


def time_process(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env}, cwd=PROJECT)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()[:500]}")
    return elapsed, result.stdout


def measure(runners: Sequence[Runner], sizes: dict[str, tuple[int, int]], repeats: int, programs: Sequence[str]) -> dict[str, dict[str, Timing]]:
    """Best timings per program and runner."""
    results: dict[str, dict[str, Timing]] = {p: {r.name: Timing() for r in runners} for p in programs}
    for program in programs:  # calibrate: one repetition each, which also checks the outputs
        size, reps = sizes[program]
        path = SHARED / "bench" / f"{program}.wasm"
        for runner in runners:
            timing = results[program][runner.name]
            # Twice: the first run may fill a code cache (and compile), which is not the work.
            timing.load = min(time_process(runner.argv(path, [str(size), "0"]), runner.env)[0] for _ in range(2))
            once, timing.output = time_process(runner.argv(path, [str(size), str(reps)]), runner.env)
            work = max(once - timing.load, 1e-3)
            timing.repeats = reps * max(1, min(MAX_REPEATS, math.ceil(TARGET_SECONDS / work)))
            if timing.repeats == reps:
                timing.full = once
        outputs = {t.output for t in results[program].values()}
        if len(outputs) > 1:
            raise RuntimeError(f"{program}: runtimes disagree: {outputs}")
    for _ in range(repeats):
        for program in programs:
            size, _ = sizes[program]
            path = SHARED / "bench" / f"{program}.wasm"
            for runner in runners:
                timing = results[program][runner.name]
                elapsed, _ = time_process(runner.argv(path, [str(size), "0"]), runner.env)
                timing.load = min(timing.load, elapsed)
                elapsed, _ = time_process(runner.argv(path, [str(size), str(timing.repeats)]), runner.env)
                timing.full = min(timing.full, elapsed)
    return results


def geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan


def speed_ratios(results: dict[str, dict[str, Timing]], subject: str) -> dict[str, list[float]]:
    """Per peer, its run time ÷ the subject's, for each program in order (above 1: the subject
    is faster)."""
    runners = list(next(iter(results.values())))
    peers = [r for r in runners if r != subject]
    return {peer: [by_runner[peer].run / by_runner[subject].run for by_runner in results.values()] for peer in peers}


def table(results: dict[str, dict[str, Timing]], sizes: dict[str, tuple[int, int]], subject: str) -> list[str]:
    """A markdown table: times per runner, and the subject's speed against each peer."""
    runners = list(next(iter(results.values())))
    ratios = speed_ratios(results, subject)
    peers = list(ratios)
    header = ["program", "size"] + [f"{r} load / run (s)" for r in runners]
    header += [f"{p} run ÷ {subject} run" for p in peers]  # above 1: the subject is faster
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * (len(runners) + len(peers))]
    for index, (program, by_runner) in enumerate(results.items()):
        size, reps = sizes[program]
        cells = [program, str(size)]
        cells += [f"{t.load:.3f} / {t.run:.4f}" for t in by_runner.values()]
        cells += [f"{ratios[peer][index]:.3g}" for peer in peers]
        lines.append("| " + " | ".join(cells) + " |")
    summary = ["**geometric mean**", ""] + [""] * len(runners) + [f"**{geomean(ratios[p]):.3g}**" for p in peers]
    lines.append("| " + " | ".join(summary) + " |")
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def best(run: Callable[[int], int], n: int, repeats: int) -> tuple[float, int]:
    """Best seconds per unit of `run(n)` (n units of work) over `repeats` runs, and its result
    as an i32's bits: for the in-process benchmarks that compare peers side by side."""
    times = []
    result = 0
    for _ in range(repeats):
        start = time.perf_counter()
        result = run(n)
        times.append(time.perf_counter() - start)
    return min(times) / n, result & 0xFFFFFFFF


def best_of_peers(runs: dict[str, Callable[[int], int]], n: int, repeats: int) -> dict[str, tuple[float, int]]:
    """`best` of each peer's run; a peer that cannot run the program is reported on stderr
    and left out, not fatal."""
    timings = {}
    for name, run in runs.items():
        try:
            timings[name] = best(run, n, repeats)
        except Exception as err:  # noqa: BLE001 - a peer's failure is reported, not raised
            print(f"note: {name} failed: {err}", file=sys.stderr)
    return timings


def side_by_side(title: str, unit: str, timings: dict[str, float], reference: str) -> list[str]:
    """A Markdown table of each peer's time per `unit` (in microseconds) and its ratio to
    `reference`'s, for the in-process benchmarks."""
    base = timings[reference]
    lines = [f"| {title} | µs per {unit} | ÷ {reference} |", "|---|---:|---:|"]
    lines += [f"| {name} | {seconds * 1e6:.3f} | {seconds / base:.3g} |" for name, seconds in timings.items()]
    return lines
