"""wasi:cli: environment, exit, stdin/stdout/stderr and the terminal interfaces.

The arguments and environment are the `WasiConfig`'s; `initial-cwd` is none (wasmtime gives
none unless told). `exit` raises `ExitTrap` (0 for ok, 1 for err) and `exit-with-code`
`ExitTrap(code)`, as wasmtime does (no 126 limit there, unlike preview 1's `proc_exit`).
`get-stdin`, `get-stdout` and `get-stderr` give a new stream resource on each call, over the
instance's one stdio stream; dropping it leaves the stdio stream open. `get-terminal-*` give a
terminal resource when the host stream is a terminal, none otherwise.
"""

from __future__ import annotations

from ...errors import ExitTrap
from ..interrupt import Interruption
from ..stdio import InputStream as HostSource
from ..stdio import OutputStream as HostSink
from .streams import HostInputStream, HostOutputStream
from .values import Err

__all__ = ["Environment", "Exit", "Stdio", "TerminalInput", "TerminalOutput"]


class Environment:
    """The functions of wasi:cli/environment."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self._argv = list(argv)
        self._env = list(env.items())

    def get_environment(self) -> list[tuple[str, str]]:
        return list(self._env)

    def get_arguments(self) -> list[str]:
        return list(self._argv)

    def initial_cwd(self) -> str | None:
        return None


class Exit:
    """The functions of wasi:cli/exit."""

    def exit(self, status: object) -> None:
        """Ok (or None) exits with 0, Err with 1."""
        raise ExitTrap(1 if isinstance(status, Err) else 0)

    def exit_with_code(self, status_code: int) -> None:
        raise ExitTrap(status_code)


class TerminalInput:
    """wasi:cli/terminal-input `terminal-input`: a terminal's input side (no methods)."""

    def close(self) -> None:
        """Nothing to release."""


class TerminalOutput:
    """wasi:cli/terminal-output `terminal-output`: a terminal's output side (no methods)."""

    def close(self) -> None:
        """Nothing to release."""


class Stdio:
    """The functions of wasi:cli/stdin, stdout, stderr and terminal-stdin/stdout/stderr."""

    def __init__(self, stdin: HostSource, stdout: HostSink, stderr: HostSink, stop: Interruption) -> None:
        self._stdin = stdin
        self._stdout = stdout
        self._stderr = stderr
        self._stop = stop

    def get_stdin(self) -> HostInputStream:
        return HostInputStream(self._stdin, self._stop)

    def get_stdout(self) -> HostOutputStream:
        return HostOutputStream(self._stdout, self._stop)

    def get_stderr(self) -> HostOutputStream:
        return HostOutputStream(self._stderr, self._stop)

    def get_terminal_stdin(self) -> TerminalInput | None:
        return TerminalInput() if self._stdin.isatty() else None

    def get_terminal_stdout(self) -> TerminalOutput | None:
        return TerminalOutput() if self._stdout.isatty() else None

    def get_terminal_stderr(self) -> TerminalOutput | None:
        return TerminalOutput() if self._stderr.isatty() else None
