"""End to end: `wasmkit serve` on 127.0.0.1 with two workers, answering real HTTP requests with
the example handlers and with small WAT handlers that misbehave on purpose."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edge.server import Server, handler_wat
from wasmkit.edge.capacity import default_threads
from tests.support import PROJECT_ROOT

pytest.importorskip("uvicorn")

EXAMPLES = PROJECT_ROOT / "examples" / "edge"
CGI_OUTPUT = b"Content-Type: text/plain\n\n"

SLEEP_60_SECONDS = """
    (i64.store (i32.const 2048) (i64.const 7))           ;; userdata
    (i32.store8 (i32.const 2056) (i32.const 0))          ;; a clock subscription
    (i32.store (i32.const 2064) (i32.const 1))           ;; monotonic clock
    (i64.store (i32.const 2072) (i64.const 60000000000)) ;; 60 s
    (drop (call $poll_oneoff (i32.const 2048) (i32.const 3000) (i32.const 1) (i32.const 3100)))
"""
PRINT_COUNT = """
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 512) (i32.add (i32.load8_u (i32.const 512)) (i32.const 1)))
"""
SHOW_COUNT = f"""
  (func (export "show")
    {PRINT_COUNT}
    (call $print (i32.const 1024) (i32.const 26))
    (i32.store8 (i32.const 600) (i32.add (i32.const 48) (global.get $count)))
    (i32.store8 (i32.const 601) (i32.add (i32.const 48) (i32.load8_u (i32.const 512))))
    (call $print (i32.const 600) (i32.const 2)))
"""
PREINIT = """
  (func (export "wizer.initialize")
    (global.set $count (i32.const 5))
    (i32.store8 (i32.const 512) (i32.const 2))
    (drop (call $random_get (i32.const 700) (i32.const 16))))
  (func (export "snapshot")
    (call $print (i32.const 1024) (i32.const 26))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 600) (i32.add (i32.const 48) (global.get $count)))
    (call $print (i32.const 600) (i32.const 1))
    (call $print (i32.const 700) (i32.const 16)))
"""

# name -> (module source or example path, extra keys for its [[module]] table)
ROUTES: dict[str, tuple[str | Path, str]] = {
    "/hello/...": (EXAMPLES / "hello.wasm", ""),
    "/echo/...": (EXAMPLES / "echo.wasm", 'environment = { ROUTE_VAR = "from-config" }'),
    "/users/:id/...": (EXAMPLES / "echo.wasm", ""),
    "/form": (EXAMPLES / "form.wasm", "max_body_bytes = 1024\ntimeout_ms = 1500"),
    "/status": (handler_wat(b"Status: 201 Created\nLocation: /x\nSet-Cookie: a=1\nSet-Cookie: b=2\n"
                            b"Content-Type: text/plain\n\ncreated"), ""),
    "/redirect": (handler_wat(b"Location: /hello/there\n\n"), ""),
    "/notype": (handler_wat(b"X-Foo: bar\n\nbody"), ""),
    "/garbage": (handler_wat(b"this is not a header\nbody\x00\xff"), ""),
    "/exit": (handler_wat(CGI_OUTPUT, start="(call $proc_exit (i32.const 3))"), ""),
    "/trap": (handler_wat(CGI_OUTPUT, start="(unreachable)"), ""),
    "/loop": (handler_wat(CGI_OUTPUT, start="(loop $forever (br $forever))"), "timeout_ms = 500"),
    "/sleep": (handler_wat(CGI_OUTPUT, start=SLEEP_60_SECONDS), "timeout_ms = 500"),
    "/fuel": (handler_wat(CGI_OUTPUT, start="(loop $forever (br $forever))"), "fuel = 100000\ntimeout_ms = 20000"),
    "/grow": (handler_wat(CGI_OUTPUT, start="(if (i32.eq (memory.grow (i32.const 512)) (i32.const -1)) (then unreachable))"), "memory_mb = 32"),
    "/grow-ok": (handler_wat(CGI_OUTPUT, start="(if (i32.eq (memory.grow (i32.const 512)) (i32.const -1)) (then unreachable))"), "memory_mb = 64"),
    "/big": (handler_wat(CGI_OUTPUT + b"x" * 2000), "max_response_bytes = 1000"),
    "/count": (handler_wat(CGI_OUTPUT, extra=SHOW_COUNT), 'entrypoint = "show"'),
    "/preinit": (handler_wat(CGI_OUTPUT, extra=PREINIT), 'entrypoint = "snapshot"'),
}  # fmt: skip


def write_config(directory: Path, routes: dict[str, tuple[str | Path, str]]) -> None:
    tables = []
    for number, (route, (module, extra)) in enumerate(routes.items()):
        if isinstance(module, Path):
            path = module
        else:
            path = directory / f"module{number}.wat"
            path.write_text(module)
        tables.append(f'[[module]]\nroute = "{route}"\nmodule = "{path}"\n{extra}\n')
    (directory / "modules.toml").write_text("\n".join(tables))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("edge")
    write_config(directory, ROUTES)
    running = Server(directory)
    yield running
    running.stop()


# -- the CGI variables --


def test_each_cgi_variable(server: Server) -> None:
    response = server.request(
        "POST", "/echo/a%20b/c?x=1&y=two+words", body=b"payload",
        headers={"Content-Type": "text/plain", "X-Custom": "yes", "Authorization": "Bearer secret",
                 "Host": "example.test:8080", "User-Agent": "tests"},
    )  # fmt: skip
    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    env = response.json()["env"]
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == "/echo"
    assert env["PATH_INFO"] == "/a b/c"
    assert env["X_RAW_PATH_INFO"] == "/a%20b/c"
    assert env["QUERY_STRING"] == "x=1&y=two+words"
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "7"
    assert env["SERVER_NAME"] == "example.test"
    assert env["SERVER_PORT"] == str(server.port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["HTTP_X_CUSTOM"] == "yes"
    assert env["HTTP_USER_AGENT"] == "tests"
    assert env["HTTP_HOST"] == "example.test:8080"
    assert "HTTP_AUTHORIZATION" not in env
    assert env["X_MATCHED_ROUTE"] == "/echo/..."
    assert env["X_FULL_URL"] == "http://example.test:8080/echo/a%20b/c?x=1&y=two+words"
    assert env["ROUTE_VAR"] == "from-config"
    assert response.json()["args"] == ["/echo", "x=1", "y=two words"]
    assert response.json()["body"] == "payload"


def test_route_parameters(server: Server) -> None:
    env = server.get("/users/42/posts").json()["env"]
    assert env["X_PARAM_ID"] == "42"
    assert env["SCRIPT_NAME"] == "/users/42"
    assert env["PATH_INFO"] == "/posts"
    assert env["X_MATCHED_ROUTE"] == "/users/:id/..."


def test_hello_reads_the_query_and_headers(server: Server) -> None:
    response = server.get("/hello/?name=Ada", headers={"User-Agent": "pytest"})
    assert response.status == 200
    assert response.body == b"Hello, Ada!\nYou asked for / with pytest.\n"
    assert response.header("X-Greeting") == "hello"
    assert response.header("X-Request-Id")


def test_unknown_path_is_404(server: Server) -> None:
    assert server.get("/nowhere").status == 404


# -- bodies --


def test_form_post_reads_the_body(server: Server) -> None:
    response = server.request(
        "POST", "/form", body=b"name=Ada&message=hi+there%21",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert response.status == 200
    assert b"<li>message = hi there!</li>" in response.body
    assert response.all("Set-Cookie") == ["posted=1; Path=/", "bytes=28; Path=/"]


def test_module_chosen_status(server: Server) -> None:
    response = server.request("PUT", "/form")
    assert response.status == 405
    assert response.header("Allow") == "GET, POST"


def test_head_has_headers_and_no_body(server: Server) -> None:
    response = server.request("HEAD", "/hello/")
    assert response.status == 200
    assert response.body == b""
    assert int(response.header("Content-Length") or 0) > 0


# -- status and location rules --


def test_status_location_and_repeated_headers(server: Server) -> None:
    response = server.get("/status")
    assert response.status == 201
    assert response.header("Location") == "/x"
    assert response.all("Set-Cookie") == ["a=1", "b=2"]
    assert response.body == b"created"


def test_location_alone_redirects(server: Server) -> None:
    response = server.get("/redirect")
    assert response.status == 302
    assert response.header("Location") == "/hello/there"


def test_output_without_content_type_location_or_status_is_500_and_logged(server: Server) -> None:
    response = server.get("/notype")
    assert response.status == 500
    assert _logged(server, response, "no Content-Type, Location or Status header")


def test_garbage_headers_are_500_and_logged(server: Server) -> None:
    response = server.get("/garbage")
    assert response.status == 500
    assert _logged(server, response, "no blank line ends the headers")


# -- failures of the module --


def test_nonzero_exit_is_500_and_logged(server: Server) -> None:
    response = server.get("/exit")
    assert response.status == 500
    assert _logged(server, response, "exited with status 3")


def test_trap_is_500_with_the_trap_in_the_log(server: Server) -> None:
    response = server.get("/trap")
    assert response.status == 500
    assert _logged(server, response, "trap: unreachable")
    assert server.metric("wasmkit_errors_total", route="/trap", kind="trap") >= 1


# -- isolation and pre-initialisation --


def test_requests_do_not_see_each_others_writes(server: Server) -> None:
    bodies = {server.get("/count").body for _ in range(6)}
    assert bodies == {b"11"}  # the global and the memory byte both start from 0 each time


def test_preinitialised_state_is_copied_into_each_instance(server: Server) -> None:
    bodies = [server.get("/preinit").body for _ in range(6)]
    assert len(set(bodies)) <= 2  # the random bytes come from one initialisation per worker
    body = bodies[0]
    assert body.startswith(b"6")  # 5 from wizer.initialize, + 1
    assert body[-16:] != bytes(16)


# -- limits --


def test_timeout_is_504_and_the_instance_is_stopped(server: Server) -> None:
    for path in ("/loop", "/sleep"):
        started = time.monotonic()
        response = server.get(path)
        assert response.status == 504, path
        assert time.monotonic() - started < 5
        assert _logged(server, response, "timeout")
    _eventually(lambda: server.metric("wasmkit_instances_running") == 0)
    assert any(entry["message"].startswith("instance stopped") for entry in server.log_entries())


def test_a_looping_handler_does_not_hold_up_others(server: Server) -> None:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        looping = [pool.submit(server.get, "/loop") for _ in range(2)]
        time.sleep(0.1)
        started = time.monotonic()
        assert server.get("/hello/").status == 200
        assert time.monotonic() - started < 1.0
        assert [future.result().status for future in looping] == [504, 504]


def test_fuel_exhaustion_is_500(server: Server) -> None:
    response = server.get("/fuel")
    assert response.status == 500
    assert _logged(server, response, "out of fuel")


def test_memory_cap_is_500(server: Server) -> None:
    assert server.get("/grow").status == 500
    assert server.get("/grow-ok").status == 200


def test_body_over_the_limit_is_413(server: Server) -> None:
    assert server.request("POST", "/form", body=b"x" * 2048).status == 413
    chunked = iter([b"x" * 600, b"y" * 600])
    response = server.request("POST", "/form", body=chunked)  # type: ignore[arg-type]  # sent chunked, no length
    assert response.status == 413
    assert server.request("POST", "/form", body=b"x" * 1000).status == 200


def test_response_over_the_limit_is_500(server: Server) -> None:
    response = server.get("/big")
    assert response.status == 500
    assert _logged(server, response, "exceeds its limit of 1000 bytes")


# -- bad HTTP --


def test_malformed_request_line_is_400(server: Server) -> None:
    assert server.raw(b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert server.get("/hello/").status == 200


def test_huge_headers_are_refused(server: Server) -> None:
    reply = server.raw(b"GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
    assert reply.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431"))
    assert server.get("/hello/").status == 200


def test_a_large_body_sent_with_the_headers_is_not_taken_for_a_huge_head(server: Server) -> None:
    # Head and a 300 KB body in one write: only the head counts against the 64 KiB head cap.
    body = b"x" * 300_000
    request = b"POST /echo/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
    reply = server.raw(request + body)
    assert reply.startswith(b"HTTP/1.1 200")
    assert b'"CONTENT_LENGTH": "300000"' in reply


def test_slow_body_is_408_and_others_are_served(server: Server) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        slow.sendall(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nname=")
        assert server.get("/hello/").status == 200
        reply = slow.recv(65536)
    assert reply.startswith(b"HTTP/1.1 408")


# -- operations --


def test_health(server: Server) -> None:
    response = server.get("/.well-known/wasmkit/health")
    assert response.status == 200
    health = response.json()
    assert health == {"status": "ok", "routes": len(ROUTES), "worker": health["worker"]}
    assert isinstance(health["worker"], int) and health["worker"] != server.process.pid


def test_connections_opened_together_are_spread_over_the_workers(server: Server) -> None:
    # 16 keep-alive connections opened at once, as a load balancer or benchmark opens them:
    # each worker listens on its own socket, so the kernel gives each some of them (all 16
    # on one of two workers by chance: 1 in 32,768). First, wait until both listen (a worker
    # does once its routes load): until connections made one at a time have reached both.
    seen: set[int] = set()

    def both_listening() -> bool:
        seen.update(_workers_answering(server, connections=1))
        return len(seen) == 2

    _eventually(both_listening, timeout=60)
    assert len(_workers_answering(server)) == 2


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    write_config(tmp_path, {"/hello/...": ROUTES["/hello/..."]})
    server = Server(tmp_path)
    try:
        _eventually(lambda: len(_workers_serving(server)) == 2, timeout=60)
        victim = min(_workers_serving(server))
        os.kill(victim, signal.SIGKILL)
        _eventually(lambda: len(_workers_serving(server)) == 3, timeout=60)
        assert "exited with status -9; starting another" in server.log()
        assert victim not in _workers_answering(server)
        assert server.get("/hello/").status == 200
    finally:
        server.stop()


def test_metrics_count_requests_latency_and_instance_time(server: Server) -> None:
    before = server.metric("wasmkit_requests_total", route="/hello/...", status="200")
    for _ in range(3):
        server.get("/hello/")
    # A worker counts a request just after sending its answer, so another worker's /metrics
    # may be read a moment before the count lands.
    _eventually(lambda: server.metric("wasmkit_requests_total", route="/hello/...", status="200") == before + 3)
    assert server.metric("wasmkit_request_duration_seconds_count", route="/hello/...") >= 3
    assert server.metric("wasmkit_instance_seconds_count", route="/hello/...") >= 3
    assert server.metric("wasmkit_instance_seconds_sum", route="/hello/...") > 0


def test_access_log_is_json_with_the_request_id(server: Server) -> None:
    response = server.get("/hello/?name=Log")
    request_id = response.header("X-Request-Id")

    def found() -> bool:
        return any(
            entry.get("request_id") == request_id and entry["logger"] == "wasmkit.edge.access"
            for entry in server.log_entries()
        )

    _eventually(found)
    entry = next(e for e in server.log_entries() if e.get("request_id") == request_id)
    assert entry["status"] == 200 and entry["route"] == "/hello/..." and entry["query"] == "name=Log"


def test_hot_reload_swaps_routes_without_dropping_requests(tmp_path: Path) -> None:
    routes: dict[str, tuple[str | Path, str]] = {"/v": (handler_wat(CGI_OUTPUT + b"one"), "")}
    write_config(tmp_path, routes)
    server = Server(tmp_path, reload_interval=0.1)
    try:
        results: list[int] = []
        stop = time.monotonic() + 4

        def hammer() -> None:
            while time.monotonic() < stop:
                results.append(server.get("/v").status)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            workers = [pool.submit(hammer) for _ in range(2)]
            time.sleep(0.5)
            # Each of the two workers reloads on its own: wait for both to say so. Files are
            # replaced whole, as deployment tools do, so no worker reads half of one.
            replace(tmp_path / "module0.wat", handler_wat(CGI_OUTPUT + b"two"))
            _eventually(lambda: server.log().count("reloaded 1 route(s)") >= 2)
            assert {server.get("/v").body for _ in range(10)} == {b"two"}
            # A broken module is logged and the last good one keeps serving.
            replace(tmp_path / "module0.wat", "(module (func")
            _eventually(lambda: server.log().count("reload after a change") >= 2)
            assert {server.get("/v").body for _ in range(10)} == {b"two"}
            # A new route in the config.
            shutil.copy(EXAMPLES / "hello.wasm", tmp_path / "hello.wasm")
            replace(tmp_path / "module0.wat", handler_wat(CGI_OUTPUT + b"three"))
            config = (tmp_path / "modules.toml").read_text()
            replace(tmp_path / "modules.toml", config + f'\n[[module]]\nroute = "/hello"\nmodule = "{tmp_path / "hello.wasm"}"\n')
            _eventually(lambda: server.log().count("reloaded 2 route(s)") >= 2)
            assert {server.get("/hello").status for _ in range(10)} == {200}
            for worker in workers:
                worker.result()
        assert results and set(results) == {200}
        assert {server.get("/v").body for _ in range(10)} == {b"three"}
    finally:
        server.stop()


def test_the_native_engine_serves_with_the_same_limits(tmp_path: Path) -> None:
    pytest.importorskip("llvmlite")
    routes = {key: ROUTES[key] for key in ("/hello/...", "/loop", "/fuel", "/trap", "/preinit", "/count")}
    write_config(tmp_path, routes)
    native = Server(tmp_path, engine="native")
    try:
        assert native.get("/hello/?name=LLVM").body.startswith(b"Hello, LLVM!")
        assert native.get("/loop").status == 504
        assert native.get("/fuel").status == 500
        assert native.get("/trap").status == 500
        assert {native.get("/count").body for _ in range(4)} == {b"11"}
        assert native.get("/preinit").body.startswith(b"6")
        _eventually(lambda: native.metric("wasmkit_instances_running") == 0)
    finally:
        native.stop()


def test_the_log_says_where_it_listens_and_every_line_is_json(server: Server) -> None:
    _eventually(lambda: "listening on" in server.log())
    lines = server.log().splitlines()
    assert [line for line in lines if not line.startswith("{")] == []
    announced = [entry for entry in server.log_entries() if "listening on" in entry["message"]]
    threads = default_threads([128], 2)  # every route here has memory_mb 128 or less
    assert [entry["message"] for entry in announced] == [
        f"wasmkit serve: listening on http://127.0.0.1:{server.port} (2 workers, {threads} threads each, python engine)"
    ]
    assert {entry["threads"] for entry in server.log_entries() if entry["message"].startswith("serving ")} == {threads}


def test_the_server_stays_up(server: Server) -> None:
    assert server.process.poll() is None
    assert server.get("/hello/").status == 200


# -- helpers --


def _workers_serving(server: Server) -> set[int]:
    """The worker processes that have logged that they serve their routes."""
    return {entry["pid"] for entry in server.log_entries() if entry["message"].startswith("serving ")}


def _workers_answering(server: Server, connections: int = 16) -> set[int]:
    """The worker processes that answer `connections` connections opened together."""
    opened = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) for _ in range(connections)]
    try:
        for connection in opened:
            connection.connect()
        workers = set()
        for connection in opened:
            connection.request("GET", "/.well-known/wasmkit/health")
            workers.add(json.loads(connection.getresponse().read())["worker"])
    finally:
        for connection in opened:
            connection.close()
    return workers


def replace(path: Path, text: str) -> None:
    """Replace a file at once (write beside it, then rename)."""
    staged = path.with_name(path.name + ".new")
    staged.write_text(text)
    os.replace(staged, path)


def _logged(server: Server, response: object, text: str) -> bool:
    """Whether the server logged `text` for the request that got `response`."""
    request_id = response.header("X-Request-Id")  # type: ignore[attr-defined]

    def found() -> bool:
        return any(
            entry.get("request_id") == request_id and text in json.dumps(entry) for entry in server.log_entries()
        )

    return _eventually(found, fail=False)


def _eventually(condition: object, timeout: float = 10.0, fail: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    if fail:
        pytest.fail("condition not met in time")
    return False
