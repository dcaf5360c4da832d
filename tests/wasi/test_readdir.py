"""fd_readdir: the dirent layout, `.` and `..` first, cookies, and truncation, as wasmtime."""

from __future__ import annotations

import struct

from tests.wasi.conftest import Guest
from wasmkit.wasi import Errno
from wasmkit.wasi.abi import DIRECTORY_RIGHTS, Filetype


def readdir(guest: Guest, fd: int, size: int, cookie: int = 0) -> tuple[Errno, bytes]:
    buffer, out = guest.alloc(size), guest.alloc(4)
    guest.memory.write(buffer, b"\xee" * size)
    errno = guest.errno("fd_readdir", fd, buffer, size, cookie, out)
    return errno, guest.bytes(buffer, guest.u32(out))


def parse(data: bytes) -> list[tuple[int, int, str, int]]:
    """(d_next, d_ino, name, d_type) of every whole record."""
    entries, offset = [], 0
    while offset + 24 <= len(data):
        d_next, d_ino, namlen, d_type = struct.unpack_from("<QQIB3x", data, offset)
        assert data[offset + 21 : offset + 24] == b"\0\0\0"  # wasmtime writes zero padding
        name = data[offset + 24 : offset + 24 + namlen]
        if len(name) < namlen:
            break
        entries.append((d_next, d_ino, name.decode(), d_type))
        offset += 24 + namlen
    return entries


def open_dir(guest: Guest, path: str) -> int:
    errno, fd = guest.open(path, oflags=2, rights=DIRECTORY_RIGHTS)
    assert errno == Errno.SUCCESS
    return fd


def test_listing_starts_with_dot_and_dotdot_then_entries(fs_guest: Guest) -> None:
    guest = fs_guest
    for name in ("a", "b", "c"):
        assert guest.path("path_create_directory", 3, f"notempty/{name}") == Errno.SUCCESS
    fd = open_dir(guest, "notempty")
    errno, data = readdir(guest, fd, 4096)
    assert errno == Errno.SUCCESS
    entries = parse(data)
    assert [e[0] for e in entries] == [1, 2, 3, 4, 5, 6]  # d_next is the next cookie
    assert [e[2] for e in entries[:2]] == [".", ".."]
    assert sorted(e[2] for e in entries[2:]) == ["a", "b", "c", "x"]
    own = guest.filestat("notempty")[1]["ino"]
    assert entries[0][1] == entries[1][1] == own  # wasmtime gives `..` the directory's own inode
    kinds = {name: kind for _, _, name, kind in entries}
    assert kinds == {
        ".": Filetype.DIRECTORY,
        "..": Filetype.DIRECTORY,
        "a": 3,
        "b": 3,
        "c": 3,
        "x": Filetype.REGULAR_FILE,
    }
    for _, ino, name, _ in entries[2:]:
        assert ino == guest.filestat(f"notempty/{name}")[1]["ino"]


def test_entry_types_include_links(fs_guest: Guest) -> None:
    errno, data = readdir(fs_guest, 3, 8192)
    kinds = {name: kind for _, _, name, kind in parse(data)}
    assert kinds["link_out"] == kinds["dangling"] == kinds["loop1"] == Filetype.SYMBOLIC_LINK
    assert kinds["sub"] == Filetype.DIRECTORY and kinds["file.txt"] == Filetype.REGULAR_FILE


def test_cookie_resumes_and_buffer_truncates_like_wasmtime(fs_guest: Guest) -> None:
    guest = fs_guest
    fd = open_dir(guest, "notempty")
    whole = readdir(guest, fd, 4096)[1]
    # A buffer too small for the first record is filled completely, cutting it off.
    errno, data = readdir(guest, fd, 30)
    assert (errno, data) == (Errno.SUCCESS, whole[:30])
    # Cookie 2 skips `.` and `..`; a cookie past the end gives nothing.
    assert readdir(guest, fd, 4096, 2)[1] == whole[24 + 1 + 24 + 2 :]
    assert readdir(guest, fd, 4096, 100) == (Errno.SUCCESS, b"")
    assert readdir(guest, fd, 0) == (Errno.SUCCESS, b"")


def test_reading_a_large_directory_in_small_steps(fs_guest: Guest) -> None:
    guest = fs_guest
    guest.path("path_create_directory", 3, "many")
    for i in range(40):
        errno, fd = guest.open(f"many/file_with_a_long_name_{i:02}", oflags=1)
        guest.call("fd_close", fd)
    fd = open_dir(guest, "many")
    cookie, names = 0, []
    while True:
        errno, data = readdir(guest, fd, 100, cookie)
        assert errno == Errno.SUCCESS
        entries = parse(data)
        names += [e[2] for e in entries]
        if len(data) < 100:
            break
        cookie = entries[-1][0]
    assert len(names) == 42 and len(set(names)) == 42


def test_readdir_needs_the_right(fs_guest: Guest) -> None:
    guest = fs_guest
    errno, fd = guest.open("sub", oflags=2, rights=0)
    assert readdir(guest, fd, 100)[0] == Errno.NOTCAPABLE
