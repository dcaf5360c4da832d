"""poll_oneoff (clocks, files, stdio), and the sock_* functions."""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable, Iterator

import pytest

from tests.wasi.conftest import Guest, captured_config
from wasmkit.wasi import Errno, WasiConfig
from wasmkit.wasi.abi import Eventrwflags, Eventtype

MONOTONIC, REALTIME = 1, 0
ABSTIME = 1


def clock(userdata: int, clock_id: int, timeout: int, flags: int = 0) -> bytes:
    return struct.pack("<QB7xI4xQQH6x", userdata, Eventtype.CLOCK, clock_id, timeout, 0, flags)


def fd_sub(userdata: int, kind: Eventtype, fd: int) -> bytes:
    return struct.pack("<QB7xI28x", userdata, kind, fd)


def poll(guest: Guest, *subscriptions: bytes) -> tuple[Errno, list[tuple[int, int, int, int, int]]]:
    """(errno, events as (userdata, error, type, nbytes, flags))."""
    subs, _ = guest.put(b"".join(subscriptions))
    events, out = guest.alloc(32 * len(subscriptions)), guest.alloc(4)
    errno = guest.errno("poll_oneoff", subs, events, len(subscriptions), out)
    count = guest.u32(out) if errno == Errno.SUCCESS else 0
    return errno, [struct.unpack("<QHBxxxxxQHxxxxxx", guest.bytes(events + 32 * i, 32)) for i in range(count)]


def test_relative_clock_sleeps(guest: Guest) -> None:
    start = time.monotonic()
    errno, events = poll(guest, clock(7, MONOTONIC, 30_000_000))
    assert time.monotonic() - start >= 0.03
    # wasmtime: clock events have error 0, type CLOCK, nbytes 0 and flags 0.
    assert (errno, events) == (Errno.SUCCESS, [(7, 0, Eventtype.CLOCK, 0, 0)])


def test_absolute_clocks(guest: Guest) -> None:
    out = guest.alloc(8)
    guest.call("clock_time_get", REALTIME, 0, out)
    start = time.monotonic()
    errno, events = poll(guest, clock(1, REALTIME, guest.u64(out) + 20_000_000, ABSTIME))
    assert errno == Errno.SUCCESS and [e[0] for e in events] == [1]
    assert time.monotonic() - start >= 0.015
    assert poll(guest, clock(2, MONOTONIC, 0, ABSTIME))[1][0][0] == 2  # already past


def test_earliest_clock_wins_and_all_expired_are_reported(guest: Guest) -> None:
    start = time.monotonic()
    errno, events = poll(guest, clock(1, MONOTONIC, 5_000_000_000), clock(2, MONOTONIC, 10_000_000))
    assert [e[0] for e in events] == [2] and time.monotonic() - start < 1
    errno, events = poll(
        guest, clock(1, MONOTONIC, 0), clock(2, MONOTONIC, 5_000_000_000), clock(3, MONOTONIC, 0)
    )
    assert [e[0] for e in events] == [1, 3]


def test_ready_fds_return_at_once_in_subscription_order(fs_guest: Guest) -> None:
    guest = fs_guest
    errno, fd = guest.open("file.txt", rights=(1 << 30) - 1 & ~0x40)
    start = time.monotonic()
    errno, events = poll(
        guest,
        clock(9, MONOTONIC, 5_000_000_000),
        fd_sub(1, Eventtype.FD_WRITE, 1),
        fd_sub(2, Eventtype.FD_READ, fd),
    )
    assert time.monotonic() - start < 1
    # A file reports the bytes left to read (wasmtime reports 1); stdout is always writable.
    assert events == [(1, 0, Eventtype.FD_WRITE, 1, 0), (2, 0, Eventtype.FD_READ, 6, 0)]
    guest.read(fd, 100)
    assert poll(guest, fd_sub(3, Eventtype.FD_READ, fd))[1] == [
        (3, 0, Eventtype.FD_READ, 0, Eventrwflags.FD_READWRITE_HANGUP)
    ]


def test_stdin_bytes_readiness(make_guest: Callable[[WasiConfig], Guest]) -> None:
    config = captured_config()
    config.stdin_bytes(b"abc")
    guest = make_guest(config)
    assert poll(guest, fd_sub(5, Eventtype.FD_READ, 0))[1] == [(5, 0, Eventtype.FD_READ, 3, 0)]
    guest.read(0, 10)
    assert poll(guest, fd_sub(5, Eventtype.FD_READ, 0))[1] == [
        (5, 0, Eventtype.FD_READ, 0, Eventrwflags.FD_READWRITE_HANGUP)
    ]


@pytest.fixture
def piped_stdin(tmp_path: object, make_guest: Callable[[WasiConfig], Guest]) -> Iterator[tuple[Guest, int]]:
    """A guest whose stdin is a host pipe (read end), with the write end."""
    read_end, write_end = os.pipe()
    config = captured_config()
    config.stdin_file(f"/proc/self/fd/{read_end}")
    yield make_guest(config), write_end
    os.close(read_end)
    os.close(write_end)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to name a pipe")
def test_host_stdin_is_waited_for(piped_stdin: tuple[Guest, int]) -> None:
    guest, writer = piped_stdin
    # Nothing written yet: the clock fires first.
    errno, events = poll(guest, fd_sub(1, Eventtype.FD_READ, 0), clock(2, MONOTONIC, 20_000_000))
    assert [e[0] for e in events] == [2]
    os.write(writer, b"line\n")
    errno, events = poll(guest, fd_sub(1, Eventtype.FD_READ, 0), clock(2, MONOTONIC, 5_000_000_000))
    assert [e[:3] for e in events] == [(1, 0, Eventtype.FD_READ)]
    # A pipe read returns what has arrived without waiting for the buffer to fill.
    assert guest.read(0, 4096) == (Errno.SUCCESS, b"line\n")


def test_poll_errors_like_wasmtime(fs_guest: Guest) -> None:
    guest = fs_guest
    subs, _ = guest.put(clock(1, MONOTONIC, 0))
    out = guest.alloc(64)
    assert guest.errno("poll_oneoff", subs, out, 0, out) == Errno.INVAL  # no subscriptions
    assert poll(guest, fd_sub(1, Eventtype.FD_READ, 99))[0] == Errno.BADF
    assert poll(guest, fd_sub(1, Eventtype.FD_READ, 3))[0] == Errno.BADF  # a directory
    assert poll(guest, fd_sub(1, Eventtype.FD_WRITE, 0))[0] == Errno.BADF  # stdin is not writable
    assert poll(guest, clock(1, 2, 0))[0] == Errno.INVAL  # CPU-time clocks cannot be waited on
    assert poll(guest, struct.pack("<QB47x", 1, 3))[0] == Errno.INVAL  # unknown event type
    assert poll(guest, clock(1, MONOTONIC, 0, flags=2))[0] == Errno.INVAL


def test_sockets_like_wasmtime(guest: Guest) -> None:
    # wasmtime: BADF for an fd that is not open, NOTSOCK for any other (there are no sockets).
    out = guest.alloc(8)
    iovs, count = guest.iovecs((guest.alloc(4), 4))
    assert guest.errno("sock_accept", 0, 0, out) == Errno.NOTSOCK
    assert guest.errno("sock_accept", 99, 0, out) == Errno.BADF
    assert guest.errno("sock_recv", 0, iovs, count, 0, out, out + 4) == Errno.NOTSOCK
    assert guest.errno("sock_send", 1, iovs, count, 0, out) == Errno.NOTSOCK
    assert guest.errno("sock_shutdown", 1, 1) == Errno.NOTSOCK
    assert guest.errno("sock_shutdown", 99, 1) == Errno.BADF
    assert guest.errno("sock_shutdown", 1, 4) == Errno.INVAL
