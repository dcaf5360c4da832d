"""`WasiPreview2`: the WASI 0.2 state of one instance, and `host_imports`, the interfaces a
component's instantiation links.

    imports = host_imports(config)                       # one instance's WASI 0.2 host
    env = imports.find("wasi:cli/environment@0.2.3")     # any 0.2.x finds the 0.2 interface
    env["get-arguments"]()                               # -> ["prog", ...]
    imports.wasi.captured_stdout                         # the state: capture buffers, close()

`host_imports` returns a dict keyed by interface name with version 0.2.0
("wasi:cli/environment@0.2.0"), and WASI 0.3's interfaces with version 0.3.0 (`preview3`,
made over the same state). Components import 0.2.0 ... 0.2.x (each toolchain its own
patch release; the interfaces only gained functions within 0.2): `find(name)` and indexing
(`imports[name]`, `name in imports`, `imports.get(name)`) ignore the patch version, and
refuse another minor version or a pre-release ("0.2.0-rc-..."), whose types differ. (A plain
dict made from it, `{**imports, **mine}`, keeps the 0.2.0 keys only.) Each interface maps a WIT function name
(kebab-case) to a callable and a resource name to its class, whose methods are the WIT
methods in snake_case; a resource object's `close()` is its destructor, to be called when
the guest drops its own handle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from types import TracebackType

from ...runtime.store import Store
from ..clocks import Clocks
from ..config import DirPerms, WasiConfig
from ..fs import Directory
from ..interrupt import Interruption
from ..preview1 import CapturedOutput, open_preopen
from ..stdio import InputStream as HostSource
from ..stdio import OutputStream as HostSink
from ..stdio import open_input, open_output
from .cli import Environment, Exit, Stdio, TerminalInput, TerminalOutput
from .clocks import MonotonicClock, WallClock
from .error import IoError
from .filesystem import Descriptor, DirectoryEntryStream, FilesystemTypes, Preopens
from .http import http_interfaces
from .outgoing import OutgoingHandler
from .poll import Pollable, poll
from .random import InsecureRandom, InsecureSeed, SecureRandom
from .sockets import (
    IncomingDatagramStream, IpNameLookup, Network, Networks, OutgoingDatagramStream,
    ResolveAddressStream, TcpSocket, UdpSocket,
)  # fmt: skip
from .streams import InputStream, OutputStream

__all__ = ["VERSION", "HostImports", "WasiPreview2", "host_imports", "interface_key"]

VERSION = "0.2.0"
_NAME = re.compile(r"^(?P<base>[a-z][a-z0-9-]*:[a-z][a-z0-9-]*/[a-z][a-z0-9-]*)@0\.(?P<minor>[23])\.(?P<patch>0|[1-9][0-9]*)$")

Interface = dict[str, object]


def interface_key(name: str) -> str | None:
    """The key under which `host_imports` holds interface `name`: the same name at version
    0.2.0 for any 0.2.x release, at 0.3.0 for any 0.3.x (WASI 0.3, `preview3`); None for any
    other version, a pre-release or no version."""
    match = _NAME.match(name)
    return None if match is None else f"{match['base']}@0.{match['minor']}.0"


class HostImports(dict[str, Interface]):
    """The WASI 0.2 interfaces of one instance, keyed "package/interface@0.2.0", and the
    WASI 0.3 ones, keyed "...@0.3.0"; `wasi` is the `WasiPreview2` state behind them."""

    def __init__(self, interfaces: Mapping[str, Interface], wasi: WasiPreview2) -> None:
        super().__init__(interfaces)
        self.wasi = wasi

    def find(self, name: str) -> Interface | None:
        """The interface a component imports as `name` (any 0.2.x or 0.3.x version), or None."""
        key = interface_key(name)
        return None if key is None else dict.get(self, key)

    def __missing__(self, name: str) -> Interface:
        found = self.find(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (isinstance(name, str) and self.find(name) is not None)

    def get(self, name: str, default: Interface | None = None) -> Interface | None:  # type: ignore[override]
        found = dict.get(self, name)
        if found is None:
            found = self.find(name)
        return default if found is None else found


def _methods(*objects: object) -> Interface:
    """The WIT functions of host objects: each public method, under its kebab-case name."""
    functions: Interface = {}
    for obj in objects:
        for attr in dir(type(obj)):
            if not attr.startswith("_"):
                value: Callable[..., object] = getattr(obj, attr)
                if callable(value):
                    functions[attr.replace("_", "-")] = value
    return functions


class WasiPreview2(CapturedOutput):
    """The WASI 0.2 state of one instance: its stdio streams, preopened directories, clocks,
    arguments and environment. `store`, the store the component instance runs in, is the
    one whose interrupt and deadline stop a wait (a poll, a blocking read or write);
    `http_body_limit` and `http_allowed_hosts` are `host_imports`'. Raises
    `OSError` if a preopened directory or stdio file cannot be opened."""

    def __init__(
        self,
        config: WasiConfig,
        store: Store | None = None,
        *,
        http_body_limit: int | None = None,
        http_allowed_hosts: Collection[str] = (),
    ) -> None:
        self.interruption = Interruption(store)
        self._http_body_limit = http_body_limit
        self._http_allowed_hosts = tuple(http_allowed_hosts)
        self._streams: list[HostSource | HostSink] = []
        self._preopens: list[tuple[Descriptor, str]] = []
        self._handles: list[Directory] = []
        try:
            self._stdin = open_input(config.stdin)
            self._streams.append(self._stdin)
            self._stdout = open_output(config.stdout, 1)
            self._streams.append(self._stdout)
            self._stderr = open_output(config.stderr, 2)
            self._streams.append(self._stderr)
            for preopen in config.preopens:
                handle = open_preopen(preopen)
                self._handles.append(handle)
                flags = {"read"} | ({"mutate-directory"} if DirPerms.MUTATE in preopen.dir_perms else set())
                descriptor = Descriptor(
                    handle,
                    handle.stat().filetype,
                    frozenset(flags),
                    preopen.dir_perms,
                    preopen.file_perms,
                    self.interruption,
                )
                self._preopens.append((descriptor, preopen.guest_path))
        except BaseException:
            self.close()
            raise
        self.config = config

    @property
    def http_body_limit(self) -> int | None:
        return self._http_body_limit

    @property
    def http_allowed_hosts(self) -> tuple[str, ...]:
        return self._http_allowed_hosts

    def preopens(self) -> list[tuple[Descriptor, str]]:
        """The preopened directories' descriptors and guest paths (WASI 0.3's share them)."""
        return self._preopens

    def stdio(self) -> tuple[HostSource, HostSink, HostSink]:
        """The instance's stdin, stdout and stderr (WASI 0.3's interfaces use them too)."""
        return self._stdin, self._stdout, self._stderr

    def interfaces(self) -> dict[str, Interface]:
        """Every interface, keyed "package/interface@0.2.0", and WASI 0.3's keyed
        "package/interface@0.3.0" (`preview3`; see the module's docstring)."""
        from ..preview3 import interfaces as interfaces_03  # it builds on this module's state

        return {**self._interfaces_02(), **interfaces_03(self, _methods)}

    def _interfaces_02(self) -> dict[str, Interface]:
        stop = self.interruption
        clocks = Clocks()
        stdio = Stdio(self._stdin, self._stdout, self._stderr, stop)
        networks = Networks(stop)
        interfaces: dict[str, Interface] = {
            "wasi:cli/environment": _methods(Environment(self.config.argv, self.config.env)),
            "wasi:cli/exit": _methods(Exit()),
            "wasi:cli/stdin": {"get-stdin": stdio.get_stdin},
            "wasi:cli/stdout": {"get-stdout": stdio.get_stdout},
            "wasi:cli/stderr": {"get-stderr": stdio.get_stderr},
            "wasi:cli/terminal-input": {"terminal-input": TerminalInput},
            "wasi:cli/terminal-output": {"terminal-output": TerminalOutput},
            "wasi:cli/terminal-stdin": {"get-terminal-stdin": stdio.get_terminal_stdin},
            "wasi:cli/terminal-stdout": {"get-terminal-stdout": stdio.get_terminal_stdout},
            "wasi:cli/terminal-stderr": {"get-terminal-stderr": stdio.get_terminal_stderr},
            "wasi:io/error": {"error": IoError},
            "wasi:io/poll": {"pollable": Pollable, "poll": poll},
            "wasi:io/streams": {"input-stream": InputStream, "output-stream": OutputStream},
            "wasi:clocks/monotonic-clock": _methods(MonotonicClock(clocks, stop)),
            "wasi:clocks/wall-clock": _methods(WallClock(clocks)),
            "wasi:random/random": _methods(SecureRandom(stop)),
            "wasi:random/insecure": _methods(InsecureRandom()),
            "wasi:random/insecure-seed": _methods(InsecureSeed()),
            "wasi:filesystem/types": {
                "descriptor": Descriptor,
                "directory-entry-stream": DirectoryEntryStream,
                **_methods(FilesystemTypes()),
            },
            "wasi:filesystem/preopens": _methods(Preopens(self._preopens)),
            "wasi:sockets/network": {"network": Network, "network-error-code": networks.network_error_code},
            "wasi:sockets/instance-network": {"instance-network": networks.instance_network},
            "wasi:sockets/tcp": {"tcp-socket": TcpSocket},
            "wasi:sockets/tcp-create-socket": {"create-tcp-socket": networks.create_tcp_socket},
            "wasi:sockets/udp": {
                "udp-socket": UdpSocket,
                "incoming-datagram-stream": IncomingDatagramStream,
                "outgoing-datagram-stream": OutgoingDatagramStream,
            },
            "wasi:sockets/udp-create-socket": {"create-udp-socket": networks.create_udp_socket},
            "wasi:sockets/ip-name-lookup": {
                "resolve-address-stream": ResolveAddressStream,
                **_methods(IpNameLookup()),
            },
            **http_interfaces(
                OutgoingHandler(self._http_allowed_hosts, self._http_body_limit, stop).handle, self._http_body_limit
            ),
        }
        return {f"{name}@{VERSION}": interface for name, interface in interfaces.items()}

    def interrupt(self) -> None:
        """End any wait (poll, a blocking read or write) with the trap "interrupted", now and
        from now on; safe to call from any thread. (The store's interrupt and deadline stop
        the current call's waits only.)"""
        self.interruption.set()

    def close(self) -> None:
        """Close the stdio files and preopened directories the instance holds."""
        while self._streams:
            self._streams.pop().close()
        while self._handles:
            self._handles.pop().close()
        self._preopens.clear()

    def __enter__(self) -> WasiPreview2:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def host_imports(
    config: WasiConfig,
    store: Store | None = None,
    *,
    http_body_limit: int | None = None,
    http_allowed_hosts: Collection[str] = (),
) -> HostImports:
    """A new instance's WASI 0.2 host: its interfaces, by versioned name (see the module's
    docstring); `.wasi` is its `WasiPreview2` state. Give the `store` the component runs in
    so that its interrupt and deadline stop the waits of WASI calls; `http_body_limit` caps
    an HTTP body the guest writes or receives (None: no cap); `http_allowed_hosts` are the
    hosts the guest may send HTTP requests to (`outgoing`; none by default)."""
    wasi = WasiPreview2(config, store, http_body_limit=http_body_limit, http_allowed_hosts=http_allowed_hosts)
    return HostImports(wasi.interfaces(), wasi)
