"""Hostile arguments to every WASI function give an errno, never a Python exception.

wasmtime traps on an out-of-bounds pointer and on a value outside an enum or flag set;
wasmkit answers FAULT and INVAL instead, so no guest input can take the host down."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wasi.conftest import MEMORY_SIZE, Guest, captured_config
from tests.wasi.test_functypes import EXPECTED
from tests.wasi.trees import sandbox_memory
from wasmkit.errors import ExitTrap, Trap
from wasmkit.syntax.types import ValType
from wasmkit.wasi import Errno, WasiPreview1

U32 = (1 << 32) - 1
U64 = (1 << 64) - 1
INTERESTING_32 = [
    0,
    1,
    2,
    3,
    4,
    7,
    8,
    63,
    255,
    256,
    4096,
    MEMORY_SIZE - 1,
    MEMORY_SIZE,
    MEMORY_SIZE - 8,
    1 << 31,
    U32 - 7,
    U32,
]
INTERESTING_64 = [0, 1, 2, 3, 1 << 31, 1 << 32, (1 << 63) - 1, 1 << 63, U64 - 1, U64]
NAMES = sorted(name for name in EXPECTED if name not in ("proc_exit", "poll_oneoff"))


def new_guest() -> Guest:
    config = captured_config(argv=["prog", "arg"], env={"A": "1"})
    config.preopen_fs(sandbox_memory(), "/")
    return Guest(WasiPreview1(config))


def arguments(name: str) -> st.SearchStrategy[list[int]]:
    params = EXPECTED[name][0]
    return st.tuples(
        *(
            st.sampled_from(INTERESTING_32) | st.integers(0, U32)
            if param is ValType.I32
            else st.sampled_from(INTERESTING_64) | st.integers(0, U64)
            for param in params
        )
    ).map(list)


@pytest.fixture(autouse=True)
def no_internal_errors(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    """The boundary turns an unexpected exception into IO; none may happen."""
    with caplog.at_level(logging.ERROR, logger="wasmkit.wasi"):
        yield
    assert not caplog.records, caplog.text


@pytest.mark.parametrize("name", NAMES)
def test_random_arguments_give_errnos(name: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(arguments(name))
    def check(args: list[int]) -> None:
        guest = new_guest()
        try:
            result = guest.call(name, *args)
            assert isinstance(result, int) and result in Errno.__members__.values()
        finally:
            guest.wasi.close()

    check()


@given(
    st.sampled_from(INTERESTING_32) | st.integers(0, U32),
    st.sampled_from(INTERESTING_32) | st.integers(0, U32),
    st.integers(1, 4),
    st.sampled_from(INTERESTING_32),
)
@settings(max_examples=100, deadline=None, database=None)
def test_poll_oneoff_with_wild_pointers(subs: int, events: int, count: int, retptr: int) -> None:
    # Memory holds zeros, so any subscription read is an immediate relative clock.
    guest = new_guest()
    try:
        assert guest.call("poll_oneoff", subs, events, count, retptr) in Errno.__members__.values()
    finally:
        guest.wasi.close()


@pytest.mark.parametrize("status", [0, 1, 125, 126, U32])
def test_proc_exit_only_raises_exit_or_trap(status: int) -> None:
    guest = new_guest()
    with pytest.raises((ExitTrap, Trap)):
        guest.call("proc_exit", status)


OOB = U32 - 3  # a pointer whose 4-byte target lies beyond any 32-bit memory's end
PAST = MEMORY_SIZE  # the first byte past this memory


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("args_sizes_get", (OOB, 0)),
        ("args_get", (PAST, 0)),
        ("args_get", (0, PAST - 2)),
        ("environ_sizes_get", (0, PAST)),
        ("environ_get", (OOB, OOB)),
        ("clock_res_get", (1, PAST - 4)),
        ("clock_time_get", (1, 0, OOB)),
        ("fd_fdstat_get", (3, PAST - 8)),
        ("fd_filestat_get", (3, OOB)),
        ("fd_prestat_get", (3, PAST)),
        ("fd_prestat_dir_name", (3, PAST, 1)),
        ("fd_write", (1, PAST, 1, 0)),  # the iovec array
        ("fd_write", (1, 0, U32, 0)),  # an iovec count no memory could hold
        ("fd_read", (0, 0, 1, PAST)),  # the result pointer
        ("fd_readdir", (3, PAST - 10, 100, 0, 0)),
        ("path_open", (3, 0, PAST - 1, 100, 0, 0, 0, 0, 0)),
        ("path_open", (3, 0, 0, U32, 0, 0, 0, 0, 0)),
        ("path_filestat_get", (3, 0, 0, 1, OOB)),  # "." at address 0
        ("path_readlink", (3, PAST, 5, 0, 10, 0)),
        ("path_symlink", (PAST, 4, 3, 0, 1)),
        ("path_rename", (3, 0, 1, 3, PAST, 1)),
        ("path_link", (3, 0, PAST, 1, 3, 0, 1)),
        ("path_create_directory", (3, OOB, 8)),
        ("path_unlink_file", (3, 0, PAST + 1)),
        ("path_remove_directory", (3, U32, 1)),
        ("path_filestat_set_times", (3, 0, PAST, 1, 0, 0, 0)),
        ("poll_oneoff", (PAST, 0, 1, 0)),
        ("poll_oneoff", (0, PAST - 16, 1, 0)),
        ("poll_oneoff", (0, 64, U32, 0)),
        ("random_get", (PAST - 10, 11)),
        ("random_get", (0, U32)),
    ],
)
def test_out_of_bounds_is_fault(name: str, args: tuple[int, ...]) -> None:
    guest = new_guest()
    guest.memory.write(0, b".")
    try:
        assert guest.errno(name, *args) == Errno.FAULT
    finally:
        guest.wasi.close()


def test_a_failed_call_writes_nothing_out_of_bounds_and_no_huge_allocation() -> None:
    guest = new_guest()
    try:
        iovs, count = guest.iovecs((0, U32))  # a buffer far larger than memory
        assert guest.errno("fd_write", 1, iovs, count, 0) == Errno.FAULT
        assert guest.errno("fd_read", 0, iovs, count, 0) == Errno.FAULT
        assert guest.wasi.captured_stdout == b""
        errno, fd = guest.open("file.txt", rights=(1 << 30) - 1 & ~(1 << 6))
        assert guest.errno("fd_seek", fd, 0, 0, OOB) == Errno.FAULT
        assert guest.errno("fd_tell", fd, PAST) == Errno.FAULT
    finally:
        guest.wasi.close()
