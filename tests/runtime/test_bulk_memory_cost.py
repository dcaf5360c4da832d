"""memory.fill and memory.init work in place: filling or initialising a large range costs the
host no copy of it. Each case runs a module in a subprocess (with an address-space limit) and
reports the peak of Python allocations (tracemalloc) during the one call."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
LENGTH = 48 * MIB  # a range of 48 MiB in a memory of 64 MiB
BOUND = 4 * MIB

# fill(dst, value, length) and init(dst, src, length) over a passive segment of 64 KiB
MODULE = """(module
  (memory (export "memory") 1024 1024)
  (data $segment "{segment}")
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $segment (local.get 0) (local.get 1) (local.get 2))))"""


def _run(engine: str, body: str) -> dict[str, object]:
    code = textwrap.dedent(
        f"""
        import json, resource, tracemalloc
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
        import wasmkit
        from wasmkit.runtime import Linker, Store
        segment = "".join("\\\\%02x" % (i % 251) for i in range(65536))
        module = wasmkit.Module({MODULE!r}.format(segment=segment))
        instance = Linker(Store({engine!r})).instantiate(module)
        memory = instance.exports.memory

        def measure(name, *args):
            tracemalloc.start()
            instance.exports[name](*args)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return peak
        """
    ) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.splitlines()[-1]))


def test_memory_fill_fills_in_place() -> None:
    result = _run(
        "python",
        f"""
        peak = measure("fill", 4096, 0x1AB, {LENGTH})
        data = memory.read(0, {LENGTH} + 8192)
        print(json.dumps({{"peak": peak, "before": data[4095], "first": data[4096],
                          "filled": data.count(0xAB), "after": data[4096 + {LENGTH}]}}))
        """,
    )
    assert (result["before"], result["first"], result["after"]) == (0, 0xAB, 0)
    assert result["filled"] == LENGTH
    assert result["peak"] < BOUND  # was the size of the range


def test_memory_init_copies_no_more_than_it_writes() -> None:
    # Part of a segment (src > 0), the case where taking a slice of it made a copy.
    result = _run(
        "python",
        """
        peak = measure("init", 100, 1000, 60000)
        data = memory.read(100, 60000)
        print(json.dumps({"peak": peak, "ok": data == bytes(i % 251 for i in range(1000, 61000))}))
        """,
    )
    assert result["ok"] is True
    assert int(result["peak"]) < 60000  # was a copy of the 60,000 bytes


@pytest.mark.parametrize("value", [0, 0xFF])
def test_memory_fill_of_nothing_and_at_the_end(value: int) -> None:
    result = _run(
        "python",
        f"""
        measure("fill", 1024 * 65536, {value}, 0)       # empty, at the very end: allowed
        try:
            measure("fill", 1024 * 65536 - 1, {value}, 2)  # one byte past the end: traps
            trapped = None
        except wasmkit.Trap as trap:
            trapped = str(trap).splitlines()[0]
        measure("fill", 1024 * 65536 - 1, {value}, 1)
        print(json.dumps({{"trapped": trapped, "last": memory.read(1024 * 65536 - 1, 1)[0]}}))
        """,
    )
    assert result == {"trapped": "out of bounds memory access", "last": value}
