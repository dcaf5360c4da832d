"""wasi:filesystem/types and wasi:filesystem/preopens.

A `Descriptor` holds a handle of the filesystem protocol (`wasmkit.wasi.fs`: a host directory
or file, or a `MemoryFS` one) with the permissions of the preopen it came from and the flags
it was opened with. Every path goes through `wasmkit.wasi.pathops` and so through the one
sandbox preview 1 uses: an absolute path, a `..` above the descriptor's directory and a
symbolic link leading out fail with `not-permitted`, and no host path is ever built from guest
input. Failures raise `Err(error-code label)` (`errors.ERROR_CODES`).

Permissions, as preview 1 and wasmtime apply them: a preopen's `DirPerms.READ` is needed to
look names up, `DirPerms.MUTATE` to create, remove, rename, link or change times (and to open
with `create` or `truncate`); its `FilePerms` bound what the files opened from it may be
opened for. Anything denied is `not-permitted`. `read` and `write` need a descriptor opened
with the `read` or `write` flag, else `bad-descriptor`; the streams can be made over any file
(a write then fails), and not over a directory (`is-directory`); the file methods of a
directory are `bad-descriptor`: all as wasmtime 49 answers.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TypeVar, cast

from ..abi import Advice, Filetype
from ..config import DirPerms, FilePerms
from ..errno import Errno, WasiError
from ..fs import Directory, DirEntry, File, OpenOptions, Stat
from ..interrupt import Interruption
from ..pathops import (
    check_path, check_symlink_target, create_directory_at, link_at, open_at, readlink_at,
    remove_directory_at, rename_at, set_times_at, stat_at, symlink_at, unlink_file_at,
)  # fmt: skip
from .error import IoError
from .errors import error_code, fs_call
from .streams import MAX_READ, FileInputStream, FileOutputStream
from .values import Datetime, field, flag_labels, label

__all__ = [
    "Descriptor",
    "DescriptorStat",
    "DirectoryEntry",
    "DirectoryEntryStream",
    "FilesystemTypes",
    "MetadataHashValue",
    "Preopens",
]

_D = TypeVar("_D", bound="Descriptor")

DESCRIPTOR_TYPES = {
    Filetype.UNKNOWN: "unknown",
    Filetype.BLOCK_DEVICE: "block-device",
    Filetype.CHARACTER_DEVICE: "character-device",
    Filetype.DIRECTORY: "directory",
    Filetype.REGULAR_FILE: "regular-file",
    Filetype.SOCKET_DGRAM: "socket",
    Filetype.SOCKET_STREAM: "socket",
    Filetype.SYMBOLIC_LINK: "symbolic-link",
}

_ADVICE = {
    "normal": Advice.NORMAL,
    "sequential": Advice.SEQUENTIAL,
    "random": Advice.RANDOM,
    "will-need": Advice.WILLNEED,
    "dont-need": Advice.DONTNEED,
    "no-reuse": Advice.NOREUSE,
}


@dataclass(frozen=True, slots=True)
class DescriptorStat:
    """wasi:filesystem/types `descriptor-stat`."""

    type: str
    link_count: int
    size: int
    data_access_timestamp: Datetime | None
    data_modification_timestamp: Datetime | None
    status_change_timestamp: Datetime | None

    @classmethod
    def of(cls, stat: Stat) -> DescriptorStat:
        return cls(
            DESCRIPTOR_TYPES[stat.filetype],
            stat.nlink,
            stat.size,
            Datetime.from_ns(stat.atim),
            Datetime.from_ns(stat.mtim),
            Datetime.from_ns(stat.ctim),
        )


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """wasi:filesystem/types `directory-entry`."""

    type: str
    name: str


@dataclass(frozen=True, slots=True)
class MetadataHashValue:
    """wasi:filesystem/types `metadata-hash-value`: equal for the same object (device and
    inode), different otherwise with overwhelming probability."""

    lower: int
    upper: int

    @classmethod
    def of(cls, stat: Stat) -> MetadataHashValue:
        digest = hashlib.blake2b(f"{stat.dev}:{stat.ino}".encode(), digest_size=16).digest()
        return cls(int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little"))


def _new_time(value: object) -> int | None:
    """A `new-timestamp` as nanoseconds: None for no-change."""
    which = label(value)
    if which == "no-change":
        return None
    if which == "now":
        return time.time_ns()
    if which == "timestamp":
        stamp = getattr(value, "value")
        return int(field(stamp, "seconds")) * 1_000_000_000 + int(field(stamp, "nanoseconds"))
    raise WasiError(Errno.INVAL)


def _follows(path_flags: object) -> bool:
    return "symlink-follow" in flag_labels(path_flags)


class DirectoryEntryStream:
    """wasi:filesystem/types `directory-entry-stream`: a directory's entries, `.` and `..`
    left out, in the order the filesystem lists them when `read-directory` was called."""

    def __init__(self, entries: list[DirEntry]) -> None:
        self._entries = entries
        self._next = 0

    def read_directory_entry(self) -> DirectoryEntry | None:
        if self._next >= len(self._entries):
            return None
        entry = self._entries[self._next]
        self._next += 1
        return DirectoryEntry(DESCRIPTOR_TYPES[entry.filetype], entry.name)

    def close(self) -> None:
        self._entries = []


class Descriptor:
    """wasi:filesystem/types `descriptor`: an open directory or file."""

    def __init__(
        self,
        handle: Directory | File,
        filetype: Filetype,
        flags: frozenset[str],
        dir_perms: DirPerms,
        file_perms: FilePerms,
        stop: Interruption,
        *,
        owned: bool = True,
    ) -> None:
        self._handle = handle
        self._filetype = filetype
        self._flags = flags
        self._dir_perms = dir_perms
        self._file_perms = file_perms
        self._stop = stop
        self._owned = owned

    # -- what a call needs --

    def _directory(self, perms: DirPerms = DirPerms.READ) -> Directory:
        if self._filetype is not Filetype.DIRECTORY:
            raise WasiError(Errno.NOTDIR)
        if perms not in self._dir_perms:
            raise WasiError(Errno.PERM)
        return cast(Directory, self._handle)

    def _file(self, mode: str | None = None) -> File:
        """The file, opened for `mode` ("read", "write") if given; a directory is BADF (wasmtime)."""
        if self._filetype is Filetype.DIRECTORY:
            raise WasiError(Errno.BADF)
        if mode is not None and mode not in self._flags:
            raise WasiError(Errno.BADF)
        return cast(File, self._handle)

    # -- streams --

    def _stream_file(self) -> File:
        """The file a stream is made over: any file, whatever it was opened for (a write
        through a stream of a file not opened for writing fails then, as in wasmtime); a
        directory is ISDIR."""
        if self._filetype is Filetype.DIRECTORY:
            raise WasiError(Errno.ISDIR)
        return cast(File, self._handle)

    @fs_call
    def read_via_stream(self, offset: int) -> FileInputStream:
        return FileInputStream(self._stream_file(), offset, self._stop)

    @fs_call
    def write_via_stream(self, offset: int) -> FileOutputStream:
        return FileOutputStream(self._stream_file(), offset, self._stop)

    @fs_call
    def append_via_stream(self) -> FileOutputStream:
        return FileOutputStream(self._stream_file(), None, self._stop)

    # -- the descriptor itself --

    @fs_call
    def advise(self, offset: int, length: int, advice: object) -> None:
        how = _ADVICE.get(label(advice))
        if how is None:
            raise WasiError(Errno.INVAL)
        self._file().advise(offset, length, how)

    @fs_call
    def sync_data(self) -> None:
        if self._filetype is not Filetype.DIRECTORY:
            self._file().datasync()

    @fs_call
    def sync(self) -> None:
        if self._filetype is not Filetype.DIRECTORY:
            self._file().sync()

    def get_flags(self) -> set[str]:
        return set(self._flags)

    def get_type(self) -> str:
        return DESCRIPTOR_TYPES[self._filetype]

    @fs_call
    def set_size(self, size: int) -> None:
        """Truncate or extend; a file not opened for writing is INVAL (the host's ftruncate)."""
        file = self._file()
        if FilePerms.WRITE not in self._file_perms:
            raise WasiError(Errno.PERM)
        file.truncate(size)

    @fs_call
    def set_times(self, data_access_timestamp: object, data_modification_timestamp: object) -> None:
        access, modify = _new_time(data_access_timestamp), _new_time(data_modification_timestamp)
        if self._filetype is Filetype.DIRECTORY:
            self._directory(DirPerms.MUTATE).set_times(None, access, modify)
        else:
            if FilePerms.WRITE not in self._file_perms:
                raise WasiError(Errno.PERM)
            self._file().set_times(access, modify)

    @fs_call
    def read(self, length: int, offset: int) -> tuple[bytes, bool]:
        """Up to `length` bytes at `offset` (at most MAX_READ), and whether the end was
        reached: true only when no byte was left to read (as wasmtime answers)."""
        data = self._file("read").read(min(length, MAX_READ), offset)
        return data, not data and length > 0

    @fs_call
    def write(self, buffer: bytes, offset: int) -> int:
        return self._file("write").write(buffer, offset)

    @fs_call
    def read_directory(self) -> DirectoryEntryStream:
        return DirectoryEntryStream(self._directory().entries())

    @fs_call
    def stat(self) -> DescriptorStat:
        return DescriptorStat.of(self._handle.stat())

    def is_same_object(self, other: Descriptor) -> bool:
        try:
            mine, theirs = self._handle.stat(), other._handle.stat()
        except WasiError:
            return False
        return (mine.dev, mine.ino) == (theirs.dev, theirs.ino)

    @fs_call
    def metadata_hash(self) -> MetadataHashValue:
        return MetadataHashValue.of(self._handle.stat())

    # -- paths --

    @fs_call
    def stat_at(self, path_flags: object, path: str) -> DescriptorStat:
        return DescriptorStat.of(stat_at(self._directory(), check_path(path), follow=_follows(path_flags)))

    @fs_call
    def metadata_hash_at(self, path_flags: object, path: str) -> MetadataHashValue:
        return MetadataHashValue.of(stat_at(self._directory(), check_path(path), follow=_follows(path_flags)))

    @fs_call
    def set_times_at(
        self, path_flags: object, path: str, data_access_timestamp: object, data_modification_timestamp: object
    ) -> None:
        access, modify = _new_time(data_access_timestamp), _new_time(data_modification_timestamp)
        directory = self._directory(DirPerms.MUTATE)
        set_times_at(directory, check_path(path), access, modify, follow=_follows(path_flags))

    @fs_call
    def create_directory_at(self, path: str) -> None:
        create_directory_at(self._directory(DirPerms.MUTATE), check_path(path))

    @fs_call
    def remove_directory_at(self, path: str) -> None:
        remove_directory_at(self._directory(DirPerms.MUTATE), check_path(path))

    @fs_call
    def unlink_file_at(self, path: str) -> None:
        unlink_file_at(self._directory(DirPerms.MUTATE), check_path(path))

    @fs_call
    def readlink_at(self, path: str) -> str:
        return readlink_at(self._directory(), check_path(path))

    @fs_call
    def symlink_at(self, old_path: str, new_path: str) -> None:
        directory = self._directory(DirPerms.MUTATE)
        symlink_at(directory, check_symlink_target(old_path), check_path(new_path))

    @fs_call
    def link_at(self, old_path_flags: object, old_path: str, new_descriptor: Descriptor, new_path: str) -> None:
        source = self._directory(DirPerms.MUTATE)
        destination = new_descriptor._directory(DirPerms.MUTATE)
        if _follows(old_path_flags):
            raise WasiError(Errno.INVAL)  # wasmtime refuses to link through a symbolic link
        link_at(source, check_path(old_path), destination, check_path(new_path))

    @fs_call
    def rename_at(self, old_path: str, new_descriptor: Descriptor, new_path: str) -> None:
        source = self._directory(DirPerms.MUTATE)
        destination = new_descriptor._directory(DirPerms.MUTATE)
        rename_at(source, check_path(old_path), destination, check_path(new_path))

    @fs_call
    def open_at(self, path_flags: object, path: str, open_flags: object, flags: object) -> Descriptor:
        how = flag_labels(open_flags)
        wanted = flag_labels(flags)
        directory = self._directory()
        if "directory" in how and how & {"create", "exclusive", "truncate"}:
            raise WasiError(Errno.INVAL)
        write = "write" in wanted
        if how & {"create", "truncate"} and DirPerms.MUTATE not in self._dir_perms:
            raise WasiError(Errno.PERM)
        if write and FilePerms.WRITE not in self._file_perms:
            raise WasiError(Errno.PERM)
        if "mutate-directory" in wanted and DirPerms.MUTATE not in self._dir_perms:
            raise WasiError(Errno.PERM)
        options = OpenOptions(
            read="read" in wanted or not write,
            write=write,
            create="create" in how,
            exclusive="exclusive" in how,
            truncate="truncate" in how,
            directory="directory" in how,
            dsync="data-integrity-sync" in wanted,
            rsync="requested-write-sync" in wanted,
            sync="file-integrity-sync" in wanted,
        )
        opened = open_at(directory, check_path(path), options, follow=_follows(path_flags))
        try:
            filetype = opened.stat().filetype
            if filetype is not Filetype.DIRECTORY and "read" in wanted and FilePerms.READ not in self._file_perms:
                raise WasiError(Errno.PERM)
            kept = wanted & {"read", "write", "file-integrity-sync", "data-integrity-sync", "requested-write-sync"}
            if filetype is Filetype.DIRECTORY:
                kept = wanted & {"read", "mutate-directory"}
        except BaseException:
            opened.close()
            raise
        return type(self)(opened, filetype, frozenset(kept), self._dir_perms, self._file_perms, self._stop)

    def _share(self) -> Descriptor:
        """Another descriptor over the same handle, which dropping does not close."""
        return self.shared_as(type(self))

    def shared_as(self, cls: type[_D]) -> _D:
        """Another descriptor of class `cls` (WASI 0.3's is a subclass) over the same
        handle, which dropping does not close."""
        return cls(self._handle, self._filetype, self._flags, self._dir_perms, self._file_perms, self._stop, owned=False)

    def close(self) -> None:
        """Drop the descriptor: close its handle (a preopen's stays open for the instance)."""
        if self._owned:
            self._handle.close()


class FilesystemTypes:
    """The free function of wasi:filesystem/types."""

    def filesystem_error_code(self, err: IoError) -> str | None:
        """The error-code of a stream error that a file operation caused, else none."""
        return None if err.errno is None else error_code(err.errno)


class Preopens:
    """wasi:filesystem/preopens: the config's preopened directories, in the order added."""

    def __init__(self, preopens: list[tuple[Descriptor, str]]) -> None:
        self._preopens = preopens

    def get_directories(self) -> list[tuple[Descriptor, str]]:
        """A new descriptor per preopen and call, over the instance's one open directory."""
        return [(d._share(), guest) for d, guest in self._preopens]
