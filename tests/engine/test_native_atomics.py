"""The threads proposal on the native engine beside the Python engine: every atomic access
(the instruction table gives the list) gives the same results, traps and bytes on both; waits
time out, say "not equal" and are woken with the right counts, across engines; native code
sees a shared memory grown by another thread at once; and native and Python-engine threads
adding to one shared memory at the same moment, the native one with the GIL released, lose
no update."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tests.engine.test_atomics import COUNTER, WAITING
from wasmkit import Instance, Limits, Memory, MemoryType, Module, Store, Trap, TrapKind, ValType
from wasmkit.opcodes import ALL, Feature, Imm, Op

pytest.importorskip("llvmlite")

PAGE = 65536
FOREVER = -1  # a negative timeout: no timeout
# The atomic loads, stores, read-modify-writes and compare-exchanges (wait and notify below).
ACCESSES = [op for op in ALL if op.feature is Feature.THREADS and op.imm is Imm.MEMARG and not op.name.startswith("memory.")]
# What memory holds before each access: every byte different, high bits set here and there.
PATTERN = bytes((37 * i + 0x81) & 0xFF for i in range(64))
OPERANDS = {
    ValType.I32: [0, 1, -1, 0x7FFF_FFFF, -0x8000_0000, 0x1234_5678],
    ValType.I64: [0, 1, -1, 0x7FFF_FFFF_FFFF_FFFF, -0x8000_0000_0000_0000, 0x1234_5678_9ABC_DEF0],
}


def _access_module(op: Op, offset: int) -> str:
    """A module whose "f" runs `op` at (address + offset) on its operands, after a data
    segment of PATTERN at 0 and at the memory's end."""
    params = " ".join(t.name.lower() for t in op.params or ())
    results = " ".join(t.name.lower() for t in op.results or ())
    operands = " ".join(f"(local.get {i})" for i in range(len(op.params or ())))
    result = f"(result {results})" if results else ""
    escaped = "".join(f"\\{b:02x}" for b in PATTERN)
    return f"""(module (memory 1 1 shared)
      (data (i32.const 0) "{escaped}")
      (data (i32.const {PAGE - len(PATTERN)}) "{escaped}")
      (func (export "f") (param {params}) {result} ({op.name} offset={offset} {operands})))"""


def _outcome(instance: Instance, args: tuple[int, ...]) -> tuple[object, bytes, bytes]:
    """What the call gives (its result or trap message) and the bytes at both ends of memory."""
    memory = instance.mems[0]
    try:
        result: object = instance.exports.f(*args)
    except Trap as trap:
        result = trap.message
    return result, memory.read(0, len(PATTERN)), memory.read(PAGE - len(PATTERN), len(PATTERN))


def _cases(op: Op) -> list[tuple[int, ...]]:
    """Addresses (aligned, unaligned, at the end, past it) with operands for `op`; a
    compare-exchange also expects what memory holds (as the access width sees it)."""
    width = op.width
    addresses = [0, 8, 16 + width, PAGE - width, PAGE, PAGE - width + 1 if width > 1 else PAGE + 1, 1 if width > 1 else 3]
    operand_types = list(op.params or ())[1:]
    values = OPERANDS[operand_types[0]] if operand_types else [0]
    cases: list[tuple[int, ...]] = []
    for address in addresses:
        for value in values:
            if len(operand_types) == 2:  # cmpxchg: the value there (swapped), then another one
                held = int.from_bytes(PATTERN[address % 64 : address % 64 + width], "little") if address < 32 else 0
                if operand_types[0] is ValType.I32 and held >= 1 << 31:
                    held -= 1 << 32
                if operand_types[0] is ValType.I64 and held >= 1 << 63:
                    held -= 1 << 64
                cases += [(address, held, value), (address, held | (-1 << 8 * width) if width < 4 else held, value), (address, value, 5)]
            elif operand_types:
                cases.append((address, value))
            else:
                cases.append((address,))
                break
    return cases


@pytest.mark.parametrize("op", ACCESSES, ids=lambda op: op.name)
def test_every_atomic_access_gives_what_the_python_engine_gives(op: Op) -> None:
    for offset in (0, 4):
        module = Module(_access_module(op, offset))
        for args in _cases(op):
            native = Instance(module, store=Store("native"))
            python = Instance(module, store=Store("python"))
            assert _outcome(native, args) == _outcome(python, args), (op.name, offset, args)


SEVERAL_MEMORIES = """(module (memory i64 1) (memory $b 1 1 shared)
  (func (export "add") (param i64 i64) (result i64) (i64.atomic.rmw.add offset=8 (local.get 0) (local.get 1)))
  (func (export "add8") (param i32 i32) (result i32) (i32.atomic.rmw8.add_u $b (local.get 0) (local.get 1)))
  (func (export "wait") (param i32) (result i32) (memory.atomic.wait32 $b (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "notify") (param i32) (result i32) (memory.atomic.notify $b (local.get 0) (i32.const 1))))"""


def test_atomics_on_a_64_bit_memory_and_a_second_memory_give_what_the_python_engine_gives() -> None:
    module = Module(SEVERAL_MEMORIES)
    calls = [
        ("add", 0, 5), ("add", 0, 7), ("add", PAGE - 16, 1), ("add", PAGE - 15, 1), ("add", PAGE - 8, 1), ("add", -8, 1),
        ("add8", 3, 300), ("add8", 3, 1), ("add8", PAGE, 1),
        ("wait", 4), ("wait", 2), ("wait", PAGE), ("notify", 8), ("notify", 6), ("notify", PAGE),
    ]  # fmt: skip
    outcomes = {}
    for engine in ("native", "python"):
        exports = Instance(module, store=Store(engine)).exports
        outcome: list[object] = []
        for name, *args in calls:
            try:
                outcome.append(getattr(exports, str(name))(*args))
            except Trap as trap:
                outcome.append(trap.message)
        outcomes[engine] = outcome
    assert outcomes["native"] == outcomes["python"]
    assert outcomes["native"][:3] == [0, 5, 0] and outcomes["native"][9] == 2  # added; a wait timed out


def test_unaligned_and_out_of_bounds_atomic_accesses_trap_in_that_order() -> None:
    exports = Instance(Module("""(module (memory 1 1 shared)
      (func (export "load") (param i32) (result i64) (i64.atomic.load offset=2 (local.get 0)))
      (func (export "add") (param i32) (result i32) (i32.atomic.rmw16.add_u (local.get 0) (i32.const 1))))"""),
        store=Store("native")).exports  # fmt: skip
    traps = {
        "unaligned atomic memory access": [lambda: exports.load(0), lambda: exports.load(PAGE + 3), lambda: exports.add(-1)],
        "out of bounds memory access": [lambda: exports.load(PAGE - 2), lambda: exports.add(PAGE)],
    }  # fmt: skip
    for message, calls in traps.items():
        for call in calls:
            with pytest.raises(Trap) as trap:
                call()
            assert trap.value.message == message
    assert exports.load(6) == 0 and exports.add(PAGE - 2) == 0


def _shared(pages: int = 1, maximum: int = 1) -> Memory:
    return Memory(MemoryType(Limits(pages, maximum), shared=True))


def _instance(source: str, memory: Memory, engine: str = "native", store: Store | None = None) -> Instance:
    """An instance of `source` in a store of its own (one store per thread, as in wasmtime)."""
    return Instance(Module(source), {"env": {"memory": memory}}, store=store or Store(engine))


def _until(condition: Callable[[], bool]) -> None:
    """Wait (up to a minute) until `condition()` holds."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.001)


def test_a_native_wait_returns_not_equal_or_timed_out() -> None:
    memory = _shared()
    memory.write(0, (5).to_bytes(8, "little"))
    exports = _instance(WAITING, memory).exports
    assert exports.wait32(0, 4, FOREVER) == 1  # the value differs: "not-equal", at once
    assert exports.wait64(0, 4, FOREVER) == 1
    assert exports.wait32(0, 5, 0) == 2  # "timed-out"
    assert exports.wait64(0, 5, 20_000_000) == 2  # 20 ms
    assert exports.wait64(0, 5 + (1 << 32), 0) == 1  # all 64 bits are compared
    assert memory.sync.waiting(0) == 0


@pytest.mark.parametrize("waiter_engine, notifier_engine", [("native", "native"), ("native", "python"), ("python", "native")])
def test_notify_wakes_at_most_count_waiters_across_engines(waiter_engine: str, notifier_engine: str) -> None:
    memory = _shared()
    results: list[int] = []
    waiters = [
        threading.Thread(target=lambda: results.append(_instance(WAITING, memory, waiter_engine).exports.wait64(8, 0, FOREVER)))
        for _ in range(3)
    ]
    for thread in waiters:
        thread.start()
    _until(lambda: memory.sync.waiting(8) == 3)
    notifier = _instance(WAITING, memory, notifier_engine).exports
    assert notifier.notify(12, 5) == 0  # another address wakes no one
    assert notifier.notify(8, 2) == 2
    assert notifier.notify(8, 10) == 1
    assert notifier.notify(8, 10) == 0
    for thread in waiters:
        thread.join(timeout=60)
    assert results == [0, 0, 0]


def test_a_native_wait_traps_on_an_unshared_memory_and_stops_at_its_stores_deadline() -> None:
    unshared = Instance(Module("""(module (memory 1 1)
      (func (export "wait") (param i32) (result i32) (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0)))
      (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1))))"""),
        store=Store("native")).exports  # fmt: skip
    for address, message in ((0, "expected shared memory"), (2, "unaligned atomic memory access"), (PAGE, "expected shared memory")):
        with pytest.raises(Trap) as trap:
            unshared.wait(address)
        assert trap.value.message == message
    assert unshared.notify() == 0
    memory = _shared()
    store = Store("native", interruptible=True)
    exports = _instance(WAITING, memory, store=store).exports
    store.set_deadline(0.2)
    with pytest.raises(Trap) as interrupted:
        exports.wait32(0, 0, FOREVER)
    assert interrupted.value.kind is TrapKind.INTERRUPTED
    assert memory.sync.waiting(0) == 0  # it left the queue


def test_native_code_sees_a_shared_memory_grown_by_another_thread_at_once() -> None:
    # Spins (without a call, which would reload the size) until memory grows, then loads there.
    memory = _shared(1, 2)
    exports = _instance("""(module (import "env" "memory" (memory 1 2 shared))
      (func (export "spin") (result i32) (local $n i32)
        (i32.atomic.store (i32.const 0) (i32.const 1))
        (loop $spin
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $spin (i32.and (i32.eq (memory.size) (i32.const 1)) (i32.ne (local.get $n) (i32.const 0x7fffffff)))))
        (i32.load (i32.const 65536))))""", memory).exports  # fmt: skip
    results: list[object] = []

    def spin() -> None:
        try:
            results.append(exports.spin())
        except Trap as trap:
            results.append(trap.message)

    spinner = threading.Thread(target=spin)
    spinner.start()
    _until(lambda: memory.read(0, 1) == b"\x01")  # native code runs, and the GIL is free
    assert memory.grow(1) == 1
    spinner.join(timeout=60)
    assert results == [0]


def test_native_and_python_threads_adding_at_once_lose_nothing() -> None:
    memory = _shared()
    module = Module(COUNTER)
    python = Instance(module, {"env": {"memory": memory}}, store=Store("python")).exports
    native = Instance(module, {"env": {"memory": memory}}, store=Store("native")).exports
    python_adds, native_batch = 20_000, 10_000
    native_batches = 0
    python_done = threading.Event()
    errors: list[BaseException] = []

    def run_native() -> None:  # adds in batches until the Python thread is done, and a last one
        nonlocal native_batches
        try:
            while True:
                done = python_done.is_set()
                native.count(native_batch)
                native_batches += 1
                if done:
                    return
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    worker = threading.Thread(target=run_native)
    worker.start()
    try:
        python.count(python_adds)
    finally:
        python_done.set()
        worker.join(timeout=120)
    assert not errors and native_batches >= 2
    total = python_adds + native_batches * native_batch
    assert memory.typed("I")[0] == total
    assert memory.typed("Q")[1] == total
