"""args_get, args_sizes_get, environ_get, environ_sizes_get.

    args_sizes_get(retptr0: *size, retptr1: *size) -> errno       count, total bytes
    args_get(argv: **u8, argv_buf: *u8) -> errno
    environ_sizes_get(retptr0: *size, retptr1: *size) -> errno
    environ_get(environ: **u8, environ_buf: *u8) -> errno

The strings are UTF-8, each ending in NUL, packed one after the other into the buffer; the
pointer array gets the guest address of each (u32 each). Environment strings are `KEY=VALUE`.

    argv_buf:  "prog\\0" "-v\\0" "x\\0"          argv: [buf+0, buf+5, buf+8]
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from .memory import GuestMemory
from .syscall import I32, syscall

__all__ = ["ArgsEnv"]


def _pack(strings: Iterable[str]) -> list[bytes]:
    return [text.encode("utf-8") + b"\0" for text in strings]


def _store(mem: GuestMemory, strings: list[bytes], pointers: int, buffer: int) -> None:
    offsets = []
    position = buffer
    for text in strings:
        offsets.append(position)
        position += len(text)
    mem.write(pointers, struct.pack(f"<{len(offsets)}I", *offsets))
    mem.write(buffer, b"".join(strings))


class ArgsEnv:
    """The command-line arguments and environment variables of one instance."""

    def __init__(self, argv: Iterable[str], env: dict[str, str]) -> None:
        self._args = _pack(argv)
        self._environ = _pack(f"{key}={value}" for key, value in env.items())

    @syscall(I32, I32)
    def args_sizes_get(self, mem: GuestMemory, count_ptr: int, size_ptr: int) -> None:
        mem.set_u32(count_ptr, len(self._args))
        mem.set_u32(size_ptr, sum(map(len, self._args)))

    @syscall(I32, I32)
    def args_get(self, mem: GuestMemory, argv: int, argv_buf: int) -> None:
        _store(mem, self._args, argv, argv_buf)

    @syscall(I32, I32)
    def environ_sizes_get(self, mem: GuestMemory, count_ptr: int, size_ptr: int) -> None:
        mem.set_u32(count_ptr, len(self._environ))
        mem.set_u32(size_ptr, sum(map(len, self._environ)))

    @syscall(I32, I32)
    def environ_get(self, mem: GuestMemory, environ: int, environ_buf: int) -> None:
        _store(mem, self._environ, environ, environ_buf)
