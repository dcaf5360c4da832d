"""Operations on a path relative to a directory handle, shared by WASI preview 1 and 0.2.

Each function takes a `Directory` (the handle a guest's descriptor holds) and a guest path
already decoded to `str`, resolves it with `wasmkit.wasi.sandbox` (so it never leads outside
that directory), and raises `WasiError` with the errno Linux and wasmtime give. The callers
check what is theirs first (preview 1: rights, memory, the preopen's permissions; 0.2: the
descriptor's flags) and translate errnos for their guests.

A path naming a directory itself (`.`, `sub/..`) and a path ending in `/` get the errnos Linux
and wasmtime give: mkdir of `.` is EXIST, rmdir of `.` INVAL, unlink of `.` ISDIR, rename of
`.` BUSY, rmdir of `dir/` INVAL, unlink of `dir/` ISDIR, symlink to a new `name/` NOENT.
"""

from __future__ import annotations

from dataclasses import replace

from .abi import Filetype
from .errno import Errno, WasiError
from .fs import Directory, File, OpenOptions, Stat
from .sandbox import resolve

__all__ = [
    "PATH_MAX",
    "check_path",
    "check_symlink_target",
    "create_directory_at",
    "link_at",
    "open_at",
    "readlink_at",
    "remove_directory_at",
    "rename_at",
    "set_times_at",
    "stat_at",
    "symlink_at",
    "unlink_file_at",
]

# Linux's PATH_MAX counts the terminating NUL: a path of 4096 bytes or more is NAMETOOLONG
# (so is a link target), as wasmtime answers.
PATH_MAX = 4096


def check_path(path: str) -> str:
    """`path` if it may be resolved: INVAL if it holds a NUL, NAMETOOLONG from PATH_MAX bytes on."""
    if "\0" in path:
        raise WasiError(Errno.INVAL)
    if len(path) >= PATH_MAX or len(path.encode("utf-8", "surrogatepass")) >= PATH_MAX:
        raise WasiError(Errno.NAMETOOLONG)
    return path


def check_symlink_target(target: str) -> str:
    """A symbolic link's contents as a guest gave them: no NUL (INVAL), never absolute (PERM,
    as wasmtime), shorter than PATH_MAX (NAMETOOLONG)."""
    if "\0" in target:
        raise WasiError(Errno.INVAL)
    if target.startswith("/"):
        raise WasiError(Errno.PERM)
    return check_path(target)


def _exists(directory: Directory, name: str) -> bool:
    try:
        directory.stat(name)
    except WasiError as exc:
        if exc.errno is Errno.NOENT:
            return False
        raise
    return True


def open_at(directory: Directory, path: str, options: OpenOptions, *, follow: bool) -> Directory | File:
    """Open `path` as `options` say. With `create` and `exclusive` a final symbolic link is
    never followed: the name exists, so the open fails with EXIST (POSIX, and wasmtime), even
    if the link dangles. A path ending in `/` opens a directory only (ISDIR with `create`)."""
    follow = follow and not (options.create and options.exclusive)
    with resolve(directory, path, follow=follow) as target:
        if target.dir_required:
            if options.create:
                raise WasiError(Errno.ISDIR)
            options = replace(options, directory=True)
        return target.directory.open(target.name or ".", options)


def stat_at(directory: Directory, path: str, *, follow: bool) -> Stat:
    with resolve(directory, path, follow=follow) as target:
        return target.stat or target.directory.stat(target.name)


def set_times_at(directory: Directory, path: str, atim: int | None, mtim: int | None, *, follow: bool) -> None:
    """Set the access and modification times (None: unchanged) of what `path` names."""
    with resolve(directory, path, follow=follow) as target:
        target.directory.set_times(target.name, atim, mtim)


def create_directory_at(directory: Directory, path: str) -> None:
    with resolve(directory, path, follow=False) as target:
        if target.name is None:
            raise WasiError(Errno.EXIST)
        target.directory.mkdir(target.name)


def remove_directory_at(directory: Directory, path: str) -> None:
    with resolve(directory, path, follow=False) as target:
        if target.name is None:
            raise WasiError(Errno.INVAL)
        if target.dir_required:
            # `dir/` reads as `dir/.`, and removing `.` is INVAL (Linux, wasmtime).
            raise WasiError(Errno.NOENT if target.stat is None else Errno.INVAL)
        target.directory.rmdir(target.name)


def unlink_file_at(directory: Directory, path: str) -> None:
    with resolve(directory, path, follow=False) as target:
        if target.name is None:
            raise WasiError(Errno.ISDIR)
        if target.dir_required:
            raise WasiError(Errno.NOENT if target.stat is None else Errno.ISDIR)
        target.directory.unlink(target.name)


def readlink_at(directory: Directory, path: str) -> str:
    with resolve(directory, path, follow=False) as target:
        if target.name is None:
            raise WasiError(Errno.INVAL)
        return target.directory.readlink(target.name)


def symlink_at(directory: Directory, contents: str, path: str) -> None:
    """Create symbolic link `path` holding `contents` (checked by `check_symlink_target`)."""
    with resolve(directory, path, follow=False) as target:
        if target.name is None:
            raise WasiError(Errno.EXIST)
        if target.dir_required:
            raise WasiError(Errno.NOENT if target.stat is None else Errno.EXIST)
        target.directory.symlink(contents, target.name)


def link_at(source: Directory, old_path: str, destination: Directory, new_path: str) -> None:
    """Hard link `new_path` (from `destination`) to `old_path` (from `source`), not following
    a final symbolic link (wasmtime refuses to link through one: the callers say INVAL)."""
    with (
        resolve(source, old_path, follow=False) as old,
        resolve(destination, new_path, follow=False) as new,
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


def rename_at(source: Directory, old_path: str, destination: Directory, new_path: str) -> None:
    with (
        resolve(source, old_path, follow=False) as old,
        resolve(destination, new_path, follow=False) as new,
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
