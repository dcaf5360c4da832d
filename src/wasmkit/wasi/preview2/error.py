"""wasi:io/error: the `error` resource a stream's `last-operation-failed` carries."""

from __future__ import annotations

from ..errno import Errno

__all__ = ["IoError"]


class IoError:
    """wasi:io/error `error`: a message for people, and the WASI errno when the failure came
    from a file or host call (`wasi:filesystem/types.filesystem-error-code` reads it)."""

    __slots__ = ("message", "errno")

    def __init__(self, message: str, errno: Errno | None = None) -> None:
        self.message = message
        self.errno = errno

    def to_debug_string(self) -> str:
        return self.message

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"IoError({self.message!r})"
