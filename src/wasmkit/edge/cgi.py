"""The CGI/1.1 programming model, as WAGI uses it: a request becomes environment variables,
arguments and stdin; what the program prints on stdout becomes the response.

The environment holds the CGI variables of RFC 3875 (REQUEST_METHOD, PATH_INFO, QUERY_STRING,
CONTENT_TYPE, CONTENT_LENGTH, SERVER_*, REMOTE_*, SCRIPT_NAME, ...), each request header as
HTTP_<NAME> (Authorization excepted, so that credentials are not handed to every module, and
Proxy, which would pose as HTTP_PROXY, as CGI servers have done since httpoxy;
header names with an underscore are dropped, so that `X_Foo` cannot pose as `X-Foo`), WAGI's
X_FULL_URL, X_MATCHED_ROUTE and X_RAW_PATH_INFO, and each route parameter `:name` as
X_PARAM_<NAME>.

The output is headers, a blank line, then the body. Status: sets the status (200 otherwise;
302 when there is a Location: and no Status:); every other header is passed on, repeated ones
(Set-Cookie) included, except the framing headers the server sets itself (Content-Length,
Transfer-Encoding, Connection, Keep-Alive). Output with none of Content-Type, Location and
Status is an error, as is a malformed header line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus

from .routing import RouteMatch

__all__ = ["FRAMING_HEADERS", "CgiRequest", "CgiResponse", "CgiOutputError", "cgi_environment", "cgi_argv", "parse_cgi_output"]

SERVER_SOFTWARE = "wasmkit/1"
_HEADER_NAME = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
FRAMING_HEADERS = {b"content-length", b"transfer-encoding", b"connection", b"keep-alive"}
# Credentials stay out of every module; a client's Proxy header would become HTTP_PROXY, which
# HTTP libraries take for their outbound proxy ("httpoxy", CVE-2016-5385); the body's two
# are CONTENT_TYPE and CONTENT_LENGTH.
_WITHHELD = {"authorization", "proxy-authorization", "proxy", "content-type", "content-length"}
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class CgiRequest:
    """What the environment is built from: the request as the server received it."""

    method: str
    raw_path: str  # as sent, still percent-encoded, without the query
    query_string: str
    headers: list[tuple[str, str]]  # names lower-cased, in the order received
    body: bytes
    scheme: str
    http_version: str
    client: tuple[str, int]
    server: tuple[str, int]


@dataclass(frozen=True)
class CgiResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class CgiOutputError(Exception):
    """The program's output is not a CGI response; the message says what is wrong."""


def cgi_environment(request: CgiRequest, route: str, match: RouteMatch) -> dict[str, str]:
    """The CGI variables for `request`, answered by `route` as `match` says."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers.setdefault(name, []).append(value)
    host_header = headers.get("host", [""])[0]
    server_host, server_port = request.server
    server_name = _host_without_port(host_header) or server_host
    authority = host_header or f"{server_host}:{server_port}"
    full_url = f"{request.scheme}://{authority}{request.raw_path}"
    if request.query_string:
        full_url += f"?{request.query_string}"
    env = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": SERVER_SOFTWARE,
        "SERVER_PROTOCOL": f"HTTP/{request.http_version}",
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": match.script_name,
        "PATH_INFO": match.path_info,
        "PATH_TRANSLATED": match.path_info,
        "QUERY_STRING": request.query_string,
        "CONTENT_TYPE": headers.get("content-type", [""])[0],
        "CONTENT_LENGTH": str(len(request.body)),
        "REMOTE_ADDR": request.client[0],
        "REMOTE_HOST": request.client[0],
        "AUTH_TYPE": "",
        "REMOTE_USER": "",
        "X_MATCHED_ROUTE": route,
        "X_RAW_PATH_INFO": match.raw_path_info,
        "X_FULL_URL": full_url,
    }
    for name, values in headers.items():
        if name in _WITHHELD or "_" in name:
            continue
        env["HTTP_" + name.upper().replace("-", "_")] = ", ".join(values)
    for name, value in match.params.items():
        env["X_PARAM_" + name.upper()] = value
    return {name: value.replace("\0", "") for name, value in env.items()}


def cgi_argv(template: str, script_name: str, query_string: str) -> list[str]:
    """The program's arguments: `template` split on spaces, `${SCRIPT_NAME}` replaced by the
    script name and a lone `${ARGS}` by the query's parameters, one argument each (decoded,
    `+` as a space), as WAGI does."""
    args = [unquote_plus(part) for part in query_string.split("&") if part]
    argv: list[str] = []
    for word in template.split():
        if word == "${ARGS}":
            argv.extend(args)
        else:
            argv.append(word.replace("${SCRIPT_NAME}", script_name).replace("${ARGS}", " ".join(args)))
    return [arg.replace("\0", "") for arg in argv]


def parse_cgi_output(output: bytes) -> CgiResponse:
    """The response a program's stdout describes. Raises `CgiOutputError`."""
    if not output:
        raise CgiOutputError("the module printed nothing (a response needs headers and a blank line)")
    head, body = _split_head(output)
    status: int | None = None
    location = content_type = False
    headers: list[tuple[bytes, bytes]] = []
    for number, line in enumerate(head.split(b"\n"), start=1):
        line = line.removesuffix(b"\r")
        name, colon, value = line.partition(b":")
        name = name.strip()
        value = value.strip(b" \t")
        if not colon or not _HEADER_NAME.match(name) or _BAD_VALUE.search(value):
            raise CgiOutputError(f"header line {number} is malformed: {_excerpt(line)}")
        lowered = name.lower()
        if lowered == b"status":
            status = _status(value, number)
            continue
        if lowered in FRAMING_HEADERS:
            continue
        location = location or lowered == b"location"
        content_type = content_type or lowered == b"content-type"
        headers.append((name, value))
    if status is None and not location and not content_type:
        raise CgiOutputError("the module printed no Content-Type, Location or Status header")
    if status is None:
        status = 302 if location else 200
    return CgiResponse(status, headers, body)


def _split_head(output: bytes) -> tuple[bytes, bytes]:
    """Headers and body, divided by the first blank line (LF or CRLF line ends)."""
    if output.startswith((b"\n", b"\r\n")):
        raise CgiOutputError("the output begins with a blank line: no headers")
    ends = [(i, len(sep)) for sep in (b"\n\n", b"\r\n\r\n", b"\n\r\n") if (i := output.find(sep)) >= 0]
    if not ends:
        raise CgiOutputError("no blank line ends the headers: " + _excerpt(output))
    at, length = min(ends)
    if at > _MAX_HEADER_BYTES:
        raise CgiOutputError(f"the headers are longer than {_MAX_HEADER_BYTES} bytes")
    return output[:at], output[at + length :]


def _status(value: bytes, number: int) -> int:
    code = value.split(b" ", 1)[0]
    if not code.isdigit() or len(code) != 3 or not 200 <= int(code) <= 599:
        raise CgiOutputError(f"header line {number}: Status {_excerpt(value)} is not a status from 200 to 599")
    return int(code)


def _host_without_port(host: str) -> str:
    if host.startswith("["):  # [v6 address]:port
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _excerpt(data: bytes, size: int = 60) -> str:
    text = repr(data[:size])[2:-1]
    return text + ("..." if len(data) > size else "")
