"""`python -m bench.tiers`: both ends of the `auto` engine against the Python and the native
engines, with an empty code cache: how soon the first answer comes, and how fast answers come
once the native code runs.

    python -m bench.tiers [--seconds 60] [--engines python,native,auto]

The program: graphviz.wasm from the corpus (`make corpus`; a 933 KB C program, driven as its
package drives it), rendering a small graph again and again through the Python API. Each
engine runs in a fresh process with its own empty cache directory. Printed per engine: the
time from the start until the first SVG, the best render time in the last tenth of the run,
and when renders first came within 1.5 times of that best (the native code, for `auto`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run in the child (from the project's root, for the graphviz driver): render until `seconds`
# have passed, print each render's (end, duration).
_CHILD = """
import json, sys, time
start = time.perf_counter()
import wasmkit
from wasmkit.wasi import WasiConfig
from tests.corpus.graphviz_render import GRAPHS, render
path, engine, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
instance = wasmkit.load(path, wasi=WasiConfig(), engine=engine)
exports, memory = instance.exports, instance.exports.memory

def write(address, data):
    memory[address : address + len(data)] = data

renders = []
while True:
    before = time.perf_counter()
    svg = render(lambda a, n: bytes(memory[a : a + n]), write, lambda name, *args: exports[name](*args), GRAPHS["clusters"])
    assert svg.startswith(b"<?xml")
    now = time.perf_counter()
    renders.append((now - start, now - before))
    if now - start > seconds:
        break
print(json.dumps(renders))
"""


def graphviz() -> Path | None:
    """graphviz.wasm in the corpus cache, if fetched."""
    sys.path.insert(0, str(HERE.parent))
    from corpus.fetch import is_cached, load_manifest, module_path

    entry = next(e for e in load_manifest() if e.name == "graphviz")
    return module_path(entry) if is_cached(entry) else None


def measure(path: Path, engine: str, seconds: float) -> list[tuple[float, float]]:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "WASMKIT_CACHE_DIR": cache, "XDG_CACHE_HOME": cache}
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), engine, str(seconds)],
            capture_output=True, text=True, env=env, check=True, cwd=HERE.parent,
        )  # fmt: skip
    return [tuple(pair) for pair in json.loads(out.stdout)]


def summary(engine: str, renders: list[tuple[float, float]]) -> str:
    first = renders[0][0]
    tail = renders[-max(1, len(renders) // 10) :]
    best = min(duration for _, duration in tail)
    fast_from = next(end for end, duration in renders if duration <= 1.5 * best)
    return f"| {engine} | {first:.2f} | {best * 1000:.2f} | {fast_from:.1f} | {len(renders)} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tiers", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engines", default="python,native,auto")
    args = parser.parse_args(argv)
    path = graphviz()
    if path is None:
        print("graphviz.wasm is not in the corpus cache: run `make corpus` first", file=sys.stderr)
        return 1
    print("| engine | first SVG after (s) | render, steady (ms) | steady from (s) | renders |")
    print("|---|---:|---:|---:|---:|")
    for engine in args.engines.split(","):
        print(summary(engine, measure(path, engine, args.seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
