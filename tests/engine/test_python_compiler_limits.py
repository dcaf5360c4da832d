"""Compile time and memory of the Python engine grow linearly with the code: deeply nested
control flow and very long expressions compile (every function, at once) within a memory cap
and a generous timeout, and run correctly. Each run is a subprocess with an address-space
limit, so that a regression fails the test instead of exhausting the machine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import PROJECT_ROOT

_MEMORY_LIMIT = 1_500_000_000  # bytes of address space for the compiling process
_TIMEOUT = 120  # seconds; several times what it takes on a loaded 2-core machine

# Builds a one-function module (param i32) (result i32) around a body, compiles every
# function, calls f(5) and prints the result.
_SCRIPT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
import wasmkit
from wasmkit.binary.leb128 import write_unsigned as u
from wasmkit.engine.python.engine import PythonCompiledModule

def section(n, body):
    return bytes([n]) + u(len(body)) + body

code = b"\\x00" + {body} + b"\\x0b"
data = (b"\\0asm\\1\\0\\0\\0" + section(1, b"\\x01\\x60\\x01\\x7f\\x01\\x7f") + section(3, b"\\x01\\x00")
        + section(7, b"\\x01\\x01f\\x00\\x00") + section(10, b"\\x01" + u(len(code)) + code))
module = wasmkit.Module(data)
PythonCompiledModule(module.valid).compile_all()
print(wasmkit.Instance(module, store=wasmkit.Store("python")).exports["f"](5))
"""

_LOCAL_GET_0 = r'b"\x20\x00"'
_ADD_ONE_TO_LOCAL_0 = r'b"\x20\x00\x41\x01\x6a\x21\x00"'  # local.set 0 (i32.add (local.get 0) (i32.const 1))

SHAPES = {
    # 16,000 nested `if (local.get 0)`, the innermost adding 1 to the argument.
    "nested ifs": (rf'(b"\x20\x00\x04\x40" * 16000) + {_ADD_ONE_TO_LOCAL_0} + b"\x0b" * 16000 + {_LOCAL_GET_0}', 6),
    # 300,000 chained i32.add: ((x + 1) + 1) + ...
    "add chain": (rf'{_LOCAL_GET_0} + b"\x41\x01\x6a" * 300000', 300005),
    # 300,000 constants pushed, then 300,000 i32.add: an operand stack 300,000 deep.
    "deep stack": (rf'{_LOCAL_GET_0} + b"\x41\x01" * 300000 + b"\x6a" * 300000', 300005),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_compiles_within_bounds(shape: str) -> None:
    body, expected = SHAPES[shape]
    script = _SCRIPT.format(limit=_MEMORY_LIMIT, body=body)
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=_TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout) == expected
