"""End to end: `wasmkit serve` with a WASI 0.3 `wasi:http/service` component
(tests/component/data/wasi03/service, built by componentize-py), answering as `wasmtime serve
-Sp3 -Scli -Wcomponent-model-async` does for the same component: status, headers (repeated
ones), a body streamed in pieces, for a request with a 3 MB body; a trap and an error code are
500s; the route's limits (request body, response body, time) apply as for a 0.2 component; an
outgoing request is refused (wasmtime's CLI sends it). The native engine serves the big body,
the Python engine a small one (CPython hashing 3 MB interpreted by it takes seconds)."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.component.test_wasi03 import service_wasm
from tests.edge.server import Server
from tests.edge.test_serve_component import WasmtimeServe, answer, request

pytest.importorskip("uvicorn")

BODY = bytes(range(256)) * 12288  # 3 MiB
HEADERS = {"Host": "example.test", "X-Test": "hello", "Content-Type": "application/x-test"}


@pytest.fixture(scope="module")
def wasmtime_serve() -> Iterator[WasmtimeServe]:
    server = WasmtimeServe(service_wasm(), ("-Sp3", "-Scli", "-Wcomponent-model-async"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """modules.toml on the native engine: the service on /... with room for BODY, on /small
    with a response limit below what it answers, on /sleep with a timeout of 1 s."""
    from wasmkit.engine.cache_dir import default_cache_dir

    directory = tmp_path_factory.mktemp("site03")
    shutil.copy(service_wasm(), directory / "service.wasm")
    (directory / "modules.toml").write_text(
        '[[module]]\nroute = "/small"\nmodule = "service.wasm"\nmax_response_bytes = 50000\n\n'
        '[[module]]\nroute = "/sleep"\nmodule = "service.wasm"\ntimeout_ms = 1000\n\n'
        '[[module]]\nroute = "/..."\nmodule = "service.wasm"\nmax_body_bytes = 3200000\n'
    )
    server = Server(directory, workers=1, engine="native", cache_dir=Path(default_cache_dir()))
    yield server
    server.stop()


def test_a_wasi03_service_answers_as_under_wasmtime(native: Server, wasmtime_serve: WasmtimeServe) -> None:
    ours = request(native.port, "POST", "/echo/x?q=1", BODY, HEADERS)
    theirs = request(wasmtime_serve.port, "POST", "/echo/x?q=1", BODY, HEADERS)
    assert ours.status == 201, native.log()[-2000:]
    assert answer(ours) == answer(theirs)
    assert ours.all("x-repeat") == ["one", "two"]
    assert ours.body.splitlines()[2:4] == [
        b"headers: x-test=hello; x-multi=2",
        b"body: 3145728 bytes, sha256 " + hashlib.sha256(BODY).hexdigest().encode(),
    ]
    for path in ("/trap", "/error"):
        assert request(native.port, "GET", path).status == request(wasmtime_serve.port, "GET", path).status == 500


def test_the_routes_limits_and_the_client_refused(native: Server) -> None:
    assert request(native.port, "POST", "/echo", b"x" * 3_200_001).status == 413  # max_body_bytes
    assert native.get("/small").status == 500  # max_response_bytes: it answers 100 KB
    assert native.get("/sleep").status == 504  # timeout_ms stops its wait-for
    fetched = native.get("/fetch")
    assert (fetched.status, fetched.body) == (200, b"error ErrorCode_HttpRequestDenied\n")
    assert "handled POST /echo" in native.log()  # what it prints goes to the log


def test_serve_a_wasi03_service_on_the_python_engine(tmp_path: Path, wasmtime_serve: WasmtimeServe) -> None:
    shutil.copy(service_wasm(), tmp_path / "service.wasm")
    server = Server(tmp_path, workers=1, engine="python", target="service.wasm")
    try:
        body = BODY[:100_000]
        ours = request(server.port, "PUT", "/echo?a=%20", body, HEADERS)
        theirs = request(wasmtime_serve.port, "PUT", "/echo?a=%20", body, HEADERS)
        assert ours.status == 201
        assert answer(ours) == answer(theirs)
    finally:
        server.stop()
