"""A `wasi:http/service@0.3.0` handler for componentize-py (tests/component/test_wasi03.py):
it reads the request's headers and whole body, then answers with a status, repeated headers
and a body written in several pieces by a task spawned beside the handler.

Paths: `/fetch` sends a request through `wasi:http/client` and answers with what it got (the
error code when refused); `/trap` raises (a trap: the server answers 500); `/error` returns an
error code (500 too); `/sleep` waits 30 s on the monotonic clock first (a route's timeout
stops it); any other path is echoed with the body's length and checksum."""

import hashlib

import componentize_py_async_support
import wit_world
from componentize_py_types import Err, Ok
from wit_world import byte_stream, result_option_wasi_http_types_fields_wasi_http_types_error_code_future
from wit_world.exports import Handler as HandlerBase
from wit_world.imports import client, monotonic_clock
from wit_world.imports.wasi_http_types import (
    ErrorCode_InternalError, Fields, Method_Get, Method_Other, Request, Response, Scheme_Http,
)


def _trailers():  # a trailers future that is never written: no trailers
    return result_option_wasi_http_types_fields_wasi_http_types_error_code_future(lambda: Ok(None))


async def _read_all(request: Request) -> bytes:
    done_writer, done = wit_world.result_unit_wasi_http_types_error_code_future(lambda: Ok(None))
    body, trailers = Request.consume_body(request, done)
    chunks = []
    with body:
        while not body.writer_dropped:
            chunks.append(await body.read(65536))
    return b"".join(chunks)


def _respond(status: int, headers: list, pieces: list) -> Response:
    writer, reader = byte_stream()

    async def fill() -> None:
        with writer:
            for piece in pieces:
                await writer.write_all(piece)

    componentize_py_async_support.spawn(fill())
    trailers_writer, trailers = _trailers()
    response, _sent = Response.new(Fields.from_list(headers), reader, trailers)
    response.set_status_code(status)
    return response


class Handler(HandlerBase):
    async def handle(self, request: Request) -> Response:
        method = request.get_method()
        method_name = method.value if isinstance(method, Method_Other) else type(method).__name__[7:].upper()
        path = request.get_path_with_query() or ""
        headers = request.get_headers().copy_all()
        if path == "/trap":
            raise ValueError("the handler fails")
        if path == "/error":
            raise Err(ErrorCode_InternalError("it went wrong"))
        if path == "/fetch":
            return await _fetch()
        if path == "/sleep":
            await monotonic_clock.wait_for(30_000_000_000)
        body = await _read_all(request)
        print(f"handled {method_name} {path}")
        seen = b"; ".join(b"%s=%s" % (name.encode(), value) for name, value in headers if name.startswith("x-"))
        pieces = [
            b"method: " + method_name.encode() + b"\n",
            b"path: " + path.encode() + b"\n",
            b"headers: " + seen + b"\n",
            b"body: %d bytes, sha256 %s\n" % (len(body), hashlib.sha256(body).hexdigest().encode()),
            b"x" * 100000 + b"\n",
        ]
        return _respond(201, [("x-repeat", b"one"), ("x-repeat", b"two"), ("content-type", b"text/plain")], pieces)


async def _fetch() -> Response:
    trailers_writer, trailers = _trailers()
    outgoing, _sent = Request.new(Fields(), None, trailers, None)
    outgoing.set_method(Method_Get())
    outgoing.set_scheme(Scheme_Http())
    outgoing.set_authority("example.com")
    outgoing.set_path_with_query("/")
    try:
        got = await client.send(outgoing)
        text = b"status %d" % got.get_status_code()
    except Err as error:
        text = b"error " + type(error.value).__name__.encode()
    return _respond(200, [], [text + b"\n"])
