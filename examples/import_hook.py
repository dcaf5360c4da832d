"""Import .wasm and .wat files like Python modules."""

import sys
from pathlib import Path

import wasmkit.hook  # noqa: F401  (installs the import hook)

sys.path.insert(0, str(Path(__file__).parent))  # the directory of this script, wherever it is run from
import fib  # noqa: E402  (finds examples/fib.wasm)

print("fib.fib(15) =", fib.fib(15), "| from", fib.__file__)
