"""The path_* functions: everything that names a file by a path relative to a directory fd.

    path_open(fd, dirflags: lookupflags, path: *u8, path_len, oflags: u16, fs_rights_base: u64,
              fs_rights_inheriting: u64, fdflags: u16, retptr: *fd) -> errno
    path_filestat_get(fd, flags: lookupflags, path, path_len, retptr: *filestat) -> errno
    path_filestat_set_times(fd, flags, path, path_len, atim: u64, mtim: u64, fst_flags: u16)
    path_create_directory(fd, path, path_len)      path_remove_directory(fd, path, path_len)
    path_unlink_file(fd, path, path_len)           path_readlink(fd, path, path_len, buf, buf_len, retptr)
    path_symlink(old_path, old_path_len, fd, new_path, new_path_len)
    path_link(old_fd, old_flags, old_path, old_path_len, new_fd, new_path, new_path_len)
    path_rename(fd, old_path, old_path_len, new_fd, new_path, new_path_len)

Paths are UTF-8 (ILSEQ otherwise) and resolved by `wasmkit.wasi.sandbox`, so they never lead
outside the directory fd they start from. Checks come in a fixed order: flag values (INVAL),
the directory fd (BADF; NOTDIR for path_open on a file), its rights (NOTCAPABLE), the path
string (FAULT, ILSEQ, INVAL for a NUL, NAMETOOLONG from PATH_MAX bytes on, PERM if absolute,
as wasmtime orders them), the preopen's permissions (PERM), then the filesystem itself.

A path (or link target) of PATH_MAX bytes or more can only fail; it is checked a piece at a
time and never decoded whole, so a guest's 100 MiB "path" costs the host no more than a piece.

What a path resolves to is done by `wasmkit.wasi.pathops`, which WASI 0.2 shares; the errnos
of a path naming a directory itself (`.`, `sub/..`) or ending in `/` are listed there.

path_open gives the new descriptor the rights asked for, limited to the directory's inheriting
rights and to the rights that apply to what was opened (`abi.FILE_RIGHTS`,
`abi.DIRECTORY_RIGHTS`). It opens for writing when FD_WRITE is among them or `creat`/`trunc`
is asked, for reading otherwise or when FD_READ is among them, as wasmtime does, and it
honours every oflag, every fdflag (`dsync`, `rsync` and `sync` reach the host's open; they
need FD_DATASYNC or FD_SYNC among the directory's inheriting rights) and `symlink_follow`.
"""

from __future__ import annotations

import codecs
from typing import cast

from .abi import DIRECTORY_RIGHTS, FILE_RIGHTS, Fdflags, Filetype, Lookupflags, Oflags, Rights, decode
from .config import DirPerms, FilePerms
from .errno import Errno, WasiError
from .fd import new_times, store_filestat
from .fdtable import Descriptor, DirectoryDescriptor, FdTable, FileDescriptor
from .fs import Directory, File, OpenOptions
from .memory import GuestMemory
from .pathops import (
    PATH_MAX, check_symlink_target, create_directory_at, link_at, open_at, readlink_at,
    remove_directory_at, rename_at, set_times_at, stat_at, symlink_at, unlink_file_at,
)  # fmt: skip
from .syscall import I32, I64, syscall

__all__ = ["PathCalls"]

_ALL_RIGHTS = Rights((1 << 30) - 1)


def _follows(flags: int) -> bool:
    return Lookupflags.SYMLINK_FOLLOW in decode(Lookupflags, flags)


def _path(mem: GuestMemory, ptr: int, length: int) -> str:
    """A path the guest passed as (pointer, length): FAULT out of memory, ILSEQ if not UTF-8,
    and then, from PATH_MAX bytes on, INVAL if it holds a NUL, else NAMETOOLONG (the
    sandbox checks a shorter one for NUL and more)."""
    if length < PATH_MAX:
        return mem.string(ptr, length)
    decoder = codecs.getincrementaldecoder("utf-8")()
    nul = False
    try:
        for piece in mem.pieces(ptr, length):
            nul = "\0" in decoder.decode(piece) or nul
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise WasiError(Errno.ILSEQ) from None
    raise WasiError(Errno.INVAL if nul else Errno.NAMETOOLONG)


def _symlink_target(mem: GuestMemory, ptr: int, length: int) -> str:
    """A symbolic link's contents as a guest gave them: never absolute (PERM, as wasmtime),
    no NUL (INVAL), shorter than PATH_MAX (NAMETOOLONG, after the rest, as wasmtime)."""
    try:
        text = _path(mem, ptr, length)
    except WasiError as exc:
        if exc.errno is Errno.NAMETOOLONG and mem.read(ptr, 1) == b"/":
            raise WasiError(Errno.PERM) from None
        raise
    return check_symlink_target(text)


def _open_options(parent: DirectoryDescriptor, how: Oflags, flags: Fdflags, base: Rights) -> OpenOptions:
    """How path_open opens, after checking that `parent` allows it."""
    if Oflags.DIRECTORY in how and how & (Oflags.CREAT | Oflags.EXCL | Oflags.TRUNC):
        raise WasiError(Errno.INVAL)
    # The witx lets a directory whose rights include FD_DATASYNC / FD_SYNC open files with
    # dsync / rsync and sync; on a directory those are inheriting rights.
    if Fdflags.DSYNC in flags and Rights.FD_DATASYNC not in parent.rights_inheriting:
        raise WasiError(Errno.NOTCAPABLE)
    if flags & (Fdflags.RSYNC | Fdflags.SYNC) and Rights.FD_SYNC not in parent.rights_inheriting:
        raise WasiError(Errno.NOTCAPABLE)
    write = bool(base & Rights.FD_WRITE or how & (Oflags.CREAT | Oflags.TRUNC))
    parent.require_perms(DirPerms.READ)
    if how & (Oflags.CREAT | Oflags.TRUNC):
        parent.require_perms(DirPerms.MUTATE)
    if write and FilePerms.WRITE not in parent.file_perms:
        raise WasiError(Errno.PERM)
    return OpenOptions(
        read=bool(base & Rights.FD_READ) or not write,
        write=write,
        create=Oflags.CREAT in how,
        exclusive=Oflags.EXCL in how,
        truncate=Oflags.TRUNC in how,
        directory=Oflags.DIRECTORY in how,
        dsync=Fdflags.DSYNC in flags,
        rsync=Fdflags.RSYNC in flags,
        sync=Fdflags.SYNC in flags,
    )


def _descriptor(
    opened: Directory | File,
    parent: DirectoryDescriptor,
    flags: Fdflags,
    read: bool,
    base: Rights,
    inheriting: Rights,
) -> Descriptor:
    """The table entry for what path_open opened, with the rights that apply to it."""
    filetype = opened.stat().filetype
    if filetype is Filetype.DIRECTORY:
        return DirectoryDescriptor(
            cast(Directory, opened),
            None,
            parent.dir_perms,
            parent.file_perms,
            base & DIRECTORY_RIGHTS,
            inheriting,
        )
    if read and FilePerms.READ not in parent.file_perms:
        raise WasiError(Errno.PERM)
    return FileDescriptor(
        cast(File, opened), filetype, flags, parent.file_perms, base & FILE_RIGHTS, inheriting
    )


class PathCalls:
    """The path_* functions of one instance."""

    def __init__(self, fds: FdTable) -> None:
        self._fds = fds

    def _directory(self, fd: int, rights: Rights, perms: DirPerms) -> DirectoryDescriptor:
        descriptor = self._fds.directory(fd)
        descriptor.require(rights)
        descriptor.require_perms(perms)
        return descriptor

    @syscall(I32, I32, I32, I32, I32, I64, I64, I32, I32)
    def path_open(
        self,
        mem: GuestMemory,
        fd: int,
        dirflags: int,
        path: int,
        path_len: int,
        oflags: int,
        rights_base: int,
        rights_inheriting: int,
        fdflags: int,
        retptr: int,
    ) -> None:
        how = decode(Oflags, oflags)
        follow = _follows(dirflags)
        flags = decode(Fdflags, fdflags)
        parent = self._fds.get(fd)
        if isinstance(parent, FileDescriptor):
            raise WasiError(Errno.NOTDIR)
        if not isinstance(parent, DirectoryDescriptor):
            raise WasiError(Errno.BADF)
        needed = Rights.PATH_OPEN
        if Oflags.CREAT in how:
            needed |= Rights.PATH_CREATE_FILE
        if Oflags.TRUNC in how:
            needed |= Rights.PATH_FILESTAT_SET_SIZE
        parent.require(needed)
        name = _path(mem, path, path_len)
        mem.check(retptr, 4)
        # Unknown rights bits are dropped rather than refused.
        base = Rights(rights_base & _ALL_RIGHTS) & parent.rights_inheriting
        inheriting = Rights(rights_inheriting & _ALL_RIGHTS) & parent.rights_inheriting
        options = _open_options(parent, how, flags, base)
        opened = open_at(parent.directory, name, options, follow=follow)
        try:
            new_fd = self._fds.add(_descriptor(opened, parent, flags, options.read, base, inheriting))
        except BaseException:
            opened.close()
            raise
        mem.set_u32(retptr, new_fd)

    @syscall(I32, I32, I32, I32, I32)
    def path_filestat_get(
        self, mem: GuestMemory, fd: int, flags: int, path: int, path_len: int, retptr: int
    ) -> None:
        follow = _follows(flags)
        parent = self._directory(fd, Rights.PATH_FILESTAT_GET, DirPerms.READ)
        stat = stat_at(parent.directory, _path(mem, path, path_len), follow=follow)
        store_filestat(mem, retptr, stat)

    @syscall(I32, I32, I32, I32, I64, I64, I32)
    def path_filestat_set_times(
        self,
        mem: GuestMemory,
        fd: int,
        flags: int,
        path: int,
        path_len: int,
        atim: int,
        mtim: int,
        fst_flags: int,
    ) -> None:
        access, modify = new_times(atim, mtim, fst_flags)
        follow = _follows(flags)
        parent = self._directory(fd, Rights.PATH_FILESTAT_SET_TIMES, DirPerms.MUTATE)
        set_times_at(parent.directory, _path(mem, path, path_len), access, modify, follow=follow)

    @syscall(I32, I32, I32)
    def path_create_directory(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self._directory(fd, Rights.PATH_CREATE_DIRECTORY, DirPerms.MUTATE)
        create_directory_at(parent.directory, _path(mem, path, path_len))

    @syscall(I32, I32, I32)
    def path_remove_directory(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self._directory(fd, Rights.PATH_REMOVE_DIRECTORY, DirPerms.MUTATE)
        remove_directory_at(parent.directory, _path(mem, path, path_len))

    @syscall(I32, I32, I32)
    def path_unlink_file(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self._directory(fd, Rights.PATH_UNLINK_FILE, DirPerms.MUTATE)
        unlink_file_at(parent.directory, _path(mem, path, path_len))

    @syscall(I32, I32, I32, I32, I32, I32)
    def path_readlink(
        self, mem: GuestMemory, fd: int, path: int, path_len: int, buf: int, buf_len: int, retptr: int
    ) -> None:
        parent = self._directory(fd, Rights.PATH_READLINK, DirPerms.READ)
        contents = readlink_at(parent.directory, _path(mem, path, path_len)).encode("utf-8")[:buf_len]
        mem.write(buf, contents)
        mem.set_u32(retptr, len(contents))

    @syscall(I32, I32, I32, I32, I32)
    def path_symlink(
        self, mem: GuestMemory, old_path: int, old_path_len: int, fd: int, new_path: int, new_path_len: int
    ) -> None:
        parent = self._directory(fd, Rights.PATH_SYMLINK, DirPerms.MUTATE)
        contents = _symlink_target(mem, old_path, old_path_len)
        symlink_at(parent.directory, contents, _path(mem, new_path, new_path_len))

    @syscall(I32, I32, I32, I32, I32, I32, I32)
    def path_link(
        self,
        mem: GuestMemory,
        old_fd: int,
        old_flags: int,
        old_path: int,
        old_path_len: int,
        new_fd: int,
        new_path: int,
        new_path_len: int,
    ) -> None:
        follow = _follows(old_flags)
        source = self._directory(old_fd, Rights.PATH_LINK_SOURCE, DirPerms.MUTATE)
        destination = self._directory(new_fd, Rights.PATH_LINK_TARGET, DirPerms.MUTATE)
        old_name = _path(mem, old_path, old_path_len)
        new_name = _path(mem, new_path, new_path_len)
        if follow:
            # wasmtime refuses to link through a symbolic link.
            raise WasiError(Errno.INVAL)
        link_at(source.directory, old_name, destination.directory, new_name)

    @syscall(I32, I32, I32, I32, I32, I32)
    def path_rename(
        self,
        mem: GuestMemory,
        fd: int,
        old_path: int,
        old_path_len: int,
        new_fd: int,
        new_path: int,
        new_path_len: int,
    ) -> None:
        source = self._directory(fd, Rights.PATH_RENAME_SOURCE, DirPerms.MUTATE)
        destination = self._directory(new_fd, Rights.PATH_RENAME_TARGET, DirPerms.MUTATE)
        old_name = _path(mem, old_path, old_path_len)
        new_name = _path(mem, new_path, new_path_len)
        rename_at(source.directory, old_name, destination.directory, new_name)
