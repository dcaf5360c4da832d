"""wasm needs a raised recursion limit while it runs, and only then: afterwards runaway
recursion through C code must still be a RecursionError, not a segfault. Each case runs in a
subprocess, because the failure it guards against kills the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import wasmkit
from wasmkit import FuncType, ValType

PRELUDE = """
import sys, wasmkit
WAT = '''(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func $runaway (export "runaway") (param i32) (result i32) (call $runaway (local.get 0)))
  (func (export "call_host") (param i32) (result i32) (call $host (local.get 0)))
  (func (export "spin") (loop (br 0))))'''

def through_map(x):
    return sum(map(through_map, [x]))

def through_sorted(x):
    return sorted([x], key=through_sorted)

def runaway_in_c(recurse):
    try:
        recurse(1)
    except RecursionError:
        return "RecursionError"
"""


def run(script: str) -> str:
    """Run `script` after PRELUDE in a fresh interpreter; its stdout (it must exit with 0)."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"exit status {done.returncode}: {done.stderr[-2000:]}"
    return done.stdout


def test_the_limit_is_as_the_caller_left_it_after_calls_and_traps() -> None:
    out = run(
        """
        before = sys.getrecursionlimit()
        exports = wasmkit.load(WAT, {"env": {"host": lambda x: x}}).exports
        assert exports.down(20_000) == 20_000
        try:
            exports.runaway(0)
        except wasmkit.Trap as trap:
            print(trap.kind.name)
        print(sys.getrecursionlimit() == before)
        print(runaway_in_c(through_map), runaway_in_c(through_sorted))
        """
    )
    assert out.split() == ["CALL_STACK_EXHAUSTED", "True", "RecursionError", "RecursionError"]


def test_a_higher_limit_set_by_the_caller_is_kept() -> None:
    out = run(
        """
        sys.setrecursionlimit(80_000)
        wasmkit.load(WAT, {"env": {"host": lambda x: x}}).exports.down(10)
        print(sys.getrecursionlimit())
        """
    )
    assert out.split() == ["80000"]


def test_host_functions_recursing_through_c_get_a_recursion_error() -> None:
    out = run(
        """
        def host(which):
            return len(runaway_in_c(through_sorted if which else through_map))
        exports = wasmkit.load(WAT, {"env": {"host": host}}).exports
        print(exports.call_host(0), exports.call_host(1))
        """
    )
    assert out.split() == ["14", "14"]


def test_ctrl_c_stops_wasm_code_and_the_limit_is_put_back() -> None:
    out = run(
        """
        import os, signal, threading
        before = sys.getrecursionlimit()
        exports = wasmkit.load(WAT, {"env": {"host": lambda x: x}}).exports
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            exports.spin()
        except KeyboardInterrupt:
            print("KeyboardInterrupt")
        print(sys.getrecursionlimit() == before, exports.down(100))
        """
    )
    assert out.split() == ["KeyboardInterrupt", "True", "100"]


def test_calls_that_cannot_nest_run_on_the_callers_thread() -> None:
    caller = threading.get_ident()
    here = wasmkit.Func.host(FuncType((), (ValType.I32,)), lambda: int(threading.get_ident() == caller))
    wat = '(module (import "env" "here" (func $here (result i32))) (func (export "nested") (result i32) (call $here)))'
    exports = wasmkit.load(wat, {"env": {"here": here}}).exports
    assert here() == 1  # a host function called from Python: on the caller's thread
    assert exports.nested() == 0  # a wasm function that calls: on a wasm thread
