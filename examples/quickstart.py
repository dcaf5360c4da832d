"""wasmkit in a minute: load a module, call it, share memory, give it Python functions."""

from pathlib import Path

import wasmkit

HERE = Path(__file__).parent  # the example files, wherever this script is run from

# Load a module (a .wasm or .wat file, bytes, or WAT source) and call its exports.
fib = wasmkit.load(HERE / "fib.wasm")
print("fib(20) =", fib.exports.fib(20))

# Python functions become imports, typed as the module declares them; one whose first
# parameter is annotated `wasmkit.Caller` can reach the calling instance's memory.
def log(caller: wasmkit.Caller, ptr: int, length: int) -> None:
    print(caller.memory[ptr : ptr + length].decode())


app = wasmkit.load(
    """
    (module
      (import "env" "log" (func $log (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "Hello from wasm memory")
      (func (export "greet") (call $log (i32.const 16) (i32.const 22))))
    """,
    imports={"env": {"log": log}},
)
app.exports.greet()


# Or typed from their annotations, with wasmkit.host.
@wasmkit.host
def scale(x: wasmkit.i64, factor: float) -> float:
    return x * factor

calc = wasmkit.load(
    '(module (import "env" "scale" (func $s (param i64 f64) (result f64)))'
    ' (func (export "half") (param i64) (result f64) (call $s (local.get 0) (f64.const 0.5))))',
    imports={"env": {"scale": scale}},
)
print("half of 7 =", calc.exports.half(7))

# Memory is shared: read it, write it, view it as typed arrays.
memory = app.exports.memory
memory[0:4] = (1234).to_bytes(4, "little")
print("as int32:", memory.typed("i")[0], "| size:", memory.size, "bytes")

# Traps are exceptions; the instance stays usable.
try:
    wasmkit.load('(module (func (export "boom") unreachable))').exports.boom()
except wasmkit.Trap as trap:
    print("trapped:", trap.message)
