"""Start-up of `wasmkit run`: cold (empty code cache) and warm (second run), per module.

    python -m bench.startup [--engine python|native] [--output bench/RESULTS.md] [FILE.wasm ARGS... ;] ...

Without arguments it measures the programs of ../shared/bench with REPEATS=0 (all the
start-up, none of the work). Each figure is the best of three runs; "cold" runs get an empty
cache directory each time. With `--output`, the table is also appended to that file, with the
machine and date, and a chart of it (bench/charts.py) is drawn in plots/ beside it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import PROGRAMS, SHARED, machine
from .charts import add_chart, startup_chart


def timed_run(argv: list[str], cache_dir: str, engine: str = "python") -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", "--engine", engine, *argv],
        env={**os.environ, "WASMKIT_CACHE_DIR": cache_dir},
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - start


def measure(argv: list[str], repeats: int = 3, engine: str = "python") -> tuple[float, float]:
    """(best cold, best warm) seconds for `wasmkit run --engine ENGINE ARGV`."""
    cold = warm = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache_dir:
            cold = min(cold, timed_run(argv, cache_dir, engine))
            warm = min(warm, timed_run(argv, cache_dir, engine))
    return cold, warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="FILE.wasm and its arguments; separate runs with ';'")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engine", default="python", help="python or native")
    parser.add_argument("--output", type=Path, help="also write the table (with machine and date) and its chart here")
    args = parser.parse_args(argv)
    runs: list[list[str]] = []
    for part in " ".join(args.runs).split(";"):
        if part.strip():
            runs.append(part.split())
    if not runs:
        runs = [[str(SHARED / "bench" / f"{p}.wasm"), "1", "0"] for p in PROGRAMS]
    lines = ["| module | bytes | cold start (s) | warm start (s) |", "|---|---:|---:|---:|"]
    print("\n".join(lines))
    labels: list[str] = []
    colds: list[float] = []
    warms: list[float] = []
    for run in runs:
        cold, warm = measure(run, args.repeats, args.engine)
        label = " ".join([Path(run[0]).name, *run[1:]])
        lines.append(f"| {label} | {Path(run[0]).stat().st_size} | {cold:.3f} | {warm:.3f} |")
        print(lines[-1])
        labels.append(label)
        colds.append(cold)
        warms.append(warm)
    if args.output:
        heading = f"Start-up of `wasmkit run` ({args.engine} engine), {datetime.date.today().isoformat()}"
        intro = f"{machine()}; best of {args.repeats}, REPEATS=0; cold with an empty code cache, warm the second run."
        with args.output.open("a") as out:
            out.write(f"\n## {heading}\n\n{intro}\n\n" + "\n".join(lines) + "\n")
        chart = startup_chart(labels, colds, warms, heading.replace("`", ""))
        print(f"wrote {add_chart(args.output, heading, chart)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
