"""The file descriptor table and what it holds.

Three kinds of descriptor exist, as in wasmtime: a stdio stream (fds 0-2, possibly renumbered),
an open file, and an open directory (preopened, or opened with `path_open`). Each carries its
witx rights: `rights_base` gates what the descriptor itself may do, `rights_inheriting` caps
the rights of descriptors opened through it. A missing right fails with NOTCAPABLE, except
that reading or writing without FD_READ / FD_WRITE fails with BADF, which is what POSIX gives
for a file not open for reading or writing, and what wasmtime gives.

Numbers are handed out as wasmtime does: the most recently freed-up highest number first,
otherwise one past the highest in use.
"""

from __future__ import annotations

import abc

from .abi import Fdflags, Filetype, Rights
from .config import DirPerms, FilePerms
from .errno import Errno, WasiError
from .fs import Directory, DirEntry, File
from .stdio import InputStream, OutputStream

__all__ = [
    "Descriptor",
    "DirectoryDescriptor",
    "FdTable",
    "FileDescriptor",
    "InputDescriptor",
    "OutputDescriptor",
]

MAX_FD = (1 << 31) - 1  # path_open "guarantees" fds below 2**31
MAX_OPEN = 1 << 16  # descriptors one instance may hold at once


class Descriptor(abc.ABC):
    """An entry of the table, with its rights."""

    __slots__ = ("rights_base", "rights_inheriting")

    def __init__(self, rights_base: Rights, rights_inheriting: Rights) -> None:
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting

    def require(self, rights: Rights) -> None:
        """Fail with NOTCAPABLE unless this descriptor has all of `rights`."""
        if rights & ~self.rights_base:
            raise WasiError(Errno.NOTCAPABLE)

    def require_io(self, right: Rights) -> None:
        """Fail with BADF unless this descriptor has FD_READ or FD_WRITE (`right`)."""
        if not self.rights_base & right:
            raise WasiError(Errno.BADF)

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the descriptor holds."""


class InputDescriptor(Descriptor):
    """stdin: rights FD_READ only, as wasmtime gives it."""

    __slots__ = ("stream",)

    def __init__(self, stream: InputStream) -> None:
        super().__init__(Rights.FD_READ, Rights.FD_READ)
        self.stream = stream

    def close(self) -> None:
        self.stream.close()


class OutputDescriptor(Descriptor):
    """stdout or stderr: rights FD_WRITE only, as wasmtime gives them."""

    __slots__ = ("stream",)

    def __init__(self, stream: OutputStream) -> None:
        super().__init__(Rights.FD_WRITE, Rights.FD_WRITE)
        self.stream = stream

    def close(self) -> None:
        self.stream.close()


class FileDescriptor(Descriptor):
    """An open file; `position` is this descriptor's own offset (wasmtime keeps it so too)."""

    __slots__ = ("file", "filetype", "flags", "perms", "position")

    def __init__(
        self,
        file: File,
        filetype: Filetype,
        flags: Fdflags,
        perms: FilePerms,
        rights_base: Rights,
        rights_inheriting: Rights,
    ) -> None:
        super().__init__(rights_base, rights_inheriting)
        self.file = file
        self.filetype = filetype
        self.flags = flags
        self.perms = perms
        self.position = 0

    def require_perms(self, perms: FilePerms) -> None:
        """Fail with PERM unless the preopen this file came from allows `perms`."""
        if perms not in self.perms:
            raise WasiError(Errno.PERM)

    def close(self) -> None:
        self.file.close()


class DirectoryDescriptor(Descriptor):
    """An open directory. `preopen` is its guest name if it was preopened. `listing` caches the
    entries `fd_readdir` read at cookie 0, for the calls that continue from there."""

    __slots__ = ("dir_perms", "directory", "file_perms", "listing", "preopen")

    def __init__(
        self,
        directory: Directory,
        preopen: str | None,
        dir_perms: DirPerms,
        file_perms: FilePerms,
        rights_base: Rights,
        rights_inheriting: Rights,
    ) -> None:
        super().__init__(rights_base, rights_inheriting)
        self.directory = directory
        self.preopen = preopen
        self.dir_perms = dir_perms
        self.file_perms = file_perms
        self.listing: list[DirEntry] | None = None

    def require_perms(self, perms: DirPerms) -> None:
        """Fail with PERM unless the preopen this directory came from allows `perms`."""
        if perms not in self.dir_perms:
            raise WasiError(Errno.PERM)

    def close(self) -> None:
        self.directory.close()


class FdTable:
    """File descriptor numbers -> descriptors."""

    def __init__(self) -> None:
        self._used: dict[int, Descriptor] = {}
        self._free: set[int] = set()

    def add(self, descriptor: Descriptor) -> int:
        """Give `descriptor` a number; MFILE when the table is full."""
        if len(self._used) >= MAX_OPEN:
            raise WasiError(Errno.MFILE)
        if self._free:
            fd = max(self._free)
            self._free.discard(fd)
        else:
            fd = max(self._used, default=-1) + 1
            if fd > MAX_FD:
                raise WasiError(Errno.MFILE)
        self._used[fd] = descriptor
        return fd

    def get(self, fd: int) -> Descriptor:
        descriptor = self._used.get(fd)
        if descriptor is None:
            raise WasiError(Errno.BADF)
        return descriptor

    def file(self, fd: int) -> FileDescriptor:
        """The open file `fd`; BADF for anything else."""
        descriptor = self.get(fd)
        if not isinstance(descriptor, FileDescriptor):
            raise WasiError(Errno.BADF)
        return descriptor

    def seekable(self, fd: int) -> FileDescriptor:
        """The open file `fd`; SPIPE for a stdio stream, BADF for anything else."""
        descriptor = self.get(fd)
        if isinstance(descriptor, FileDescriptor):
            return descriptor
        if isinstance(descriptor, (InputDescriptor, OutputDescriptor)):
            raise WasiError(Errno.SPIPE)
        raise WasiError(Errno.BADF)

    def directory(self, fd: int) -> DirectoryDescriptor:
        """The open directory `fd`; BADF for anything else."""
        descriptor = self.get(fd)
        if not isinstance(descriptor, DirectoryDescriptor):
            raise WasiError(Errno.BADF)
        return descriptor

    def close(self, fd: int) -> None:
        """Close `fd` and free its number."""
        self.get(fd)
        self._used.pop(fd).close()
        self._free.add(fd)

    def renumber(self, fd: int, to: int) -> None:
        """Move descriptor `fd` to number `to`, closing what `to` held."""
        self.get(to)
        self.get(fd)
        if fd == to:
            return
        self._used.pop(to).close()
        self._used[to] = self._used.pop(fd)
        self._free.add(fd)
        self._free.discard(to)

    def close_all(self) -> None:
        """Close every descriptor (when the instance is done)."""
        while self._used:
            self._used.popitem()[1].close()
        self._free.clear()
