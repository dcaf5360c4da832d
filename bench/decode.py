"""Decoding and validation speed: MB/s of module bytes read and validated in pure Python.

    python -m bench.decode [FILE.wasm ...]

Without arguments it measures the modules of ../shared/bench. Each module is measured a few
times and the best time is kept (the least disturbed by the rest of the machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from wasmkit.binary import read_module
from wasmkit.validate import validate

SHARED = Path(os.environ.get("WASMKIT_SHARED", Path(__file__).resolve().parent.parent.parent / "shared"))


def measure(path: Path, repeats: int) -> tuple[int, float, float]:
    """(size in bytes, best read time, best validate time) for one module."""
    data = path.read_bytes()
    best_read = best_validate = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        module = read_module(data)
        middle = time.perf_counter()
        validate(module)
        end = time.perf_counter()
        best_read = min(best_read, middle - start)
        best_validate = min(best_validate, end - middle)
    return len(data), best_read, best_validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    files = args.files or sorted((SHARED / "bench").glob("*.wasm"))
    if not files:
        print("no modules to measure (give files, or set WASMKIT_SHARED)", file=sys.stderr)
        return 1
    print("| module | bytes | read ms | validate ms | MB/s (read + validate) |")
    print("|---|---:|---:|---:|---:|")
    total_bytes = total_time = 0.0
    for path in files:
        size, read_time, validate_time = measure(path, args.repeats)
        total_bytes += size
        total_time += read_time + validate_time
        rate = size / (read_time + validate_time) / 1e6
        print(f"| {path.name} | {size} | {read_time * 1e3:.1f} | {validate_time * 1e3:.1f} | {rate:.2f} |")
    print(f"| all | {int(total_bytes)} | | | {total_bytes / total_time / 1e6:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
