"""stdio streams: inherited (piped and interactive), given bytes, captured, host files."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from tests.wasi.conftest import Guest
from wasmkit.wasi import Errno, WasiConfig
from wasmkit.wasi.abi import Filetype
from wasmkit.wasi.stdio import HostInput

# A child process whose WASI stdin and stdout are inherited: it reads stdin through fd_read
# until end of file, reporting each read (and stdin's filetype) through fd_write on stdout.
CHILD = textwrap.dedent(
    """
    import struct, sys
    sys.path.insert(0, {root!r})
    from tests.wasi.conftest import Guest
    from wasmkit.wasi import WasiConfig, WasiPreview1
    guest = Guest(WasiPreview1(WasiConfig()))
    out = guest.alloc(24)
    guest.call("fd_fdstat_get", 0, out)
    guest.write(1, b"filetype %d\\n" % guest.bytes(out, 1)[0])
    while True:
        errno, data = guest.read(0, 4096)
        guest.write(1, b"read %d %r\\n" % (errno, data))
        if errno or not data:
            break
    """
).format(root=str(PROJECT_ROOT))


def start_child(stdin: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def read_line(child: subprocess.Popen[bytes], timeout: float = 10) -> bytes:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, "the child did not answer"
    return child.stdout.readline()


def test_inherited_stdin_from_a_pipe() -> None:
    reader, writer = os.pipe()
    child = start_child(reader)
    os.close(reader)
    try:
        assert read_line(child) == b"filetype %d\n" % Filetype.UNKNOWN
        os.write(writer, b"first chunk")
        # The read returns what has arrived, without waiting for 4096 bytes or end of file.
        assert read_line(child) == b"read 0 b'first chunk'\n"
        os.write(writer, b"second")
        assert read_line(child) == b"read 0 b'second'\n"
    finally:
        os.close(writer)
    assert read_line(child) == b"read 0 b''\n"
    assert child.wait(10) == 0


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_inherited_stdin_from_a_terminal() -> None:
    master, slave = os.openpty()
    child = start_child(slave)
    os.close(slave)
    try:
        # A terminal is a character device, as wasmtime reports it.
        assert read_line(child) == b"filetype %d\n" % Filetype.CHARACTER_DEVICE
        os.write(master, b"hello\n")
        assert read_line(child) == b"read 0 b'hello\\n'\n"  # each line as soon as it is typed
        os.write(master, b"world\n")
        assert read_line(child) == b"read 0 b'world\\n'\n"
        os.write(master, b"\x04")  # end of file, as typed with Ctrl-D
        assert read_line(child) == b"read 0 b''\n"
        assert child.wait(10) == 0
    finally:
        os.close(master)
        child.kill()


def test_inherited_stdout_reaches_the_process_stdout() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
        "from tests.wasi.conftest import Guest\n"
        "from wasmkit.wasi import WasiConfig, WasiPreview1\n"
        "guest = Guest(WasiPreview1(WasiConfig()))\n"
        "guest.write(1, b'to stdout\\n'); guest.write(2, b'to stderr\\n')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
    assert (result.stdout, result.stderr) == (b"to stdout\n", b"to stderr\n")


def test_stdio_host_files(tmp_path: Path, make_guest: Callable[[WasiConfig], Guest]) -> None:
    (tmp_path / "in.txt").write_bytes(b"from a file")
    (tmp_path / "out.txt").write_bytes(b"old contents to be truncated")
    config = WasiConfig()
    config.stdin_file(tmp_path / "in.txt")
    config.stdout_file(tmp_path / "out.txt")
    config.stderr_file(tmp_path / "err.txt")
    guest = make_guest(config)
    assert guest.read(0, 100) == (Errno.SUCCESS, b"from a file")
    assert guest.write(1, b"out") == (Errno.SUCCESS, 3)
    assert guest.write(2, b"err") == (Errno.SUCCESS, 3)
    guest.wasi.close()
    assert (tmp_path / "out.txt").read_bytes() == b"out"
    assert (tmp_path / "err.txt").read_bytes() == b"err"


def test_missing_stdin_file_or_preopen_fails_at_setup(
    tmp_path: Path, make_guest: Callable[[WasiConfig], Guest]
) -> None:
    config = WasiConfig()
    config.stdin_file(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        make_guest(config)
    config = WasiConfig()
    config.preopen_dir(tmp_path / "missing", "/")
    with pytest.raises(FileNotFoundError):
        make_guest(config)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to name a pipe")
def test_a_closed_host_stdout_is_an_errno_not_an_exception(make_guest: Callable[[WasiConfig], Guest]) -> None:
    reader, writer = os.pipe()
    os.close(reader)
    config = WasiConfig()
    config.stdout_file(f"/proc/self/fd/{writer}")
    guest = make_guest(config)
    os.close(writer)
    assert guest.write(1, b"x")[0] == Errno.PIPE


def test_a_non_blocking_host_stdin_still_blocks_the_guest() -> None:
    reader, writer = os.pipe()
    os.set_blocking(reader, False)
    timer = threading.Timer(0.05, os.write, (writer, b"late"))
    timer.start()
    try:
        assert HostInput(reader, owned=False).read(100) == b"late"
    finally:
        timer.join()
        os.close(reader)
        os.close(writer)
