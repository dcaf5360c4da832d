"""A wasi:http proxy for wasmkit's serve tests, built by componentize-py.

    /echo...        200; the body back, with what the request was in x-* headers
    /status/NNN     status NNN, a text body
    /big/N          200 with a body of N bytes
    /trap           raises: the component traps
    /none           returns without setting the response
    /log            prints to stdout and stderr, then 200
    /spin           loops for ever
"""

import sys

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports.streams import StreamError_Closed
from wit_world.imports.types import (
    Fields, IncomingRequest, Method_Other, OutgoingBody, OutgoingResponse, ResponseOutparam,
    Scheme_Http, Scheme_Https, Scheme_Other,
)

CHUNK = 4096  # what one blocking_write_and_flush may take


def read_body(request: IncomingRequest) -> bytes:
    body = request.consume()
    stream = body.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(1 << 16))
        except Err as err:
            if isinstance(err.value, StreamError_Closed):
                break
            raise
    stream.__exit__(None, None, None)
    return b"".join(chunks)


def respond(out: ResponseOutparam, status: int, headers: list, body: bytes) -> None:
    response = OutgoingResponse(Fields.from_list(headers))
    response.set_status_code(status)
    outgoing = response.body()
    ResponseOutparam.set(out, Ok(response))
    stream = outgoing.write()
    for at in range(0, len(body), CHUNK):
        stream.blocking_write_and_flush(body[at : at + CHUNK])
    stream.__exit__(None, None, None)
    OutgoingBody.finish(outgoing, None)


def describe_method(method: object) -> str:
    if isinstance(method, Method_Other):
        return method.value
    return type(method).__name__.removeprefix("Method_").upper()


def describe_scheme(scheme: object) -> str:
    if scheme is None:
        return "-"
    if isinstance(scheme, Scheme_Other):
        return scheme.value
    return {Scheme_Http: "http", Scheme_Https: "https"}[type(scheme)]


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        path_with_query = request.path_with_query() or ""
        path = path_with_query.split("?")[0]
        text = [("content-type", b"text/plain")]
        if path.startswith("/echo"):
            headers = request.headers()
            body = read_body(request)
            names = sorted({name for name, _ in headers.entries()})
            respond(response_out, 200, [
                ("content-type", b"application/octet-stream"),
                ("x-method", describe_method(request.method()).encode()),
                ("x-path", path_with_query.encode()),
                ("x-scheme", describe_scheme(request.scheme()).encode()),
                ("x-authority", (request.authority() or "-").encode()),
                ("x-header-names", ",".join(names).encode()),
                ("x-multi", b"|".join(headers.get("x-multi"))),
                ("x-body-length", str(len(body)).encode()),
                ("set-cookie", b"a=1"),
                ("set-cookie", b"b=2"),
            ], body)
        elif path.startswith("/status/"):
            status = int(path.split("/")[2])
            respond(response_out, status, text, f"status {status}\n".encode())
        elif path.startswith("/big/"):
            respond(response_out, 200, text, b"x" * int(path.split("/")[2]))
        elif path == "/trap":
            raise RuntimeError("asked to fail")
        elif path == "/none":
            return
        elif path == "/spin":
            while True:
                pass
        elif path == "/log":
            print("to stdout")
            print("to stderr", file=sys.stderr)
            respond(response_out, 200, text, b"logged\n")
        else:
            respond(response_out, 404, text, b"not found\n")
