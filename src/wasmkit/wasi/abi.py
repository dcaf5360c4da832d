"""The witx types of wasi_snapshot_preview1 other than `errno`: enums and flag sets, with the
values `typenames.witx` gives them, and the rights groups wasmkit hands out.

Struct layouts (iovec, fdstat, filestat, dirent, prestat, subscription, event) are drawn where
they are read or written, in `wasmkit.wasi.memory`.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from .errno import Errno, WasiError

__all__ = [
    "DIRECTORY_RIGHTS",
    "FILE_RIGHTS",
    "Advice",
    "Clockid",
    "Eventrwflags",
    "Eventtype",
    "Fdflags",
    "Filetype",
    "Fstflags",
    "Lookupflags",
    "Oflags",
    "Preopentype",
    "Rights",
    "Sdflags",
    "Signal",
    "Subclockflags",
    "Whence",
    "decode",
]

_E = TypeVar("_E", bound=enum.IntEnum | enum.IntFlag)


class Clockid(enum.IntEnum):
    """`clockid` (u32)."""

    REALTIME = 0
    MONOTONIC = 1
    PROCESS_CPUTIME_ID = 2
    THREAD_CPUTIME_ID = 3


class Rights(enum.IntFlag):
    """`rights` (u64): what a file descriptor may be used for."""

    FD_DATASYNC = 1 << 0
    FD_READ = 1 << 1
    FD_SEEK = 1 << 2
    FD_FDSTAT_SET_FLAGS = 1 << 3
    FD_SYNC = 1 << 4
    FD_TELL = 1 << 5
    FD_WRITE = 1 << 6
    FD_ADVISE = 1 << 7
    FD_ALLOCATE = 1 << 8
    PATH_CREATE_DIRECTORY = 1 << 9
    PATH_CREATE_FILE = 1 << 10
    PATH_LINK_SOURCE = 1 << 11
    PATH_LINK_TARGET = 1 << 12
    PATH_OPEN = 1 << 13
    FD_READDIR = 1 << 14
    PATH_READLINK = 1 << 15
    PATH_RENAME_SOURCE = 1 << 16
    PATH_RENAME_TARGET = 1 << 17
    PATH_FILESTAT_GET = 1 << 18
    PATH_FILESTAT_SET_SIZE = 1 << 19
    PATH_FILESTAT_SET_TIMES = 1 << 20
    FD_FILESTAT_GET = 1 << 21
    FD_FILESTAT_SET_SIZE = 1 << 22
    FD_FILESTAT_SET_TIMES = 1 << 23
    PATH_SYMLINK = 1 << 24
    PATH_REMOVE_DIRECTORY = 1 << 25
    PATH_UNLINK_FILE = 1 << 26
    POLL_FD_READWRITE = 1 << 27
    SOCK_SHUTDOWN = 1 << 28
    SOCK_ACCEPT = 1 << 29


# The rights that apply to a directory: the set wasmtime gives a preopened directory (the set
# "many userlands expect", wasi-testsuite path_open_preopen), plus PATH_FILESTAT_SET_SIZE, which
# the witx requires for path_open with oflags::trunc.
DIRECTORY_RIGHTS = (
    Rights.PATH_CREATE_DIRECTORY
    | Rights.PATH_CREATE_FILE
    | Rights.PATH_LINK_SOURCE
    | Rights.PATH_LINK_TARGET
    | Rights.PATH_OPEN
    | Rights.FD_READDIR
    | Rights.PATH_READLINK
    | Rights.PATH_RENAME_SOURCE
    | Rights.PATH_RENAME_TARGET
    | Rights.PATH_SYMLINK
    | Rights.PATH_REMOVE_DIRECTORY
    | Rights.PATH_UNLINK_FILE
    | Rights.PATH_FILESTAT_GET
    | Rights.PATH_FILESTAT_SET_SIZE
    | Rights.PATH_FILESTAT_SET_TIMES
    | Rights.FD_FILESTAT_GET
    | Rights.FD_FILESTAT_SET_TIMES
)

# The rights that apply to a regular file: the ones wasmtime adds to a preopen's inheriting set.
FILE_RIGHTS = (
    Rights.FD_DATASYNC
    | Rights.FD_READ
    | Rights.FD_SEEK
    | Rights.FD_FDSTAT_SET_FLAGS
    | Rights.FD_SYNC
    | Rights.FD_TELL
    | Rights.FD_WRITE
    | Rights.FD_ADVISE
    | Rights.FD_ALLOCATE
    | Rights.FD_FILESTAT_GET
    | Rights.FD_FILESTAT_SET_SIZE
    | Rights.FD_FILESTAT_SET_TIMES
    | Rights.POLL_FD_READWRITE
)


class Whence(enum.IntEnum):
    """`whence` (u8)."""

    SET = 0
    CUR = 1
    END = 2


class Filetype(enum.IntEnum):
    """`filetype` (u8)."""

    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


class Advice(enum.IntEnum):
    """`advice` (u8)."""

    NORMAL = 0
    SEQUENTIAL = 1
    RANDOM = 2
    WILLNEED = 3
    DONTNEED = 4
    NOREUSE = 5


class Fdflags(enum.IntFlag):
    """`fdflags` (u16)."""

    APPEND = 1 << 0
    DSYNC = 1 << 1
    NONBLOCK = 1 << 2
    RSYNC = 1 << 3
    SYNC = 1 << 4


class Fstflags(enum.IntFlag):
    """`fstflags` (u16): which timestamps `*_set_times` changes, and to what."""

    ATIM = 1 << 0
    ATIM_NOW = 1 << 1
    MTIM = 1 << 2
    MTIM_NOW = 1 << 3


class Lookupflags(enum.IntFlag):
    """`lookupflags` (u32)."""

    SYMLINK_FOLLOW = 1 << 0


class Oflags(enum.IntFlag):
    """`oflags` (u16)."""

    CREAT = 1 << 0
    DIRECTORY = 1 << 1
    EXCL = 1 << 2
    TRUNC = 1 << 3


class Eventtype(enum.IntEnum):
    """`eventtype` (u8), also the tag of `subscription_u`."""

    CLOCK = 0
    FD_READ = 1
    FD_WRITE = 2


class Eventrwflags(enum.IntFlag):
    """`eventrwflags` (u16)."""

    FD_READWRITE_HANGUP = 1 << 0


class Subclockflags(enum.IntFlag):
    """`subclockflags` (u16)."""

    SUBSCRIPTION_CLOCK_ABSTIME = 1 << 0


class Signal(enum.IntEnum):
    """`signal` (u8)."""

    NONE = 0
    HUP = 1
    INT = 2
    QUIT = 3
    ILL = 4
    TRAP = 5
    ABRT = 6
    BUS = 7
    FPE = 8
    KILL = 9
    USR1 = 10
    SEGV = 11
    USR2 = 12
    PIPE = 13
    ALRM = 14
    TERM = 15
    CHLD = 16
    CONT = 17
    STOP = 18
    TSTP = 19
    TTIN = 20
    TTOU = 21
    URG = 22
    XCPU = 23
    XFSZ = 24
    VTALRM = 25
    PROF = 26
    WINCH = 27
    POLL = 28
    PWR = 29
    SYS = 30


class Sdflags(enum.IntFlag):
    """`sdflags` (u8)."""

    RD = 1 << 0
    WR = 1 << 1


class Preopentype(enum.IntEnum):
    """`preopentype` (u8), the tag of `prestat`."""

    DIR = 0


def decode(kind: type[_E], value: int) -> _E:
    """A guest's `value` as the witx enum or flag set `kind`; INVAL if it names no member or
    sets an undefined bit (wasmtime traps instead; wasmkit never lets bad input trap)."""
    if issubclass(kind, enum.IntFlag):
        if value & ~sum(member.value for member in kind.__members__.values()):
            raise WasiError(Errno.INVAL)
        return kind(value)
    try:
        return kind(value)
    except ValueError:
        raise WasiError(Errno.INVAL) from None
