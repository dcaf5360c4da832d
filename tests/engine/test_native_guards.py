"""Guard regions: native code leaves out the bounds check of a 32-bit memory's loads and
stores, and an access out of bounds faults in the memory's reservation, which becomes the same
trap as a check's (runtime.guard_pages, engine.native.faults). What must hold: every access
past the size traps, at every width and offset, after growth, from nested entries and from
several threads at once; the memory past its size is really inaccessible; a fault that is not
wasm's still kills the process as it would without wasmkit; and where guard regions are off
(a limited address space, $WASMKIT_GUARD_PAGES=off), the checks are back."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

import wasmkit
from wasmkit.runtime import guard_pages

pytest.importorskip("llvmlite")

pytestmark = pytest.mark.skipif(not guard_pages.enabled(), reason="guard regions are off on this system")

ACCESSES = """
(module
  (import "host" "call" (func $call (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load offset=3 (local.get 0)))
  (func (export "load128") (param i32) (result i32) (i32x4.extract_lane 3 (v128.load (local.get 0))))
  (func (export "far") (param i32) (result i32) (i32.load offset=4294967295 (local.get 0)))
  (func (export "store16") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "dropped") (param i32) (drop (i32.load (local.get 0))))
  (func (export "dropped_sum") (param i32) (drop (i64.add (i64.load8_u (local.get 0)) (i64.const 1))))
  (func (export "via_host") (param i32) (result i32)
    (i32.add (call $call (local.get 0)) (i32.load (i32.const 0)))))
"""

PAGE = 65536


def _instance(host=lambda x: x):
    return wasmkit.load(ACCESSES, {"host": {"call": host}}, engine="native")


def _traps(call, *args) -> bool:
    try:
        call(*args)
    except wasmkit.Trap as trap:
        assert "out of bounds memory access" in str(trap)
        return True
    return False


def test_every_width_traps_exactly_past_the_size():
    exports = _instance().exports
    for name, width, offset in (("load8", 1, 0), ("load32", 4, 0), ("load64", 8, 3), ("load128", 16, 0)):
        last = PAGE - width - offset  # the last address whose access fits
        assert not _traps(getattr(exports, name), last), name
        for address in (last + 1, PAGE, 1 << 31, 0xFFFFFFFF):
            assert _traps(getattr(exports, name), address), (name, address)
    assert _traps(exports.far, 0) and _traps(exports.far, 0xFFFFFFFF)
    assert _traps(exports.store16, PAGE - 1, 7)
    assert exports.load32(PAGE - 4) == 0  # nothing was written by the store that trapped


def test_a_load_whose_value_is_dropped_still_traps():
    exports = _instance().exports
    assert not _traps(exports.dropped, PAGE - 4) and not _traps(exports.dropped_sum, PAGE - 1)
    assert _traps(exports.dropped, PAGE - 3) and _traps(exports.dropped_sum, PAGE)


SIMD_LOADS = """
(module
  (memory 1)
  (func (export "load8x8") (param i32) (drop (v128.load8x8_s (local.get 0))))
  (func (export "load32x2") (param i32) (result i64) (i64x2.extract_lane 1 (v128.load32x2_u (local.get 0))))
  (func (export "load64_zero") (param i32) (drop (v128.load64_zero (local.get 0))))
  (func (export "load16_splat") (param i32) (drop (v128.load16_splat (local.get 0)))))
"""


def test_every_vector_load_form_traps_past_the_size():
    exports = wasmkit.load(SIMD_LOADS, engine="native").exports
    for name, width in (("load8x8", 8), ("load32x2", 8), ("load64_zero", 8), ("load16_splat", 2)):
        assert not _traps(getattr(exports, name), PAGE - width), name
        assert _traps(getattr(exports, name), PAGE - width + 1), name


def test_growth_opens_the_next_page_and_no_further():
    inst = _instance()
    exports = inst.exports
    assert _traps(exports.load8, PAGE)
    assert exports.grow(2) == 1
    exports.store16(3 * PAGE - 2, 0xBEEF)
    assert exports.load32(3 * PAGE - 4) & 0xFFFFFFFF == 0xBEEF0000
    assert inst.exports.memory.view[3 * PAGE - 1] == 0xBE
    assert _traps(exports.load8, 3 * PAGE)


def test_a_trap_in_a_nested_entry_leaves_the_outer_call_running():
    holder = {}

    def host(address):
        return 1 if _traps(holder["inst"].exports.load32, address) else 0

    inst = holder["inst"] = _instance(host)
    inst.exports.store16(0, 40)
    assert inst.exports.via_host(5 * PAGE) == 41  # the inner call trapped, the outer went on
    assert inst.exports.via_host(8) == 40


def test_threads_trap_at_once_without_disturbing_each_other():
    exports = _instance().exports
    outcomes: list[int] = []

    def work(address: int) -> None:
        outcomes.append(sum(_traps(exports.load32, address) for _ in range(300)))

    threads = [threading.Thread(target=work, args=(a,)) for a in (PAGE, 8, 1 << 30, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [0, 0, 300, 300]


def test_the_memory_past_its_size_is_inaccessible():
    memory = _instance().exports.memory
    start = memory.address + PAGE
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for bounds, perms, *_ in regions:
        low, high = (int(x, 16) for x in bounds.split("-"))
        if low <= start < high:
            assert perms.startswith("---"), perms
            assert high >= memory.address + guard_pages.RESERVATION
            break
    else:
        pytest.fail("the reservation is not mapped")


def test_a_freed_memory_leaves_the_fault_handler_list():
    inst = _instance()
    base = inst.exports.memory.address
    listed = lambda: any(guard_pages.RANGES[2 * i] == base for i in range(guard_pages.CAPACITY))  # noqa: E731
    assert listed()
    del inst
    gc.collect()
    assert not listed()


def _run(code: str, first: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Python `code` (its WAT named @WAT@) run in a subprocess after the line `first`."""
    script = first + "\n" + textwrap.dedent(code).replace("@WAT@", repr(ACCESSES))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def test_a_fault_outside_wasm_still_kills_the_process():
    result = _run("""
        import ctypes, wasmkit
        inst = wasmkit.load(@WAT@, {"host": {"call": lambda x: x}}, engine="native")
        try:
            inst.exports.load32(1 << 20)
        except wasmkit.Trap:
            print("trapped", flush=True)
        ctypes.string_at(0)
        print("survived")
    """)
    assert result.stdout == "trapped\n"
    assert result.returncode == -signal.SIGSEGV


def test_threads_binding_guarded_code_first_at_once_share_one_fault_handler():
    # The fault handler's code is made at the first binding; threads racing to it must not
    # each make one and keep code that is then freed (a server's first requests crashed so).
    result = _run("""
        import threading, wasmkit
        from wasmkit.engine.registry import get_engine
        from wasmkit.runtime import Linker, Module, Store
        from wasmkit.syntax.types import FuncType, ValType
        engine = get_engine("native")
        module = Module(@WAT@)
        module.compiled(engine)  # machine code made, none bound yet
        start = threading.Barrier(8)
        traps = []

        def work():
            linker = Linker(Store(engine))
            linker.define_func("host", "call", FuncType((ValType.I32,), (ValType.I32,)), lambda x: x)
            start.wait()
            inst = linker.instantiate(module)
            for _ in range(50):
                try:
                    inst.exports.load32(1 << 20)
                except wasmkit.Trap:
                    traps.append(1)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(traps))
    """)
    assert (result.returncode, result.stdout) == (0, "400\n"), result.stderr[-2000:]


@pytest.mark.parametrize("how", ["switch", "address space"])
def test_where_guard_regions_are_off_the_checks_are_back(how):
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (12 << 30, 12 << 30))" if how == "address space" else ""
    result = _run(
        """
        import wasmkit
        from wasmkit.runtime import guard_pages
        inst = wasmkit.load(@WAT@, {"host": {"call": lambda x: x}}, engine="native")
        print(guard_pages.enabled(), inst.exports.memory.guarded)
        for address in (65535, 1 << 31):
            try:
                inst.exports.load32(address)
            except wasmkit.Trap as trap:
                print(trap)
        """,
        limit,
        **({"WASMKIT_GUARD_PAGES": "off"} if how == "switch" else {}),
    )
    assert result.stdout.splitlines() == ["False False", "out of bounds memory access", "out of bounds memory access"], result.stderr


def test_fuel_and_profiling_state_survive_a_trap_in_a_guard_region():
    store = wasmkit.Store("native", wasmkit.StoreLimits(max_call_depth=100), fuel=10_000_000, profiling=True)
    inst = wasmkit.Instance(wasmkit.Module(ACCESSES), {"host": {"call": lambda x: x}}, store=store)
    for _ in range(200):  # a depth not put back would reach the metered maximum
        assert _traps(inst.exports.load32, 1 << 20)
    assert inst.exports.load32(0) == 0
    assert store.shadow_stack().words[0] == 0

