"""What a guest's arrays and buffers cost the host: a WASI call must not turn a guest's iovec
or subscription array, or a large buffer, into host objects proportional to it. Each case runs
in a subprocess (with an address-space limit, so that a regression cannot take the test run
down) and reports the peak of Python allocations (tracemalloc) during the one call."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MIB = 1 << 20
# The arrays fill most of the guest's memory: 16 MiB (2 million iovecs), or 2 MiB (26,000
# subscriptions: enough to cost the host 9 MiB when each became a Python object).
GUEST_PAGES = 256
BOUND = 4 * MIB  # the host may hold a few pieces of 1 MiB, not a copy of the guest's arrays

_PRELUDE = """
import json, resource, struct, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from tests.wasi.conftest import ReadWriteMemory
from wasmkit.runtime.memory import Memory
from wasmkit.syntax.types import Limits, MemoryType
from wasmkit.wasi import MemoryFS, WasiConfig, WasiPreview1

PAGES = {pages}
if {view}:
    memory = Memory(MemoryType(Limits(PAGES, PAGES)))
else:
    memory = ReadWriteMemory(PAGES * 65536)
size = memory.size
config = WasiConfig()
config.capture_stdout()
config.preopen_fs(MemoryFS({{"big": bytes({file_size})}}), "/")
wasi = WasiPreview1(config)
functions = {{name: fn for name, (_, fn) in wasi.host_functions().items()}}

def measure(name, *args):
    tracemalloc.start()
    errno = functions[name](memory, *args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return errno, peak
"""


def _run(body: str, *, view: bool, file_size: int = 0, pages: int = GUEST_PAGES) -> dict[str, int]:
    code = _PRELUDE.format(pages=pages, view=view, file_size=file_size) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("view", [True, False], ids=["view", "read-write"])
def test_an_array_of_millions_of_empty_iovecs_costs_no_host_memory(view: bool) -> None:
    result = _run(
        """
        count = (size - 64) // 8  # every iovec empty but the last, which names 16 bytes
        memory.write(size - 64, b"0123456789abcdef")
        memory.write(8 * (count - 1), struct.pack("<II", size - 64, 16))
        errno, peak = measure("fd_write", 1, 0, count, size - 8)
        print(json.dumps({"errno": errno, "peak": peak, "out": wasi.captured_stdout.decode(),
                          "count": struct.unpack("<I", memory.read(size - 8, 4))[0]}))
        """,
        view=view,
    )
    assert (result["errno"], result["out"], result["count"]) == (0, "0123456789abcdef", 16)
    assert result["peak"] < BOUND


@pytest.mark.parametrize("view", [True, False], ids=["view", "read-write"])
def test_a_large_write_and_read_cost_a_chunk_not_a_copy(view: bool) -> None:
    # 12 MiB written to a file, then read back: through the guest's memory a chunk at a time.
    length = 12 * MIB
    result = _run(
        f"""
        memory.write(0, struct.pack("<II", 64, {length}))
        memory.write(64, b"x" * 4096)
        path = b"big"
        memory.write(32, path)
        functions["path_open"](memory, 3, 0, 32, 3, 0, (1 << 30) - 1, 0, 0, 16)
        fd = struct.unpack("<I", memory.read(16, 4))[0]
        written, write_peak = measure("fd_pwrite", fd, 0, 1, 0, 8)
        count_written = struct.unpack("<I", memory.read(8, 4))[0]
        memory.write(64, bytes(4096))
        read, read_peak = measure("fd_pread", fd, 0, 1, 0, 8)
        print(json.dumps({{"errnos": [written, read], "counts": [count_written,
                          struct.unpack("<I", memory.read(8, 4))[0]], "head": memory.read(64, 4096).decode(),
                          "write_peak": write_peak, "read_peak": read_peak}}))
        """,
        view=view,
        file_size=length,  # written in place: the file does not grow
    )
    assert result["errnos"] == [0, 0]
    assert result["counts"] == [length, length]
    assert result["head"] == "x" * 4096
    assert result["write_peak"] < BOUND
    assert result["read_peak"] < BOUND


@pytest.mark.parametrize("view", [True, False], ids=["view", "read-write"])
def test_tens_of_thousands_of_subscriptions_cost_no_host_memory(view: bool) -> None:
    result = _run(
        """
        count = (size - 64) // 80  # 48-byte subscriptions, then 32-byte events
        # Relative MONOTONIC clocks: odd ones expire at once, even ones in an hour.
        subscription = struct.Struct("<QB7xI4xQQH6x")
        records = b"".join(subscription.pack(i, 0, 1, 0 if i % 2 else 3600 * 10**9, 0, 0)
                           for i in range(count))
        memory.write(0, records)
        del records
        events = 48 * count
        errno, peak = measure("poll_oneoff", 0, events, count, size - 8)
        ready = struct.unpack("<I", memory.read(size - 8, 4))[0]
        first, last = (struct.unpack_from("<QHB", memory.read(events + 32 * i, 32)) for i in (0, ready - 1))
        print(json.dumps({"errno": errno, "peak": peak, "count": count, "ready": ready,
                          "first": first, "last": last}))
        """,
        view=view,
        pages=GUEST_PAGES // 8,
    )
    assert result["errno"] == 0
    assert result["ready"] == result["count"] // 2
    assert result["first"] == [1, 0, 0]  # userdata, error, type CLOCK
    assert result["last"][0] == result["count"] - 1 - (result["count"] % 2 == 1)
    assert result["peak"] < BOUND


def test_a_huge_path_is_refused_without_decoding_it() -> None:
    result = _run(
        """
        length = 12 << 20
        memory.write(64, b"a/" * (length // 2))
        errno, peak = measure("path_open", 3, 0, 64, length, 0, 0, 0, 0, 0)
        print(json.dumps({"errno": errno, "peak": peak}))
        """,
        view=True,
    )
    assert result["errno"] == 37  # NAMETOOLONG
    assert result["peak"] < BOUND
