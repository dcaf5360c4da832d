"""Text-format parsing speed: MB/s of WAT and .wast source parsed to modules, in pure Python.

    python -m bench.text [FILE.wat|FILE.wast|FILE.wasm ...]

Without arguments it measures the official 2.0 .wast scripts of ../shared/spec (each script
read, and every module in it parsed) and the WAT that wasmkit prints for the modules of
../shared/bench. A .wasm argument is printed to WAT first, and the WAT is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from wasmkit.binary import read_module
from wasmkit.errors import WasmError
from wasmkit.text import parse_module, parse_script, print_module

SHARED = Path(os.environ.get("WASMKIT_SHARED", Path(__file__).resolve().parent.parent.parent / "shared"))


def parse_wast(text: str) -> None:
    for command in parse_script(text):
        module = getattr(command, "module", None)
        if module is not None and hasattr(module, "build"):
            try:
                module.build()
            except WasmError:
                pass  # malformed on purpose


def best_time(action, text: str, repeats: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action(text)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    inputs: list[tuple[str, str, object]] = []
    files = args.files or sorted((SHARED / "spec" / "wasm-2.0").glob("*.wast")) + sorted((SHARED / "bench").glob("*.wasm"))
    for path in files:
        if path.suffix == ".wasm":
            inputs.append((path.name + " (printed)", print_module(read_module(path.read_bytes())), parse_module))
        elif path.suffix == ".wast":
            inputs.append((path.name, path.read_text(), parse_wast))
        else:
            inputs.append((path.name, path.read_text(), parse_module))
    if not inputs:
        print("nothing to measure (give files, or set WASMKIT_SHARED)", file=sys.stderr)
        return 1
    print("| input | characters | parse ms | MB/s |")
    print("|---|---:|---:|---:|")
    totals = {"wast": [0, 0.0], "wat": [0, 0.0]}
    for name, text, action in inputs:
        seconds = best_time(action, text, args.repeats)
        kind = "wast" if action is parse_wast else "wat"
        totals[kind][0] += len(text)
        totals[kind][1] += seconds
        if len(inputs) <= 20 or seconds > 0.05:
            print(f"| {name} | {len(text)} | {seconds * 1e3:.1f} | {len(text) / seconds / 1e6:.2f} |")
    for kind, (size, seconds) in totals.items():
        if size:
            print(f"| all {kind} | {size} | {seconds * 1e3:.0f} | {size / seconds / 1e6:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
