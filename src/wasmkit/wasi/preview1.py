"""`WasiPreview1`: the WASI state of one instance, and the functions the engine links.

    wasi = WasiPreview1(config)
    for name, (functype, function) in wasi.host_functions().items():
        ...  # link as ("wasi_snapshot_preview1", name); call function(memory, *unsigned_args)
    ...      # run the program; proc_exit raises ExitTrap(code)
    wasi.captured_stdout                              # if the config captures stdout
    wasi.close()                                      # release host descriptors

Making it opens the config's preopened directories and stdio files: descriptors 0, 1, 2 are
stdin, stdout and stderr, and the preopens follow from 3 in the order they were added. A
preopen gets `abi.DIRECTORY_RIGHTS` as its base rights and those plus `abi.FILE_RIGHTS` as
its inheriting rights.
"""

from __future__ import annotations

from collections.abc import Collection
from types import TracebackType

from ..syntax.types import FuncType
from .abi import DIRECTORY_RIGHTS, FILE_RIGHTS
from .args_env import ArgsEnv
from .clocks import Clocks
from .config import Preopen, WasiConfig
from .fd import FdCalls
from .fdtable import DirectoryDescriptor, FdTable, InputDescriptor, OutputDescriptor
from .fs import Directory
from .hostfs import HostDirectory
from .interrupt import Interruption
from .path import PathCalls
from .poll import Poll
from .proc import Proc
from .random import Random
from .sock import Sockets
from .stdio import CaptureOutput, OutputStream, open_input, open_output
from .syscall import HostFunction, host_functions

__all__ = ["MODULE", "CapturedOutput", "WasiPreview1", "captured", "open_preopen"]

MODULE = "wasi_snapshot_preview1"


def open_preopen(preopen: Preopen) -> Directory:
    """The root directory handle of `preopen` (OSError if a host directory cannot be opened)."""
    if preopen.fs is not None:
        return preopen.fs.root()
    if preopen.host_path is None:
        raise ValueError(f"preopen {preopen.guest_path!r} has no directory")
    return HostDirectory.open_path(preopen.host_path)


class CapturedOutput:
    """What a WASI state (either version's) gives of the output its program wrote, when its
    config captures it: its `_stdout` and `_stderr` are the stdio output streams."""

    _stdout: OutputStream
    _stderr: OutputStream

    @property
    def captured_stdout(self) -> bytes:
        """What the program wrote to stdout, when the config captures it."""
        return captured(self._stdout, "stdout")

    @property
    def captured_stderr(self) -> bytes:
        """What the program wrote to stderr, when the config captures it."""
        return captured(self._stderr, "stderr")


class WasiPreview1(CapturedOutput):
    """The WASI preview 1 state of one instance: its descriptors, clocks, arguments and
    environment. Raises `OSError` if a preopened directory or stdio file cannot be opened."""

    def __init__(self, config: WasiConfig) -> None:
        self._fds = FdTable()
        try:
            self._stdout = open_output(config.stdout, 1)
            self._stderr = open_output(config.stderr, 2)
            self._fds.add(InputDescriptor(open_input(config.stdin)))
            self._fds.add(OutputDescriptor(self._stdout))
            self._fds.add(OutputDescriptor(self._stderr))
            for preopen in config.preopens:
                self._fds.add(
                    DirectoryDescriptor(
                        open_preopen(preopen),
                        preopen.guest_path,
                        preopen.dir_perms,
                        preopen.file_perms,
                        DIRECTORY_RIGHTS,
                        DIRECTORY_RIGHTS | FILE_RIGHTS,
                    )
                )
        except BaseException:
            self._fds.close_all()
            raise
        clocks = Clocks()
        self.interruption = Interruption()
        self._groups = (
            ArgsEnv(config.argv, config.env),
            clocks,
            FdCalls(self._fds, self.interruption),
            PathCalls(self._fds),
            Poll(self._fds, clocks, self.interruption),
            Proc(),
            Random(self.interruption),
            Sockets(self._fds),
        )

    def host_functions(self, names: Collection[str] | None = None) -> dict[str, tuple[FuncType, HostFunction]]:
        """Every wasi_snapshot_preview1 function (or those in `names`), by name: its wasm type
        and a callable `fn(memory, *args)` taking unsigned ints and returning the errno (None
        for proc_exit)."""
        return host_functions(*self._groups, names=names)

    def interrupt(self) -> None:
        """End any wait in poll_oneoff (a sleep, say) and any large transfer with INTR (or the
        short count of what it moved), now and from now on; safe to call from any thread.
        An interrupt of the calling instance's store (`Store.interrupt`, `set_deadline`)
        stops them too, with the trap "interrupted" (see `wasmkit.wasi.interrupt`)."""
        self.interruption.set()

    def close(self) -> None:
        """Close every descriptor still open (host files and directories among them)."""
        self._fds.close_all()

    def __enter__(self) -> WasiPreview1:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def captured(stream: OutputStream, name: str) -> bytes:
    """What a capture stream holds; ValueError if the config does not capture `name`."""
    if not isinstance(stream, CaptureOutput):
        raise ValueError(f"{name} is not captured; call WasiConfig.capture_{name}()")
    return stream.data
