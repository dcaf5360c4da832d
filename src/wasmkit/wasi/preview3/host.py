"""The WASI 0.3.0 interfaces of one instance, made over its WASI 0.2 state (`WasiPreview2`:
the stdio streams, arguments and environment, preopened directories, clocks, stop requests
and HTTP options), so that a component importing both (componentize-py's libc imports 0.2's,
its world 0.3's) shares one stdout, one clock, one set of open directories and one set of
limits. `preview2.host_imports` includes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..clocks import Clocks
from ..preview2.cli import Environment, Exit, TerminalInput, TerminalOutput
from ..preview2.cli import Stdio as Stdio2
from ..preview2.clocks import MonotonicClock as MonotonicClock2
from ..preview2.clocks import WallClock
from ..preview2.random import InsecureRandom, InsecureSeed, SecureRandom
from .cli import Stdio
from .clocks import MonotonicClock, SystemClock
from .filesystem import Descriptor, Preopens
from .sockets import IpNameLookup, TcpSocket, UdpSocket
from .http import Client, http_interfaces

if TYPE_CHECKING:
    from ..preview2.host import WasiPreview2

__all__ = ["VERSION", "interfaces"]

VERSION = "0.3.0"

Interface = dict[str, object]


def interfaces(wasi: WasiPreview2, methods: Callable[..., Interface]) -> dict[str, Interface]:
    """Every 0.3.0 interface, keyed "package/interface@0.3.0"; `methods` makes an interface
    of a host object's public methods (as `preview2.host` does)."""
    stop = wasi.interruption
    clocks = Clocks()
    stdin, stdout, stderr = wasi.stdio()
    stdio = Stdio(stdin, stdout, stderr)
    terminals = Stdio2(stdin, stdout, stderr, stop)
    environment = Environment(wasi.config.argv, wasi.config.env)
    seed = InsecureSeed()
    interfaces: dict[str, Interface] = {
        "wasi:cli/types": {},
        "wasi:cli/environment": {
            "get-environment": environment.get_environment,
            "get-arguments": environment.get_arguments,
            "get-initial-cwd": environment.initial_cwd,
        },
        "wasi:cli/exit": methods(Exit()),
        "wasi:cli/stdin": {"read-via-stream": stdio.read_via_stream},
        "wasi:cli/stdout": {"write-via-stream": stdio.write_stdout},
        "wasi:cli/stderr": {"write-via-stream": stdio.write_stderr},
        "wasi:cli/terminal-input": {"terminal-input": TerminalInput},
        "wasi:cli/terminal-output": {"terminal-output": TerminalOutput},
        "wasi:cli/terminal-stdin": {"get-terminal-stdin": terminals.get_terminal_stdin},
        "wasi:cli/terminal-stdout": {"get-terminal-stdout": terminals.get_terminal_stdout},
        "wasi:cli/terminal-stderr": {"get-terminal-stderr": terminals.get_terminal_stderr},
        "wasi:clocks/types": {},
        "wasi:clocks/monotonic-clock": methods(MonotonicClock(MonotonicClock2(clocks, stop), stop)),
        "wasi:clocks/system-clock": methods(SystemClock(WallClock(clocks))),
        "wasi:random/random": methods(SecureRandom(stop)),
        "wasi:random/insecure": methods(InsecureRandom()),
        "wasi:random/insecure-seed": {"get-insecure-seed": seed.insecure_seed},
        "wasi:filesystem/types": {"descriptor": Descriptor},
        "wasi:filesystem/preopens": methods(Preopens(wasi.preopens())),
        "wasi:sockets/types": {"tcp-socket": TcpSocket, "udp-socket": UdpSocket},
        "wasi:sockets/ip-name-lookup": methods(IpNameLookup()),
        **http_interfaces(Client(wasi.http_allowed_hosts, wasi.http_body_limit, stop)),
    }
    return {f"{name}@{VERSION}": interface for name, interface in interfaces.items()}
