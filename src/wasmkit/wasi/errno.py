"""WASI error numbers, and the one exception that carries them inside the WASI layer.

`Errno` holds the values of the witx `errno` enum (wasi_snapshot_preview1, `typenames.witx`) in
their declared order; a WASI function returns one of them to the guest, 0 meaning success.
Inside `wasmkit.wasi` every failure is raised as `WasiError(errno)` and turned into the returned
number at exactly one place, the call boundary in `wasmkit.wasi.syscall`.
"""

from __future__ import annotations

import enum
import errno as host_errno

__all__ = ["Errno", "WasiError", "errno_from_oserror"]


class Errno(enum.IntEnum):
    """The witx `errno` enum. Names are the witx names in upper case (`$2big` is `TOOBIG`)."""

    SUCCESS = 0
    TOOBIG = 1
    ACCES = 2
    ADDRINUSE = 3
    ADDRNOTAVAIL = 4
    AFNOSUPPORT = 5
    AGAIN = 6
    ALREADY = 7
    BADF = 8
    BADMSG = 9
    BUSY = 10
    CANCELED = 11
    CHILD = 12
    CONNABORTED = 13
    CONNREFUSED = 14
    CONNRESET = 15
    DEADLK = 16
    DESTADDRREQ = 17
    DOM = 18
    DQUOT = 19
    EXIST = 20
    FAULT = 21
    FBIG = 22
    HOSTUNREACH = 23
    IDRM = 24
    ILSEQ = 25
    INPROGRESS = 26
    INTR = 27
    INVAL = 28
    IO = 29
    ISCONN = 30
    ISDIR = 31
    LOOP = 32
    MFILE = 33
    MLINK = 34
    MSGSIZE = 35
    MULTIHOP = 36
    NAMETOOLONG = 37
    NETDOWN = 38
    NETRESET = 39
    NETUNREACH = 40
    NFILE = 41
    NOBUFS = 42
    NODEV = 43
    NOENT = 44
    NOEXEC = 45
    NOLCK = 46
    NOLINK = 47
    NOMEM = 48
    NOMSG = 49
    NOPROTOOPT = 50
    NOSPC = 51
    NOSYS = 52
    NOTCONN = 53
    NOTDIR = 54
    NOTEMPTY = 55
    NOTRECOVERABLE = 56
    NOTSOCK = 57
    NOTSUP = 58
    NOTTY = 59
    NXIO = 60
    OVERFLOW = 61
    OWNERDEAD = 62
    PERM = 63
    PIPE = 64
    PROTO = 65
    PROTONOSUPPORT = 66
    PROTOTYPE = 67
    RANGE = 68
    ROFS = 69
    SPIPE = 70
    SRCH = 71
    STALE = 72
    TIMEDOUT = 73
    TXTBSY = 74
    XDEV = 75
    NOTCAPABLE = 76


class WasiError(Exception):
    """A WASI function failed with `errno`; the call boundary returns it to the guest."""

    def __init__(self, errno: Errno) -> None:
        super().__init__(errno.name)
        self.errno = errno


def _host_table() -> dict[int, Errno]:
    """Host errno value -> WASI errno, for every WASI errno that has a POSIX namesake."""
    table: dict[int, Errno] = {}
    for code in Errno:
        name = "E2BIG" if code is Errno.TOOBIG else f"E{code.name}"
        value = getattr(host_errno, name, None)
        if value is not None:
            table.setdefault(value, code)
    # Aliases that some hosts give distinct values.
    for alias, code in (
        ("EWOULDBLOCK", Errno.AGAIN),
        ("EOPNOTSUPP", Errno.NOTSUP),
        ("EDEADLOCK", Errno.DEADLK),
    ):
        value = getattr(host_errno, alias, None)
        if value is not None:
            table.setdefault(value, code)
    return table


_FROM_HOST = _host_table()


def errno_from_oserror(exc: OSError) -> Errno:
    """The WASI errno for a host `OSError`, `IO` when the host error has no WASI namesake."""
    if exc.errno is None:
        return Errno.IO
    return _FROM_HOST.get(exc.errno, Errno.IO)
