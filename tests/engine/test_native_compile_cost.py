"""Large modules compile on the native engine within bounded memory: each module is compiled
in a subprocess with its address space limited, and reports its peak resident memory."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from tests.support import PROJECT_ROOT

pytest.importorskip("llvmlite")

# Builds a module of COUNT functions (i32) -> i32 whose bodies are BODY (a Python expression
# for a body's instructions), the first exported as f; compiles it on the native engine, calls
# f(5) and prints the result and the peak resident memory in MB.
COMPILE = """
import sys
import wasmkit
from tests.support import peak_resident_mb
from wasmkit.engine.native import NativeEngine

def leb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

def section(code, payload):
    return bytes([code]) + leb(len(payload)) + payload

count = COUNT
body = b"\\x00" + (BODY) + b"\\x0b"
wasm = (b"\\0asm\\1\\0\\0\\0" + section(1, b"\\x01\\x60\\x01\\x7f\\x01\\x7f") + section(3, leb(count) + b"\\x00" * count)
        + section(7, b"\\x01\\x01f\\x00\\x00") + section(10, leb(count) + (leb(len(body)) + body) * count))
instance = wasmkit.Instance(wasmkit.Module(wasm), store=wasmkit.Store(NativeEngine()))
instance.native.compiled.compile_all()  # every function, not only those called
print(instance.exports.f(5), peak_resident_mb())
"""

# 16,000 nested `if`s (64 KB of code), 300,000 chained `i32.add`s (900 KB), and a small body
# (x + 1) for modules of many functions.
NESTED_IFS = 'b"\\x20\\x00\\x04\\x40" * 16000 + b"\\x0b" * 16000 + b"\\x20\\x00"'
CHAINED_ADDS = 'b"\\x20\\x00" + b"\\x41\\x01\\x6a" * 300000'
SMALL = 'b"\\x20\\x00\\x41\\x01\\x6a"'

MEMORY_BYTES = 3 << 30  # address space: LLVM and Python reserve more than they touch
RESIDENT_MB = 1024


def compile_in_a_subprocess(body: str, count: int = 1) -> tuple[int, int]:
    """(f(5), peak resident MB) of the module of `count` functions whose body is `body`."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    result = subprocess.run(
        [sys.executable, "-c", COMPILE.replace("BODY", body).replace("COUNT", str(count))],
        capture_output=True, text=True, timeout=600, preexec_fn=limit, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    value, resident = result.stdout.split()
    return int(value), int(resident)


def test_sixteen_thousand_nested_ifs() -> None:
    value, resident = compile_in_a_subprocess(NESTED_IFS)
    assert value == 5
    assert resident < RESIDENT_MB


def test_three_hundred_thousand_chained_adds() -> None:
    value, resident = compile_in_a_subprocess(CHAINED_ADDS)
    assert value == 300_005
    assert resident < RESIDENT_MB


def test_five_thousand_small_functions() -> None:
    # Before: the whole module's IR at once and LLVM's O3 on it (544 MB, 24 s of CPU); now the
    # fast tier, compiled in batches (147 MB, 4.3 s).
    value, resident = compile_in_a_subprocess(SMALL, count=5000)
    assert value == 6
    assert resident < 300


# Compiles every benchmark program on the native engine's full tier.
BENCHMARKS = """
import sys
import wasmkit
from wasmkit.engine.native import NativeEngine
from wasmkit.engine.native.codegen import FULL

engine = NativeEngine()
for path in sys.argv[1:]:
    module = wasmkit.Module(open(path, "rb").read())
    assert engine.compile(module.valid).tier == FULL, path
print("compiled", len(sys.argv) - 1)
"""


def test_the_benchmark_programs_compile_on_the_full_tier() -> None:
    # LLVM's NewGVN pass, in the full tier's first pass list, aborted the process (an LLVM
    # assertion) on sha, sieve and matmul once memory's size was kept in a register.
    from tests.support import require_shared

    programs = sorted(str(path) for path in require_shared("bench").glob("*.wasm"))
    result = subprocess.run([sys.executable, "-c", BENCHMARKS, *programs], capture_output=True, text=True, timeout=600)
    assert (result.returncode, result.stdout) == (0, f"compiled {len(programs)}\n"), result.stderr[-2000:]
