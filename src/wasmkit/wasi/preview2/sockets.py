"""wasi:sockets, refused: the answers `wasmtime run` (49) gives without network flags (no
`-S inherit-network`, `-S allow-ip-name-lookup`): `create-tcp-socket` and
`create-udp-socket` fail with `access-denied`, `resolve-addresses` with
`permanent-resolver-failure` (whatever the name), and `instance-network` gives a network
that allows nothing. No host socket is ever opened.

The socket resources exist so that a component importing them links; none is ever handed
out. Their methods answer as a socket that can never be bound would: `access-denied` to bind
or connect, the state errors of the WIT (`invalid-state`, `not-in-progress`) otherwise.
"""

from __future__ import annotations

from ..interrupt import Interruption
from .error import IoError
from .poll import Pollable
from .values import Err, label

__all__ = [
    "IncomingDatagramStream",
    "IpNameLookup",
    "Network",
    "Networks",
    "OutgoingDatagramStream",
    "ResolveAddressStream",
    "TcpSocket",
    "UdpSocket",
]

_NS = 1_000_000_000


def _denied() -> Err:
    return Err("access-denied")


def _family(value: object) -> str:
    family = label(value)
    if family not in ("ipv4", "ipv6"):
        raise TypeError(f"unknown address family {family!r}")
    return family


def _positive(value: int) -> int:
    if value <= 0:
        raise Err("invalid-argument")
    return value


class Network:
    """wasi:sockets/network `network`: the instance's (empty) right to the network."""

    def close(self) -> None:
        """Nothing to release."""


class _Socket:
    """What both socket kinds share: the family, buffer sizes and hop limit, a pollable."""

    def __init__(self, family: str, stop: Interruption) -> None:
        self._family = family
        self._stop = stop
        self._hop_limit = 64
        self._receive_buffer_size = 1 << 16
        self._send_buffer_size = 1 << 16

    def start_bind(self, network: Network, local_address: object) -> None:
        raise _denied()

    def finish_bind(self) -> None:
        raise Err("not-in-progress")

    def local_address(self) -> object:
        raise Err("invalid-state")

    def remote_address(self) -> object:
        raise Err("invalid-state")

    def address_family(self) -> str:
        return self._family

    def receive_buffer_size(self) -> int:
        return self._receive_buffer_size

    def set_receive_buffer_size(self, value: int) -> None:
        self._receive_buffer_size = _positive(value)

    def send_buffer_size(self) -> int:
        return self._send_buffer_size

    def set_send_buffer_size(self, value: int) -> None:
        self._send_buffer_size = _positive(value)

    def subscribe(self) -> Pollable:
        return Pollable(self._stop)

    def close(self) -> None:
        """No host socket was opened."""


class TcpSocket(_Socket):
    """wasi:sockets/tcp `tcp-socket`, never bound nor connected."""

    def __init__(self, family: str, stop: Interruption) -> None:
        super().__init__(family, stop)
        self._keep_alive = False
        self._keep_alive_idle_time = 7200 * _NS
        self._keep_alive_interval = 75 * _NS
        self._keep_alive_count = 9
        self._backlog = 128

    def start_connect(self, network: Network, remote_address: object) -> None:
        raise _denied()

    def finish_connect(self) -> None:
        raise Err("not-in-progress")

    def start_listen(self) -> None:
        raise Err("invalid-state")

    def finish_listen(self) -> None:
        raise Err("not-in-progress")

    def accept(self) -> None:
        raise Err("invalid-state")

    def is_listening(self) -> bool:
        return False

    def set_listen_backlog_size(self, value: int) -> None:
        self._backlog = _positive(value)

    def keep_alive_enabled(self) -> bool:
        return self._keep_alive

    def set_keep_alive_enabled(self, value: bool) -> None:
        self._keep_alive = bool(value)

    def keep_alive_idle_time(self) -> int:
        return self._keep_alive_idle_time

    def set_keep_alive_idle_time(self, value: int) -> None:
        self._keep_alive_idle_time = _positive(value)

    def keep_alive_interval(self) -> int:
        return self._keep_alive_interval

    def set_keep_alive_interval(self, value: int) -> None:
        self._keep_alive_interval = _positive(value)

    def keep_alive_count(self) -> int:
        return self._keep_alive_count

    def set_keep_alive_count(self, value: int) -> None:
        self._keep_alive_count = _positive(value)

    def hop_limit(self) -> int:
        return self._hop_limit

    def set_hop_limit(self, value: int) -> None:
        self._hop_limit = _positive(value)

    def shutdown(self, shutdown_type: object) -> None:
        raise Err("invalid-state")


class UdpSocket(_Socket):
    """wasi:sockets/udp `udp-socket`, never bound."""

    def stream(self, remote_address: object) -> None:
        raise Err("invalid-state")

    def unicast_hop_limit(self) -> int:
        return self._hop_limit

    def set_unicast_hop_limit(self, value: int) -> None:
        self._hop_limit = _positive(value)


class _NeverMade:
    """A resource the refused network never hands out, present so that its interface is
    whole: it has the WIT's methods only as far as a guest could reach them."""

    def __init__(self, stop: Interruption) -> None:
        self._stop = stop

    def subscribe(self) -> Pollable:
        return Pollable(self._stop)

    def close(self) -> None:
        """Nothing to release."""


class ResolveAddressStream(_NeverMade):
    """wasi:sockets/ip-name-lookup `resolve-address-stream` (lookups are refused)."""

    def resolve_next_address(self) -> None:
        raise Err("permanent-resolver-failure")


class IncomingDatagramStream(_NeverMade):
    """wasi:sockets/udp `incoming-datagram-stream` (no UDP socket is ever bound)."""

    def receive(self, max_results: int) -> list[object]:
        raise Err("invalid-state")


class OutgoingDatagramStream(_NeverMade):
    """wasi:sockets/udp `outgoing-datagram-stream` (no UDP socket is ever bound)."""

    def check_send(self) -> int:
        raise Err("invalid-state")

    def send(self, datagrams: list[object]) -> int:
        raise Err("invalid-state")


class Networks:
    """The functions of wasi:sockets/instance-network, tcp-create-socket, udp-create-socket
    and network."""

    def __init__(self, stop: Interruption) -> None:
        self._stop = stop

    def instance_network(self) -> Network:
        return Network()

    def create_tcp_socket(self, address_family: object) -> TcpSocket:
        _family(address_family)
        raise _denied()

    def create_udp_socket(self, address_family: object) -> UdpSocket:
        _family(address_family)
        raise _denied()

    def network_error_code(self, err: IoError) -> str | None:
        return None


class IpNameLookup:
    """The function of wasi:sockets/ip-name-lookup: refused."""

    def resolve_addresses(self, network: Network, name: str) -> ResolveAddressStream:
        raise Err("permanent-resolver-failure")
