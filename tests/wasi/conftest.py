"""Fixtures for the WASI unit tests: a fake linear memory and a guest that calls host
functions the way an engine would (unsigned arguments, a memory object)."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.wasi.trees import sandbox_memory, sandbox_tree
from wasmkit.syntax.types import ValType
from wasmkit.wasi import Errno, WasiConfig, WasiPreview1

MEMORY_SIZE = 1 << 16
SCRATCH = 0x8000  # where the helpers put strings and structs by default


class ReadWriteMemory:
    """A bytearray-backed linear memory with only the required part of the engine's memory
    contract (`size`, `read`, `write`): WASI copies through `read` and `write`."""

    def __init__(self, size: int = MEMORY_SIZE) -> None:
        self.data = bytearray(size)

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > len(self.data):
            raise IndexError("out of bounds memory access")
        return bytes(self.data[offset : offset + length])

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0 or offset + len(data) > len(self.data):
            raise IndexError("out of bounds memory access")
        self.data[offset : offset + len(data)] = data


class FakeMemory(ReadWriteMemory):
    """A linear memory with a `view`, as the runtime's: WASI reads and writes through it."""

    @property
    def view(self) -> memoryview:
        return memoryview(self.data)


class Guest:
    """Calls WASI functions like compiled code would, through a FakeMemory."""

    def __init__(self, wasi: WasiPreview1, memory: ReadWriteMemory | None = None) -> None:
        self.wasi = wasi
        self.memory = memory or FakeMemory()
        self.functions = wasi.host_functions()
        self._next = SCRATCH

    def call(self, name: str, *args: int) -> int | None:
        """Call `name`; negative arguments are passed as their two's complement, as wasm does."""
        functype, function = self.functions[name]
        unsigned = [
            arg & ((1 << (32 if t is ValType.I32 else 64)) - 1)
            for arg, t in zip(args, functype.params, strict=True)
        ]
        return function(self.memory, *unsigned)

    def errno(self, name: str, *args: int) -> Errno:
        result = self.call(name, *args)
        assert result is not None
        return Errno(result)

    # -- placing data in memory --

    def alloc(self, size: int, align: int = 8) -> int:
        self._next = (self._next + align - 1) // align * align
        address = self._next
        self._next += size
        return address

    def put(self, data: bytes) -> tuple[int, int]:
        """Copy `data` into memory; (address, length)."""
        address = self.alloc(len(data))
        self.memory.write(address, data)
        return address, len(data)

    def text(self, value: str) -> tuple[int, int]:
        return self.put(value.encode("utf-8"))

    def iovecs(self, *buffers: tuple[int, int]) -> tuple[int, int]:
        """An iovec array over (address, length) pairs; (address, count)."""
        address, _ = self.put(b"".join(struct.pack("<II", a, n) for a, n in buffers))
        return address, len(buffers)

    def u32(self, address: int) -> int:
        return int(struct.unpack_from("<I", self.memory.data, address)[0])

    def u64(self, address: int) -> int:
        return int(struct.unpack_from("<Q", self.memory.data, address)[0])

    def bytes(self, address: int, length: int) -> bytes:
        return bytes(self.memory.data[address : address + length])

    # -- common calls --

    def open(
        self,
        path: str,
        *,
        dirfd: int = 3,
        oflags: int = 0,
        rights: int = (1 << 30) - 1,
        inheriting: int = (1 << 30) - 1,
        fdflags: int = 0,
        follow: bool = True,
    ) -> tuple[Errno, int]:
        """path_open; (errno, new fd)."""
        ptr, length = self.text(path)
        out = self.alloc(4)
        errno = self.errno(
            "path_open", dirfd, int(follow), ptr, length, oflags, rights, inheriting, fdflags, out
        )
        return errno, self.u32(out)

    def write(self, fd: int, data: bytes) -> tuple[Errno, int]:
        iovs, count = self.iovecs(self.put(data))
        out = self.alloc(4)
        return self.errno("fd_write", fd, iovs, count, out), self.u32(out)

    def read(self, fd: int, size: int) -> tuple[Errno, bytes]:
        buffer = self.alloc(size)
        iovs, count = self.iovecs((buffer, size))
        out = self.alloc(4)
        errno = self.errno("fd_read", fd, iovs, count, out)
        return errno, self.bytes(buffer, self.u32(out)) if errno == Errno.SUCCESS else b""

    def path(self, name: str, fd: int, path: str, *extra: int) -> Errno:
        """A path_* call of the common shape (fd, path, path_len, *extra)."""
        ptr, length = self.text(path)
        return self.errno(name, fd, ptr, length, *extra)

    def filestat(self, path: str, *, follow: bool = False, fd: int = 3) -> tuple[Errno, dict[str, int]]:
        ptr, length = self.text(path)
        out = self.alloc(64)
        errno = self.errno("path_filestat_get", fd, int(follow), ptr, length, out)
        return errno, unpack_filestat(self.bytes(out, 64))


def unpack_filestat(data: bytes) -> dict[str, int]:
    dev, ino, filetype, nlink, size, atim, mtim, ctim = struct.unpack("<QQB7xQQQQQ", data)
    return {
        "dev": dev,
        "ino": ino,
        "filetype": filetype,
        "nlink": nlink,
        "size": size,
        "atim": atim,
        "mtim": mtim,
        "ctim": ctim,
    }


@pytest.fixture
def make_guest() -> Iterator[Callable[[WasiConfig], Guest]]:
    """A factory of guests over new WasiPreview1 instances, closed after the test."""
    made: list[WasiPreview1] = []

    def make(config: WasiConfig) -> Guest:
        wasi = WasiPreview1(config)
        made.append(wasi)
        return Guest(wasi)

    yield make
    for wasi in made:
        wasi.close()


def captured_config(**kwargs: object) -> WasiConfig:
    config = WasiConfig(**kwargs)  # type: ignore[arg-type]
    config.stdin_bytes(b"")
    config.capture_stdout()
    config.capture_stderr()
    return config


@pytest.fixture
def guest(make_guest: Callable[[WasiConfig], Guest]) -> Guest:
    """A guest with no preopens and captured stdio."""
    return make_guest(captured_config(argv=["prog"]))


@pytest.fixture(params=["host", "memory"])
def fs_guest(
    request: pytest.FixtureRequest, tmp_path: Path, make_guest: Callable[[WasiConfig], Guest]
) -> Guest:
    """A guest with the sandbox tree preopened as fd 3 ("/"), on the host and in memory."""
    config = captured_config(argv=["prog"])
    if request.param == "host":
        config.preopen_dir(sandbox_tree(tmp_path), "/")
    else:
        config.preopen_fs(sandbox_memory(), "/")
    return make_guest(config)
