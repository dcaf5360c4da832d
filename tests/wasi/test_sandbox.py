"""Nothing outside a preopened directory is reachable.

Each escape attempt is refused with the errno wasmtime 50 gives (observed with
tests/wasi/programs/sandbox_probe.c; its recorded output is sandbox_probe.json), and the
host directory next to the sandbox is left exactly as it was. The same attempts are made on
the in-memory filesystem, where they must fail the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wasi.conftest import FakeMemory, Guest, captured_config
from tests.wasi.trees import sandbox_memory, sandbox_tree, snapshot
from wasmkit.wasi import Errno, WasiConfig
from wasmkit.wasi.abi import Oflags

OPENS = [
    # (path, follow symlinks, oflags, errno under wasmtime)
    ("../outside/secret.txt", False, 0, Errno.PERM),
    ("/outside/secret.txt", False, 0, Errno.PERM),
    ("/file.txt", False, 0, Errno.PERM),  # absolute, even if it would name something inside
    ("..", False, 0, Errno.PERM),
    ("sub/../..", False, 0, Errno.PERM),
    ("../sandbox/file.txt", False, 0, Errno.PERM),  # out and back in is still out
    ("link_out", True, 0, Errno.PERM),  # relative symlink leading outside
    ("link_out", False, 0, Errno.LOOP),  # O_NOFOLLOW on a symlink
    ("abs_link", True, 0, Errno.PERM),  # absolute symlink
    ("loop1", True, 0, Errno.LOOP),
    ("self", True, 0, Errno.LOOP),
    ("dotdot_link/outside/secret.txt", True, 0, Errno.PERM),  # symlink to ".." mid-path
    ("dotdot_link/outside/secret.txt", False, 0, Errno.PERM),  # mid-path links are always followed
    ("sub/up/../outside/secret.txt", True, 0, Errno.PERM),
    ("link_sub/../../outside/secret.txt", False, 0, Errno.PERM),
    ("link_out", True, Oflags.TRUNC, Errno.PERM),  # truncating through a link to outside
    ("link_out", True, Oflags.CREAT, Errno.PERM),
]


@pytest.fixture(params=["host", "memory"])
def sandbox(request: pytest.FixtureRequest, tmp_path: Path, make_guest) -> tuple[Guest, Path | None]:  # type: ignore[no-untyped-def]
    config: WasiConfig = captured_config(argv=["prog"])
    if request.param == "host":
        config.preopen_dir(sandbox_tree(tmp_path), "/")
        outside: Path | None = tmp_path / "outside"
    else:
        config.preopen_fs(sandbox_memory(), "/")
        outside = None
    return make_guest(config), outside


def untouched(outside: Path | None, before: dict[str, str]) -> bool:
    return outside is None or snapshot(outside) == before


@pytest.mark.parametrize(("path", "follow", "oflags", "errno"), OPENS)
def test_opening_outside_is_refused(
    sandbox: tuple[Guest, Path | None], path: str, follow: bool, oflags: int, errno: Errno
) -> None:
    guest, outside = sandbox
    before = snapshot(outside) if outside else {}
    assert guest.open(path, follow=follow, oflags=oflags)[0] == errno
    assert untouched(outside, before)


def test_every_path_function_refuses_dotdot(sandbox: tuple[Guest, Path | None]) -> None:
    guest, outside = sandbox
    before = snapshot(outside) if outside else {}
    out = guest.alloc(64)
    secret = "../outside/secret.txt"
    assert guest.filestat(secret)[0] == Errno.PERM
    assert guest.filestat("..")[0] == Errno.PERM
    assert guest.filestat("link_out", follow=True)[0] == Errno.PERM
    assert guest.filestat("link_out")[0] == Errno.SUCCESS  # the link itself is inside
    assert guest.path("path_create_directory", 3, "../newdir") == Errno.PERM
    assert guest.path("path_remove_directory", 3, "../outside") == Errno.PERM
    assert guest.path("path_remove_directory", 3, "..") == Errno.PERM
    assert guest.path("path_unlink_file", 3, secret) == Errno.PERM
    assert guest.path("path_readlink", 3, "../x", out, 64, out) == Errno.PERM
    ptr, length = guest.text(secret)
    assert guest.errno("path_filestat_set_times", 3, 0, ptr, length, 0, 0, 0b1010) == Errno.PERM
    assert untouched(outside, before)


def test_guest_created_symlinks_cannot_be_followed_out(sandbox: tuple[Guest, Path | None]) -> None:
    guest, outside = sandbox
    before = snapshot(outside) if outside else {}
    target, target_len = guest.text("../outside/secret.txt")
    name, name_len = guest.text("guest_link")
    # Creating a link whose target is outside is allowed (wasmtime too); following it is not.
    assert guest.errno("path_symlink", target, target_len, 3, name, name_len) == Errno.SUCCESS
    assert guest.open("guest_link", follow=True)[0] == Errno.PERM
    assert guest.filestat("guest_link", follow=True)[0] == Errno.PERM
    # A link to a file that does not exist yet outside: O_CREAT through it must not create it.
    target, target_len = guest.text("../outside/created.txt")
    name, name_len = guest.text("creator")
    assert guest.errno("path_symlink", target, target_len, 3, name, name_len) == Errno.SUCCESS
    assert guest.open("creator", follow=True, oflags=Oflags.CREAT)[0] == Errno.PERM
    # An absolute target is refused at creation (wasmtime: PERM).
    target, target_len = guest.text("/etc/passwd")
    name, name_len = guest.text("guest_abs")
    assert guest.errno("path_symlink", target, target_len, 3, name, name_len) == Errno.PERM
    assert guest.open("guest_abs", follow=True)[0] == Errno.NOENT
    assert untouched(outside, before)


def test_rename_and_link_out_are_refused(sandbox: tuple[Guest, Path | None]) -> None:
    guest, outside = sandbox
    before = snapshot(outside) if outside else {}

    def two(name: str, old: str, new: str, *flags: int) -> Errno:
        old_ptr, old_len = guest.text(old)
        new_ptr, new_len = guest.text(new)
        if name == "path_link":
            return guest.errno(name, 3, *flags, old_ptr, old_len, 3, new_ptr, new_len)
        return guest.errno(name, 3, old_ptr, old_len, 3, new_ptr, new_len)

    assert two("path_rename", "file2.txt", "../moved.txt") == Errno.PERM
    assert two("path_rename", "file2.txt", "/moved.txt") == Errno.PERM
    assert two("path_rename", "../outside/secret.txt", "stolen.txt") == Errno.PERM
    assert two("path_rename", "file2.txt", "dotdot_link/moved.txt") == Errno.PERM
    assert two("path_link", "file.txt", "../hard.txt", 0) == Errno.PERM
    assert two("path_link", "../outside/secret.txt", "hard2.txt", 0) == Errno.PERM
    assert two("path_link", "link_out", "hard3.txt", 1) == Errno.INVAL  # wasmtime refuses following
    # Hard-linking the symlink itself stays inside and is allowed (wasmtime too).
    assert two("path_link", "link_out", "hard4.txt", 0) == Errno.SUCCESS
    assert guest.open("hard4.txt", follow=True)[0] == Errno.PERM
    assert untouched(outside, before)


def test_long_and_deep_paths(sandbox: tuple[Guest, Path | None]) -> None:
    guest, _ = sandbox
    guest.memory = FakeMemory(1 << 20)  # room for many long paths
    assert guest.open("a" * 256)[0] == Errno.NAMETOOLONG
    assert guest.open("a" * 255)[0] == Errno.NOENT
    assert guest.open("./" * 3000 + "file.txt")[0] == Errno.NAMETOOLONG
    # PATH_MAX (4096) counts the NUL that ends a C path: 4096 bytes are too long (wasmtime).
    assert guest.open(_padded("file.txt", 4095))[0] == Errno.SUCCESS
    assert guest.open(_padded("nothing", 4095))[0] == Errno.NOENT
    assert guest.open(_padded("file.txt", 4096))[0] == Errno.NAMETOOLONG
    assert guest.path("path_create_directory", 3, _padded("new_dir", 4096)) == Errno.NAMETOOLONG
    assert guest.path("path_create_directory", 3, _padded("new_dir", 4095)) == Errno.SUCCESS
    # An over-long path is checked as wasmtime checks it: ILSEQ, then INVAL for a NUL, then
    # NAMETOOLONG, even before PERM for an absolute one.
    assert guest.open("/" + "a" * 5000)[0] == Errno.NAMETOOLONG
    assert guest.open("a\0" + "a" * 5000)[0] == Errno.INVAL
    ptr, length = guest.put(b"a" * 5000 + b"\xff")
    assert guest.errno("path_open", 3, 1, ptr, length, 0, 0, 0, 0, guest.alloc(4)) == Errno.ILSEQ


def test_long_link_targets(sandbox: tuple[Guest, Path | None]) -> None:
    guest, _ = sandbox

    def symlink(target: str, name: str) -> Errno:
        target_ptr, target_len = guest.text(target)
        name_ptr, name_len = guest.text(name)
        return guest.errno("path_symlink", target_ptr, target_len, 3, name_ptr, name_len)

    assert symlink("a/" * 2047 + "a", "long_link") == Errno.SUCCESS  # 4095 bytes
    assert symlink("a/" * 2048, "too_long") == Errno.NAMETOOLONG  # 4096 bytes
    assert symlink("/" + "a" * 5000, "too_long") == Errno.PERM  # absolute comes first (wasmtime)
    assert symlink("a\0" + "a" * 5000, "too_long") == Errno.INVAL


def _padded(name: str, length: int) -> str:
    """`./////name`, `length` bytes long."""
    return "." + "/" * (length - 1 - len(name)) + name
    assert guest.open("sub/" + "../sub/" * 500 + "../file.txt", rights=2)[0] == Errno.SUCCESS
    assert guest.open("sub/" + "../" * 2 + "file.txt")[0] == Errno.PERM


def test_paths_with_nul_or_invalid_utf8(sandbox: tuple[Guest, Path | None]) -> None:
    guest, _ = sandbox
    out = guest.alloc(4)
    for raw, errno in [
        (b"file.txt\0x", Errno.INVAL),
        (b"file.txt\0", Errno.INVAL),
        (b"fil\xff.txt", Errno.ILSEQ),
    ]:
        ptr, length = guest.put(raw)
        assert guest.errno("path_open", 3, 0, ptr, length, 0, 2, 0, 0, out) == errno
