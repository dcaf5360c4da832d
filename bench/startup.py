"""Start-up of `wasmkit run`: cold (empty code cache) and warm (second run), per module.

    python -m bench.startup [--engine python|native] [FILE.wasm ARGS... ;] ...

Without arguments it measures the programs of ../shared/bench with REPEATS=0 (all the
start-up, none of the work). Each figure is the best of three runs; "cold" runs get an empty
cache directory each time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import PROGRAMS, SHARED


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
    args = parser.parse_args(argv)
    runs: list[list[str]] = []
    for part in " ".join(args.runs).split(";"):
        if part.strip():
            runs.append(part.split())
    if not runs:
        runs = [[str(SHARED / "bench" / f"{p}.wasm"), "1", "0"] for p in PROGRAMS]
    print("| module | bytes | cold start (s) | warm start (s) |")
    print("|---|---:|---:|---:|")
    for run in runs:
        cold, warm = measure(run, args.repeats, args.engine)
        label = ' '.join([Path(run[0]).name, *run[1:]])
        print(f"| {label} | {Path(run[0]).stat().st_size} | {cold:.3f} | {warm:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
