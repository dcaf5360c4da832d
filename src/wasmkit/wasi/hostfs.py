"""The filesystem protocol over a real host directory.

Every call names one path component relative to a directory file descriptor this object holds
(`openat`, `mkdirat`, `unlinkat`, ... through the `dir_fd` arguments of `os`), with
`O_NOFOLLOW` / `follow_symlinks=False`, so a host call can never be steered outside the
directory it is made on, even by a symbolic link swapped in concurrently. Host errors become
`WasiError` with the WASI errno of the same name.
"""

from __future__ import annotations

import contextlib
import errno as host_errno
import fcntl
import functools
import os
import stat as host_stat
from collections.abc import Callable
from typing import TypeVar

from .abi import Advice, Filetype
from .errno import Errno, WasiError, errno_from_oserror
from .fs import Directory, DirEntry, File, OpenOptions, Stat

__all__ = ["HostDirectory", "HostFile"]

_T = TypeVar("_T")

_FADVICE = {
    Advice.NORMAL: getattr(os, "POSIX_FADV_NORMAL", None),
    Advice.SEQUENTIAL: getattr(os, "POSIX_FADV_SEQUENTIAL", None),
    Advice.RANDOM: getattr(os, "POSIX_FADV_RANDOM", None),
    Advice.WILLNEED: getattr(os, "POSIX_FADV_WILLNEED", None),
    Advice.DONTNEED: getattr(os, "POSIX_FADV_DONTNEED", None),
    Advice.NOREUSE: getattr(os, "POSIX_FADV_NOREUSE", None),
}
_RWF_APPEND = getattr(os, "RWF_APPEND", None)


def _host_call(method: Callable[..., _T]) -> Callable[..., _T]:
    """Run a host call, turning `OSError` into `WasiError`; an offset or time too large for the
    host is INVAL."""

    @functools.wraps(method)
    def call(*args: object) -> _T:
        try:
            return method(*args)
        except OSError as exc:
            raise WasiError(errno_from_oserror(exc)) from None
        except (OverflowError, ValueError):
            raise WasiError(Errno.INVAL) from None

    return call


def _filetype(mode: int) -> Filetype:
    if host_stat.S_ISREG(mode):
        return Filetype.REGULAR_FILE
    if host_stat.S_ISDIR(mode):
        return Filetype.DIRECTORY
    if host_stat.S_ISLNK(mode):
        return Filetype.SYMBOLIC_LINK
    if host_stat.S_ISCHR(mode):
        return Filetype.CHARACTER_DEVICE
    if host_stat.S_ISBLK(mode):
        return Filetype.BLOCK_DEVICE
    if host_stat.S_ISSOCK(mode):
        return Filetype.SOCKET_STREAM
    return Filetype.UNKNOWN


def _stat(st: os.stat_result) -> Stat:
    # Times before 1970 do not fit the unsigned witx timestamp; they read as 0.
    return Stat(
        filetype=_filetype(st.st_mode),
        dev=st.st_dev,
        ino=st.st_ino,
        nlink=st.st_nlink,
        size=st.st_size,
        atim=max(st.st_atime_ns, 0),
        mtim=max(st.st_mtime_ns, 0),
        ctim=max(st.st_ctime_ns, 0),
    )


def _close(fd: int) -> int:
    """Close `fd` once (a second close is harmless); return -1, the closed marker."""
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)
    return -1


def _utf8(text: str) -> str:
    """`text` if it is valid UTF-8 (host names that are not come back with surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise WasiError(Errno.ILSEQ) from None
    return text


class HostFile:
    """An open host file descriptor (a regular file, or a device or FIFO)."""

    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @_host_call
    def read(self, size: int, offset: int) -> bytes:
        return os.pread(self._fd, size, offset)

    @_host_call
    def write(self, data: bytes | bytearray | memoryview, offset: int | None) -> int:
        if offset is not None:
            return os.pwrite(self._fd, data, offset)
        if _RWF_APPEND is not None:
            try:
                return os.pwritev(self._fd, [data], 0, _RWF_APPEND)
            except OSError as exc:
                if exc.errno not in (host_errno.ENOSYS, host_errno.EOPNOTSUPP):
                    raise
        flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
        fcntl.fcntl(self._fd, fcntl.F_SETFL, flags | os.O_APPEND)
        try:
            return os.write(self._fd, data)
        finally:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags)

    @_host_call
    def stat(self) -> Stat:
        return _stat(os.fstat(self._fd))

    @_host_call
    def truncate(self, size: int) -> None:
        os.ftruncate(self._fd, size)

    @_host_call
    def allocate(self, offset: int, length: int) -> None:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(self._fd, offset, length)
        elif os.fstat(self._fd).st_size < offset + length:
            os.ftruncate(self._fd, offset + length)

    @_host_call
    def advise(self, offset: int, length: int, advice: Advice) -> None:
        host_advice = _FADVICE[advice]
        if host_advice is not None:
            os.posix_fadvise(self._fd, offset, length, host_advice)

    @_host_call
    def set_times(self, atim: int | None, mtim: int | None) -> None:
        if atim is None or mtim is None:
            current = os.fstat(self._fd)
            atim = current.st_atime_ns if atim is None else atim
            mtim = current.st_mtime_ns if mtim is None else mtim
        os.utime(self._fd, ns=(atim, mtim))

    @_host_call
    def sync(self) -> None:
        os.fsync(self._fd)

    @_host_call
    def datasync(self) -> None:
        getattr(os, "fdatasync", os.fsync)(self._fd)

    def close(self) -> None:
        self._fd = _close(self._fd)


class HostDirectory:
    """An open host directory; every name is looked up in it without following symlinks."""

    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def open_path(cls, path: str | os.PathLike[str]) -> HostDirectory:
        """Open the host directory at `path` (a host path, given by the embedder, never by a
        guest); raises `OSError` if it cannot be opened as a directory."""
        return cls(os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))

    @_host_call
    def open(self, name: str, options: OpenOptions) -> Directory | File:
        flags = os.O_NOFOLLOW | os.O_CLOEXEC
        if options.write:
            flags |= os.O_RDWR if options.read else os.O_WRONLY
        else:
            flags |= os.O_RDONLY
        if options.create:
            flags |= os.O_CREAT | (os.O_EXCL if options.exclusive else 0)
        if options.truncate:
            flags |= os.O_TRUNC
        if options.directory:
            flags |= os.O_DIRECTORY
        if options.dsync:
            flags |= os.O_DSYNC
        if options.rsync:
            flags |= getattr(os, "O_RSYNC", os.O_SYNC)
        if options.sync:
            flags |= os.O_SYNC
        try:
            fd = os.open(name, flags, 0o666, dir_fd=self._fd)
        except NotADirectoryError:
            # O_DIRECTORY | O_NOFOLLOW on a symbolic link fails with ENOTDIR on Linux; the
            # protocol says LOOP for every final symbolic link.
            if host_stat.S_ISLNK(os.stat(name, dir_fd=self._fd, follow_symlinks=False).st_mode):
                raise WasiError(Errno.LOOP) from None
            raise
        try:
            is_dir = host_stat.S_ISDIR(os.fstat(fd).st_mode)
        except OSError:
            os.close(fd)
            raise
        return HostDirectory(fd) if is_dir else HostFile(fd)

    @_host_call
    def stat(self, name: str | None = None) -> Stat:
        if name is None:
            return _stat(os.fstat(self._fd))
        return _stat(os.stat(name, dir_fd=self._fd, follow_symlinks=False))

    @_host_call
    def entries(self) -> list[DirEntry]:
        listing = []
        with os.scandir(self._fd) as scan:
            for entry in scan:
                if entry.is_symlink():
                    filetype = Filetype.SYMBOLIC_LINK
                elif entry.is_dir(follow_symlinks=False):
                    filetype = Filetype.DIRECTORY
                elif entry.is_file(follow_symlinks=False):
                    filetype = Filetype.REGULAR_FILE
                else:
                    filetype = _filetype(entry.stat(follow_symlinks=False).st_mode)
                listing.append(DirEntry(_utf8(entry.name), filetype, entry.inode()))
        return listing

    @_host_call
    def mkdir(self, name: str) -> None:
        os.mkdir(name, 0o777, dir_fd=self._fd)

    @_host_call
    def rmdir(self, name: str) -> None:
        os.rmdir(name, dir_fd=self._fd)

    @_host_call
    def unlink(self, name: str) -> None:
        os.unlink(name, dir_fd=self._fd)

    @_host_call
    def symlink(self, target: str, name: str) -> None:
        os.symlink(target, name, dir_fd=self._fd)

    @_host_call
    def readlink(self, name: str) -> str:
        return _utf8(os.readlink(name, dir_fd=self._fd))

    @_host_call
    def link(self, name: str, target_dir: Directory, target_name: str) -> None:
        if not isinstance(target_dir, HostDirectory):
            raise WasiError(Errno.XDEV)
        os.link(name, target_name, src_dir_fd=self._fd, dst_dir_fd=target_dir._fd, follow_symlinks=False)

    @_host_call
    def rename(self, name: str, target_dir: Directory, target_name: str) -> None:
        if not isinstance(target_dir, HostDirectory):
            raise WasiError(Errno.XDEV)
        os.rename(name, target_name, src_dir_fd=self._fd, dst_dir_fd=target_dir._fd)

    @_host_call
    def set_times(self, name: str | None, atim: int | None, mtim: int | None) -> None:
        if atim is None or mtim is None:
            current = (
                os.fstat(self._fd) if name is None else os.stat(name, dir_fd=self._fd, follow_symlinks=False)
            )
            atim = current.st_atime_ns if atim is None else atim
            mtim = current.st_mtime_ns if mtim is None else mtim
        if name is None:
            os.utime(self._fd, ns=(atim, mtim))
        else:
            os.utime(name, ns=(atim, mtim), dir_fd=self._fd, follow_symlinks=False)

    def close(self) -> None:
        self._fd = _close(self._fd)
