"""The threads proposal on the Python engine, where the spec tests cannot reach: several Python
threads running wasm on one shared memory (read-modify-writes stay exact, waits and notifies
meet), timeouts, traps, and a wait that its store's interruption or a cancelled call stops."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from wasmkit import Instance, Limits, Memory, MemoryType, Module, Store, Trap, TrapKind
from wasmkit.engine.python import atomics, compiler
from wasmkit.opcodes import ALL, Feature

THREADS = 4

COUNTER = """
(module
  (import "env" "memory" (memory 1 1 shared))
  ;; n times: add 1 to the i32 at 0, and 1 to the i64 at 8 by a compare-exchange loop
  (func (export "count") (param $n i32) (local $old i64)
    (loop $again
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (loop $retry
        (local.set $old (i64.atomic.load (i32.const 8)))
        (br_if $retry (i64.ne (local.get $old)
          (i64.atomic.rmw.cmpxchg (i32.const 8) (local.get $old) (i64.add (local.get $old) (i64.const 1))))))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
"""

WAITING = """
(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "store_and_notify") (param $address i32) (param $value i32) (result i32)
    (i32.atomic.store (local.get $address) (local.get $value))
    (memory.atomic.notify (local.get $address) (i32.const -1))))
"""

FOREVER = -1  # a negative timeout: no timeout


def _shared(pages: int = 1, maximum: int = 1) -> Memory:
    return Memory(MemoryType(Limits(pages, maximum), shared=True))


def _instance(source: str, memory: Memory, store: Store | None = None) -> Instance:
    """An instance of `source` in a store of its own (one store per thread, as in wasmtime)."""
    return Instance(Module(source), {"env": {"memory": memory}}, store=store or Store())


@pytest.fixture
def frequent_switches() -> Iterator[None]:
    """Make CPython switch threads every microsecond, so that a read-modify-write that were not
    atomic would lose updates at once."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _run_threads(target: Callable[[], object], count: int = THREADS) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as err:  # noqa: B036 - reported by the test
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def _until(condition: Callable[[], bool]) -> None:
    """Wait (up to a minute) until `condition()` holds."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.001)


def test_read_modify_writes_from_many_threads_add_up_exactly(frequent_switches: None) -> None:
    memory = _shared()
    module = Module(COUNTER)
    each = 3000
    _run_threads(lambda: Instance(module, {"env": {"memory": memory}}, store=Store()).exports.count(each))
    assert memory.typed("I")[0] == THREADS * each
    assert memory.typed("Q")[1] == THREADS * each


def test_a_notify_wakes_the_thread_waiting_at_its_address() -> None:
    memory = _shared()
    results: list[int] = []
    waiter = threading.Thread(target=lambda: results.append(_instance(WAITING, memory).exports.wait32(16, 0, FOREVER)))
    waiter.start()
    _until(lambda: memory.sync.waiting(16) == 1)
    notifier = _instance(WAITING, memory)
    assert notifier.exports.notify(20, 1) == 0  # another address wakes no one
    assert notifier.exports.store_and_notify(16, 7) == 1
    waiter.join(timeout=60)
    assert results == [0]  # "ok": woken
    assert memory.typed("I")[4] == 7


def test_notify_wakes_at_most_count_waiters_and_says_how_many() -> None:
    memory = _shared()
    results: list[int] = []
    waiters = [
        threading.Thread(target=lambda: results.append(_instance(WAITING, memory).exports.wait64(8, 0, FOREVER)))
        for _ in range(3)
    ]
    for thread in waiters:
        thread.start()
    _until(lambda: memory.sync.waiting(8) == 3)
    notifier = _instance(WAITING, memory)
    assert notifier.exports.notify(8, 2) == 2
    assert notifier.exports.notify(8, 10) == 1
    assert notifier.exports.notify(8, 10) == 0
    for thread in waiters:
        thread.join(timeout=60)
    assert results == [0, 0, 0]


def test_a_wait_returns_not_equal_or_timed_out() -> None:
    memory = _shared()
    memory.write(0, (5).to_bytes(8, "little"))
    exports = _instance(WAITING, memory).exports
    assert exports.wait32(0, 4, FOREVER) == 1  # the value differs: "not-equal", at once
    assert exports.wait64(0, 4, FOREVER) == 1
    assert exports.wait32(0, 5, 0) == 2  # "timed-out"
    assert exports.wait64(0, 5, 20_000_000) == 2  # 20 ms
    assert memory.sync.waiting(0) == 0


def test_atomic_accesses_trap_where_the_spec_says() -> None:
    exports = _instance(WAITING, _shared()).exports
    traps = {
        "unaligned atomic memory access": [lambda: exports.wait32(2, 0, 0), lambda: exports.notify(65537, 1)],
        "out of bounds memory access": [lambda: exports.wait32(65536, 0, 0), lambda: exports.wait64(65536, 0, 0),
                                        lambda: exports.notify(65536, 1), lambda: exports.store_and_notify(65536, 1)],
    }  # fmt: skip
    for message, calls in traps.items():
        for call in calls:
            with pytest.raises(Trap) as trap:
                call()
            assert trap.value.message == message
    offset = Instance(Module(
        '(module (memory 1) (func (export "f") (param i32) (result i32) (i32.atomic.load offset=1 (local.get 0))))'
    )).exports  # fmt: skip
    with pytest.raises(Trap) as trap:
        offset.f(0)  # the effective address (0 + 1) is what must be aligned
    assert trap.value.kind is TrapKind.UNALIGNED_ATOMIC
    assert offset.f(3) == 0


def test_atomics_work_on_an_unshared_memory_where_waiting_traps() -> None:
    exports = Instance(Module("""
      (module (memory 1 1)
        (func (export "add") (param i32) (result i32) (i32.atomic.rmw.add (i32.const 0) (local.get 0)))
        (func (export "wait") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
        (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1))))
    """)).exports  # fmt: skip
    assert exports.add(5) == 0 and exports.add(1) == 5
    assert exports.notify() == 0
    with pytest.raises(Trap) as trap:
        exports.wait()
    assert trap.value.message == "expected shared memory" and trap.value.kind is TrapKind.UNSHARED_WAIT


def test_a_wait_without_timeout_stops_at_the_stores_deadline() -> None:
    memory = _shared()
    store = Store(interruptible=True)
    exports = _instance(WAITING, memory, store).exports
    store.set_deadline(0.2)
    with pytest.raises(Trap) as trap:
        exports.wait32(0, 0, FOREVER)
    assert trap.value.kind is TrapKind.INTERRUPTED
    assert memory.sync.waiting(0) == 0  # it left the queue


def test_a_wait_stops_when_its_store_is_interrupted_from_another_thread() -> None:
    memory = _shared()
    store = Store(interruptible=True)
    exports = _instance(WAITING, memory, store).exports
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            exports.wait64(0, 0, FOREVER)
        except Trap as trap:
            outcome.append(trap)

    waiter = threading.Thread(target=wait)
    waiter.start()
    _until(lambda: memory.sync.waiting(0) == 1)
    store.interrupt()
    waiter.join(timeout=60)
    assert [trap.kind for trap in outcome] == [TrapKind.INTERRUPTED]  # type: ignore[attr-defined]
    assert memory.sync.waiting(0) == 0


def test_cancelling_a_call_stops_its_wait_in_a_store_without_interruption() -> None:
    memory = _shared()
    exports = _instance(WAITING, memory).exports

    async def cancel_while_waiting() -> None:
        task = asyncio.ensure_future(exports.wait32.call_async(0, 0, FOREVER))
        while memory.sync.waiting(0) == 0:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_while_waiting())
    _until(lambda: memory.sync.waiting(0) == 0)  # the wasm thread stopped waiting


def test_threads_growing_a_shared_memory_each_get_their_own_old_size() -> None:
    memory = _shared(1, 100)
    module = Module("""
      (module (import "env" "memory" (memory 1 100 shared))
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
    """)  # fmt: skip
    old_sizes: list[int] = []

    def grow() -> None:
        exports = Instance(module, {"env": {"memory": memory}}, store=Store()).exports
        old_sizes.extend(exports.grow(1) for _ in range(20))

    _run_threads(grow)
    assert memory.pages == 1 + 20 * THREADS
    assert sorted(old_sizes) == list(range(1, 1 + 20 * THREADS))


def test_both_engines_compile_every_threads_instruction() -> None:
    threads = [op for op in ALL if op.feature is Feature.THREADS]
    assert [op.name for op in threads if not compiler.handles(op)] == []
    assert len(atomics.FUNCTIONS) == len(threads) - 1  # a helper each, but for atomic.fence
    pytest.importorskip("llvmlite")
    from wasmkit.engine.native import lower

    assert [op.name for op in threads if not lower.handles(op)] == []


def test_atomics_address_any_memory_and_64_bit_memories() -> None:
    """With multi-memory and memory64, an atomic instruction reaches the memory its memarg
    names, by i64 addresses in a 64-bit one (shared there too)."""
    exports = Instance(Module("""
      (module (memory $a 1) (memory $b i64 1 1 shared)
        (func (export "add_b") (param i64 i32) (result i32) (i32.atomic.rmw.add $b (local.get 0) (local.get 1)))
        (func (export "load_a") (param i32) (result i32) (i32.atomic.load $a (local.get 0)))
        (func (export "load_b") (param i64) (result i32) (i32.atomic.load $b offset=4 (local.get 0)))
        (func (export "wait_b") (param i64) (result i32) (memory.atomic.wait32 $b (local.get 0) (i32.const 1) (i64.const 0))))
    """)).exports  # fmt: skip
    assert exports.add_b(8, 5) == 0 and exports.add_b(8, 2) == 5
    assert exports.load_b(4) == 7 and exports.load_a(8) == 0  # memory $a is untouched
    assert exports.wait_b(0) == 1  # not equal: the wait reaches the shared 64-bit memory
    for address in (65536, 1 << 40, (1 << 64) - 8):
        with pytest.raises(Trap) as trap:
            exports.load_b(address)
        assert trap.value.kind is TrapKind.OUT_OF_BOUNDS_MEMORY
