"""wasi:sockets@0.3.0, refused as 0.2's are (`preview2.sockets`) and as `wasmtime run -Sp3`
answers without network flags: creating a TCP or UDP socket fails with `access-denied`,
`resolve-addresses` with `permanent-resolver-failure`. No host socket is ever opened.

The socket resources exist so that a component importing them links (its world is the whole
`wasi:cli/command`); none is ever handed out, so their methods are never called: each
answers `invalid-state`, as a socket that was never created would.
"""

from __future__ import annotations

from typing import NoReturn

from ..preview2.values import Err, case

__all__ = ["IpNameLookup", "TcpSocket", "UdpSocket"]

_TCP_METHODS = (
    "bind connect listen send receive get-local-address get-remote-address get-is-listening get-address-family "
    "set-listen-backlog-size get-keep-alive-enabled set-keep-alive-enabled get-keep-alive-idle-time "
    "set-keep-alive-idle-time get-keep-alive-interval set-keep-alive-interval get-keep-alive-count "
    "set-keep-alive-count get-hop-limit set-hop-limit get-receive-buffer-size set-receive-buffer-size "
    "get-send-buffer-size set-send-buffer-size"
).split()
_UDP_METHODS = (
    "bind connect disconnect send receive get-local-address get-remote-address get-address-family "
    "get-unicast-hop-limit set-unicast-hop-limit get-receive-buffer-size set-receive-buffer-size "
    "get-send-buffer-size set-send-buffer-size"
).split()


def _never_created(*args: object) -> NoReturn:
    raise Err(case("invalid-state"))


def _refused(cls: type, *args: object) -> NoReturn:
    raise Err(case("access-denied"))


def _socket_class(name: str, methods: list[str]) -> type:
    """A resource class whose `create` is refused and whose methods answer `invalid-state`."""
    namespace: dict[str, object] = {method.replace("-", "_"): _never_created for method in methods}
    namespace["create"] = classmethod(_refused)
    namespace["__doc__"] = f"wasi:sockets/types@0.3.0 `{name}`: never created (see the module's docstring)."
    namespace["__module__"] = __name__
    return type(name.title().replace("-", ""), (), namespace)


TcpSocket = _socket_class("tcp-socket", _TCP_METHODS)
UdpSocket = _socket_class("udp-socket", _UDP_METHODS)


class IpNameLookup:
    """wasi:sockets/ip-name-lookup@0.3.0: every lookup fails."""

    def resolve_addresses(self, name: str) -> NoReturn:
        raise Err(case("permanent-resolver-failure"))
