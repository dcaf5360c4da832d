"""A real component from Python: componentize-py's 18 MB build of tests/component's calc app
(CPython inside), readied and first called by wasmkit on each engine and by wasmtime-py.

    python -m bench.components [--repeats 3]

Each figure is the best of REPEATS runs, each in a fresh process with an empty compiled-code
cache (so wasmtime-py compiles the component with Cranelift and wasmkit validates it and
compiles what it runs):
  ready       wasmtime-py: `Component.from_file`; wasmkit: `Component(path)` (read, validate)
  first call  from nothing to the answer of `ops.divide(7, 2)`: ready, instantiated (with a
              WASI 0.2 host: wasmtime-py's own, wasmkit's `wasi=WasiConfig()`), called
The component is the test suite's (tests/component/test_componentize_py.py), kept in the cache
directory, or built here if it is not there yet.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import machine

# What one fresh process measures: argv[1] the runtime, argv[2] the component; prints
# {"ready": seconds, "first call": seconds} as JSON.
_MEASURE = r"""
import json, sys, time
runtime, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if runtime == "wasmtime-py":
    import wasmtime, wasmtime.component as wt
    engine = wasmtime.Engine()
    component = wt.Component.from_file(engine, path)
    ready = time.perf_counter()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wt.Linker(engine)
    linker.add_wasip2()
    with linker.root() as root, root.add_instance("example:calc/host") as host:
        host.add_func("upper", lambda _store, s: s.upper())
    instance = linker.instantiate(store, component)
    ops = instance.get_export_index(store, "example:calc/ops")
    answer = instance.get_func(store, instance.get_export_index(store, "divide", ops))(store, 7, 2)
else:
    import wasmkit
    from wasmkit.component.loader import Component
    from wasmkit.wasi import WasiConfig
    component = Component(path)
    ready = time.perf_counter()
    instance = wasmkit.load(component, imports={"example:calc/host": {"upper": str.upper}}, wasi=WasiConfig(),
                            engine=runtime.removeprefix("wasmkit-"))
    answer = instance.exports.ops.divide(7, 2)
done = time.perf_counter()
assert answer == 3, answer
print(json.dumps({"ready": ready - start, "first call": done - start}))
"""

RUNTIMES = ("wasmtime-py", "wasmkit-python", "wasmkit-native")


def component() -> Path:
    """The componentize-py build of the calc app (the test suite's), made now if need be."""
    from tests.component.componentize import builder
    from tests.component.test_componentize_py import build_calc

    if builder() is None:
        sys.exit("componentize-py is not installed (the test extras): it builds the component measured here")
    return build_calc()


def measure(runtime: str, path: Path, repeats: int) -> dict[str, float]:
    """The best of `repeats` fresh runs of `runtime` on the component at `path`."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="wasmkit-bench-components-") as cache:
            done = subprocess.run(
                [sys.executable, "-c", _MEASURE, runtime, str(path)],
                env={**os.environ, "WASMKIT_CACHE_DIR": cache}, capture_output=True, text=True, check=True, timeout=1800,
            )  # fmt: skip
        for name, seconds in json.loads(done.stdout).items():
            best[name] = min(best.get(name, seconds), seconds)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    path = component()
    results = {runtime: measure(runtime, path, args.repeats) for runtime in RUNTIMES}
    reference = results["wasmtime-py"]
    print(f"{machine()}; {path.stat().st_size / 2**20:.1f} MB component; best of {args.repeats}, each cold\n")
    print("| runtime | ready (s) | first call (s) | ready ÷ wasmtime-py's | first call ÷ wasmtime-py's |")
    print("|---|---:|---:|---:|---:|")
    for runtime, figures in results.items():
        ready, first = figures["ready"], figures["first call"]
        print(f"| {runtime} | {ready:.2f} | {first:.2f} | {ready / reference['ready']:.2f} | {first / reference['first call']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
