"""The path_* functions inside a preopen, on both filesystems.

The errnos are those wasmtime 50 gives for the same calls (observed with raw
wasi_snapshot_preview1 calls; see tests/wasi/programs)."""

from __future__ import annotations

from tests.wasi.conftest import Guest
from wasmkit.wasi import Errno
from wasmkit.wasi.abi import DIRECTORY_RIGHTS, FILE_RIGHTS, Fdflags, Filetype, Oflags, Rights

READ = Rights.FD_READ | Rights.FD_SEEK | Rights.FD_TELL | Rights.FD_FILESTAT_GET
WRITE = READ | Rights.FD_WRITE


def two(guest: Guest, name: str, old: str, new: str, *flags: int) -> Errno:
    old_ptr, old_len = guest.text(old)
    new_ptr, new_len = guest.text(new)
    if name == "path_link":
        return guest.errno(name, 3, *flags, old_ptr, old_len, 3, new_ptr, new_len)
    if name == "path_symlink":
        return guest.errno(name, old_ptr, old_len, 3, new_ptr, new_len)
    return guest.errno(name, 3, old_ptr, old_len, 3, new_ptr, new_len)


def kind(guest: Guest, path: str, follow: bool = False) -> Filetype | Errno:
    errno, stat = guest.filestat(path, follow=follow)
    return Filetype(stat["filetype"]) if errno == Errno.SUCCESS else errno


def test_open_flags(fs_guest: Guest) -> None:
    guest = fs_guest
    assert guest.open("new.txt", oflags=Oflags.CREAT | Oflags.EXCL, rights=WRITE)[0] == Errno.SUCCESS
    assert guest.open("new.txt", oflags=Oflags.CREAT | Oflags.EXCL)[0] == Errno.EXIST
    assert guest.open("link_file", oflags=Oflags.CREAT | Oflags.EXCL)[0] == Errno.EXIST  # even via a link
    assert guest.open("new.txt", oflags=Oflags.CREAT, rights=READ)[0] == Errno.SUCCESS
    errno, fd = guest.open("file.txt", oflags=Oflags.TRUNC, rights=WRITE)
    assert errno == Errno.SUCCESS and guest.filestat("file.txt")[1]["size"] == 0
    assert guest.open("missing.txt")[0] == Errno.NOENT
    assert guest.open("nodir/new.txt", oflags=Oflags.CREAT)[0] == Errno.NOENT
    assert guest.open("file.txt", oflags=Oflags.DIRECTORY)[0] == Errno.NOTDIR
    assert guest.open("sub", oflags=Oflags.DIRECTORY, rights=DIRECTORY_RIGHTS)[0] == Errno.SUCCESS
    # wasmtime: O_DIRECTORY with creat/excl/trunc is INVAL; creating, truncating or writing a
    # directory is ISDIR.
    assert guest.open("newdir", oflags=Oflags.DIRECTORY | Oflags.CREAT)[0] == Errno.INVAL
    assert guest.open("sub", oflags=Oflags.CREAT)[0] == Errno.ISDIR
    assert guest.open("sub", oflags=Oflags.TRUNC)[0] == Errno.ISDIR
    assert guest.open("sub", rights=WRITE)[0] == Errno.ISDIR
    assert guest.open(".", oflags=Oflags.DIRECTORY, rights=Rights.FD_READ | Rights.FD_WRITE)[0] == Errno.ISDIR
    assert guest.open("newfile/", oflags=Oflags.CREAT)[0] == Errno.ISDIR
    assert guest.open(".", oflags=Oflags.CREAT | Oflags.EXCL)[0] == Errno.EXIST
    assert guest.open("", rights=READ)[0] == Errno.NOENT


def test_open_directories_and_their_rights(fs_guest: Guest) -> None:
    guest = fs_guest
    for path in (".", "sub", "sub/", "sub/..", "link_sub/", "link_sub/."):
        errno, fd = guest.open(path, rights=DIRECTORY_RIGHTS, follow=False)
        assert errno == Errno.SUCCESS, path
    # Rights are limited to what applies to a directory (wasi-testsuite directory_seek).
    errno, fd = guest.open("sub", oflags=Oflags.DIRECTORY, rights=Rights.FD_SEEK | Rights.FD_READDIR)
    out = guest.alloc(24)
    guest.call("fd_fdstat_get", fd, out)
    assert guest.u64(out + 8) == Rights.FD_READDIR


def test_trailing_slashes(fs_guest: Guest) -> None:
    guest = fs_guest
    assert guest.open("file.txt/")[0] == Errno.NOTDIR
    assert guest.open("file.txt/.")[0] == Errno.NOTDIR
    assert guest.open("file.txt/x")[0] == Errno.NOTDIR
    assert guest.open("link_file/", follow=True)[0] == Errno.NOTDIR
    assert guest.open("nonexist/..")[0] == Errno.NOENT
    assert kind(guest, "link_sub/") == Filetype.DIRECTORY  # a trailing slash follows the link
    assert kind(guest, "link_file/") == Errno.NOTDIR
    assert guest.path("path_create_directory", 3, "newd/") == Errno.SUCCESS
    assert guest.path("path_remove_directory", 3, "newd/") == Errno.INVAL  # "newd/." in wasmtime
    assert guest.path("path_remove_directory", 3, "link_sub/") == Errno.INVAL
    assert guest.path("path_remove_directory", 3, "file.txt/") == Errno.NOTDIR
    assert guest.path("path_unlink_file", 3, "sub/") == Errno.ISDIR
    assert guest.path("path_unlink_file", 3, "file.txt/") == Errno.NOTDIR
    assert two(guest, "path_symlink", "x", "newlink/") == Errno.NOENT
    assert two(guest, "path_symlink", "x", "sub/") == Errno.EXIST
    assert two(guest, "path_symlink", "x", "file.txt/") == Errno.NOTDIR
    assert two(guest, "path_rename", "newd/", "renamed") == Errno.SUCCESS
    assert two(guest, "path_rename", "renamed", "newd/") == Errno.SUCCESS
    assert two(guest, "path_rename", "file2.txt/", "x") == Errno.NOTDIR
    assert two(guest, "path_rename", "file2.txt", "h/") == Errno.NOTDIR


def test_directories(fs_guest: Guest) -> None:
    guest = fs_guest
    assert guest.path("path_create_directory", 3, "d") == Errno.SUCCESS
    assert guest.path("path_create_directory", 3, "d/e") == Errno.SUCCESS
    assert guest.path("path_create_directory", 3, "d") == Errno.EXIST
    assert guest.path("path_create_directory", 3, "d/..") == Errno.EXIST
    assert guest.path("path_create_directory", 3, ".") == Errno.EXIST
    assert guest.path("path_create_directory", 3, "x/.") == Errno.NOENT
    assert guest.path("path_create_directory", 3, "a/b") == Errno.NOENT
    assert guest.path("path_create_directory", 3, "file.txt") == Errno.EXIST
    assert guest.path("path_create_directory", 3, "") == Errno.NOENT
    assert guest.path("path_remove_directory", 3, "d") == Errno.NOTEMPTY
    assert guest.path("path_remove_directory", 3, ".") == Errno.INVAL
    assert guest.path("path_remove_directory", 3, "d/e/.") == Errno.INVAL
    assert guest.path("path_remove_directory", 3, "file.txt") == Errno.NOTDIR
    assert guest.path("path_remove_directory", 3, "link_sub") == Errno.NOTDIR
    assert guest.path("path_remove_directory", 3, "missing") == Errno.NOENT
    assert guest.path("path_remove_directory", 3, "d/e") == Errno.SUCCESS
    assert guest.path("path_remove_directory", 3, "d") == Errno.SUCCESS
    assert kind(guest, "d") == Errno.NOENT


def test_unlink(fs_guest: Guest) -> None:
    guest = fs_guest
    assert guest.path("path_unlink_file", 3, "sub") == Errno.ISDIR
    assert guest.path("path_unlink_file", 3, ".") == Errno.ISDIR
    assert guest.path("path_unlink_file", 3, "missing") == Errno.NOENT
    assert guest.path("path_unlink_file", 3, "link_sub") == Errno.SUCCESS  # the link, not the dir
    assert kind(guest, "sub") == Filetype.DIRECTORY
    assert guest.path("path_unlink_file", 3, "file.txt") == Errno.SUCCESS
    assert kind(guest, "link_file", follow=True) == Errno.NOENT


def test_unlinked_open_file_stays_usable(fs_guest: Guest) -> None:
    guest = fs_guest
    errno, fd = guest.open("tmp", oflags=Oflags.CREAT, rights=WRITE)
    guest.write(fd, b"abc")
    assert guest.path("path_unlink_file", 3, "tmp") == Errno.SUCCESS
    out = guest.alloc(64)
    assert guest.errno("fd_filestat_get", fd, out) == Errno.SUCCESS
    assert (guest.u64(out + 24), guest.u64(out + 32)) == (0, 3)  # nlink 0, size 3
    assert guest.errno("fd_seek", fd, 0, 0, out) == Errno.SUCCESS
    assert guest.read(fd, 10) == (Errno.SUCCESS, b"abc")


def test_rename(fs_guest: Guest) -> None:
    guest = fs_guest
    assert two(guest, "path_rename", "file.txt", "file2.txt") == Errno.SUCCESS
    assert kind(guest, "file.txt") == Errno.NOENT
    assert guest.open("file2.txt", rights=READ)[0] == Errno.SUCCESS
    assert two(guest, "path_rename", "file2.txt", "sub") == Errno.ISDIR
    assert two(guest, "path_rename", "sub", "file2.txt") == Errno.NOTDIR
    assert two(guest, "path_rename", "sub", "sub/inner") == Errno.INVAL
    assert two(guest, "path_rename", "sub", "notempty") == Errno.NOTEMPTY
    assert two(guest, "path_rename", "sub", "sub") == Errno.SUCCESS
    assert two(guest, "path_rename", ".", "x") == Errno.BUSY
    assert two(guest, "path_rename", "file2.txt", ".") == Errno.BUSY
    assert two(guest, "path_rename", "missing", "x") == Errno.NOENT
    assert guest.path("path_create_directory", 3, "empty") == Errno.SUCCESS
    assert two(guest, "path_rename", "sub", "empty") == Errno.SUCCESS  # over an empty directory
    assert kind(guest, "empty/up") == Filetype.SYMBOLIC_LINK
    assert two(guest, "path_rename", "link_out", "renamed_link") == Errno.SUCCESS  # links move as links


def test_hard_links(fs_guest: Guest) -> None:
    guest = fs_guest
    assert two(guest, "path_link", "file.txt", "hard", 0) == Errno.SUCCESS
    assert guest.filestat("file.txt")[1]["nlink"] == 2
    assert guest.filestat("hard")[1]["ino"] == guest.filestat("file.txt")[1]["ino"]
    assert two(guest, "path_link", "file.txt", "hard", 0) == Errno.EXIST
    assert two(guest, "path_link", "sub", "hard_dir", 0) == Errno.PERM
    assert two(guest, "path_link", ".", "z", 0) == Errno.PERM
    assert two(guest, "path_link", "file.txt", ".", 0) == Errno.EXIST
    assert two(guest, "path_link", "file.txt", "sub/", 0) == Errno.EXIST
    assert two(guest, "path_link", "file.txt", "new/", 0) == Errno.NOENT
    assert two(guest, "path_link", "missing", "x", 0) == Errno.NOENT


def test_symlinks_and_readlink(fs_guest: Guest) -> None:
    guest = fs_guest
    assert two(guest, "path_symlink", "file.txt", "ln") == Errno.SUCCESS
    assert two(guest, "path_symlink", "file.txt", "ln") == Errno.EXIST
    assert two(guest, "path_symlink", "", "empty") == Errno.NOENT
    assert two(guest, "path_symlink", "x", ".") == Errno.EXIST
    out, buf = guest.alloc(4), guest.alloc(64)
    assert guest.path("path_readlink", 3, "ln", buf, 64, out) == Errno.SUCCESS
    assert guest.bytes(buf, guest.u32(out)) == b"file.txt"
    # wasmtime truncates to the buffer and reports the truncated length.
    assert guest.path("path_readlink", 3, "link_out", buf, 5, out) == Errno.SUCCESS
    assert guest.bytes(buf, guest.u32(out)) == b"../ou"
    assert guest.path("path_readlink", 3, "link_out", buf, 0, out) == Errno.SUCCESS and guest.u32(out) == 0
    assert guest.path("path_readlink", 3, "file.txt", buf, 64, out) == Errno.INVAL
    assert guest.path("path_readlink", 3, "missing", buf, 64, out) == Errno.NOENT
    assert guest.path("path_readlink", 3, ".", buf, 64, out) == Errno.INVAL
    # Following: intermediate links always, the final one only with SYMLINK_FOLLOW.
    assert kind(guest, "ln") == Filetype.SYMBOLIC_LINK
    assert kind(guest, "ln", follow=True) == Filetype.REGULAR_FILE
    assert guest.filestat("ln")[1]["size"] == len("file.txt")
    assert kind(guest, "link_sub/up/file.txt") == Filetype.REGULAR_FILE
    assert guest.open("ln", follow=False)[0] == Errno.LOOP
    assert guest.open("link_sub", oflags=Oflags.DIRECTORY, follow=False)[0] == Errno.LOOP
    assert guest.open("link_file", oflags=Oflags.DIRECTORY, follow=True)[0] == Errno.NOTDIR
    assert kind(guest, "loop1") == Filetype.SYMBOLIC_LINK
    assert kind(guest, "loop1", follow=True) == Errno.LOOP
    # O_CREAT through a dangling link creates its target (wasmtime, Linux).
    assert guest.open("dangling", oflags=Oflags.CREAT, follow=False)[0] == Errno.LOOP
    assert guest.open("dangling", oflags=Oflags.CREAT, follow=True, rights=WRITE)[0] == Errno.SUCCESS
    assert kind(guest, "nothing") == Filetype.REGULAR_FILE


def test_exclusive_create_never_follows_a_final_link(fs_guest: Guest) -> None:
    # POSIX and wasmtime: with O_CREAT|O_EXCL a final symbolic link makes the open fail with
    # EXIST, whatever it points to; lock files and temporary files rely on it.
    guest = fs_guest
    exclusive = Oflags.CREAT | Oflags.EXCL
    assert guest.open("dangling", oflags=exclusive, follow=True, rights=WRITE)[0] == Errno.EXIST
    assert kind(guest, "nothing") == Errno.NOENT  # its target was not created
    assert guest.open("link_file", oflags=exclusive, follow=True, rights=WRITE)[0] == Errno.EXIST
    assert guest.open("loop1", oflags=exclusive, follow=True, rights=WRITE)[0] == Errno.EXIST
    # A link on the way is still followed.
    assert guest.open("link_sub/new.txt", oflags=exclusive, follow=True, rights=WRITE)[0] == Errno.SUCCESS
    assert kind(guest, "sub/new.txt") == Filetype.REGULAR_FILE


def test_path_filestat_set_times(fs_guest: Guest) -> None:
    guest = fs_guest
    ptr, length = guest.text("file.txt")
    assert (
        guest.errno("path_filestat_set_times", 3, 0, ptr, length, 1_000_000_123, 2_000_000_456, 0b0101)
        == Errno.SUCCESS
    )
    stat = guest.filestat("file.txt")[1]
    assert (stat["atim"], stat["mtim"]) == (1_000_000_123, 2_000_000_456)
    ptr, length = guest.text("link_sub")  # without SYMLINK_FOLLOW the link itself changes
    assert guest.errno("path_filestat_set_times", 3, 0, ptr, length, 7, 8, 0b0101) == Errno.SUCCESS
    stat = guest.filestat("link_sub")[1]
    assert (stat["atim"], stat["mtim"]) == (7, 8)
    assert guest.errno("path_filestat_set_times", 3, 0, ptr, length, 0, 0, 0b0011) == Errno.INVAL


def test_nonblock_is_recorded(fs_guest: Guest) -> None:
    guest = fs_guest
    errno, fd = guest.open("file.txt", rights=READ, fdflags=Fdflags.NONBLOCK)
    out = guest.alloc(24)
    guest.call("fd_fdstat_get", fd, out)
    assert guest.u32(out) >> 16 == Fdflags.NONBLOCK
    assert guest.read(fd, 100) == (Errno.SUCCESS, b"hello\n")


def test_path_rights(fs_guest: Guest) -> None:
    guest = fs_guest
    assert guest.open("sub/f.txt", oflags=Oflags.CREAT, rights=READ)[0] == Errno.SUCCESS
    errno, sub = guest.open("sub", rights=Rights.PATH_OPEN, inheriting=READ)
    assert errno == Errno.SUCCESS
    assert guest.open("up", dirfd=sub, oflags=Oflags.CREAT)[0] == Errno.NOTCAPABLE
    assert guest.path("path_create_directory", sub, "x") == Errno.NOTCAPABLE
    assert guest.filestat("up", fd=sub)[0] == Errno.NOTCAPABLE
    # Rights asked beyond the directory's inheriting rights are not granted.
    errno, fd = guest.open("f.txt", dirfd=sub, rights=WRITE | Rights.FD_ALLOCATE)
    assert errno == Errno.SUCCESS
    # An opened directory is a root of its own: ".." from it (here through "up") is PERM.
    assert guest.open("up/file.txt", dirfd=sub)[0] == Errno.PERM
    out = guest.alloc(24)
    guest.call("fd_fdstat_get", fd, out)
    assert guest.u64(out + 8) == READ
    # Truncating needs PATH_FILESTAT_SET_SIZE on the directory (wasi-testsuite truncation_rights).
    assert (
        guest.errno("fd_fdstat_set_rights", 3, Rights.PATH_OPEN, DIRECTORY_RIGHTS | FILE_RIGHTS)
        == Errno.SUCCESS
    )
    assert guest.open("file.txt", oflags=Oflags.TRUNC)[0] == Errno.NOTCAPABLE


def test_path_open_on_a_file_fd_is_notdir(fs_guest: Guest) -> None:
    guest = fs_guest
    errno, fd = guest.open("file.txt", rights=READ)
    assert guest.open("x", dirfd=fd)[0] == Errno.NOTDIR  # wasmtime
    assert guest.open("x", dirfd=1)[0] == Errno.BADF
    assert guest.filestat("x", fd=fd)[0] == Errno.BADF
