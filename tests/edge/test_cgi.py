"""The CGI model: request to environment and arguments, output to response."""

from __future__ import annotations

import pytest

from wasmkit.edge.cgi import CgiOutputError, CgiRequest, cgi_argv, cgi_environment, parse_cgi_output
from wasmkit.edge.routing import RoutePattern


def request(**changes: object) -> CgiRequest:
    fields: dict[str, object] = dict(
        method="GET", raw_path="/app/x", query_string="", headers=[], body=b"", scheme="http",
        http_version="1.1", client=("10.0.0.1", 5000), server=("0.0.0.0", 8080),
    )  # fmt: skip
    fields.update(changes)
    return CgiRequest(**fields)  # type: ignore[arg-type]


def environment(req: CgiRequest, route: str = "/app/...") -> dict[str, str]:
    match = RoutePattern.parse(route).match(req.raw_path.strip("/").split("/"))
    assert match is not None
    return cgi_environment(req, route, match)


def test_headers_become_http_variables() -> None:
    env = environment(request(headers=[
        ("accept", "text/html"), ("x-multi", "a"), ("x-multi", "b"), ("authorization", "secret"),
        ("proxy-authorization", "secret"), ("x_sneaky", "1"), ("content-type", "text/plain"),
    ]))  # fmt: skip
    assert env["HTTP_ACCEPT"] == "text/html"
    assert env["HTTP_X_MULTI"] == "a, b"
    assert env["CONTENT_TYPE"] == "text/plain"
    for withheld in ("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_X_SNEAKY", "HTTP_CONTENT_TYPE"):
        assert withheld not in env


def test_a_proxy_header_does_not_become_http_proxy() -> None:
    # httpoxy: HTTP_PROXY is the outbound proxy to many HTTP clients; a client must not set it.
    env = environment(request(headers=[("proxy", "http://attacker.test:3128"), ("proxy-connection", "keep-alive")]))
    assert "HTTP_PROXY" not in env
    assert env["HTTP_PROXY_CONNECTION"] == "keep-alive"


def test_server_name_without_a_host_header() -> None:
    env = environment(request())
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("0.0.0.0", "8080")
    assert env["X_FULL_URL"] == "http://0.0.0.0:8080/app/x"
    assert environment(request(headers=[("host", "[::1]:9")]))["SERVER_NAME"] == "[::1]"


def test_nul_characters_are_dropped() -> None:
    env = environment(request(query_string="a%00b\0c"))
    assert env["QUERY_STRING"] == "a%00bc"
    assert cgi_argv("${SCRIPT_NAME} ${ARGS}", "/app", "x%00y") == ["/app", "xy"]


def test_argv_template() -> None:
    assert cgi_argv("${SCRIPT_NAME} ${ARGS}", "/s", "a=1&b=two+words&") == ["/s", "a=1", "b=two words"]
    assert cgi_argv("prog --query=${ARGS}", "/s", "a&b") == ["prog", "--query=a b"]


def test_output_rules() -> None:
    response = parse_cgi_output(b"Content-Type: text/plain\r\nSet-Cookie: a\r\nSet-Cookie: b\r\nContent-Length: 99\r\n\r\nbody\n\nmore")
    assert response.status == 200
    assert response.headers == [(b"Content-Type", b"text/plain"), (b"Set-Cookie", b"a"), (b"Set-Cookie", b"b")]
    assert response.body == b"body\n\nmore"
    assert parse_cgi_output(b"Location: /x\n\n").status == 302
    assert parse_cgi_output(b"Status: 404 Not Found\n\n").status == 404
    assert parse_cgi_output(b"Status: 301\nLocation: /y\n\n").status == 301


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (b"", "printed nothing"),
        (b"\nbody", "begins with a blank line"),
        (b"Content-Type: text/plain", "no blank line ends the headers"),
        (b"X-Only: 1\n\nbody", "no Content-Type, Location or Status"),
        (b"Status: 99\n\n", "not a status from 200 to 599"),
        (b"Status: 700 Odd\n\n", "not a status from 200 to 599"),
        (b"Content-Type: text/plain\nno colon here\n\n", "header line 2 is malformed"),
        (b"Bad Name: x\n\n", "header line 1 is malformed"),
        (b"Content-Type: a\x01b\n\n", "header line 1 is malformed"),
        (b"X: " + b"a" * 70_000 + b"\n\n", "longer than 65536 bytes"),
    ],
)
def test_bad_output(output: bytes, message: str) -> None:
    with pytest.raises(CgiOutputError, match=message):
        parse_cgi_output(output)
