"""What the operator of `wasmkit serve` sets about connections, and the defaults: how long a
client may take to send a request head, and how many connections a worker keeps open at once.
Apart from `protocol` (which enforces them, see there), so that the command line can show the
defaults without importing the server, which needs the `serve` extra."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProtocolLimits", "DEFAULT_HEADER_TIMEOUT", "DEFAULT_MAX_CONNECTIONS"]

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds to receive a whole request head
DEFAULT_MAX_CONNECTIONS = 1024  # open connections per worker (nginx's worker_connections is 512)


@dataclass(frozen=True)
class ProtocolLimits:
    """What can be configured: how long a client may take to send a request head, and how
    many connections a worker keeps open at once (more are answered 503 and closed)."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
