"""args/environ, clocks, random_get, proc_exit / proc_raise / sched_yield."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.wasi.conftest import Guest, captured_config
from wasmkit.errors import ExitTrap, Trap
from wasmkit.wasi import Errno, WasiConfig


def strings_from(guest: Guest, sizes: str, get: str) -> list[str]:
    count_ptr, size_ptr = guest.alloc(4), guest.alloc(4)
    assert guest.errno(sizes, count_ptr, size_ptr) == Errno.SUCCESS
    count, size = guest.u32(count_ptr), guest.u32(size_ptr)
    pointers, buffer = guest.alloc(4 * count), guest.alloc(size)
    assert guest.errno(get, pointers, buffer) == Errno.SUCCESS
    raw = guest.bytes(buffer, size)
    assert raw.endswith(b"\0") or size == 0
    result = []
    for i in range(count):
        start = guest.u32(pointers + 4 * i) - buffer
        result.append(raw[start : raw.index(b"\0", start)].decode())
    return result


def test_args_round_trip(make_guest: Callable[[WasiConfig], Guest]) -> None:
    argv = ["prog.wasm", "one", "two words", "", "ünïcödé"]
    guest = make_guest(captured_config(argv=argv))
    assert strings_from(guest, "args_sizes_get", "args_get") == argv


def test_args_sizes_count_utf8_bytes_and_nuls(make_guest: Callable[[WasiConfig], Guest]) -> None:
    guest = make_guest(captured_config(argv=["p", "é"]))
    count_ptr, size_ptr = guest.alloc(4), guest.alloc(4)
    guest.call("args_sizes_get", count_ptr, size_ptr)
    assert (guest.u32(count_ptr), guest.u32(size_ptr)) == (2, 2 + 3)


def test_environ_round_trip_in_order(make_guest: Callable[[WasiConfig], Guest]) -> None:
    env = {"HOME": "/home/guest", "EMPTY": "", "EQUALS": "a=b", "Z": "last"}
    guest = make_guest(captured_config(argv=["p"], env=env))
    assert strings_from(guest, "environ_sizes_get", "environ_get") == [f"{k}={v}" for k, v in env.items()]


def test_empty_argv_and_environ(make_guest: Callable[[WasiConfig], Guest]) -> None:
    guest = make_guest(captured_config())
    assert strings_from(guest, "args_sizes_get", "args_get") == []
    assert strings_from(guest, "environ_sizes_get", "environ_get") == []


def test_config_rejects_what_cannot_be_passed() -> None:
    with pytest.raises(ValueError):
        WasiConfig(argv=["a\0b"])
    with pytest.raises(ValueError):
        WasiConfig(env={"A=B": "x"})
    with pytest.raises(ValueError):
        WasiConfig(env={"": "x"})


@pytest.mark.parametrize("clock", [0, 1, 2, 3])
def test_every_clock_has_a_resolution_and_a_time(guest: Guest, clock: int) -> None:
    out = guest.alloc(8)
    assert guest.errno("clock_res_get", clock, out) == Errno.SUCCESS
    assert guest.u64(out) >= 1
    assert guest.errno("clock_time_get", clock, 0, out) == Errno.SUCCESS


def test_realtime_is_unix_time_and_monotonic_advances(guest: Guest) -> None:
    out = guest.alloc(8)
    guest.call("clock_time_get", 0, 1, out)
    assert abs(guest.u64(out) - time.time_ns()) < 5_000_000_000
    guest.call("clock_time_get", 1, 1, out)
    first = guest.u64(out)
    time.sleep(0.002)
    guest.call("clock_time_get", 1, 1, out)
    assert guest.u64(out) - first >= 2_000_000


def test_unknown_clock_is_inval(guest: Guest) -> None:
    # wasmtime traps on an id outside the enum; wasmkit answers INVAL.
    out = guest.alloc(8)
    assert guest.errno("clock_res_get", 4, out) == Errno.INVAL
    assert guest.errno("clock_time_get", 99, 0, out) == Errno.INVAL


def test_random_get_fills_the_buffer(guest: Guest) -> None:
    buffer = guest.alloc(4096)
    assert guest.errno("random_get", buffer, 4096) == Errno.SUCCESS
    data = guest.bytes(buffer, 4096)
    assert len(set(data)) > 200
    assert guest.errno("random_get", buffer, 0) == Errno.SUCCESS


def test_random_get_larger_than_one_chunk(guest: Guest) -> None:
    assert guest.errno("random_get", 0, 65536) == Errno.SUCCESS
    assert guest.memory.data.count(0) < 1000


@pytest.mark.parametrize("status", [0, 1, 42, 125])
def test_proc_exit_raises_exit_trap(guest: Guest, status: int) -> None:
    with pytest.raises(ExitTrap) as info:
        guest.call("proc_exit", status)
    assert info.value.code == status


@pytest.mark.parametrize("status", [126, 255, 2**32 - 1])
def test_proc_exit_outside_0_125_traps_like_wasmtime(guest: Guest, status: int) -> None:
    # wasmtime: "exit with invalid exit status outside of [0..126)" (a trap, exit code 134).
    with pytest.raises(Trap, match=r"outside of \[0\.\.126\)"):
        guest.call("proc_exit", status)


def test_proc_raise_is_not_supported_like_wasmtime(guest: Guest) -> None:
    # Observed with wasmtime 50: proc_raise(0) and proc_raise(9) return NOTSUP (58).
    assert guest.errno("proc_raise", 0) == Errno.NOTSUP
    assert guest.errno("proc_raise", 9) == Errno.NOTSUP
    assert guest.errno("proc_raise", 31) == Errno.INVAL  # wasmtime traps on this


def test_sched_yield_succeeds(guest: Guest) -> None:
    assert guest.errno("sched_yield") == Errno.SUCCESS
