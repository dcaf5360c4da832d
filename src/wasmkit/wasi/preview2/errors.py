"""wasi:filesystem `error-code`: the one table from WASI errnos (what the filesystem protocol
and the sandbox raise) to its labels, and the decorator that turns a `WasiError` into the
`Err(label)` a WIT function returns.

The sandbox's refusals (an absolute path, `..` above the directory, a symbolic link leading
out) are PERM, hence `not-permitted`, as wasmtime answers them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar, cast

from ..errno import Errno, WasiError
from .values import Err

__all__ = ["ERROR_CODES", "error_code", "fs_call"]

ERROR_CODES: dict[Errno, str] = {
    Errno.ACCES: "access",
    Errno.AGAIN: "would-block",
    Errno.ALREADY: "already",
    Errno.BADF: "bad-descriptor",
    Errno.BUSY: "busy",
    Errno.DEADLK: "deadlock",
    Errno.DQUOT: "quota",
    Errno.EXIST: "exist",
    Errno.FBIG: "file-too-large",
    Errno.ILSEQ: "illegal-byte-sequence",
    Errno.INPROGRESS: "in-progress",
    Errno.INTR: "interrupted",
    Errno.INVAL: "invalid",
    Errno.IO: "io",
    Errno.ISDIR: "is-directory",
    Errno.LOOP: "loop",
    Errno.MLINK: "too-many-links",
    Errno.MSGSIZE: "message-size",
    Errno.NAMETOOLONG: "name-too-long",
    Errno.NODEV: "no-device",
    Errno.NOENT: "no-entry",
    Errno.NOLCK: "no-lock",
    Errno.NOMEM: "insufficient-memory",
    Errno.NOSPC: "insufficient-space",
    Errno.NOTDIR: "not-directory",
    Errno.NOTEMPTY: "not-empty",
    Errno.NOTRECOVERABLE: "not-recoverable",
    Errno.NOTSUP: "unsupported",
    Errno.NOSYS: "unsupported",
    Errno.NOTTY: "no-tty",
    Errno.NXIO: "no-such-device",
    Errno.OVERFLOW: "overflow",
    Errno.PERM: "not-permitted",
    Errno.NOTCAPABLE: "not-permitted",
    Errno.PIPE: "pipe",
    Errno.ROFS: "read-only",
    Errno.SPIPE: "invalid-seek",
    Errno.TXTBSY: "text-file-busy",
    Errno.XDEV: "cross-device",
}


def error_code(errno: Errno) -> str:
    """The error-code label for `errno`; `io` for one wasi:filesystem has no name for."""
    return ERROR_CODES.get(errno, "io")


_F = TypeVar("_F", bound=Callable[..., object])


def fs_call(method: _F) -> _F:
    """Make a `WasiError` raised by `method` into `Err(error-code label)`."""

    @functools.wraps(method)
    def call(*args: object) -> object:
        try:
            return method(*args)
        except WasiError as exc:
            raise Err(error_code(exc.errno)) from None

    return cast(_F, call)
