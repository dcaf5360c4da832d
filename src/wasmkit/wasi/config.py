"""`WasiConfig`: what a user decides about a WASI program's world before it runs.

    config = WasiConfig(argv=["prog", "-v"], env={"LANG": "C"})
    config.preopen_dir("./data", "/data", dir_perms=DirPerms.READ_ONLY, file_perms=FilePerms.READ_ONLY)
    config.preopen_fs(MemoryFS({"hello.txt": b"hi"}), "/mem")
    config.stdin_bytes(b"input")
    config.capture_stdout()

A config is a plain description and can serve any number of instances: each `WasiPreview1`
made from it opens its own directories and stdio streams, and holds its own capture buffers.
The method names follow wasmtime-py's `WasiConfig` (`argv`, `env`, `inherit_*`, `*_file`,
`preopen_dir(host, guest, dir_perms, file_perms)`), so that API maps onto this one directly.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .fs import Filesystem

__all__ = ["DirPerms", "FilePerms", "Preopen", "StdioKind", "StdioSpec", "WasiConfig"]


class DirPerms(enum.Flag):
    """What a guest may do to the directories of a preopen: READ (look names up, list) and
    MUTATE (create, remove, rename, link, change times). A denied operation fails with PERM."""

    READ = 1
    MUTATE = 2
    READ_ONLY = READ
    READ_WRITE = READ | MUTATE


class FilePerms(enum.Flag):
    """What a guest may do to the files of a preopen: READ and WRITE (which includes
    truncating and changing times). Opening a file for a denied access fails with PERM."""

    READ = 1
    WRITE = 2
    READ_ONLY = READ
    READ_WRITE = READ | WRITE


class StdioKind(enum.Enum):
    """Where a stdio stream goes: the host's own stream, given bytes (stdin), an in-memory
    capture buffer (stdout/stderr), or a host file."""

    INHERIT = "inherit"
    BYTES = "bytes"
    CAPTURE = "capture"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class StdioSpec:
    """One stdio stream's setting: its kind, the bytes fed (BYTES), the host path (FILE), or
    the most a capture buffer takes (CAPTURE; None for no limit)."""

    kind: StdioKind
    data: bytes = b""
    path: str = ""
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Preopen:
    """A directory the guest finds open at startup, under `guest_path`: a host directory
    (`host_path`) or the root of a filesystem (`fs`, e.g. a `MemoryFS`)."""

    guest_path: str
    dir_perms: DirPerms
    file_perms: FilePerms
    host_path: str | None = None
    fs: Filesystem | None = None


class WasiConfig:
    """The arguments, environment, preopened directories and stdio of a WASI program."""

    def __init__(self, argv: Iterable[str] = (), env: Mapping[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.env = dict(env or {})
        self.preopens: list[Preopen] = []
        self.stdin = StdioSpec(StdioKind.INHERIT)
        self.stdout = StdioSpec(StdioKind.INHERIT)
        self.stderr = StdioSpec(StdioKind.INHERIT)

    # -- argv and environment --

    @property
    def argv(self) -> list[str]:
        """The program's arguments, `argv[0]` being its name."""
        return self._argv

    @argv.setter
    def argv(self, argv: Iterable[str]) -> None:
        values = list(argv)
        if any("\0" in arg for arg in values):
            raise ValueError("an argument contains a NUL character")
        self._argv = values

    @property
    def env(self) -> dict[str, str]:
        """The program's environment variables."""
        return self._env

    @env.setter
    def env(self, env: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        pairs = dict(env)
        for key, value in pairs.items():
            if not key or "=" in key or "\0" in key or "\0" in value:
                raise ValueError(f"invalid environment variable {key!r}")
        self._env = pairs

    def inherit_argv(self) -> None:
        """Give the program this Python process's arguments."""
        self.argv = sys.argv

    def inherit_env(self) -> None:
        """Give the program this Python process's environment."""
        self.env = dict(os.environ)

    # -- preopened directories --

    def preopen_dir(
        self,
        host_path: str | os.PathLike[str],
        guest_path: str,
        dir_perms: DirPerms = DirPerms.READ_WRITE,
        file_perms: FilePerms = FilePerms.READ_WRITE,
    ) -> None:
        """Let the program reach host directory `host_path` as `guest_path`."""
        self.preopens.append(Preopen(guest_path, dir_perms, file_perms, host_path=os.fspath(host_path)))

    def preopen_fs(
        self,
        fs: Filesystem,
        guest_path: str,
        dir_perms: DirPerms = DirPerms.READ_WRITE,
        file_perms: FilePerms = FilePerms.READ_WRITE,
    ) -> None:
        """Let the program reach filesystem `fs` (a `MemoryFS`, or any other implementation of
        the filesystem protocol) as `guest_path`."""
        self.preopens.append(Preopen(guest_path, dir_perms, file_perms, fs=fs))

    # -- stdio --

    def inherit_stdin(self) -> None:
        """Read stdin from this process's stdin (the default); pipes and terminals both work."""
        self.stdin = StdioSpec(StdioKind.INHERIT)

    def stdin_bytes(self, data: bytes | str) -> None:
        """Feed `data` as stdin, then end of file."""
        self.stdin = StdioSpec(
            StdioKind.BYTES, data=data.encode("utf-8") if isinstance(data, str) else bytes(data)
        )

    def stdin_file(self, path: str | os.PathLike[str]) -> None:
        """Read stdin from host file `path`, which must exist when an instance is made."""
        self.stdin = StdioSpec(StdioKind.FILE, path=os.fspath(path))

    def inherit_stdout(self) -> None:
        """Write stdout to this process's stdout (the default)."""
        self.stdout = StdioSpec(StdioKind.INHERIT)

    def capture_stdout(self, max_bytes: int | None = None) -> None:
        """Collect stdout in memory; read it from `WasiPreview1.captured_stdout`. A write that
        would take it past `max_bytes` stops the program with `OutputLimitError`."""
        self.stdout = StdioSpec(StdioKind.CAPTURE, limit=max_bytes)

    def stdout_file(self, path: str | os.PathLike[str]) -> None:
        """Write stdout to host file `path`, created or truncated when an instance is made."""
        self.stdout = StdioSpec(StdioKind.FILE, path=os.fspath(path))

    def inherit_stderr(self) -> None:
        """Write stderr to this process's stderr (the default)."""
        self.stderr = StdioSpec(StdioKind.INHERIT)

    def capture_stderr(self, max_bytes: int | None = None) -> None:
        """Collect stderr in memory; read it from `WasiPreview1.captured_stderr`. A write that
        would take it past `max_bytes` stops the program with `OutputLimitError`."""
        self.stderr = StdioSpec(StdioKind.CAPTURE, limit=max_bytes)

    def stderr_file(self, path: str | os.PathLike[str]) -> None:
        """Write stderr to host file `path`, created or truncated when an instance is made."""
        self.stderr = StdioSpec(StdioKind.FILE, path=os.fspath(path))

    def inherit_stdio(self) -> None:
        """Inherit all three stdio streams."""
        self.inherit_stdin()
        self.inherit_stdout()
        self.inherit_stderr()
