"""Rebuild the C programs and record what wasmtime does with each run in their JSON files.

    python -m tests.wasi.programs.record            # refresh the expectations
    python -m tests.wasi.programs.record --build    # rebuild every NAME.wasm from NAME.c first

Building needs zig (`pip install ziglang`); recording needs wasmtime-py (a test extra). Each
run is executed by wasmtime with wasmtime's own WASI, set up as runs.py describes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.wasi.programs.runs import HERE, Run, load, outcome
from tests.wasi.trees import snapshot
from tests.wasi.wasmtime_engine import run_reference

ZIG_FLAGS = ["cc", "-target", "wasm32-wasi", "-O2", "-s"]


def build(python: str) -> None:
    for source in sorted(HERE.glob("*.c")):
        target = source.with_suffix(".wasm")
        subprocess.run([python, "-m", "ziglang", *ZIG_FLAGS, str(source), "-o", str(target)], check=True)
        print(f"built {target.name}")


def record(run: Run) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        preopens = run.preopen(tmp)
        stdin = tmp / "stdin"
        stdin.write_bytes(run.stdin)
        stdout, stderr = tmp / "stdout", tmp / "stderr"
        code, trap = run_reference(
            run.wasm, run.argv, run.env, [(str(h), g) for h, g in preopens], stdin, stdout, stderr
        )
        tree = snapshot(preopens[0][0]) if preopens else None
        if tree is not None:
            tree = {key: value.replace(str(tmp), "<tmp>") for key, value in tree.items()}
        return outcome(code, trap is not None, stdout.read_bytes(), stderr.read_bytes(), tree)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--build", action="store_true", help="rebuild the .wasm files with zig first")
    parser.add_argument("--zig-python", default=sys.executable, help="a Python that has the ziglang package")
    options = parser.parse_args()
    if options.build:
        build(options.zig_python)
    by_program: dict[str, list[dict[str, object]]] = {}
    for run in load():
        entry: dict[str, object] = {}
        spec = json.loads((HERE / f"{run.program}.json").read_text())["runs"][
            len(by_program.get(run.program, []))
        ]
        entry.update({key: value for key, value in spec.items() if key != "expect"})
        entry["expect"] = record(run)
        by_program.setdefault(run.program, []).append(entry)
        print(f"recorded {run.label}")
    for program, runs in by_program.items():
        (HERE / f"{program}.json").write_text(json.dumps({"runs": runs}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
