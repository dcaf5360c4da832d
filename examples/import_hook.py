"""Import .wasm and .wat files like Python modules."""

import sys

import wasmkit.hook  # noqa: F401  (installs the import hook)

sys.path.insert(0, "examples")
import fib  # noqa: E402  (finds examples/fib.wasm)

print("fib.fib(15) =", fib.fib(15), "| from", fib.__file__)
