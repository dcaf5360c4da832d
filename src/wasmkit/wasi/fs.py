"""The filesystem protocol: the one interface through which WASI reaches any filesystem.

A filesystem is reached only through `Directory` handles, and a `Directory` only ever looks up
a single name in itself: never a path, never `..`, and never through a symbolic link (a final
symbolic link makes `open` fail with LOOP, as `O_NOFOLLOW` does). Paths, `..` and symbolic
links are resolved above this interface, once, by `wasmkit.wasi.sandbox`, which is what keeps a
guest inside its preopened directories whatever the implementation. Two implementations exist:
`wasmkit.wasi.hostfs` (a real host directory, through `openat`-style calls) and
`wasmkit.wasi.memfs` (an in-memory tree, for the edge server and for tests); any other
`Filesystem` can be preopened with `WasiConfig.preopen_fs`.

Every method raises `WasiError` with the errno a POSIX host would give for the same call.
Timestamps are nanoseconds since the Unix epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .abi import Advice, Filetype

__all__ = ["DirEntry", "Directory", "File", "Filesystem", "OpenOptions", "Stat"]


@dataclass(frozen=True, slots=True)
class Stat:
    """The attributes of a file, directory or symbolic link (the witx `filestat`)."""

    filetype: Filetype
    dev: int
    ino: int
    nlink: int
    size: int
    atim: int
    mtim: int
    ctim: int


@dataclass(frozen=True, slots=True)
class DirEntry:
    """One entry of a directory listing, `.` and `..` excluded."""

    name: str
    filetype: Filetype
    ino: int


@dataclass(frozen=True, slots=True)
class OpenOptions:
    """How `Directory.open` opens a name.

    `read`/`write` choose the access mode; `create`, `exclusive`, `truncate` and `directory` are
    the open flags of the same names; `dsync`, `rsync` and `sync` request synchronized I/O.
    Opening a directory for writing fails with ISDIR; `directory` makes anything but a
    directory fail with NOTDIR.
    """

    read: bool = True
    write: bool = False
    create: bool = False
    exclusive: bool = False
    truncate: bool = False
    directory: bool = False
    dsync: bool = False
    rsync: bool = False
    sync: bool = False


class File(Protocol):
    """An open regular file (or other non-directory). Offsets are explicit: the WASI layer keeps
    each descriptor's position itself, as wasmtime does."""

    def read(self, size: int, offset: int) -> bytes:
        """Up to `size` bytes at `offset`; fewer at the end of the file, none past it."""
        ...

    def write(self, data: bytes | bytearray | memoryview, offset: int | None) -> int:
        """Write at `offset`, or at the end of the file when `offset` is None; return the count.
        `data` may be a view of the guest's memory, valid during the call only."""
        ...

    def stat(self) -> Stat: ...

    def truncate(self, size: int) -> None: ...

    def allocate(self, offset: int, length: int) -> None:
        """Make sure the bytes `[offset, offset + length)` are allocated, growing the file."""
        ...

    def advise(self, offset: int, length: int, advice: Advice) -> None: ...

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        """Set the access and modification times; None leaves one unchanged."""
        ...

    def sync(self) -> None: ...

    def datasync(self) -> None: ...

    def close(self) -> None: ...


class Directory(Protocol):
    """An open directory. Every `name` is one path component other than `..`; `.` names the
    directory itself where that makes sense (`open`). Nothing follows a symbolic link."""

    def open(self, name: str, options: OpenOptions) -> Directory | File: ...

    def stat(self, name: str | None = None) -> Stat:
        """The attributes of entry `name` (not following a symbolic link), or of this directory."""
        ...

    def entries(self) -> list[DirEntry]: ...

    def mkdir(self, name: str) -> None: ...

    def rmdir(self, name: str) -> None: ...

    def unlink(self, name: str) -> None: ...

    def symlink(self, target: str, name: str) -> None: ...

    def readlink(self, name: str) -> str:
        """The target of symbolic link `name`; INVAL if `name` is no symbolic link."""
        ...

    def link(self, name: str, target_dir: Directory, target_name: str) -> None:
        """Create hard link `target_name` in `target_dir` to entry `name` (XDEV across
        filesystems)."""
        ...

    def rename(self, name: str, target_dir: Directory, target_name: str) -> None: ...

    def set_times(self, name: str | None, atim: int | None, mtim: int | None) -> None:
        """Set the times of entry `name` (not following a symbolic link), or of this directory."""
        ...

    def close(self) -> None: ...


class Filesystem(Protocol):
    """Something that can be preopened (`WasiConfig.preopen_fs`): it hands each instance a
    new handle on its root directory. `MemoryFS` is one."""

    def root(self) -> Directory: ...
