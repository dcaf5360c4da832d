"""wasi:http@0.3.0: `types` (fields, request, response, request-options) and `client`.

A body is a `stream<u8>` plus a trailers future. A request or response the guest makes
(`request.new`, `response.new`) keeps the guest's stream and future as the readers the host
got (`StreamReader`, `FutureReader`) until they are consumed: by the guest again
(`consume-body` gives them back), by the server sending a response (`body_reader`), or by
`client.send` reading a request's body. One the host makes (`Request.incoming`, a client's
answer) holds its body as bytes chunks, given to the guest as a stream read piece by piece
(`ByteChunks`), with no trailers. The future `new` returns (the outcome of sending the
message) resolves when the host has sent it: ok, or the error code that stopped it.

The checks are 0.2's (`preview2.http`: header names and values, the headers wasmtime forbids
a guest, immutable headers once given to a message, path, authority and status), with the same
`fields` class under 0.3's function names (`copy-all`, `get-and-delete`). `client.send` goes
through 0.2's outgoing handler (`preview2.outgoing`): refused with `HTTP-request-denied`
unless the host is allowed, and its answer's body read whole up to the body limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from typing import Any

from ...component.async_.host_streams import ByteChunks, HostPromise
from ...component.async_.values import FutureReader, StreamReader
from ..interrupt import SLICE, Interruption
from ..preview2 import http as http2
from ..preview2.outgoing import Exchange, host_allowed
from ..preview2.values import Case, Err, Ok, case, label

__all__ = ["Fields", "Request", "RequestOptions", "Response", "Client", "http_interfaces"]


class Fields(http2.Fields):
    """wasi:http/types@0.3.0 `fields` (also `headers` and `trailers`): 0.2's, with 0.3's names."""

    def copy_all(self) -> list[tuple[str, bytes]]:
        return self.entries()

    def get_and_delete(self, name: str) -> list[bytes]:
        found = self.get(name)
        self.delete(name)
        return found


class _Body:
    """A message's body: the guest's stream and trailers future, or the host's chunks; taken once."""

    def __init__(self, contents: StreamReader | Iterable[bytes] | None, trailers: object) -> None:
        self.contents = contents
        self.trailers = trailers
        self.sent = HostPromise()  # what `new` returned: resolved once the message is sent
        self._taken = False

    def take(self) -> tuple[StreamReader | ByteChunks, object]:
        if self._taken:
            raise Err(None)
        self._taken = True
        contents = self.contents if isinstance(self.contents, StreamReader) else ByteChunks(self.contents or ())
        trailers = self.trailers
        if trailers is None:
            done = HostPromise()
            done.resolve(Ok(None))
            trailers = done
        return contents, trailers


class _Message:
    """What requests and responses share: headers made immutable, and the body."""

    def __init__(self, headers: http2.Fields, body: _Body) -> None:
        self._headers = Fields.frozen(headers.entries())
        self.body = body

    def get_headers(self) -> Fields:
        return Fields.frozen(self._headers.entries())

    def close(self) -> None:
        """Nothing to release (a body not taken is dropped with its readers)."""


def _consume(message: _Message, res: object) -> tuple[object, object]:
    contents, trailers = message.body.take()
    if isinstance(res, FutureReader):
        res.close()  # the guest's outcome of reading it: not needed here
    return contents, trailers


class Request(_Message):
    """wasi:http/types@0.3.0 `request`."""

    def __init__(self, headers: http2.Fields, body: _Body, options: RequestOptions | None = None) -> None:
        super().__init__(headers, body)
        self._method = case("get")
        self._path_with_query: str | None = None
        self._scheme: Case | None = None
        self._authority: str | None = None
        self._options = options

    @staticmethod
    def new(headers: http2.Fields, contents: StreamReader | None, trailers: object, options: RequestOptions | None) -> tuple[Request, HostPromise]:
        request = Request(headers, _Body(contents, trailers), options)
        return request, request.body.sent

    @classmethod
    def incoming(cls, method: Case, path_with_query: str | None, scheme: Case | None, authority: str | None,
                 headers: list[tuple[str, bytes]], body: Iterable[bytes]) -> Request:  # fmt: skip
        """A request the host makes (the server's): `body` its chunks."""
        request = cls(Fields.frozen(headers), _Body(body, None))
        request._method, request._path_with_query, request._scheme, request._authority = method, path_with_query, scheme, authority
        return request

    def get_method(self) -> Case:
        return self._method

    def set_method(self, method: object) -> None:
        self._method = http2.method_case(method)

    def get_path_with_query(self) -> str | None:
        return self._path_with_query

    def set_path_with_query(self, path_with_query: str | None) -> None:
        self._path_with_query = http2.checked_path(path_with_query)

    def get_scheme(self) -> Case | None:
        return self._scheme

    def set_scheme(self, scheme: object) -> None:
        self._scheme = http2.scheme_case(scheme)

    def get_authority(self) -> str | None:
        return self._authority

    def set_authority(self, authority: str | None) -> None:
        self._authority = http2.checked_authority(authority)

    def get_options(self) -> RequestOptions | None:
        return None if self._options is None else self._options.frozen()

    @staticmethod
    def consume_body(this: Request, res: object) -> tuple[object, object]:
        return _consume(this, res)


class Response(_Message):
    """wasi:http/types@0.3.0 `response` (status 200 at first)."""

    def __init__(self, headers: http2.Fields, body: _Body, status: int = 200) -> None:
        super().__init__(headers, body)
        self._status = status

    @staticmethod
    def new(headers: http2.Fields, contents: StreamReader | None, trailers: object) -> tuple[Response, HostPromise]:
        response = Response(headers, _Body(contents, trailers))
        return response, response.body.sent

    def get_status_code(self) -> int:
        return self._status

    def set_status_code(self, status_code: int) -> None:
        self._status = http2.checked_status(status_code)

    @staticmethod
    def consume_body(this: Response, res: object) -> tuple[object, object]:
        return _consume(this, res)


class RequestOptions:
    """wasi:http/types@0.3.0 `request-options`: timeouts in nanoseconds, none by default;
    immutable once a request gives it (`get-options`)."""

    _NAMES = ("connect", "first-byte", "between-bytes")

    def __init__(self) -> None:
        self._timeouts: dict[str, int | None] = dict.fromkeys(self._NAMES)
        self._immutable = False

    def frozen(self) -> RequestOptions:
        copy = self.clone()
        copy._immutable = True
        return copy

    def clone(self) -> RequestOptions:
        copy = type(self)()
        copy._timeouts = dict(self._timeouts)
        return copy

    def _set(self, name: str, duration: int | None) -> None:
        if self._immutable:
            raise Err(case("immutable"))
        self._timeouts[name] = duration

    def get_connect_timeout(self) -> int | None:
        return self._timeouts["connect"]

    def set_connect_timeout(self, duration: int | None) -> None:
        self._set("connect", duration)

    def get_first_byte_timeout(self) -> int | None:
        return self._timeouts["first-byte"]

    def set_first_byte_timeout(self, duration: int | None) -> None:
        self._set("first-byte", duration)

    def get_between_bytes_timeout(self) -> int | None:
        return self._timeouts["between-bytes"]

    def set_between_bytes_timeout(self, duration: int | None) -> None:
        self._set("between-bytes", duration)

    # what 0.2's outgoing handler asks of its options
    def connect_timeout(self) -> int | None:
        return self._timeouts["connect"]

    def first_byte_timeout(self) -> int | None:
        return self._timeouts["first-byte"]

    def close(self) -> None:
        """Nothing to release."""


class _Outgoing:
    """A 0.3 request with its body read, as 0.2's outgoing handler (`Exchange`) takes one."""

    def __init__(self, request: Request, payload: bytes | None) -> None:
        self._request = request
        self._payload = payload

    def sendable(self) -> bool:
        return True

    def payload(self) -> bytes | None:
        return self._payload

    def method(self) -> Case:
        return self._request.get_method()

    def scheme(self) -> Case | None:
        return self._request.get_scheme()

    def authority(self) -> str | None:
        return self._request.get_authority()

    def path_with_query(self) -> str | None:
        return self._request.get_path_with_query()

    def headers(self) -> Fields:
        return self._request.get_headers()


class _Collected:
    """A body the host reads whole from the guest's stream as the guest writes it (from the
    callbacks of its writes), and a signal for a coroutine that waits for the end."""

    def __init__(self, reader: StreamReader, limit: int | None) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.too_big = False
        self.done = False
        self._waiter: asyncio.Future[None] | None = None
        self._limit = limit
        reader.drain(self._take, self._end)

    def _take(self, chunk: Any) -> bool:
        self.size += len(chunk)
        if self._limit is not None and self.size > self._limit:
            self.too_big = True
            self._end()
            return False
        self.chunks.append(bytes(chunk))
        return True

    def _end(self) -> None:
        self.done = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> bytes:
        if not self.done:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return b"".join(self.chunks)


class Client:
    """wasi:http/client@0.3.0 for one instance: its allowed hosts and body limit (0.2's)."""

    def __init__(self, allowed_hosts: Collection[str], body_limit: int | None, stop: Interruption) -> None:
        self._allowed = tuple(allowed_hosts)
        self._body_limit = body_limit
        self._stop = stop

    def send(self, request: Request) -> Any:
        """Refused at once (an error code) unless allowed; else the body is read as the guest
        writes it, and the request sent once it has all arrived (a coroutine)."""
        authority = request.get_authority()
        if not authority:
            raise Err(case("HTTP-request-URI-invalid"))
        scheme = request.get_scheme()
        if scheme is not None and label(scheme) not in ("HTTP", "HTTPS"):
            raise Err(case("HTTP-protocol-error"))
        if not host_allowed(authority, self._allowed):
            raise Err(case("HTTP-request-denied"))
        contents, _trailers = request.body.take()
        body = _Collected(contents, self._body_limit) if isinstance(contents, StreamReader) else None
        return self._exchange(request, body)

    async def _exchange(self, request: Request, body: _Collected | None) -> Response:
        payload = None if body is None else await body.wait()
        if body is not None and body.too_big:
            request.body.sent.resolve(Err(case("HTTP-request-body-size", body.size)))
            raise Err(case("HTTP-request-body-size", body.size))
        exchange = Exchange(_Outgoing(request, payload), request._options, self._body_limit)  # type: ignore[arg-type]
        while not exchange.ready():
            await asyncio.sleep(SLICE / 5)
            self._stop.check()
        outcome = exchange.outcome()
        request.body.sent.resolve(Ok(None) if isinstance(outcome, Ok) else outcome)
        if not isinstance(outcome, Ok):
            raise outcome  # type: ignore[misc]
        answer = outcome.value
        return Response(Fields.frozen(answer.headers().entries()), _Body([answer.payload()], None), answer.status())


def http_interfaces(client: Client) -> dict[str, dict[str, object]]:
    """wasi:http/types and wasi:http/client, unversioned names."""
    return {
        "wasi:http/types": {"fields": Fields, "request": Request, "response": Response, "request-options": RequestOptions},
        "wasi:http/client": {"send": client.send},
    }
