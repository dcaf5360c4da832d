"""WASI 0.3 hosts: `wasmkit run` of a `wasi:cli/run@0.3.0` command gives the stdout, stderr and
exit status of `wasmtime run -Sp3 -Wcomponent-model-async`, on both engines, for a
componentize-py command (data/wasi03/command: arguments, an environment variable, a
preopened file, stdout and stderr through `write-via-stream`, stdin through
`read-via-stream`, a monotonic wait; run returning ok or err, wasi:cli/exit, a trap) and for
a whole `wasi:cli/command@0.3.0` using wasi:filesystem@0.3.0 (data/wasi03/files: streams over
files, stat, a directory's entries, error codes) and the refused wasi:sockets@0.3.0; the
Python API runs it with `wasmkit.load(..., wasi=WasiConfig(...))`; the http `handler` export
of data/wasi03/service answers a request built by the host, with a 3 MB body (200 KB on the
Python engine).

The host pieces alone: the host's streams and futures (`ByteChunks`, `HostPromise`, `drain`),
wasi:http/types@0.3.0 (`fields` under 0.3's names, messages and their bodies,
`request-options`), and `client.send` refused unless the host is allowed.

`wasmkit serve` of the same service is tested in tests/edge/test_serve_wasi03.py. The
components are built once by componentize-py and cached (`componentize`)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wasmkit
from tests.component.componentize import componentize
from tests.spec.engines import ENGINES, require_engine
from tests.support import PROJECT_ROOT
from wasmkit.cli.run import TRAP_EXIT_STATUS
from wasmkit.component.loader import Component
from wasmkit.component.async_.host_streams import ByteChunks, HostPromise, drain
from wasmkit.component.async_.streams import CopyResult, HostBuffer, SharedStream
from wasmkit.errors import ExitTrap
from wasmkit.wasi import WasiConfig
from wasmkit.wasi.interrupt import Interruption
from wasmkit.wasi.stdio import OutputLimitError
from wasmkit.wasi.preview2 import host_imports
from wasmkit.wasi.preview2.values import Err, Ok, case, label
from wasmkit.wasi.preview3.http import Client, Fields, Request, RequestOptions, Response

WIT = PROJECT_ROOT / "tests" / "component" / "wit" / "wasi-0.3.0"
APPS = PROJECT_ROOT / "tests" / "component" / "data" / "wasi03"
STATUS = {"ok": 0, "fail": 1, "exit": 1, "trap": TRAP_EXIT_STATUS, "sleep": 0, "stdin": 0}


def command_wasm() -> Path:
    return componentize("wasi03-command", WIT, "command", APPS / "command")


def service_wasm() -> Path:
    return componentize("wasi03-service", WIT, "service", APPS / "service")


@pytest.fixture(scope="module")
def command() -> Path:
    return command_wasm()


@pytest.fixture(scope="module")
def preopen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    (directory / "input.txt").write_text("hello from a file\n")
    return directory


@pytest.fixture(scope="module")
def wasmtime() -> Path:
    from tests.corpus.big import Unavailable, wasmtime_cli

    try:
        return wasmtime_cli()
    except Unavailable as err:
        pytest.skip(str(err))


def _run(argv: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=300, env=env)


# Each mode on the native engine, the two that matter most on the Python engine too (a run
# takes about 1.5 s on either: the component's validation and CPython's start).
CASES = [("native", mode) for mode in STATUS] + [("python", "ok"), ("python", "trap")]


@pytest.mark.parametrize(("engine", "mode"), CASES)
def test_a_wasi03_command_runs_as_under_wasmtime(command: Path, preopen: Path, wasmtime: Path, engine: str, mode: str) -> None:
    require_engine(engine)
    args = ["--dir", f"{preopen}::/data", "--env", "GREETING=hi", str(command), mode, "/data/input.txt"]
    stdin = b"from stdin\n"
    theirs = _run([str(wasmtime), "run", "-Sp3", "-Wcomponent-model-async", *args], stdin)
    ours = _run([sys.executable, "-m", "wasmkit", "run", "--engine", engine, *args], stdin)
    assert ours.stdout == theirs.stdout
    assert ours.returncode == theirs.returncode == STATUS[mode]
    lines = ours.stdout.decode().splitlines()
    assert lines[:3] == [f"args: ['{command.name}', '{mode}', '/data/input.txt']", "GREETING=hi", "file: hello from a file"]
    if mode == "stdin":
        assert lines[3] == "stdin: 11 bytes"
    if mode == "trap":  # the guest's own words, then each runtime's: wasmkit's in one line
        guest = theirs.stderr.partition(b"Error: failed to run main module")[0]
        assert ours.stderr == guest + b"wasmkit: trap: unreachable\n"
    else:
        assert ours.stderr == theirs.stderr == b"to stderr\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_wasi03_filesystem_command_runs_as_under_wasmtime(tmp_path: Path, wasmtime: Path, engine: str) -> None:
    require_engine(engine)
    files = componentize("wasi03-files", WIT, "files", APPS / "files")
    results = []
    for name, argv in (("theirs", [str(wasmtime), "run", "-Sp3", "-Wcomponent-model-async"]),
                       ("ours", [sys.executable, "-m", "wasmkit", "run", "--engine", engine])):  # fmt: skip
        directory = tmp_path / name
        directory.mkdir()
        (directory / "input.txt").write_text("hello from a file\n")
        done = _run([*argv, "--dir", f"{directory}::/data", str(files)], b"")
        results.append((done.returncode, done.stdout, done.stderr, (directory / "out.txt").read_bytes()))
    assert results[0] == results[1]
    status, stdout, _, written = results[1]
    assert status == 0 and written == b"written\n" * 3 + b"more\n"
    assert stdout.decode().splitlines() == [
        "preopen /data",
        "read b'from a file\\n' Ok(value=None)",
        "stat DescriptorType_RegularFile 18 1",
        "type DescriptorType_Directory",
        "write Ok(value=None)",
        "append Ok(value=None)",
        "size 29",
        "list [('input.txt', 'DescriptorType_RegularFile'), ('out.txt', 'DescriptorType_RegularFile')] Ok(value=None)",
        "open missing.txt ErrorCode_NoEntry",
        "open ../outside.txt ErrorCode_NotPermitted",
        "set-size ErrorCode_Invalid",
        "create TcpSocket ErrorCode_AccessDenied",
        "create UdpSocket ErrorCode_AccessDenied",
        "resolve ErrorCode_PermanentResolverFailure",
    ]


def test_the_python_api_links_the_wasi03_imports(command: Path, preopen: Path) -> None:
    component = Component(command)
    outcomes = {}
    for mode in ("ok", "fail", "exit", "stdin"):
        config = WasiConfig(argv=["app", mode, "/data/input.txt"], env={"GREETING": "hello"})
        config.preopen_dir(str(preopen), "/data")
        config.stdin_bytes(b"12345")
        config.capture_stdout()
        config.capture_stderr()
        inst = component.instantiate(wasi=config)
        try:
            inst.exports["wasi:cli/run"]["run"]()
            outcomes[mode] = "ok"
        except Err:
            outcomes[mode] = "err"
        except ExitTrap as exit_:
            outcomes[mode] = f"exit {exit_.code}"
        assert inst.wasi.captured_stderr == b"to stderr\n"
        out = inst.wasi.captured_stdout.decode()
        assert out.startswith(f"args: ['app', '{mode}', '/data/input.txt']\nGREETING=hello\nfile: hello from a file\n")
        inst.wasi.close()
    assert outcomes == {"ok": "ok", "fail": "err", "exit": "exit 1", "stdin": "ok"}
    assert out.endswith("stdin: 5 bytes\n")
    config = WasiConfig(argv=["app", "ok"])
    config.capture_stdout(max_bytes=10)  # what write-via-stream writes counts as 0.2's writes do
    with pytest.raises(OutputLimitError):
        component.instantiate(wasi=config).exports["wasi:cli/run"]["run"]()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_service_handler_answers_a_request_the_host_makes(engine: str) -> None:
    require_engine(engine)
    size = 3_000_000 if engine == "native" else 200_000  # CPython hashing it on the Python engine is slow
    body = os.urandom(size)
    config = WasiConfig(argv=["service"])
    config.capture_stdout()
    inst = wasmkit.load(service_wasm(), wasi=config, engine=engine)
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    headers = [("x-one", b"1"), ("x-two", b"a"), ("x-two", b"b")]
    request = Request.incoming(case("put"), "/echo?q=1", case("HTTP"), "example.test", headers, chunks)
    response = inst.exports["wasi:http/handler"]["handle"](request)
    assert isinstance(response, Response) and response.get_status_code() == 201
    assert response.get_headers().copy_all() == [("x-repeat", b"one"), ("x-repeat", b"two"), ("content-type", b"text/plain")]
    contents, _trailers = response.body.take()
    text = contents.read_all()
    assert text.splitlines()[:4] == [
        b"method: PUT",
        b"path: /echo?q=1",
        b"headers: x-one=1; x-two=a; x-two=b",
        b"body: %d bytes, sha256 %s" % (size, hashlib.sha256(body).hexdigest().encode()),
    ]
    assert text.endswith(b"\n" + b"x" * 100000 + b"\n")
    assert inst.wasi.captured_stdout == b"handled PUT /echo?q=1\n"
    with pytest.raises(Err) as refused:  # an error code the guest returns is raised
        inst.exports["wasi:http/handler"]["handle"](Request.incoming(case("get"), "/error", None, None, [], []))
    assert label(refused.value.value) == "internal-error"


# -- the host's streams and futures --


def _read(shared: object, n: int) -> tuple[list[object], list[CopyResult]]:
    buffer, outcome = HostBuffer(n), []
    shared.copy(True, buffer, lambda reclaim: outcome.append(CopyResult.COMPLETED), outcome.append)  # type: ignore[attr-defined]
    return buffer.values, outcome


def test_byte_chunks_give_each_read_what_fits_of_the_current_chunk() -> None:
    stream = ByteChunks([b"hello", b"", b"world!"])
    assert _read(stream, 3) == (list(b"hel"), [CopyResult.COMPLETED])
    assert _read(stream, 10) == (list(b"lo"), [CopyResult.COMPLETED])
    assert _read(stream, 10) == (list(b"world!"), [CopyResult.COMPLETED])
    assert _read(stream, 10) == ([], [CopyResult.DROPPED])
    assert _read(stream, 10) == ([], [CopyResult.DROPPED])


def test_a_host_promise_gives_its_value_to_a_read_made_before_or_after() -> None:
    early = HostPromise()
    values, outcome = _read(early, 1)
    assert outcome == [] and not early.resolved
    early.resolve(Ok(None))
    early.resolve(Err("io"))  # a second value is ignored
    assert values == [Ok(None)] and outcome == [CopyResult.COMPLETED]
    late = HostPromise()
    late.resolve(7)
    assert _read(late, 1) == ([7], [CopyResult.COMPLETED])
    assert _read(late, 1) == ([], [CopyResult.DROPPED])  # given once
    cancelled = HostPromise()
    _, outcome = _read(cancelled, 1)
    cancelled.cancel()
    assert outcome == [CopyResult.CANCELLED]


def _write(shared: SharedStream, data: bytes) -> list[CopyResult]:
    outcome: list[CopyResult] = []
    shared.copy(False, HostBuffer(len(data), list(data)), lambda reclaim: (reclaim(), outcome.append(CopyResult.COMPLETED)), outcome.append)
    return outcome


def test_drain_takes_the_writers_pieces_as_they_come_and_its_end() -> None:
    shared = SharedStream(None)
    taken: list[bytes] = []
    ended: list[bool] = []
    first = _write(shared, b"early")
    assert first == []  # pending until the host reads
    drain(shared, lambda values: taken.append(bytes(values)) or True, lambda: ended.append(True), size=4)  # type: ignore[func-returns-value]
    assert taken == [b"earl"] and first == [CopyResult.COMPLETED]  # a partial write: the writer writes the rest
    assert _write(shared, b"y") == [CopyResult.COMPLETED]  # the host's next read was pending
    assert _write(shared, b"later") == [CopyResult.COMPLETED]
    assert taken == [b"earl", b"y", b"late"] and not ended
    shared.drop()  # the writer drops its end
    assert ended == [True]


def test_drain_drops_the_stream_when_the_taker_says_stop() -> None:
    shared = SharedStream(None)
    drain(shared, lambda values: False, lambda: None)
    assert _write(shared, b"x") == [CopyResult.COMPLETED]
    assert shared.dropped and _write(shared, b"y") == [CopyResult.DROPPED]


# -- wasi:http/types and client --


def test_fields_under_their_03_names() -> None:
    fields = Fields.from_list([("X-A", b"1"), ("x-b", b"2"), ("x-a", b"3")])
    assert fields.copy_all() == [("x-a", b"1"), ("x-b", b"2"), ("x-a", b"3")]
    assert fields.get_and_delete("x-a") == [b"1", b"3"] and fields.copy_all() == [("x-b", b"2")]
    assert isinstance(fields.clone(), Fields)
    with pytest.raises(Err) as forbidden:
        fields.append("connection", b"close")
    assert label(forbidden.value.value) == "forbidden"
    request, _sent = Request.new(fields, None, None, None)
    with pytest.raises(Err) as immutable:
        request.get_headers().set("x-c", [b"4"])
    assert label(immutable.value.value) == "immutable"


def test_a_message_body_is_taken_once_and_options_are_frozen_in_a_request() -> None:
    response, sent = Response.new(Fields(), None, None)
    assert response.get_status_code() == 200 and not sent.resolved
    with pytest.raises(Err):
        response.set_status_code(1000)
    contents, trailers = Response.consume_body(response, None)
    assert _read(contents, 10) == ([], [CopyResult.DROPPED])  # no body: an empty stream
    assert _read(trailers, 1) == ([Ok(None)], [CopyResult.COMPLETED])  # no trailers
    with pytest.raises(Err):
        Response.consume_body(response, None)
    options = RequestOptions()
    options.set_connect_timeout(5)
    request, _ = Request.new(Fields(), None, None, options)
    given = request.get_options()
    assert given is not None and given.get_connect_timeout() == 5
    with pytest.raises(Err) as immutable:
        given.set_connect_timeout(6)
    assert label(immutable.value.value) == "immutable"


@pytest.mark.parametrize(
    ("scheme", "authority", "allowed", "error"),
    [
        ("HTTP", "example.com", (), "HTTP-request-denied"),
        ("HTTP", "example.com", ("other.com",), "HTTP-request-denied"),
        ("HTTP", None, ("example.com",), "HTTP-request-URI-invalid"),
        ("other", "example.com", ("example.com",), "HTTP-protocol-error"),
    ],
)
def test_client_send_is_refused_unless_allowed(scheme: str, authority: str | None, allowed: tuple[str, ...], error: str) -> None:
    request, _ = Request.new(Fields(), None, None, None)
    request.set_scheme(case(scheme, "ftp") if scheme == "other" else case(scheme))
    request.set_authority(authority)
    with pytest.raises(Err) as refused:
        Client(allowed, None, Interruption()).send(request)
    assert label(refused.value.value) == error


def test_the_wasi03_interfaces_are_in_the_host_with_their_names() -> None:
    imports = host_imports(WasiConfig(argv=["prog", "x"]))
    assert imports.find("wasi:cli/environment@0.3.0")["get-arguments"]() == ["prog", "x"]
    assert imports.find("wasi:cli/environment@0.3.0")["get-initial-cwd"]() is None
    assert set(imports["wasi:cli/stdout@0.3.0"]) == {"write-via-stream"}
    assert set(imports["wasi:clocks/monotonic-clock@0.3.0"]) == {"now", "get-resolution", "wait-until", "wait-for"}
    assert set(imports["wasi:random/insecure-seed@0.3.0"]) == {"get-insecure-seed"}
    assert set(imports["wasi:http/types@0.3.0"]) == {"fields", "request", "response", "request-options"}
    assert imports.find("wasi:http/client@0.3.1") is imports["wasi:http/client@0.3.0"]
    assert imports.find("wasi:http/client@0.3.0-rc-2026-03-15") is None
    seconds = imports["wasi:clocks/system-clock@0.3.0"]["now"]().seconds
    assert seconds > 1_700_000_000
    imports.wasi.close()


def test_client_send_to_an_allowed_host_answers_with_its_response() -> None:
    import asyncio
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(203)
            self.send_header("x-got", self.path)
            self.send_header("content-length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        authority = f"127.0.0.1:{server.server_address[1]}"
        request, sent = Request.new(Fields(), None, None, None)
        request.set_scheme(case("HTTP"))
        request.set_authority(authority)
        request.set_path_with_query("/there?x=1")
        response = asyncio.run(Client([authority], None, Interruption()).send(request))
        assert response.get_status_code() == 203
        assert response.get_headers().get("x-got") == [b"/there?x=1"]
        contents, _ = Response.consume_body(response, None)
        assert _read(contents, 100) == (list(b"hello"), [CopyResult.COMPLETED])
        assert _read(sent, 1) == ([Ok(None)], [CopyResult.COMPLETED])
    finally:
        server.shutdown()
        server.server_close()
