"""wasi-threads: `wasi.thread-spawn` runs each thread in a new instance on a Python thread of its
own, sharing the memory and the WASI state. The C program of tests/wasi/threads prints what
wasmtime printed; a spawn storm stops at the limit with -1; a trap or an exit in a spawned
thread ends the program."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import wasmkit
from tests.support import PROJECT_ROOT
from wasmkit import Instance, Module, Store, Trap, TrapKind
from wasmkit.cli import main
from wasmkit.wasi import MODULE, WasiConfig, wasi_funcs
from wasmkit.wasi.preview1 import WasiPreview1
from wasmkit.wasi.threads import WasiThreads, thread_imports

HERE = Path(__file__).resolve().parent / "threads"

# Spawns until thread-spawn fails (or n tries); each thread counts itself in at address 0 and
# waits at 4 until `release`.
STORM = """(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.wait32 (i32.const 4) (i32.const 0) (i64.const -1))))
  (func (export "storm") (param $n i32) (result i32) (local $spawned i32)
    (loop $again
      (if (i32.gt_s (call $spawn (i32.const 0)) (i32.const 0))
        (then (local.set $spawned (i32.add (local.get $spawned) (i32.const 1)))))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $spawned))
  (func (export "started") (result i32) (i32.atomic.load (i32.const 0)))
  (func (export "release") (result i32)
    (i32.atomic.store (i32.const 4) (i32.const 1))
    (memory.atomic.notify (i32.const 4) (i32.const -1))))"""

# The main thread spawns one thread that ends badly (ARG 0: a trap; else proc_exit(ARG)), then
# waits for ever.
FAILING = """(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (if (local.get $arg) (then (call $exit (local.get $arg))))
    unreachable)
  (func (export "_start")
    (drop (call $spawn (i32.const ARG)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))"""


def _instance(source: str, threads: WasiThreads, store: Store | None = None) -> Instance:
    """An instance of `source` with WASI (output captured), `threads`' thread-spawn and the
    shared memory it imports."""
    module = Module(source)
    config = WasiConfig()
    config.capture_stdout()
    imports: dict[str, dict[str, object]] = {MODULE: dict(wasi_funcs(WasiPreview1(config)))}
    imports.update(thread_imports(module, threads, lambda name, field: field in imports.get(name, {})))
    return Instance(module, imports, store=store or Store())  # type: ignore[arg-type]


def test_the_c_program_prints_what_wasmtime_printed() -> None:
    config = WasiConfig()
    config.capture_stdout()
    instance = wasmkit.load(HERE / "threads.wasm", wasi=config)
    instance.exports._start()
    assert instance.wasi.captured_stdout.decode() == (HERE / "threads.expected").read_text()
    assert instance.wasi_threads.join(60) and instance.wasi_threads.failure is None


def test_wasmkit_run_prints_what_wasmtime_printed() -> None:
    # wasmtime's command line for it, which wasmkit takes too (threads are on by default)
    result = subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", "--no-cache", "-W", "threads,shared-memory", "-S", "threads", str(HERE / "threads.wasm")],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, (HERE / "threads.expected").read_text(), "")


def test_wasmkit_run_on_the_native_engine_prints_what_wasmtime_printed() -> None:
    pytest.importorskip("llvmlite")
    result = subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", "--no-cache", "--engine", "native", str(HERE / "threads.wasm")],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, (HERE / "threads.expected").read_text(), "")


def _chain_ends(steps: int) -> str:
    """What chains.c prints: each chain's end after `steps` steps, computed here."""
    lines = []
    for c in range(2):
        x = c + 1
        for _ in range(steps):
            x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFF_FFFF_FFFF_FFFF
            x ^= x >> 29
        lines.append(f"chain {c}: {x}\n")
    return "".join(lines)


@pytest.mark.parametrize("engine, steps", [("python", 2000), ("native", 20_000)])
@pytest.mark.parametrize("threads", [1, 2])
def test_independent_work_gives_the_same_answer_on_one_or_two_threads(engine: str, steps: int, threads: int) -> None:
    if engine == "native":
        pytest.importorskip("llvmlite")
    result = subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", "--no-cache", "--engine", engine, str(HERE / "chains.wasm"), str(threads), str(steps)],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, _chain_ends(steps), "")


@pytest.mark.parametrize("engine", ["python", "native"])
def test_a_spawn_storm_stops_at_the_limit_with_minus_one(engine: str) -> None:
    if engine == "native":
        pytest.importorskip("llvmlite")
    threads = WasiThreads(max_threads=5)
    instance = _instance(STORM, threads, Store(engine))
    exports = instance.exports
    memory = instance.mems[0]
    listeners = len(memory._listeners)  # the main instance's
    assert exports.storm(100) == 5
    assert threads.running == 5
    deadline = time.monotonic() + 60
    # Each thread counts itself started, then waits: released in between, it would not
    # wait at all (and not be among those woken), so release only once all five wait.
    while exports.started() < 5 or memory.sync.waiting(4) < 5:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert exports.release() == 5  # each waiting thread woken
    assert threads.join(60) and threads.running == 0 and threads.failure is None
    assert exports.storm(3) == 3  # the ended threads made room
    exports.release()
    assert threads.join(60)
    assert len(memory._listeners) == listeners  # the ended threads' instances let go of the memory


def test_a_store_that_counts_fuel_spawns_nothing() -> None:
    exports = _instance(STORM, WasiThreads(), Store(fuel=1_000_000)).exports
    assert exports.storm(3) == 0


def test_a_trap_in_a_spawned_thread_stops_the_program() -> None:
    ended: list[BaseException] = []
    threads = WasiThreads(on_failure=ended.append)
    store = Store(interruptible=True)
    instance = _instance(FAILING.replace("ARG", "0"), threads, store)
    with pytest.raises(Trap) as trap:
        instance.exports._start()  # waiting for ever, until the failure interrupts its store
    assert trap.value.kind is TrapKind.INTERRUPTED
    assert isinstance(threads.failure, Trap) and threads.failure.kind is TrapKind.UNREACHABLE
    assert ended == [threads.failure]


def test_spawned_threads_keep_the_spawners_deadline() -> None:
    threads = WasiThreads()
    store = Store(interruptible=True)
    spinning = FAILING.replace("unreachable)", "(loop $spin (br $spin)))").replace("ARG", "0")
    instance = _instance(spinning, threads, store)
    store.set_deadline(0.3)
    with pytest.raises(Trap) as trap:
        instance.exports._start()
    assert trap.value.kind is TrapKind.INTERRUPTED
    assert threads.join(60)  # the spinning thread's own store passed the same deadline
    assert isinstance(threads.failure, Trap) and threads.failure.kind is TrapKind.INTERRUPTED


@pytest.mark.parametrize("arg, status", [(0, 134), (3, 3)])
def test_wasmkit_run_ends_with_a_spawned_threads_trap_or_exit(arg: int, status: int, tmp_path: Path) -> None:
    program = tmp_path / "failing.wat"
    program.write_text(FAILING.replace("ARG", str(arg)))
    result = subprocess.run(
        [sys.executable, "-m", "wasmkit", "run", "--no-cache", str(program)],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert result.returncode == status
    if status == 134:
        assert result.stderr.startswith("wasmkit: trap in a spawned thread: unreachable")


def test_wasmtimes_switches_turn_threads_off(capsys: pytest.CaptureFixture[str]) -> None:
    program = str(HERE / "threads.wasm")
    assert main(["run", "-W", "threads=n", program]) == 1
    assert "a shared memory needs the threads feature" in capsys.readouterr().err
    assert main(["run", "-S", "threads=n", program]) == 1  # no thread-spawn, and no memory made for it
    assert "unknown import: env.memory has not been defined" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["run", "-S", "http", program])
    assert usage.value.code == 2 and "unknown WASI option 'http'" in capsys.readouterr().err
