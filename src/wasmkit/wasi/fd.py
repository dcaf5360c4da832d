"""The fd_* functions: reading, writing, seeking and describing open file descriptors.

    fd_read(fd, iovs: *iovec, iovs_len, retptr: *size) -> errno
    fd_write(fd, iovs: *ciovec, iovs_len, retptr: *size) -> errno
    fd_pread(fd, iovs, iovs_len, offset: u64, retptr: *size) -> errno
    fd_pwrite(fd, iovs, iovs_len, offset: u64, retptr: *size) -> errno
    fd_seek(fd, offset: s64, whence: u8, retptr: *filesize) -> errno
    fd_tell(fd, retptr: *filesize) -> errno
    fd_readdir(fd, buf: *u8, buf_len, cookie: u64, retptr: *size) -> errno
    fd_fdstat_get(fd, retptr: *fdstat), fd_filestat_get(fd, retptr: *filestat),
    fd_prestat_get(fd, retptr: *prestat), fd_prestat_dir_name(fd, path: *u8, path_len),
    fd_fdstat_set_flags, fd_fdstat_set_rights, fd_filestat_set_size, fd_filestat_set_times,
    fd_advise, fd_allocate, fd_datasync, fd_sync, fd_close, fd_renumber

As in wasmtime, a read or write transfers through the first iovec that is not empty only, and
the caller (wasi-libc, Rust's std) loops; one call also moves at most 64 MiB, a chunk at a
time, and can be stopped between chunks (short transfers, which POSIX allows; see
`wasmkit.wasi.transfer`).

fd_readdir fills `buf` with records laid out as

    | d_next u64 | d_ino u64 | d_namlen u32 | d_type u8 | pad 3 | name (d_namlen bytes) |

one after the other, starting with `.` and `..` (both given the directory's own inode, as
wasmtime does), then the entries in the order the filesystem lists them. `d_next` is the cookie
of the following entry, i.e. the entry's index plus one; a call with cookie `c` starts at
index `c`. The last record is cut off where the buffer ends; a result smaller than `buf_len`
means the end of the directory was reached.
"""

from __future__ import annotations

import select
import time

from .abi import Advice, Fdflags, Filetype, Fstflags, Preopentype, Rights, Whence, decode
from .config import DirPerms, FilePerms
from .errno import Errno, WasiError
from .fdtable import DirectoryDescriptor, FdTable, FileDescriptor, InputDescriptor, OutputDescriptor
from .fs import DirEntry, File, Stat
from .interrupt import Interruption
from .memory import DIRENT, FDSTAT, FILESTAT, PRESTAT, GuestMemory
from .stdio import OutputStream
from .syscall import I32, I64, syscall
from .transfer import first_buffer, read_in, write_out

__all__ = ["FdCalls", "new_times", "store_filestat"]

_SYNC_FLAGS = Fdflags.DSYNC | Fdflags.RSYNC | Fdflags.SYNC


def new_times(atim: int, mtim: int, flags: int) -> tuple[int | None, int | None]:
    """The (access, modification) times a `*_set_times` call asks for, None for unchanged;
    INVAL for unknown flags or a time both given and `_NOW`."""
    fst = decode(Fstflags, flags)
    if (Fstflags.ATIM in fst and Fstflags.ATIM_NOW in fst) or (
        Fstflags.MTIM in fst and Fstflags.MTIM_NOW in fst
    ):
        raise WasiError(Errno.INVAL)
    now = time.time_ns()
    access = atim if Fstflags.ATIM in fst else now if Fstflags.ATIM_NOW in fst else None
    modify = mtim if Fstflags.MTIM in fst else now if Fstflags.MTIM_NOW in fst else None
    return access, modify


def store_filestat(mem: GuestMemory, ptr: int, stat: Stat) -> None:
    """Write `stat` as a witx filestat record at `ptr`."""
    mem.store(
        FILESTAT,
        ptr,
        stat.dev,
        stat.ino,
        stat.filetype,
        stat.nlink,
        stat.size,
        stat.atim,
        stat.mtim,
        stat.ctim,
    )


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _dirent_records(entries: list[DirEntry], cookie: int, limit: int) -> bytes:
    """Packed dirents from index `cookie` on, as many as `limit` bytes hold (the last cut off)."""
    out = bytearray()
    for index in range(cookie, len(entries)):
        entry = entries[index]
        name = entry.name.encode("utf-8")
        out += DIRENT.pack(index + 1, entry.ino, len(name), entry.filetype) + name
        if len(out) >= limit:
            break
    return bytes(out[:limit])


def _write_file(mem: GuestMemory, ptr: int, length: int, file: File, at: int | None, stop: Interruption) -> int:
    """Write guest bytes `[ptr, ptr + length)` to `file` at offset `at` (None: at its end)."""
    if at is None:
        return write_out(mem, ptr, length, lambda piece, done: file.write(piece, None), stop)
    return write_out(mem, ptr, length, lambda piece, done: file.write(piece, at + done), stop)


class FdCalls:
    """The fd_* functions of one instance."""

    def __init__(self, fds: FdTable, stop: Interruption) -> None:
        self._fds = fds
        self._stop = stop

    # -- data transfer --

    @syscall(I32, I32, I32, I32)
    def fd_read(self, mem: GuestMemory, fd: int, iovs: int, iovs_len: int, retptr: int) -> None:
        ptr, length = first_buffer(mem, iovs, iovs_len)
        descriptor = self._fds.get(fd)
        descriptor.require_io(Rights.FD_READ)
        if isinstance(descriptor, InputDescriptor):
            stream = descriptor.stream
            self._stop.check()
            host_fd = stream.poll_fd()
            if length and host_fd is not None:
                self._stop.wait_ready(host_fd)  # a read from an idle pipe can be stopped
            data = stream.read(length) if length else b""
            mem.write(ptr, data)
            count = len(data)
        elif isinstance(descriptor, FileDescriptor):
            file, start = descriptor.file, descriptor.position
            count = read_in(mem, ptr, length, lambda size, done: file.read(size, start + done), self._stop)
            descriptor.position += count
        else:
            raise WasiError(Errno.BADF)
        mem.set_u32(retptr, count)

    @syscall(I32, I32, I32, I32)
    def fd_write(self, mem: GuestMemory, fd: int, iovs: int, iovs_len: int, retptr: int) -> None:
        ptr, length = first_buffer(mem, iovs, iovs_len)
        descriptor = self._fds.get(fd)
        descriptor.require_io(Rights.FD_WRITE)
        if isinstance(descriptor, OutputDescriptor):
            written = self._write_stream(mem, ptr, length, descriptor.stream)
        elif isinstance(descriptor, FileDescriptor):
            descriptor.require_perms(FilePerms.WRITE)
            append = Fdflags.APPEND in descriptor.flags
            written = _write_file(mem, ptr, length, descriptor.file, None if append else descriptor.position, self._stop)
            descriptor.position = descriptor.file.stat().size if append else descriptor.position + written
        else:
            raise WasiError(Errno.BADF)
        mem.set_u32(retptr, written)

    @syscall(I32, I32, I32, I64, I32)
    def fd_pread(self, mem: GuestMemory, fd: int, iovs: int, iovs_len: int, offset: int, retptr: int) -> None:
        ptr, length = first_buffer(mem, iovs, iovs_len)
        descriptor = self._fds.get(fd)
        if isinstance(descriptor, InputDescriptor):
            raise WasiError(Errno.SPIPE)
        if not isinstance(descriptor, FileDescriptor):
            raise WasiError(Errno.BADF)
        descriptor.require_io(Rights.FD_READ)
        descriptor.require(Rights.FD_SEEK)
        file = descriptor.file
        count = read_in(mem, ptr, length, lambda size, done: file.read(size, offset + done), self._stop)
        mem.set_u32(retptr, count)

    @syscall(I32, I32, I32, I64, I32)
    def fd_pwrite(
        self, mem: GuestMemory, fd: int, iovs: int, iovs_len: int, offset: int, retptr: int
    ) -> None:
        ptr, length = first_buffer(mem, iovs, iovs_len)
        descriptor = self._fds.get(fd)
        if isinstance(descriptor, OutputDescriptor):
            raise WasiError(Errno.SPIPE)
        if not isinstance(descriptor, FileDescriptor):
            raise WasiError(Errno.BADF)
        descriptor.require_io(Rights.FD_WRITE)
        descriptor.require(Rights.FD_SEEK)
        descriptor.require_perms(FilePerms.WRITE)
        # Linux (and wasmtime) semantics: in append mode pwrite appends, ignoring the offset.
        at = None if Fdflags.APPEND in descriptor.flags else offset
        mem.set_u32(retptr, _write_file(mem, ptr, length, descriptor.file, at, self._stop))

    def _write_stream(self, mem: GuestMemory, ptr: int, length: int, stream: OutputStream) -> int:
        """Write guest bytes to stdout or stderr. To a pipe, socket or terminal, PIPE_BUF bytes
        at a time once `select` says they fit, so that a reader that stopped reading cannot
        hold the call beyond a stop request."""
        host_fd = stream.poll_fd()
        if host_fd is None:
            return write_out(mem, ptr, length, lambda piece, done: stream.write(piece), self._stop)

        def put(piece: bytes | bytearray | memoryview, done: int) -> int:
            self._stop.wait_ready(host_fd, write=True)
            return stream.write(piece)

        return write_out(mem, ptr, length, put, self._stop, step=select.PIPE_BUF)

    # -- position --

    @syscall(I32, I64, I32, I32)
    def fd_seek(self, mem: GuestMemory, fd: int, offset: int, whence: int, retptr: int) -> None:
        how = decode(Whence, whence)
        delta = _signed64(offset)
        descriptor = self._fds.seekable(fd)
        if how is Whence.CUR and delta == 0 and not descriptor.rights_base & Rights.FD_SEEK:
            descriptor.require(Rights.FD_TELL)  # the witx lets FD_TELL alone ask where we are
        else:
            descriptor.require(Rights.FD_SEEK)
        if how is Whence.SET:
            position = delta
        elif how is Whence.CUR:
            position = descriptor.position + delta
        else:
            position = descriptor.file.stat().size + delta
        if not 0 <= position < 1 << 64:
            raise WasiError(Errno.INVAL)
        descriptor.position = position
        mem.set_u64(retptr, position)

    @syscall(I32, I32)
    def fd_tell(self, mem: GuestMemory, fd: int, retptr: int) -> None:
        descriptor = self._fds.seekable(fd)
        descriptor.require(Rights.FD_TELL)
        mem.set_u64(retptr, descriptor.position)

    # -- attributes --

    @syscall(I32, I32)
    def fd_fdstat_get(self, mem: GuestMemory, fd: int, retptr: int) -> None:
        descriptor = self._fds.get(fd)
        flags = Fdflags(0)
        if isinstance(descriptor, (InputDescriptor, OutputDescriptor)):
            filetype = Filetype.CHARACTER_DEVICE if descriptor.stream.isatty() else Filetype.UNKNOWN
        elif isinstance(descriptor, FileDescriptor):
            filetype, flags = descriptor.filetype, descriptor.flags
        else:
            filetype = Filetype.DIRECTORY
        mem.store(FDSTAT, retptr, filetype, flags, descriptor.rights_base, descriptor.rights_inheriting)

    @syscall(I32, I32)
    def fd_fdstat_set_flags(self, mem: GuestMemory, fd: int, flags: int) -> None:
        wanted = decode(Fdflags, flags)
        descriptor = self._fds.file(fd)
        descriptor.require(Rights.FD_FDSTAT_SET_FLAGS)
        if wanted & _SYNC_FLAGS:
            # As in wasmtime, only APPEND and NONBLOCK can change after opening.
            raise WasiError(Errno.INVAL)
        descriptor.flags = (descriptor.flags & _SYNC_FLAGS) | wanted

    @syscall(I32, I64, I64)
    def fd_fdstat_set_rights(self, mem: GuestMemory, fd: int, base: int, inheriting: int) -> None:
        descriptor = self._fds.get(fd)
        if isinstance(descriptor, (InputDescriptor, OutputDescriptor)):
            raise WasiError(Errno.BADF)  # stdio rights are fixed, as in wasmtime
        if base & ~descriptor.rights_base or inheriting & ~descriptor.rights_inheriting:
            raise WasiError(Errno.NOTCAPABLE)
        descriptor.rights_base = Rights(base)
        descriptor.rights_inheriting = Rights(inheriting)

    @syscall(I32, I32)
    def fd_filestat_get(self, mem: GuestMemory, fd: int, retptr: int) -> None:
        descriptor = self._fds.get(fd)
        if isinstance(descriptor, (InputDescriptor, OutputDescriptor)):
            # wasmtime describes stdio as an all-zero stat of the stream's type.
            filetype = Filetype.CHARACTER_DEVICE if descriptor.stream.isatty() else Filetype.UNKNOWN
            store_filestat(mem, retptr, Stat(filetype, 0, 0, 0, 0, 0, 0, 0))
            return
        descriptor.require(Rights.FD_FILESTAT_GET)
        if isinstance(descriptor, FileDescriptor):
            stat = descriptor.file.stat()
        elif isinstance(descriptor, DirectoryDescriptor):
            stat = descriptor.directory.stat()
        else:
            raise WasiError(Errno.BADF)
        store_filestat(mem, retptr, stat)

    @syscall(I32, I64)
    def fd_filestat_set_size(self, mem: GuestMemory, fd: int, size: int) -> None:
        descriptor = self._fds.file(fd)
        descriptor.require(Rights.FD_FILESTAT_SET_SIZE)
        descriptor.require_perms(FilePerms.WRITE)
        descriptor.file.truncate(size)

    @syscall(I32, I64, I64, I32)
    def fd_filestat_set_times(self, mem: GuestMemory, fd: int, atim: int, mtim: int, flags: int) -> None:
        access, modify = new_times(atim, mtim, flags)
        descriptor = self._fds.get(fd)
        if isinstance(descriptor, FileDescriptor):
            descriptor.require(Rights.FD_FILESTAT_SET_TIMES)
            descriptor.require_perms(FilePerms.WRITE)
            descriptor.file.set_times(access, modify)
        elif isinstance(descriptor, DirectoryDescriptor):
            descriptor.require(Rights.FD_FILESTAT_SET_TIMES)
            descriptor.require_perms(DirPerms.MUTATE)
            descriptor.directory.set_times(None, access, modify)
        else:
            raise WasiError(Errno.BADF)

    # -- file housekeeping --

    @syscall(I32, I64, I64, I32)
    def fd_advise(self, mem: GuestMemory, fd: int, offset: int, length: int, advice: int) -> None:
        how = decode(Advice, advice)
        descriptor = self._fds.file(fd)
        descriptor.require(Rights.FD_ADVISE)
        descriptor.file.advise(offset, length, how)

    @syscall(I32, I64, I64)
    def fd_allocate(self, mem: GuestMemory, fd: int, offset: int, length: int) -> None:
        descriptor = self._fds.file(fd)
        descriptor.require(Rights.FD_ALLOCATE)
        descriptor.require_perms(FilePerms.WRITE)
        descriptor.file.allocate(offset, length)

    @syscall(I32)
    def fd_datasync(self, mem: GuestMemory, fd: int) -> None:
        descriptor = self._fds.file(fd)
        descriptor.require(Rights.FD_DATASYNC)
        descriptor.file.datasync()

    @syscall(I32)
    def fd_sync(self, mem: GuestMemory, fd: int) -> None:
        descriptor = self._fds.file(fd)
        descriptor.require(Rights.FD_SYNC)
        descriptor.file.sync()

    # -- the table --

    @syscall(I32)
    def fd_close(self, mem: GuestMemory, fd: int) -> None:
        self._fds.close(fd)

    @syscall(I32, I32)
    def fd_renumber(self, mem: GuestMemory, fd: int, to: int) -> None:
        self._fds.renumber(fd, to)

    # -- directories --

    @syscall(I32, I32)
    def fd_prestat_get(self, mem: GuestMemory, fd: int, retptr: int) -> None:
        descriptor = self._fds.get(fd)
        if not isinstance(descriptor, DirectoryDescriptor) or descriptor.preopen is None:
            raise WasiError(Errno.BADF)
        mem.write(retptr, PRESTAT.pack(Preopentype.DIR, len(descriptor.preopen.encode("utf-8"))))

    @syscall(I32, I32, I32)
    def fd_prestat_dir_name(self, mem: GuestMemory, fd: int, path: int, path_len: int) -> None:
        descriptor = self._fds.get(fd)
        if not isinstance(descriptor, DirectoryDescriptor) or descriptor.preopen is None:
            raise WasiError(Errno.NOTDIR)
        name = descriptor.preopen.encode("utf-8")
        if len(name) > path_len:
            raise WasiError(Errno.NAMETOOLONG)
        mem.write(path, name)

    @syscall(I32, I32, I32, I64, I32)
    def fd_readdir(self, mem: GuestMemory, fd: int, buf: int, buf_len: int, cookie: int, retptr: int) -> None:
        descriptor = self._fds.directory(fd)
        descriptor.require(Rights.FD_READDIR)
        descriptor.require_perms(DirPerms.READ)
        if cookie == 0 or descriptor.listing is None:
            directory = descriptor.directory
            own = directory.stat().ino
            descriptor.listing = [
                DirEntry(".", Filetype.DIRECTORY, own),
                DirEntry("..", Filetype.DIRECTORY, own),
                *directory.entries(),
            ]
        records = _dirent_records(descriptor.listing, cookie, buf_len)
        mem.write(buf, records)
        mem.set_u32(retptr, len(records))
