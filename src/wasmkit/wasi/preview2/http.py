"""wasi:http/types, the parts a `wasi:http/proxy` component
uses: header `fields`, incoming and outgoing requests and responses, their bodies as
wasi:io streams, `response-outparam`, and request options.

What the guest may do follows wasmtime: header names are RFC 9110 tokens and values hold no
CR, LF or NUL (else `invalid-syntax`); the hop-by-hop and host headers wasmtime forbids to a
guest (`FORBIDDEN_HEADERS`) are `forbidden`; the headers of a request or response, once
given to it, are `immutable`. A body's stream and a request's or response's body can be taken
once (a second time is an error). Outgoing bodies are collected in memory (`OutgoingBody.data`),
up to the instance's `http_body_limit` (`host_imports`) when given: a write past it ends the
program with `OutputLimitError`, as a captured stdout's limit does.

The outgoing handler is `outgoing.OutgoingHandler`. The incoming side (a request
arriving, a response sent) is made by the server that calls `wasi:http/incoming-handler`:
`IncomingRequest(...)`, `ResponseOutparam()` and what `ResponseOutparam.response` holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol, Self

from ..interrupt import Interruption
from ..stdio import BytesInput, CaptureOutput
from .error import IoError
from .poll import Pollable
from .streams import HostInputStream, HostOutputStream
from .values import Case, Err, Ok, case, label

__all__ = [
    "FORBIDDEN_HEADERS",
    "checked_authority",
    "checked_path",
    "checked_status",
    "method_case",
    "scheme_case",
    "Fields",
    "FutureIncomingResponse",
    "FutureTrailers",
    "IncomingBody",
    "IncomingRequest",
    "IncomingResponse",
    "OutgoingBody",
    "OutgoingRequest",
    "OutgoingResponse",
    "RequestOptions",
    "ResponseOutparam",
    "Exchange",
    "http_interfaces",
]

FORBIDDEN_HEADERS = frozenset(
    [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "host",
        "http2-settings",
    ]
)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_METHODS = ("get", "head", "post", "put", "delete", "connect", "options", "trace", "patch")
# In-memory streams never wait, so nothing can interrupt them: they share one stop.
_NEVER_WAITS = Interruption()


def _header_error(which: str) -> Err:
    return Err(case(which))


def _name(name: str) -> str:
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise _header_error("invalid-syntax")
    lowered = name.lower()
    if lowered in FORBIDDEN_HEADERS:
        raise _header_error("forbidden")
    return lowered


def _value(value: bytes | bytearray | list[int]) -> bytes:
    data = bytes(value)
    if b"\r" in data or b"\n" in data or b"\0" in data:
        raise _header_error("invalid-syntax")
    return data


class Fields:
    """wasi:http/types `fields` (also `headers` and `trailers`): names lower-cased, in the
    order given, a name possibly repeated."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, bytes]] = []
        self._immutable = False

    @classmethod
    def from_list(cls, entries: Iterable[tuple[str, bytes]]) -> Self:
        fields = cls()
        fields._entries = [(_name(name), _value(value)) for name, value in entries]
        return fields

    @classmethod
    def frozen(cls, entries: list[tuple[str, bytes]]) -> Self:
        """Immutable fields the host makes (a request or response's headers): unchecked."""
        fields = cls()
        fields._entries = entries
        fields._immutable = True
        return fields

    def _mutable(self) -> None:
        if self._immutable:
            raise _header_error("immutable")

    def get(self, name: str) -> list[bytes]:
        key = name.lower()
        return [value for entry, value in self._entries if entry == key]

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(entry == key for entry, _ in self._entries)

    def set(self, name: str, value: Iterable[bytes]) -> None:
        self._mutable()
        key = _name(name)
        values = [_value(v) for v in value]
        self._entries = [(entry, v) for entry, v in self._entries if entry != key] + [(key, v) for v in values]

    def delete(self, name: str) -> None:
        self._mutable()
        key = _name(name)
        self._entries = [(entry, v) for entry, v in self._entries if entry != key]

    def append(self, name: str, value: bytes) -> None:
        self._mutable()
        self._entries.append((_name(name), _value(value)))

    def entries(self) -> list[tuple[str, bytes]]:
        return list(self._entries)

    def clone(self) -> Self:
        """A mutable copy."""
        copy = type(self)()
        copy._entries = list(self._entries)
        return copy

    def close(self) -> None:
        """Nothing to release."""


def method_case(value: object) -> Case:
    which = label(value)
    if which in _METHODS:
        return case(which)
    if which == "other":
        name = getattr(value, "value", None)
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise Err(None)
        return case("other", name)
    raise Err(None)


def scheme_case(value: object) -> Case | None:
    if value is None:
        return None
    which = label(value)
    if which in ("HTTP", "HTTPS"):
        return case(which)
    if which == "other":
        name = getattr(value, "value", None)
        if not isinstance(name, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*$", name):
            raise Err(None)
        return case("other", name)
    raise Err(None)


def checked_path(path_with_query: str | None) -> str | None:
    """A request's path with query as a guest sets it (`Err(None)` if it cannot be one)."""
    if path_with_query is not None and any(c in path_with_query for c in " \r\n\0#"):
        raise Err(None)
    return path_with_query


def checked_authority(authority: str | None) -> str | None:
    """A request's authority as a guest sets it (`Err(None)` if it cannot be one)."""
    if authority is not None and any(c in authority for c in " \r\n\0/?#@"):
        raise Err(None)
    return authority


def checked_status(status_code: int) -> int:
    """A response's status as a guest sets it (`Err(None)` outside 100-999)."""
    if not 100 <= status_code <= 999:
        raise Err(None)
    return status_code


class FutureTrailers:
    """wasi:http/types `future-trailers`: ready at once, with the trailers (none here)."""

    def __init__(self, trailers: Fields | None = None) -> None:
        self._trailers = trailers
        self._taken = False

    def subscribe(self) -> Pollable:
        return Pollable(_NEVER_WAITS)

    def get(self) -> object:
        if self._taken:
            return Err(None)
        self._taken = True
        return Ok(Ok(self._trailers))

    def close(self) -> None:
        """Nothing to release."""


class IncomingBody:
    """wasi:http/types `incoming-body`: a body that has arrived, read through one stream."""

    def __init__(self, data: bytes = b"") -> None:
        self._source = BytesInput(data)
        self._streamed = False

    def stream(self) -> HostInputStream:
        if self._streamed:
            raise Err(None)
        self._streamed = True
        return HostInputStream(self._source, _NEVER_WAITS)

    @staticmethod
    def finish(this: IncomingBody) -> FutureTrailers:
        return FutureTrailers()

    def close(self) -> None:
        """Nothing to release."""


class _Message:
    """What requests and responses share: immutable headers and a body taken once.
    `body_limit` caps an outgoing body (None: no cap); `http_interfaces` sets it per instance."""

    body_limit: int | None = None

    def __init__(self, headers: Fields) -> None:
        self._headers = Fields.frozen(headers._entries)
        self._consumed = False

    def headers(self) -> Fields:
        return Fields.frozen(self._headers._entries)

    def _take(self) -> None:
        if self._consumed:
            raise Err(None)
        self._consumed = True

    def close(self) -> None:
        """Nothing to release."""


class IncomingRequest(_Message):
    """wasi:http/types `incoming-request`, made by the server for each request."""

    def __init__(
        self,
        method: Case,
        path_with_query: str | None,
        scheme: Case | None,
        authority: str | None,
        headers: Fields,
        body: bytes = b"",
    ) -> None:
        super().__init__(headers)
        self._method = method
        self._path_with_query = path_with_query
        self._scheme = scheme
        self._authority = authority
        self._body = body

    def method(self) -> Case:
        return self._method

    def path_with_query(self) -> str | None:
        return self._path_with_query

    def scheme(self) -> Case | None:
        return self._scheme

    def authority(self) -> str | None:
        return self._authority

    def consume(self) -> IncomingBody:
        self._take()
        return IncomingBody(self._body)


class OutgoingBody:
    """wasi:http/types `outgoing-body`: what the guest writes, collected in `data`."""

    def __init__(self, max_bytes: int | None = None) -> None:
        self._sink = CaptureOutput(max_bytes, "http body")
        self._written = False
        self.finished = False

    @property
    def data(self) -> bytes:
        return self._sink.data

    def write(self) -> HostOutputStream:
        if self._written:
            raise Err(None)
        self._written = True
        return HostOutputStream(self._sink, _NEVER_WAITS)

    @staticmethod
    def finish(this: OutgoingBody, trailers: Fields | None) -> None:
        this.finished = True

    def close(self) -> None:
        """Nothing to release: the data stays readable."""


class OutgoingRequest(_Message):
    """wasi:http/types `outgoing-request`: GET with no path, scheme or authority at first."""

    def __init__(self, headers: Fields) -> None:
        super().__init__(headers)
        self._method = case("get")
        self._path_with_query: str | None = None
        self._scheme: Case | None = None
        self._authority: str | None = None
        self._body = OutgoingBody(self.body_limit)

    def body(self) -> OutgoingBody:
        self._take()
        return self._body

    def sendable(self) -> bool:
        """Whether the body is complete: never taken, or finished (for the outgoing handler)."""
        return not self._consumed or self._body.finished

    def payload(self) -> bytes | None:
        """The body written, None if the guest never took it (for the outgoing handler)."""
        return self._body.data if self._consumed else None

    def method(self) -> Case:
        return self._method

    def set_method(self, method: object) -> None:
        self._method = method_case(method)

    def path_with_query(self) -> str | None:
        return self._path_with_query

    def set_path_with_query(self, path_with_query: str | None) -> None:
        self._path_with_query = checked_path(path_with_query)

    def scheme(self) -> Case | None:
        return self._scheme

    def set_scheme(self, scheme: object) -> None:
        self._scheme = scheme_case(scheme)

    def authority(self) -> str | None:
        return self._authority

    def set_authority(self, authority: str | None) -> None:
        self._authority = checked_authority(authority)


class OutgoingResponse(_Message):
    """wasi:http/types `outgoing-response`: status 200 at first."""

    def __init__(self, headers: Fields) -> None:
        super().__init__(headers)
        self._status = 200
        self._body = OutgoingBody(self.body_limit)

    def status_code(self) -> int:
        return self._status

    def set_status_code(self, status_code: int) -> None:
        self._status = checked_status(status_code)

    def body(self) -> OutgoingBody:
        self._take()
        return self._body

    def payload(self) -> bytes:
        """The body written so far, empty if the guest never took it (for the server)."""
        return self._body.data if self._consumed else b""


class ResponseOutparam:
    """wasi:http/types `response-outparam`: where the guest puts its answer to a request;
    `response` is then `Ok(OutgoingResponse)` or `Err(error-code)`, None until set."""

    def __init__(self) -> None:
        self.response: object = None

    @staticmethod
    def set(param: ResponseOutparam, response: object) -> None:
        param.response = response if isinstance(response, (Ok, Err)) else Ok(response)

    def send_informational(self, status: int, headers: Fields) -> None:
        """1xx responses before the final one (unstable in 0.2.x): not supported, which the
        WIT answers with `internal-error`; a status outside 100-199 is `HTTP-protocol-error`."""
        if not 100 <= status <= 199:
            raise Err(case("HTTP-protocol-error"))
        raise Err(case("internal-error", "informational responses are not supported"))

    def close(self) -> None:
        """Nothing to release."""


class RequestOptions:
    """wasi:http/types `request-options`: timeouts in nanoseconds, none by default."""

    def __init__(self) -> None:
        self._timeouts: dict[str, int | None] = {"connect": None, "first-byte": None, "between-bytes": None}

    def connect_timeout(self) -> int | None:
        return self._timeouts["connect"]

    def set_connect_timeout(self, duration: int | None) -> None:
        self._timeouts["connect"] = duration

    def first_byte_timeout(self) -> int | None:
        return self._timeouts["first-byte"]

    def set_first_byte_timeout(self, duration: int | None) -> None:
        self._timeouts["first-byte"] = duration

    def between_bytes_timeout(self) -> int | None:
        return self._timeouts["between-bytes"]

    def set_between_bytes_timeout(self, duration: int | None) -> None:
        self._timeouts["between-bytes"] = duration

    def close(self) -> None:
        """Nothing to release."""


class IncomingResponse(_Message):
    """wasi:http/types `incoming-response`: the answer to an outgoing request."""

    def __init__(self, status: int, headers: Fields, body: bytes = b"") -> None:
        super().__init__(headers)
        self._status = status
        self._body = body

    def status(self) -> int:
        return self._status

    def payload(self) -> bytes:
        """The body (for a host that hands the answer on, as wasi:http 0.3's client does)."""
        return self._body

    def consume(self) -> IncomingBody:
        self._take()
        return IncomingBody(self._body)


class Exchange(Protocol):
    """An outgoing request on its way (`outgoing.Exchange`): whether its answer is there,
    and the answer, `Ok(IncomingResponse)` or `Err(error-code)`."""

    def ready(self) -> bool: ...

    def outcome(self) -> object: ...


class FutureIncomingResponse:
    """wasi:http/types `future-incoming-response`: the answer to an outgoing request, once
    its exchange has it; `get` gives it once."""

    def __init__(self, exchange: Exchange, stop: Interruption) -> None:
        self._exchange = exchange
        self._stop = stop
        self._taken = False

    def subscribe(self) -> Pollable:
        return Pollable(self._stop, test=self._exchange.ready)

    def get(self) -> object:
        """None until the answer is there, then `Ok(answer)` once, then `Err(None)`."""
        if not self._exchange.ready():
            return None
        if self._taken:
            return Err(None)
        self._taken = True
        return Ok(self._exchange.outcome())

    def close(self) -> None:
        """Nothing to release (an exchange in progress finishes on its own)."""


def http_error_code(err: IoError) -> None:
    """No stream error comes from HTTP here (bodies are in memory)."""
    return None


def http_interfaces(
    handle: Callable[[OutgoingRequest, RequestOptions | None], FutureIncomingResponse], body_limit: int | None = None
) -> dict[str, dict[str, object]]:
    """wasi:http/types and wasi:http/outgoing-handler (its `handle`), unversioned names; the
    outgoing request and response classes of one instance, whose bodies hold at most
    `body_limit` bytes (past it a write ends the program with `OutputLimitError`; None: no
    limit)."""
    request = type("OutgoingRequest", (OutgoingRequest,), {"body_limit": body_limit, "__module__": __name__})
    response = type("OutgoingResponse", (OutgoingResponse,), {"body_limit": body_limit, "__module__": __name__})
    return {
        "wasi:http/types": {
            "fields": Fields,
            "incoming-request": IncomingRequest,
            "outgoing-request": request,
            "request-options": RequestOptions,
            "response-outparam": ResponseOutparam,
            "incoming-response": IncomingResponse,
            "incoming-body": IncomingBody,
            "future-trailers": FutureTrailers,
            "outgoing-response": response,
            "outgoing-body": OutgoingBody,
            "future-incoming-response": FutureIncomingResponse,
            "http-error-code": http_error_code,
        },
        "wasi:http/outgoing-handler": {"handle": handle},
    }
