"""sock_accept, sock_recv, sock_send, sock_shutdown.

    sock_accept(fd, flags: fdflags, retptr: *fd) -> errno
    sock_recv(fd, ri_data: *iovec, ri_data_len, ri_flags: u16, retptr0: *size, retptr1: *roflags) -> errno
    sock_send(fd, si_data: *ciovec, si_data_len, si_flags: u16, retptr: *size) -> errno
    sock_shutdown(fd, how: sdflags) -> errno

Preview 1 can only use sockets it is given at startup, and wasmkit, like `wasmtime run`
without socket options, gives none: these functions answer BADF for an fd that is not open
and NOTSOCK for any other, exactly as wasmtime does.
"""

from __future__ import annotations

from .abi import Fdflags, Sdflags, decode
from .errno import Errno, WasiError
from .fdtable import FdTable
from .memory import GuestMemory
from .syscall import I32, syscall

__all__ = ["Sockets"]


class Sockets:
    """The sock_* functions of one instance."""

    def __init__(self, fds: FdTable) -> None:
        self._fds = fds

    def _socket(self, fd: int) -> None:
        self._fds.get(fd)
        raise WasiError(Errno.NOTSOCK)

    @syscall(I32, I32, I32)
    def sock_accept(self, mem: GuestMemory, fd: int, flags: int, retptr: int) -> None:
        decode(Fdflags, flags)
        self._socket(fd)

    @syscall(I32, I32, I32, I32, I32, I32)
    def sock_recv(
        self,
        mem: GuestMemory,
        fd: int,
        ri_data: int,
        ri_data_len: int,
        ri_flags: int,
        retptr0: int,
        retptr1: int,
    ) -> None:
        self._socket(fd)

    @syscall(I32, I32, I32, I32, I32)
    def sock_send(
        self, mem: GuestMemory, fd: int, si_data: int, si_data_len: int, si_flags: int, retptr: int
    ) -> None:
        self._socket(fd)

    @syscall(I32, I32)
    def sock_shutdown(self, mem: GuestMemory, fd: int, how: int) -> None:
        decode(Sdflags, how)
        self._socket(fd)
