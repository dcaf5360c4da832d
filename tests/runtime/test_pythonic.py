"""The Pythonic layer: wasmkit.load, host functions from annotations, memory views, the import
hook, threads and asyncio."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

import wasmkit
from tests.support import PROJECT_ROOT
from wasmkit import FuncType, ValType

APP = """
(module
  (import "env" "scale" (func $scale (param i64 f64) (result f32)))
  (import "env" "now" (func $now (result i64)))
  (import "env" "peek" (func $peek (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "wasm")
  (func (export "scaled") (result f32) (call $scale (i64.const 3) (f64.const 0.5)))
  (func (export "now") (result i64) (call $now))
  (func (export "peek") (param i32) (result i32) (call $peek (local.get 0)))
  (func (export "sum") (param i32) (result i64) (local i64)
    (loop (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
          (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))
"""


def test_host_functions_typed_from_annotations() -> None:
    @wasmkit.host
    def scale(x: wasmkit.i64, k: float) -> wasmkit.f32:
        return x * k

    assert scale.type == FuncType((ValType.I64, ValType.F64), (ValType.F32,))

    @wasmkit.host
    def pair(caller: wasmkit.Caller, a: int) -> tuple[int, float]:
        return a, 1.0

    assert pair.type == FuncType((ValType.I32,), (ValType.I32, ValType.F64))
    with pytest.raises(TypeError, match="need type annotations"):
        wasmkit.host(lambda x: x)


def test_load_with_plain_callables_typed_by_the_module() -> None:
    @wasmkit.host
    def scale(x: wasmkit.i64, k: float) -> wasmkit.f32:
        return x * k

    def peek(caller: wasmkit.Caller, address: int) -> int:
        return caller.memory[address]

    instance = wasmkit.load(APP, imports={"env": {"scale": scale, "now": time.time_ns, "peek": peek}})
    assert instance.exports.scaled() == 1.5
    assert instance.exports.now() > 0
    assert instance.exports.peek(101) == ord("a")


def test_load_from_paths_and_bytes(tmp_path: Path) -> None:
    assert wasmkit.load(PROJECT_ROOT / "examples" / "fib.wasm").exports.fib(10) == 55
    assert wasmkit.load(str(PROJECT_ROOT / "examples" / "fib.wat")).exports.fib(11) == 89
    assert wasmkit.load((PROJECT_ROOT / "examples" / "fib.wasm").read_bytes()).exports.fib(12) == 144


def test_memory_slices_and_typed_views() -> None:
    instance = wasmkit.load(APP, imports={"env": {"scale": lambda x, k: 0.0, "now": lambda: 0, "peek": lambda a: 0}})
    memory = instance.exports.memory
    assert memory[100:104] == b"wasm"
    memory[0:4] = b"\x01\x00\x00\x00"
    assert memory.typed("i")[0] == 1 and memory[0] == 1
    with pytest.raises(ValueError):
        memory[0:4] = b"x"
    with pytest.raises(IndexError):
        memory[65530:65540]
    with pytest.raises(TypeError, match="takes bytes"):
        memory[0:4] = 4  # not four zero bytes
    with pytest.raises(TypeError, match="int byte"):
        memory[0] = b"x"
    assert memory[0:4] == b"\x01\x00\x00\x00"


def test_the_import_hook(tmp_path: Path) -> None:
    (tmp_path / "fibmod.wat").write_text((PROJECT_ROOT / "examples" / "fib.wat").read_text())
    (tmp_path / "helpers.py").write_text("def inc(x):\n    return x + 1\n")
    (tmp_path / "user.wat").write_text(
        '(module (import "fibmod" "fib" (func $f (param i32) (result i32)))'
        ' (import "helpers" "inc" (func $inc (param i32) (result i32)))'
        ' (func (export "fib_plus") (param i32) (result i32) (call $inc (call $f (local.get 0)))))'
    )
    (tmp_path / "broken.wat").write_text('(module (import "nowhere_to_be_found" "f" (func)))')
    script = (
        "import wasmkit.hook, helpers\nwasmkit.hook.provide('helpers', helpers)\n"
        "import fibmod, user\nprint(fibmod.fib(10), user.fib_plus(10))\n"
        "try:\n    import broken\nexcept ImportError as err:\n    print('ImportError:', err)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "55 56"
    assert lines[1].startswith("ImportError: broken: its wasm import nowhere_to_be_found.f is not provided")


# A module whose start function calls os.getpid, if its imports can reach Python's os module,
# and one that reports how many environment variables WASI gives it.
REACHES_FOR_OS = """(module (import "os" "getpid" (func $getpid (result i32)))
  (global $pid (export "pid") (mut i32) (i32.const 0))
  (func $start (global.set $pid (call $getpid))) (start $start))"""
COUNTS_ENV = """(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "env_count") (result i32) (drop (call $sizes (i32.const 0) (i32.const 4))) (i32.load (i32.const 0))))"""


def run_hook_script(tmp_path: Path, script: str) -> list[str]:
    (tmp_path / "reaches_for_os.wat").write_text(REACHES_FOR_OS)
    (tmp_path / "counts_env.wat").write_text(COUNTS_ENV)
    env = {**os.environ, "WASMKIT_TEST_SECRET": "hunter2"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_hooked_modules_reach_only_what_was_provided(tmp_path: Path) -> None:
    lines = run_hook_script(
        tmp_path,
        """
        import wasmkit.hook
        try:
            import reaches_for_os
            print("imported")
        except ImportError as err:
            print("ImportError", "os.getpid is not provided" in str(err))
        import counts_env
        print(counts_env.env_count())
        """,
    )
    assert lines == ["ImportError True", "0"]


def test_hooked_modules_can_be_trusted_explicitly(tmp_path: Path) -> None:
    lines = run_hook_script(
        tmp_path,
        """
        import os, wasmkit.hook
        from wasmkit.wasi import WasiConfig
        wasmkit.hook.configure(wasi=WasiConfig(env=os.environ), python_modules=True)
        import reaches_for_os, counts_env
        print(reaches_for_os.pid.value == os.getpid(), counts_env.env_count() == len(os.environ))
        """,
    )
    assert lines == ["True True"]


def test_a_store_can_be_used_from_several_threads() -> None:
    instance = wasmkit.load(APP, imports={"env": {"scale": lambda x, k: 0.0, "now": lambda: 0, "peek": lambda a: 0}})
    results: list[int] = []

    def work() -> None:
        for _ in range(20):
            results.append(instance.exports.sum(1000))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [500500] * 80


def test_awaitable_calls_run_off_the_event_loop() -> None:
    instance = wasmkit.load(APP, imports={"env": {"scale": lambda x, k: 0.0, "now": lambda: 0, "peek": lambda a: 0}})

    async def main() -> list[int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        results = await asyncio.gather(*(instance.exports.sum.call_async(20000) for _ in range(3)))
        task.cancel()
        assert ticks > 0
        return list(results)

    assert asyncio.run(main()) == [200010000] * 3


@pytest.mark.parametrize(
    "prefix", ["", ";; a line comment\n", "  \n\t", "(; a (; nested ;) block comment ;)\n"]
)
def test_load_tells_wat_text_from_a_path_by_content(prefix: str) -> None:
    wat = prefix + '(module (func (export "one") (result i32) (i32.const 1)))'
    assert wasmkit.load(wat).exports.one() == 1
    assert wasmkit.load(wat.encode()).exports.one() == 1


def test_load_reads_paths_given_as_str_bytes_or_pathlike() -> None:
    source = (PROJECT_ROOT / "examples" / "fib.wat").read_text()
    assert source.startswith(";;")  # the example that was taken for a path
    assert wasmkit.load(source).exports.fib(10) == 55
    path = PROJECT_ROOT / "examples" / "fib.wasm"
    for given in (path, str(path), bytes(path)):
        assert wasmkit.load(given).exports.fib(10) == 55


def test_load_says_when_a_path_does_not_exist_or_bytes_are_no_module() -> None:
    with pytest.raises(FileNotFoundError, match="no such module file") as caught:
        wasmkit.load("missing/fib.wasm")
    assert caught.value.filename == "missing/fib.wasm"
    with pytest.raises(wasmkit.DecodeError, match="magic header not detected"):
        wasmkit.load(b"\0asx\1\0\0\0")


SPIN = '(module (func (export "spin") (loop (br 0))) (func (export "one") (result i32) (i32.const 1)))'


def run_bounded(main: Callable[[], Coroutine[Any, Any, Any]], timeout: float = 60) -> Any:
    """asyncio.run(main()) on a daemon thread, failing (instead of hanging the test run) if it
    has not finished after `timeout` seconds: the bug these tests guard against is a hang."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("value", asyncio.run(main())))
        except BaseException as err:  # handed to the test's thread
            outcome.append(("error", err))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert outcome, f"still running after {timeout} s"
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value


@pytest.mark.parametrize(("engine", "interruptible"), [("python", False), ("python", True), ("native", True)])
def test_cancelling_call_async_stops_the_call_and_frees_the_store(engine: str, interruptible: bool) -> None:
    if engine == "native":
        pytest.importorskip("llvmlite")
    store = wasmkit.Store(engine, interruptible=interruptible)
    exports = wasmkit.load(SPIN, store=store).exports

    async def main() -> int:
        task = asyncio.create_task(exports.spin.call_async())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await asyncio.wait_for(exports.one.call_async(), timeout=10)

    assert run_bounded(main) == 1
    assert store.lock.acquire(timeout=10)  # nothing holds the store any more
    store.lock.release()
    assert exports.one() == 1


def test_cancelling_a_call_that_waits_for_the_store_interrupts_no_other() -> None:
    store = wasmkit.Store(interruptible=True)
    marks: list[str] = []
    wat = """(module (import "env" "wait" (func $wait)) (import "env" "mark" (func $mark))
      (func (export "slow") (result i32) (call $wait) (loop (br_if 0 (i32.const 0))) (i32.const 7))
      (func (export "marked") (call $mark)))"""
    imports = {"env": {"wait": lambda: time.sleep(0.5), "mark": lambda: marks.append("ran")}}
    exports = wasmkit.load(wat, imports, store=store).exports

    async def main() -> int:
        slow = asyncio.create_task(exports.slow.call_async())
        await asyncio.sleep(0.1)  # slow holds the store
        waiting = asyncio.create_task(exports.marked.call_async())
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return await slow

    assert run_bounded(main) == 7
    time.sleep(0.2)
    assert marks == []
