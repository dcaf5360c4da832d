"""ComponentHandler without the HTTP server: a wasi:http/proxy component answering requests,
on both engines. The component is tests/edge/proxy_app (Python, built by componentize-py and
cached, see tests/component/componentize.py); tests/component/data/proxy.wasm (made by
`wasm-tools component embed --dummy`) links but traps in `handle`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.component.componentize import componentize
from wasmkit.edge.cgi import CgiRequest
from wasmkit.edge.component import ComponentHandler, incoming_request, response_outcome
from wasmkit.edge.config import load_config
from wasmkit.edge.handler import HandlerLoadError, RunControl
from wasmkit.edge.routing import RouteMatch
from wasmkit.engine.registry import get_engine
from wasmkit.wasi.preview2.http import ResponseOutparam
from wasmkit.wasi.preview2.values import Err, case, label

APP = Path(__file__).parent / "proxy_app"
DATA = Path(__file__).parents[1] / "component" / "data"
MATCH = RouteMatch("", "/", "/", {})


def proxy_app() -> Path:
    """The componentize-py proxy (built once, then cached)."""
    return componentize("proxy-app", APP / "wit", "proxy", APP / "app")


def request(method: str, path: str, query: str = "", headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> CgiRequest:
    return CgiRequest(method, path, query, headers or [], body, "http", "1.1", ("127.0.0.1", 1), ("127.0.0.1", 8080))


def make_handler(tmp_path: Path, component: Path, engine: str = "python", extra: str = "") -> ComponentHandler:
    config = tmp_path / "modules.toml"
    config.write_text(f'[[module]]\nroute = "/..."\nmodule = "{component}"\n{extra}\n')
    return ComponentHandler(load_config(config).routes[0], get_engine(engine))


@pytest.fixture(scope="module", params=["python", "native"])
def handler(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ComponentHandler:
    return make_handler(tmp_path_factory.mktemp("proxy"), proxy_app(), request.param, "max_response_bytes = 2200000")


def test_a_request_with_headers_and_a_multi_megabyte_body(handler: ComponentHandler) -> None:
    body = bytes(range(256)) * 8192  # 2 MiB
    headers = [("host", "example.test:8080"), ("x-multi", "1"), ("x-multi", "2"), ("content-type", "application/x")]
    outcome = handler.handle(request("PUT", "/echo/a%20b", "q=1&r", headers, body), MATCH)
    assert outcome.status == 200, outcome.detail
    assert outcome.body == body
    got = {name.decode(): value.decode() for name, value in outcome.headers if name != b"set-cookie"}
    assert got["x-method"] == "PUT"
    assert got["x-path"] == "/echo/a%20b?q=1&r"
    assert got["x-scheme"] == "http"
    assert got["x-authority"] == "example.test:8080"
    assert got["x-header-names"] == "content-type,x-multi"  # host is withheld, as wasmtime does
    assert got["x-multi"] == "1|2"
    assert got["x-body-length"] == str(len(body))
    assert [value for name, value in outcome.headers if name == b"set-cookie"] == [b"a=1", b"b=2"]


def test_the_status_the_component_sets(handler: ComponentHandler) -> None:
    outcome = handler.handle(request("GET", "/status/418"), MATCH)
    assert (outcome.status, outcome.body, outcome.error) == (418, b"status 418\n", None)
    assert outcome.headers == [(b"content-type", b"text/plain")]


def test_a_trap_is_a_500(handler: ComponentHandler) -> None:
    outcome = handler.handle(request("GET", "/trap"), MATCH)
    assert (outcome.status, outcome.error) == (500, "trap")
    assert b"RuntimeError: asked to fail" in outcome.stderr  # for the log


def test_no_response_is_a_500(handler: ComponentHandler) -> None:
    outcome = handler.handle(request("GET", "/none"), MATCH)
    assert (outcome.status, outcome.error) == (500, "no_response")


def test_stdout_and_stderr_are_kept_for_the_log(handler: ComponentHandler) -> None:
    outcome = handler.handle(request("GET", "/log"), MATCH)
    assert (outcome.status, outcome.body) == (200, b"logged\n")
    assert (outcome.stdout, outcome.stderr) == (b"to stdout\n", b"to stderr\n")


def test_a_body_over_max_response_bytes_is_a_500(handler: ComponentHandler) -> None:
    outcome = handler.handle(request("GET", "/big/2200001"), MATCH)
    assert (outcome.status, outcome.error) == (500, "response_size")
    assert handler.handle(request("GET", "/big/100"), MATCH).body == b"x" * 100


def test_each_request_gets_a_fresh_instance(handler: ComponentHandler) -> None:
    # A trap leaves the instance unusable: the next request must not see it.
    assert handler.handle(request("GET", "/trap"), MATCH).status == 500
    assert handler.handle(request("GET", "/status/201"), MATCH).status == 201


def test_run_control_stops_a_component(handler: ComponentHandler) -> None:
    control = RunControl()
    threading.Timer(0.3, control.stop).start()
    started = time.monotonic()
    outcome = handler.handle(request("GET", "/spin"), MATCH, control)
    assert (outcome.status, outcome.error) == (504, "timeout")
    assert time.monotonic() - started < 10


def test_fuel_bounds_a_request(tmp_path: Path) -> None:
    handler = make_handler(tmp_path, proxy_app(), extra="fuel = 3000000")
    outcome = handler.handle(request("GET", "/spin"), MATCH)
    assert (outcome.status, outcome.error) == (500, "fuel")


def test_the_dummy_proxy_links_and_traps(tmp_path: Path) -> None:
    handler = make_handler(tmp_path, DATA / "proxy.wasm")
    outcome = handler.handle(request("GET", "/"), MATCH)
    assert (outcome.status, outcome.error) == (500, "trap")
    assert "unreachable" in outcome.detail


def test_a_component_without_an_incoming_handler_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="must export wasi:http/incoming-handler@0.2.x"):
        make_handler(tmp_path, DATA / "command.wasm")


def test_entrypoint_and_argv_are_refused_for_a_component(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="entrypoint and argv apply to WAGI modules"):
        make_handler(tmp_path, DATA / "proxy.wasm", extra='entrypoint = "handle"')


def test_a_component_too_big_for_memory_mb_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HandlerLoadError, match="initial memory of .* exceeds"):
        make_handler(tmp_path, proxy_app(), extra="memory_mb = 40")


def test_the_incoming_request() -> None:
    made = incoming_request(request("PROPFIND", "/a", "b=c", [("connection", "x"), ("x-y", "é")]))
    assert label(made.method()) == "other" and made.method().value == "PROPFIND"
    assert made.path_with_query() == "/a?b=c"
    assert made.authority() == "127.0.0.1:8080"  # no Host header: the server's address
    assert made.headers().entries() == [("x-y", "é".encode("latin-1"))]


def test_an_error_code_is_a_500() -> None:
    out = ResponseOutparam()
    ResponseOutparam.set(out, Err(case("internal-error", "no")))
    outcome = response_outcome(out)
    assert (outcome.status, outcome.error) == (500, "error_code")
