"""WASI 0.2 wasi:http/outgoing-handler: off unless hosts are allowed; to an allowed host (a
local server here), requests go out with their method, path, headers and body, and the
answer comes back through the future, its pollable and an incoming body stream."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from wasmkit.wasi import WasiConfig
from wasmkit.wasi.preview2 import Err, Ok, case, host_imports, poll
from wasmkit.wasi.preview2.outgoing import host_allowed


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers 200 with what it received; /big with 100 000 bytes."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self._answer(b"")

    def do_POST(self) -> None:  # noqa: N802
        self._answer(self.rfile.read(int(self.headers["content-length"])))

    def _answer(self, body: bytes) -> None:
        text = b"x" * 100_000 if self.path == "/big" else f"{self.command} {self.path} {self.headers['x-test']} ".encode() + body
        self.send_response(200)
        self.send_header("x-rep", "1")
        self.send_header("x-rep", "2")
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(imports, authority, method="get", path="/", headers=(), scheme="HTTP"):  # type: ignore[no-untyped-def]
    http = imports["wasi:http/types@0.2.0"]
    request = http["outgoing-request"](http["fields"].from_list(list(headers)))
    request.set_method(case(method))
    request.set_path_with_query(path)
    request.set_scheme(case(scheme))
    request.set_authority(authority)
    return request


def _answer(imports, request):  # type: ignore[no-untyped-def]
    future = imports["wasi:http/outgoing-handler@0.2.0"]["handle"](request, None)
    assert poll([future.subscribe()]) == [0]
    outcome = future.get()
    assert future.get() == Err(None)  # given once
    return outcome.value


def _read_all(response) -> bytes:  # type: ignore[no-untyped-def]
    stream = response.consume().stream()
    data = b""
    while True:
        try:
            data += stream.blocking_read(1 << 20)
        except Err as end:
            assert end.value.wit_case == "closed"
            return data


def _code(call, *args) -> object:  # type: ignore[no-untyped-def]
    with pytest.raises(Err) as caught:
        call(*args)
    return caught.value.value


def test_off_by_default(server: str) -> None:
    imports = host_imports(WasiConfig())
    handle = imports["wasi:http/outgoing-handler@0.2.0"]["handle"]
    assert _code(handle, _request(imports, server), None).wit_case == "HTTP-request-denied"
    assert _code(handle, _request(imports, None), None).wit_case == "HTTP-request-URI-invalid"


def test_allowed_hosts() -> None:
    assert host_allowed("example.com", ["example.com"])
    assert host_allowed("EXAMPLE.com:8080", ["example.com"])
    assert host_allowed("example.com:8080", ["example.com:8080"])
    assert not host_allowed("example.com:8081", ["example.com:8080"])
    assert host_allowed("api.example.com", ["*.example.com"])
    assert not host_allowed("example.com", ["*.example.com"])
    assert not host_allowed("evil-example.com", ["*.example.com", "example.com"])
    assert host_allowed("[::1]:80", ["[::1]"])


def test_get_and_post_to_an_allowed_host(server: str) -> None:
    imports = host_imports(WasiConfig(), http_allowed_hosts=[server])
    response = _answer(imports, _request(imports, server, path="/a?b=1", headers=[("x-test", b"one")]))
    assert isinstance(response, Ok)
    response = response.value
    assert response.status() == 200
    assert response.headers().get("x-rep") == [b"1", b"2"]
    assert _read_all(response) == b"GET /a?b=1 one "
    post = _request(imports, server, method="post", path="/p", headers=[("x-test", b"two")])
    body = post.body()
    body.write().blocking_write_and_flush(b"payload")
    future = imports["wasi:http/outgoing-handler@0.2.0"]["handle"](post, None)
    assert future.get() is None  # not sent while the body is unfinished
    assert not future.subscribe().ready()
    type(body).finish(body, None)
    assert poll([future.subscribe()]) == [0]
    assert _read_all(future.get().value.value) == b"POST /p two payload"


def test_answers_that_fail(server: str) -> None:
    port = _free_port()
    imports = host_imports(WasiConfig(), http_allowed_hosts=[server, f"127.0.0.1:{port}"], http_body_limit=1000)
    assert _answer(imports, _request(imports, f"127.0.0.1:{port}")) == Err(case("connection-refused"))
    assert _answer(imports, _request(imports, server, path="/big")) == Err(case("HTTP-response-body-size", None))
