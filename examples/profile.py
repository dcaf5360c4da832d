"""Profile wasm: sample its call stack, then open the profile in the Firefox Profiler or look at
the flame graph (`wasmkit run --profile out.json --profile-svg flame.svg FILE` does the same)."""

import tempfile
from pathlib import Path

import wasmkit

HERE = Path(__file__).parent  # the example files, wherever this script is run from

fib = wasmkit.load(HERE / "fib.wat")  # from text: the name section names `$fib`
with wasmkit.Profiler(interval=0.001) as profiler:  # seconds between samples
    fib.exports.fib(25)

out = Path(tempfile.mkdtemp())
profiler.save(out / "fib.json")  # load it at https://profiler.firefox.com
profiler.save_svg(out / "flame.svg")  # a flame graph, one self-contained SVG file
print("functions sampled:", sorted({name for sample in profiler.samples for name in sample.stack}))
print("wrote", out / "fib.json", "and", out / "flame.svg")
