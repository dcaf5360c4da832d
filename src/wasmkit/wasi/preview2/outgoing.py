"""wasi:http/outgoing-handler: HTTP requests a guest sends, to the hosts it is allowed only.

Off by default: with no allowed hosts, `handle` answers `HTTP-request-denied` to every
request. `host_imports(config, http_allowed_hosts=[...])` allows hosts by authority:
`"example.com"` (any port), `"example.com:8080"` (that port), `"*.example.com"` (its
subdomains). A request without an authority is `HTTP-request-URI-invalid`; a scheme other
than HTTP and HTTPS `HTTP-protocol-error` (none means HTTPS, as in wasmtime).

A request is sent, on a thread of its own with `http.client`, once its body is complete (the
guest never took it, or finished it); the future's pollable is ready when the answer has
arrived. The answer's body is read whole, at most `body_limit` bytes
(`HTTP-response-body-size` past it). Host failures map to error codes: a refused connection,
a timeout (`request-options`' connect timeout, else 600 s), a name that does not resolve
(`DNS-error`), a TLS or HTTP protocol error; anything else is `internal-error`.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Collection
from dataclasses import dataclass

from ..interrupt import Interruption
from .http import Fields, FutureIncomingResponse, IncomingResponse, OutgoingRequest, RequestOptions
from .values import Err, Ok, case, label

__all__ = ["DnsErrorPayload", "Exchange", "OutgoingHandler", "host_allowed"]

DEFAULT_TIMEOUT = 600.0  # seconds, wasmtime's default connect timeout


@dataclass(frozen=True, slots=True)
class DnsErrorPayload:
    """wasi:http/types `DNS-error-payload`."""

    rcode: str | None
    info_code: int | None


def _split(authority: str) -> tuple[str, str | None]:
    host, sep, port = authority.lower().rpartition(":")
    if not sep or "]" in port:  # no port (an IPv6 literal's colons are inside brackets)
        return authority.lower(), None
    return host, port


def host_allowed(authority: str, allowed: Collection[str]) -> bool:
    """Whether `authority` ("host" or "host:port") matches one of the `allowed` patterns."""
    host, port = _split(authority)
    for pattern in allowed:
        want_host, want_port = _split(pattern)
        if want_port is not None and want_port != port:
            continue
        if want_host == host or (want_host.startswith("*.") and host.endswith(want_host[1:])):
            return True
    return False


def _seconds(duration: int | None) -> float | None:
    return None if duration is None else duration / 1e9


class Exchange:
    """One request and its answer (see the module's docstring)."""

    def __init__(self, request: OutgoingRequest, options: RequestOptions | None, body_limit: int | None) -> None:
        self._request = request
        self._timeout = DEFAULT_TIMEOUT
        if options is not None:
            self._timeout = next(
                (t for t in (_seconds(options.connect_timeout()), _seconds(options.first_byte_timeout())) if t),
                DEFAULT_TIMEOUT,
            )
        self._body_limit = body_limit
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._outcome: object = Err(case("internal-error", "no answer"))

    def ready(self) -> bool:
        if self._thread is None and self._request.sendable():
            self._thread = threading.Thread(target=self._send, name="wasi-http-outgoing", daemon=True)
            self._thread.start()
        return self._done.is_set()

    def outcome(self) -> object:
        return self._outcome

    def _send(self) -> None:
        try:
            self._outcome = self._exchange()
        except ConnectionRefusedError:
            self._outcome = Err(case("connection-refused"))
        except (TimeoutError, socket.timeout):
            self._outcome = Err(case("connection-timeout"))
        except socket.gaierror as exc:
            self._outcome = Err(case("DNS-error", DnsErrorPayload(str(exc.strerror), None)))
        except ssl.SSLError:
            self._outcome = Err(case("TLS-protocol-error"))
        except http.client.HTTPException:
            self._outcome = Err(case("HTTP-protocol-error"))
        except (ConnectionResetError, BrokenPipeError):
            self._outcome = Err(case("connection-terminated"))
        except Exception as exc:  # noqa: BLE001 - any other host failure is the guest's internal-error
            self._outcome = Err(case("internal-error", f"{type(exc).__name__}: {exc}"))
        finally:
            self._done.set()

    def _exchange(self) -> object:
        request = self._request
        scheme = request.scheme()
        https = scheme is None or label(scheme) == "HTTPS"
        host, port = _split(request.authority() or "")
        connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
        connection = connection_class(host.strip("[]"), int(port) if port else None, timeout=self._timeout)
        try:
            method = request.method()
            verb = method.value if label(method) == "other" else label(method).upper()
            body = request.payload()
            connection.putrequest(verb, request.path_with_query() or "/", skip_host=True, skip_accept_encoding=True)
            connection.putheader("host", request.authority() or "")
            entries = request.headers().entries()
            for name, value in entries:
                connection.putheader(name, value)
            given_length = any(name == "content-length" for name, _ in entries)
            if not given_length and (body is not None or verb in ("POST", "PUT", "PATCH")):
                connection.putheader("content-length", str(len(body or b"")))
            connection.endheaders(body)
            response = connection.getresponse()
            limit = self._body_limit
            data = response.read() if limit is None else response.read(limit + 1)
            if limit is not None and len(data) > limit:
                return Err(case("HTTP-response-body-size", None))
            headers = [(name.lower(), value.encode("latin-1")) for name, value in response.getheaders()]
            return Ok(IncomingResponse(response.status, Fields.frozen(headers), data))
        finally:
            connection.close()


class OutgoingHandler:
    """wasi:http/outgoing-handler for one instance: its allowed hosts and body limit."""

    def __init__(self, allowed_hosts: Collection[str], body_limit: int | None, stop: Interruption) -> None:
        self._allowed = tuple(allowed_hosts)
        self._body_limit = body_limit
        self._stop = stop

    def handle(self, request: OutgoingRequest, options: RequestOptions | None) -> FutureIncomingResponse:
        authority = request.authority()
        if not authority:
            raise Err(case("HTTP-request-URI-invalid"))
        scheme = request.scheme()
        if scheme is not None and label(scheme) not in ("HTTP", "HTTPS"):
            raise Err(case("HTTP-protocol-error"))
        if not host_allowed(authority, self._allowed):
            raise Err(case("HTTP-request-denied"))
        return FutureIncomingResponse(Exchange(request, options, self._body_limit), self._stop)
