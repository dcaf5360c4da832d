"""The native engine's stack limit follows the real stack of the thread it runs on: runaway
recursion traps "call stack exhausted" and the process lives, however the stack is sized and
however calls into native code are nested. Each case runs in a subprocess, because the failure
it guards against is a segfault."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("llvmlite")

# Five instances chained through host functions: each recurses `depth` levels, then its host
# function calls the next instance (about 1.2 MiB of native stack each on x86-64).
CHAINED = """
import wasmkit
WAT = '''
(module
  (import "env" "next" (func $next (param i32) (result i32)))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $next (i32.const 0)))
      (else (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))
'''
module = wasmkit.Module(WAT)
store = wasmkit.Store("native")
instances = []

def next_of(i):
    def call_next(_):
        return instances[i + 1].exports.down(1_500_000) if i + 1 < 8 else 0
    return call_next

for i in range(8):
    host = wasmkit.Func.host(wasmkit.FuncType((wasmkit.ValType.I32,), (wasmkit.ValType.I32,)), next_of(i))
    instances.append(wasmkit.Instance(module, {"env": {"next": host}}, store=store))
try:
    instances[0].exports.down(1_500_000)
except wasmkit.Trap as trap:
    print(trap)
print(instances[-1].exports.down(10))
"""

# Unbounded recursion that calls a host function at every level, which itself calls another
# instance: the deepest frames call out to Python just above the limit (and the other
# instance traps there at once).
RECURSION = """
import sys, threading, wasmkit
store = wasmkit.Store("native")
other = wasmkit.Instance(wasmkit.Module(
    '(module (func (export "d") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))'), store=store)

def host(x):
    try:
        other.exports.d(x)
    except wasmkit.Trap:
        pass
    return len(repr([x, str(x)]))

WAT = '''
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func $down (export "down") (param i32) (result i32)
    (drop (call $host (local.get 0)))
    (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
'''
typ = wasmkit.FuncType((wasmkit.ValType.I32,), (wasmkit.ValType.I32,))
instance = wasmkit.Instance(wasmkit.Module(WAT), {"env": {"host": wasmkit.Func.host(typ, host)}}, store=store)
caught = []

def run():
    try:
        instance.exports.down(0)
    except wasmkit.Trap as trap:
        caught.append(str(trap))

if len(sys.argv) > 1:
    threading.stack_size(int(sys.argv[1]))
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
else:
    run()
print(*caught)
"""


def run_python(source: str, *args: str, stack_rlimit: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run `source` in a fresh interpreter (with the main thread's stack limited to
    `stack_rlimit` bytes if given), memory and time bounded."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4_000_000_000, 4_000_000_000))
        if stack_rlimit is not None:
            resource.setrlimit(resource.RLIMIT_STACK, (stack_rlimit, stack_rlimit))

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source), *args],
        capture_output=True, text=True, timeout=120, preexec_fn=limit,
    )  # fmt: skip


def assert_trapped(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert result.stdout.splitlines()[0] == "call stack exhausted", result.stdout


# Each instance recurses 1.5 million deep: 48 MiB of 32-byte frames, within the 64 MiB budget
# alone; eight of them chained would pass the wasm thread's 256 MiB of stack. The chain traps
# (in the second instance, at the limit the outermost entry set) and the instances run after.
def test_instances_chained_through_host_functions_share_one_limit() -> None:
    result = run_python(CHAINED)
    assert_trapped(result)
    assert result.stdout.splitlines()[1] == "10"  # and the instances still run


def test_recursion_on_a_thread_with_a_small_stack() -> None:
    assert_trapped(run_python(RECURSION, str(1024 * 1024)))


def test_recursion_under_a_low_stack_rlimit() -> None:
    assert_trapped(run_python(RECURSION, stack_rlimit=1536 * 1024))
