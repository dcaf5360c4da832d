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

A path naming a directory itself (`.`, `sub/..`) and a path ending in `/` get the errnos Linux
and wasmtime give: mkdir of `.` is EXIST, rmdir of `.` INVAL, unlink of `.` ISDIR, rename of
`.` BUSY, rmdir of `dir/` INVAL, unlink of `dir/` ISDIR, symlink to a new `name/` NOENT.

path_open gives the new descriptor the rights asked for, limited to the directory's inheriting
rights and to the rights that apply to what was opened (`abi.FILE_RIGHTS`,
`abi.DIRECTORY_RIGHTS`). It opens for writing when FD_WRITE is among them or `creat`/`trunc`
is asked, for reading otherwise or when FD_READ is among them, as wasmtime does, and it
honours every oflag, every fdflag (`dsync`, `rsync` and `sync` reach the host's open; they
need FD_DATASYNC or FD_SYNC among the directory's inheriting rights) and `symlink_follow`.
"""

from __future__ import annotations

import codecs
from dataclasses import replace
from typing import cast

from .abi import DIRECTORY_RIGHTS, FILE_RIGHTS, Fdflags, Filetype, Lookupflags, Oflags, Rights, decode
from .config import DirPerms, FilePerms
from .errno import Errno, WasiError
from .fd import new_times, store_filestat
from .fdtable import Descriptor, DirectoryDescriptor, FdTable, FileDescriptor
from .fs import Directory, File, OpenOptions
from .memory import GuestMemory
from .sandbox import resolve
from .syscall import I32, I64, syscall

__all__ = ["PathCalls"]

_ALL_RIGHTS = Rights((1 << 30) - 1)
# Linux's PATH_MAX counts the terminating NUL: a path of 4096 bytes or more is NAMETOOLONG
# (so is a link target), as wasmtime answers.
PATH_MAX = 4096


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
    if "\0" in text:
        raise WasiError(Errno.INVAL)
    if text.startswith("/"):
        raise WasiError(Errno.PERM)
    return text


def _exists(directory: Directory, name: str) -> bool:
    try:
        directory.stat(name)
    except WasiError as exc:
        if exc.errno is Errno.NOENT:
            return False
        raise
    return True


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
        # With `creat` and `excl` a final symbolic link is never followed: the name exists,
        # so the open fails with EXIST (POSIX, and wasmtime), even if the link dangles.
        follow = _follows(dirflags) and not (Oflags.CREAT in how and Oflags.EXCL in how)
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
        with resolve(parent.directory, name, follow=follow) as target:
            if target.dir_required:
                if options.create:
                    raise WasiError(Errno.ISDIR)
                options = replace(options, directory=True)
            opened = target.directory.open(target.name or ".", options)
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
        with resolve(parent.directory, _path(mem, path, path_len), follow=follow) as target:
            stat = target.stat or target.directory.stat(target.name)
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
        with resolve(parent.directory, _path(mem, path, path_len), follow=follow) as target:
            target.directory.set_times(target.name, access, modify)

    @syscall(I32, I32, I32)
    def path_create_directory(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self._directory(fd, Rights.PATH_CREATE_DIRECTORY, DirPerms.MUTATE)
        with resolve(parent.directory, _path(mem, path, path_len), follow=False) as target:
            if target.name is None:
                raise WasiError(Errno.EXIST)
            target.directory.mkdir(target.name)

    @syscall(I32, I32, I32)
    def path_remove_directory(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self._directory(fd, Rights.PATH_REMOVE_DIRECTORY, DirPerms.MUTATE)
        with resolve(parent.directory, _path(mem, path, path_len), follow=False) as target:
            if target.name is None:
                raise WasiError(Errno.INVAL)
            if target.dir_required:
                # `dir/` reads as `dir/.`, and removing `.` is INVAL (Linux, wasmtime).
                raise WasiError(Errno.NOENT if target.stat is None else Errno.INVAL)
            target.directory.rmdir(target.name)

    @syscall(I32, I32, I32)
    def path_unlink_file(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        parent = self._directory(fd, Rights.PATH_UNLINK_FILE, DirPerms.MUTATE)
        with resolve(parent.directory, _path(mem, path, path_len), follow=False) as target:
            if target.name is None:
                raise WasiError(Errno.ISDIR)
            if target.dir_required:
                raise WasiError(Errno.NOENT if target.stat is None else Errno.ISDIR)
            target.directory.unlink(target.name)

    @syscall(I32, I32, I32, I32, I32, I32)
    def path_readlink(
        self, mem: GuestMemory, fd: int, path: int, path_len: int, buf: int, buf_len: int, retptr: int
    ) -> None:
        parent = self._directory(fd, Rights.PATH_READLINK, DirPerms.READ)
        with resolve(parent.directory, _path(mem, path, path_len), follow=False) as target:
            if target.name is None:
                raise WasiError(Errno.INVAL)
            contents = target.directory.readlink(target.name).encode("utf-8")[:buf_len]
        mem.write(buf, contents)
        mem.set_u32(retptr, len(contents))

    @syscall(I32, I32, I32, I32, I32)
    def path_symlink(
        self, mem: GuestMemory, old_path: int, old_path_len: int, fd: int, new_path: int, new_path_len: int
    ) -> None:
        parent = self._directory(fd, Rights.PATH_SYMLINK, DirPerms.MUTATE)
        contents = _symlink_target(mem, old_path, old_path_len)
        with resolve(parent.directory, _path(mem, new_path, new_path_len), follow=False) as target:
            if target.name is None:
                raise WasiError(Errno.EXIST)
            if target.dir_required:
                raise WasiError(Errno.NOENT if target.stat is None else Errno.EXIST)
            target.directory.symlink(contents, target.name)

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
        with (
            resolve(source.directory, old_name, follow=False) as old,
            resolve(destination.directory, new_name, follow=False) as new,
        ):
            if old.name is not None and old.stat is None:
                old.directory.stat(old.name)  # NOENT comes first, as in Linux
            if new.name is None:
                raise WasiError(Errno.EXIST)
            if new.dir_required:
                raise WasiError(Errno.NOENT if new.stat is None else Errno.EXIST)
            if old.name is None:
                # A hard link to a directory: EXIST if the new name is taken, else PERM.
                raise WasiError(Errno.EXIST if _exists(new.directory, new.name) else Errno.PERM)
            old.directory.link(old.name, new.directory, new.name)

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
        with (
            resolve(source.directory, old_name, follow=False) as old,
            resolve(destination.directory, new_name, follow=False) as new,
        ):
            if old.name is None or new.name is None:
                raise WasiError(Errno.BUSY)
            if new.dir_required:
                moving = old.stat or old.directory.stat(old.name)
                if moving.filetype is not Filetype.DIRECTORY:
                    raise WasiError(Errno.NOTDIR)
            elif old.dir_required and old.stat is None:
                raise WasiError(Errno.NOENT)
            old.directory.rename(old.name, new.directory, new.name)
