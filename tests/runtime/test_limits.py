"""Fuel, interruption, deadlines and resource caps, per store."""

from __future__ import annotations

import threading
import time

import pytest

import wasmkit

from tests.support import require_shared
from wasmkit import Trap, TrapKind
from wasmkit.opcodes import WASM_2_0
from wasmkit.script.runner import ScriptRunner
from wasmkit.text import parse_script

WAT = """
(module
  (func (export "count") (param i32) (result i32) (local i32)
    (loop (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "forever") (loop (br 0)))
  (func $deep (export "deep") (call $deep)))
"""


def test_fuel_runs_out_with_a_trap_and_can_be_refilled() -> None:
    store = wasmkit.Store(fuel=500)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    assert exports.count(10) == 10
    used = 500 - store.fuel
    assert 10 < used < 200
    with pytest.raises(Trap) as info:
        exports.count(1_000_000)
    assert info.value.kind is TrapKind.OUT_OF_FUEL and info.value.message == "out of fuel"
    assert store.fuel == 0
    store.add_fuel(1000)
    assert exports.count(5) == 5


def test_fuel_stops_runaway_recursion_and_loops() -> None:
    store = wasmkit.Store(fuel=10_000)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    with pytest.raises(Trap, match="out of fuel"):
        exports.forever()


def test_interrupt_from_another_thread() -> None:
    store = wasmkit.Store(interruptible=True)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    threading.Timer(0.1, store.interrupt).start()
    with pytest.raises(Trap) as info:
        exports.forever()
    assert info.value.kind is TrapKind.INTERRUPTED
    assert exports.count(3) == 3  # the next call runs


def test_deadline() -> None:
    store = wasmkit.Store(interruptible=True)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    store.set_deadline(0.1)
    start = time.monotonic()
    with pytest.raises(Trap, match="interrupted"):
        exports.forever()
    assert time.monotonic() - start < 5


def test_limits_must_be_asked_for() -> None:
    store = wasmkit.Store()
    with pytest.raises(ValueError, match="fuel"):
        store.set_fuel(10)
    with pytest.raises(ValueError, match="interrupted"):
        store.interrupt()


def test_unlimited_stores_run_code_without_checks() -> None:
    module = wasmkit.Module(WAT)
    plain = module.compiled(wasmkit.Store().engine, False).source  # type: ignore[attr-defined]
    metered = module.compiled(wasmkit.Store().engine, True).source  # type: ignore[attr-defined]
    assert "METER" not in plain and "METER" in metered


def test_table_cap() -> None:
    store = wasmkit.Store(limits=wasmkit.StoreLimits(table_elements=4))
    module = wasmkit.Module('(module (table 1 funcref) (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))')
    exports = wasmkit.Instance(module, store=store).exports
    assert exports.grow(3) == 1
    assert exports.grow(1) == -1


def test_memory_cap() -> None:
    store = wasmkit.Store(limits=wasmkit.StoreLimits(memory_bytes=3 * 65536))
    module = wasmkit.Module('(module (memory 2) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))')
    exports = wasmkit.Instance(module, store=store).exports
    assert exports.grow(2) == -1
    assert exports.grow(1) == 2
    too_big = wasmkit.Module("(module (memory 4))")
    with pytest.raises(wasmkit.LinkError, match="memory of 4 pages exceeds the limit of 196608 bytes"):
        wasmkit.Instance(too_big, store=store)


@pytest.mark.parametrize("name", ["block", "br", "br_if", "br_table", "loop", "if", "call_indirect", "fac", "unwind", "stack"])
@pytest.mark.parametrize("engine", ["python", "native"])
def test_metered_code_passes_the_control_flow_scripts(name: str, engine: str) -> None:
    script = require_shared("spec", "wasm-2.0", f"{name}.wast")
    if engine == "native":
        pytest.importorskip("llvmlite")
    commands = parse_script(script.read_text(), name)
    failures = [o for o in ScriptRunner(engine, metered=True, features=WASM_2_0).run(commands) if not o.passed]
    assert not failures


def test_maximum_call_depth() -> None:
    module = wasmkit.Module(
        '(module (func $down (export "down") (param i32) (result i32)'
        ' (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))'
        ' (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))'
    )
    store = wasmkit.Store(limits=wasmkit.StoreLimits(max_call_depth=100))
    down = wasmkit.Instance(module, store=store).exports.down
    assert down(98) == 98
    with pytest.raises(Trap) as info:
        down(150)
    assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
    assert down(50) == 50  # the depth count unwound with the trap


def test_an_interrupt_while_idle_does_not_reach_later_calls() -> None:
    store = wasmkit.Store(interruptible=True)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    store.interrupt()
    assert exports.count(3) == 3
    assert exports.count(4) == 4


def test_a_deadline_lasts_until_it_is_set_again() -> None:
    store = wasmkit.Store(interruptible=True)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    store.set_deadline(0.05)
    assert exports.count(3) == 3  # well before the deadline
    time.sleep(0.2)  # the deadline passes while the store is idle
    with pytest.raises(Trap, match="interrupted"):
        exports.count(3)  # as with wasmtime's epoch deadline: calls after it trap
    store.set_deadline(None)
    assert exports.count(3) == 3
    store.set_deadline(0.05)
    time.sleep(0.2)
    store.set_deadline(30)  # a new deadline for the next piece of work
    assert exports.count(3) == 3


def test_a_deadline_of_zero_stops_the_running_call_and_later_ones() -> None:
    store = wasmkit.Store(interruptible=True)
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=store).exports
    threading.Timer(0.1, store.set_deadline, (0,)).start()
    with pytest.raises(Trap, match="interrupted"):
        exports.forever()
    with pytest.raises(Trap, match="interrupted"):
        exports.count(3)


def test_long_host_functions_can_check_for_an_interrupt() -> None:
    store = wasmkit.Store(interruptible=True)

    def wait_for_stop() -> None:
        while True:
            store.check_interrupt()
            time.sleep(0.01)

    wat = '(module (import "env" "wait" (func $wait)) (func (export "run") (call $wait)))'
    exports = wasmkit.load(wat, {"env": {"wait": wait_for_stop}}, store=store).exports
    threading.Timer(0.1, store.interrupt).start()
    with pytest.raises(Trap, match="interrupted"):
        exports.run()
    store.check_interrupt()  # idle, nothing asked: no trap
