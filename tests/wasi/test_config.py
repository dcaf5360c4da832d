"""WasiConfig: preopen permissions, in-memory filesystems, and the setup API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.wasi.conftest import Guest, captured_config
from tests.wasi.trees import sandbox_memory, sandbox_tree
from wasmkit.wasi import DirPerms, Errno, FilePerms, MemoryFS, WasiConfig
from wasmkit.wasi.abi import Oflags, Rights
from wasmkit.wasi.memfs import ENTRY_BYTES

READ = Rights.FD_READ | Rights.FD_SEEK
WRITE = READ | Rights.FD_WRITE


@pytest.fixture(params=["host", "memory"])
def read_only(
    request: pytest.FixtureRequest, tmp_path: Path, make_guest: Callable[[WasiConfig], Guest]
) -> Guest:
    config = captured_config()
    if request.param == "host":
        config.preopen_dir(sandbox_tree(tmp_path), "/", DirPerms.READ_ONLY, FilePerms.READ_ONLY)
    else:
        config.preopen_fs(sandbox_memory(), "/", DirPerms.READ_ONLY, FilePerms.READ_ONLY)
    return make_guest(config)


def test_a_read_only_preopen_can_be_read(read_only: Guest) -> None:
    guest = read_only
    errno, fd = guest.open("file.txt", rights=READ)
    assert errno == Errno.SUCCESS
    assert guest.read(fd, 100) == (Errno.SUCCESS, b"hello\n")
    assert guest.filestat("sub")[0] == Errno.SUCCESS


def test_a_read_only_preopen_refuses_every_change_with_perm(read_only: Guest) -> None:
    # As wasmtime's read-only preopens: the rights are the usual ones, the change is PERM.
    guest = read_only
    assert guest.open("file.txt", rights=WRITE)[0] == Errno.PERM
    assert guest.open("new.txt", oflags=Oflags.CREAT, rights=READ)[0] == Errno.PERM
    assert guest.open("file.txt", oflags=Oflags.TRUNC, rights=READ)[0] == Errno.PERM
    assert guest.path("path_create_directory", 3, "d") == Errno.PERM
    assert guest.path("path_remove_directory", 3, "sub") == Errno.PERM
    assert guest.path("path_unlink_file", 3, "file.txt") == Errno.PERM
    ptr, length = guest.text("file.txt")
    assert guest.errno("path_filestat_set_times", 3, 0, ptr, length, 0, 0, 0b1010) == Errno.PERM
    assert guest.errno("fd_filestat_set_times", 3, 0, 0, 0b1010) == Errno.PERM
    new, new_len = guest.text("x")
    assert guest.errno("path_rename", 3, ptr, length, 3, new, new_len) == Errno.PERM
    assert guest.errno("path_link", 3, 0, ptr, length, 3, new, new_len) == Errno.PERM
    assert guest.errno("path_symlink", ptr, length, 3, new, new_len) == Errno.PERM
    errno, fd = guest.open("file.txt", rights=READ | Rights.FD_FILESTAT_SET_SIZE | Rights.FD_ALLOCATE)
    assert guest.errno("fd_filestat_set_size", fd, 0) == Errno.PERM
    assert guest.errno("fd_allocate", fd, 0, 10) == Errno.PERM


def test_file_perms_alone(tmp_path: Path, make_guest: Callable[[WasiConfig], Guest]) -> None:
    config = captured_config()
    config.preopen_dir(sandbox_tree(tmp_path), "/", DirPerms.READ_WRITE, FilePerms.WRITE)
    guest = make_guest(config)
    assert guest.open("file.txt", rights=READ)[0] == Errno.PERM
    assert guest.open("new.txt", oflags=Oflags.CREAT, rights=Rights.FD_WRITE)[0] == Errno.SUCCESS
    config = captured_config()
    config.preopen_dir(tmp_path / "sandbox", "/", DirPerms.MUTATE, FilePerms.READ_WRITE)
    guest = make_guest(config)
    assert guest.open("file.txt", rights=READ)[0] == Errno.PERM
    assert guest.path("path_create_directory", 3, "d") == Errno.SUCCESS


def test_several_preopens_are_numbered_in_order(
    tmp_path: Path, make_guest: Callable[[WasiConfig], Guest]
) -> None:
    config = captured_config()
    config.preopen_dir(sandbox_tree(tmp_path), "/data")
    config.preopen_fs(MemoryFS({"greeting.txt": "hi"}), "/mem")
    guest = make_guest(config)
    names = []
    for fd in (3, 4):
        out, name = guest.alloc(8), guest.alloc(16)
        assert guest.errno("fd_prestat_get", fd, out) == Errno.SUCCESS
        guest.call("fd_prestat_dir_name", fd, name, guest.u32(out + 4))
        names.append(guest.bytes(name, guest.u32(out + 4)))
    assert names == [b"/data", b"/mem"]
    errno, fd = guest.open("greeting.txt", dirfd=4, rights=READ)
    assert guest.read(fd, 10) == (Errno.SUCCESS, b"hi")
    # Renaming or linking across filesystems is a cross-device link.
    old, old_len = guest.text("file.txt")
    new, new_len = guest.text("moved.txt")
    assert guest.errno("path_rename", 3, old, old_len, 4, new, new_len) == Errno.XDEV
    assert guest.errno("path_link", 3, 0, old, old_len, 4, new, new_len) == Errno.XDEV


def test_memory_fs_host_helpers_and_sharing(make_guest: Callable[[WasiConfig], Guest]) -> None:
    fs = MemoryFS({"a/b/c.txt": b"deep", "top.txt": "text"})
    fs.mkdir("empty/dir")
    fs.symlink("a/b", "shortcut")
    config = captured_config()
    config.preopen_fs(fs, "/")
    guest = make_guest(config)
    errno, fd = guest.open("shortcut/c.txt", rights=WRITE)
    assert guest.read(fd, 100) == (Errno.SUCCESS, b"deep")
    guest.write(fd, b"er")
    assert fs.read_file("a/b/c.txt") == b"deeper"
    assert guest.filestat("empty/dir")[0] == Errno.SUCCESS
    with pytest.raises(FileNotFoundError):
        fs.read_file("a/missing.txt")


def test_memory_fs_size_limit(make_guest: Callable[[WasiConfig], Guest]) -> None:
    fs = MemoryFS(max_bytes=100 + ENTRY_BYTES + 1)  # 100 bytes of data in one entry named "f"
    config = captured_config()
    config.preopen_fs(fs, "/")
    guest = make_guest(config)
    errno, fd = guest.open("f", oflags=Oflags.CREAT, rights=WRITE | Rights.FD_FILESTAT_SET_SIZE)
    assert guest.write(fd, b"x" * 60) == (Errno.SUCCESS, 60)
    assert guest.write(fd, b"x" * 60)[0] == Errno.NOSPC
    assert guest.errno("fd_filestat_set_size", fd, 1000) == Errno.NOSPC
    assert guest.errno("fd_filestat_set_size", fd, 10) == Errno.SUCCESS
    assert guest.write(fd, b"y" * 80)[0] == Errno.NOSPC  # at position 60: 140 bytes
    assert guest.errno("fd_seek", fd, 10, 0, guest.alloc(8)) == Errno.SUCCESS
    assert guest.write(fd, b"y" * 80) == (Errno.SUCCESS, 80)
    guest.call("fd_close", fd)
    assert guest.path("path_unlink_file", 3, "f") == Errno.SUCCESS
    errno, fd = guest.open("g", oflags=Oflags.CREAT, rights=WRITE)
    assert guest.write(fd, b"z" * 100) == (Errno.SUCCESS, 100)


def test_entries_and_link_targets_count_against_a_memory_fs_limit(
    make_guest: Callable[[WasiConfig], Guest],
) -> None:
    # Empty files, directories and links cost the host memory too: a guest making millions
    # of them must meet the limit as one writing data does.
    config = captured_config()
    config.preopen_fs(MemoryFS(max_bytes=64 * 1024), "/")
    guest = make_guest(config)
    made = 0
    while made < 1000 and guest.path("path_create_directory", 3, f"d{made:03}") == Errno.SUCCESS:
        made += 1
    assert 0 < made < 64 * 1024 // ENTRY_BYTES
    assert guest.path("path_create_directory", 3, "one_more") == Errno.NOSPC
    assert guest.open("file", oflags=Oflags.CREAT, rights=WRITE)[0] == Errno.NOSPC
    assert guest.path("path_remove_directory", 3, "d000") == Errno.SUCCESS  # space comes back
    assert guest.path("path_create_directory", 3, "d000") == Errno.SUCCESS
    for index in range(made):
        assert guest.path("path_remove_directory", 3, f"d{index:03}") == Errno.SUCCESS
    target_ptr, target_len = guest.text("t" * 4000)
    links = 0
    while links < 1000:
        name_ptr, name_len = guest.text(f"l{links}")
        if guest.errno("path_symlink", target_ptr, target_len, 3, name_ptr, name_len) != Errno.SUCCESS:
            break
        links += 1
    assert 0 < links < 64 * 1024 // 4000


def test_writing_far_past_the_end_of_a_memory_file_is_nospc(
    make_guest: Callable[[WasiConfig], Guest],
) -> None:
    config = captured_config()
    config.preopen_fs(MemoryFS(), "/")
    guest = make_guest(config)
    errno, fd = guest.open("f", oflags=Oflags.CREAT, rights=WRITE)
    assert guest.errno("fd_seek", fd, 1 << 40, 0, guest.alloc(8)) == Errno.SUCCESS
    assert guest.write(fd, b"x")[0] == Errno.NOSPC


def test_config_mirrors_wasmtime_py() -> None:
    config = WasiConfig()
    config.argv = ["prog", "x"]
    config.env = [("A", "1")]  # type: ignore[assignment]  # pairs are accepted, as in wasmtime-py
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    config.inherit_stdio()
    assert config.argv == ["prog", "x"] and config.env == {"A": "1"}
    config.inherit_env()
    config.inherit_argv()
    assert config.env and config.argv
