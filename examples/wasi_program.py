"""Run a WASI program (C compiled to wasm32-wasi) from Python, capturing what it prints."""

from pathlib import Path

import wasmkit
from wasmkit.wasi import WasiConfig

HERE = Path(__file__).parent  # the example files, wherever this script is run from

config = WasiConfig(argv=["hello", "Python"], env={"USER": "demo"})
config.capture_stdout()
instance = wasmkit.load(HERE / "hello.wasm", wasi=config)
try:
    instance.exports._start()
except wasmkit.ExitTrap as exit_:  # a program that calls exit() with a non-zero status
    print("exit status", exit_.code)
print(instance.wasi.captured_stdout.decode(), end="")
