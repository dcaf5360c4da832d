"""WASI 0.2 host: the interface table and its version matching, wasi:cli, wasi:random,
wasi:sockets (refused, with wasmtime's error codes) and wasi:http types."""

from __future__ import annotations

import pytest

from wasmkit.errors import ExitTrap, Trap
from wasmkit.wasi import OutputLimitError, WasiConfig
from wasmkit.wasi.preview2 import Err, Ok, case, host_imports, interface_key
from wasmkit.wasi.preview2.random import MAX_RANDOM_BYTES

# Every function and resource of the WASI 0.2 interfaces the host provides (WIT names).
INTERFACES = {
    "wasi:cli/environment": {"get-environment", "get-arguments", "initial-cwd"},
    "wasi:cli/exit": {"exit", "exit-with-code"},
    "wasi:cli/stdin": {"get-stdin"},
    "wasi:cli/stdout": {"get-stdout"},
    "wasi:cli/stderr": {"get-stderr"},
    "wasi:cli/terminal-input": {"terminal-input"},
    "wasi:cli/terminal-output": {"terminal-output"},
    "wasi:cli/terminal-stdin": {"get-terminal-stdin"},
    "wasi:cli/terminal-stdout": {"get-terminal-stdout"},
    "wasi:cli/terminal-stderr": {"get-terminal-stderr"},
    "wasi:io/error": {"error"},
    "wasi:io/poll": {"pollable", "poll"},
    "wasi:io/streams": {"input-stream", "output-stream"},
    "wasi:clocks/monotonic-clock": {"now", "resolution", "subscribe-instant", "subscribe-duration"},
    "wasi:clocks/wall-clock": {"now", "resolution"},
    "wasi:random/random": {"get-random-bytes", "get-random-u64"},
    "wasi:random/insecure": {"get-insecure-random-bytes", "get-insecure-random-u64"},
    "wasi:random/insecure-seed": {"insecure-seed"},
    "wasi:filesystem/types": {"descriptor", "directory-entry-stream", "filesystem-error-code"},
    "wasi:filesystem/preopens": {"get-directories"},
    "wasi:sockets/network": {"network", "network-error-code"},
    "wasi:sockets/instance-network": {"instance-network"},
    "wasi:sockets/tcp": {"tcp-socket"},
    "wasi:sockets/tcp-create-socket": {"create-tcp-socket"},
    "wasi:sockets/udp": {"udp-socket", "incoming-datagram-stream", "outgoing-datagram-stream"},
    "wasi:sockets/udp-create-socket": {"create-udp-socket"},
    "wasi:sockets/ip-name-lookup": {"resolve-addresses", "resolve-address-stream"},
    "wasi:http/types": {
        "fields", "incoming-request", "outgoing-request", "request-options", "response-outparam",
        "incoming-response", "incoming-body", "future-trailers", "outgoing-response", "outgoing-body",
        "future-incoming-response", "http-error-code",
    },  # fmt: skip
    "wasi:http/outgoing-handler": {"handle"},
}

# Resource methods, WIT names, that a component calls on the classes (snake_case attributes).
METHODS = {
    ("wasi:io/streams", "input-stream"): ["read", "blocking-read", "skip", "blocking-skip", "subscribe"],
    ("wasi:io/streams", "output-stream"): [
        "check-write", "write", "blocking-write-and-flush", "flush", "blocking-flush", "subscribe",
        "write-zeroes", "blocking-write-zeroes-and-flush", "splice", "blocking-splice",
    ],
    ("wasi:io/poll", "pollable"): ["ready", "block"],
    ("wasi:io/error", "error"): ["to-debug-string"],
    ("wasi:filesystem/types", "descriptor"): [
        "read-via-stream", "write-via-stream", "append-via-stream", "advise", "sync-data", "get-flags",
        "get-type", "set-size", "set-times", "read", "write", "read-directory", "sync", "create-directory-at",
        "stat", "stat-at", "set-times-at", "link-at", "open-at", "readlink-at", "remove-directory-at",
        "rename-at", "symlink-at", "unlink-file-at", "is-same-object", "metadata-hash", "metadata-hash-at",
    ],
    ("wasi:filesystem/types", "directory-entry-stream"): ["read-directory-entry"],
    ("wasi:http/types", "fields"): ["from-list", "get", "has", "set", "delete", "append", "entries", "clone"],
    ("wasi:http/types", "outgoing-response"): ["status-code", "set-status-code", "headers", "body"],
    ("wasi:http/types", "outgoing-body"): ["write", "finish"],
    ("wasi:http/types", "incoming-body"): ["stream", "finish"],
}  # fmt: skip


def test_every_interface_is_there_at_any_patch_version() -> None:
    imports = host_imports(WasiConfig())
    assert {name for name in imports if name.endswith("@0.2.0")} == {f"{name}@0.2.0" for name in INTERFACES}
    assert all(name.endswith("@0.3.0") for name in imports if not name.endswith("@0.2.0"))  # WASI 0.3's (test_wasi03)
    for name, members in INTERFACES.items():
        assert set(imports[f"{name}@0.2.0"]) == members, name
        assert imports.find(f"{name}@0.2.7") is imports[f"{name}@0.2.0"]
        assert imports[f"{name}@0.2.3"] is imports[f"{name}@0.2.0"]
        assert f"{name}@0.2.8" in imports and imports.get(f"{name}@0.2.8") is imports[f"{name}@0.2.0"]
    for (interface, resource), methods in METHODS.items():
        cls = imports[f"{interface}@0.2.0"][resource]
        for method in methods:
            assert callable(getattr(cls, method.replace("-", "_"))), (resource, method)
    for other in ("wasi:cli/environment@0.4.0", "wasi:cli/environment@0.2.0-rc-2023-11-10", "wasi:cli/environment"):
        assert imports.find(other) is None
        assert other not in imports and imports.get(other) is None
        with pytest.raises(KeyError):
            imports[other]
    assert imports.find("wasi:cli/nothing@0.2.0") is None
    assert interface_key("wasi:http/types@0.2.10") == "wasi:http/types@0.2.0"


def test_environment_and_arguments() -> None:
    env = host_imports(WasiConfig(argv=["prog", "-v", "é"], env={"A": "1", "B": "x=y"}))["wasi:cli/environment@0.2.0"]
    assert env["get-arguments"]() == ["prog", "-v", "é"]
    assert env["get-environment"]() == [("A", "1"), ("B", "x=y")]
    assert env["initial-cwd"]() is None


def test_exit_raises_the_exit_trap() -> None:
    exit_ = host_imports(WasiConfig())["wasi:cli/exit@0.2.0"]
    for status, code in ((Ok(None), 0), (Err(None), 1)):
        with pytest.raises(ExitTrap) as caught:
            exit_["exit"](status)
        assert caught.value.code == code
    with pytest.raises(ExitTrap) as caught:
        exit_["exit-with-code"](42)
    assert caught.value.code == 42


def test_terminals_are_none_for_captured_and_given_stdio() -> None:
    config = WasiConfig()
    config.stdin_bytes(b"")
    config.capture_stdout()
    config.capture_stderr()
    imports = host_imports(config)
    assert imports["wasi:cli/terminal-stdin@0.2.0"]["get-terminal-stdin"]() is None
    assert imports["wasi:cli/terminal-stdout@0.2.0"]["get-terminal-stdout"]() is None
    assert imports["wasi:cli/terminal-stderr@0.2.0"]["get-terminal-stderr"]() is None


def test_random() -> None:
    imports = host_imports(WasiConfig())
    secure = imports["wasi:random/random@0.2.0"]
    insecure = imports["wasi:random/insecure@0.2.0"]
    for get in (secure["get-random-bytes"], insecure["get-insecure-random-bytes"]):
        assert get(0) == b""
        assert len(get(100_000)) == 100_000
        assert get(32) != get(32)
        with pytest.raises(Trap, match="largest list"):
            get(MAX_RANDOM_BYTES + 1)
    for get in (secure["get-random-u64"], insecure["get-insecure-random-u64"]):
        values = {get() for _ in range(8)}
        assert len(values) > 1 and all(0 <= v < 1 << 64 for v in values)
    seed = imports["wasi:random/insecure-seed@0.2.0"]["insecure-seed"]
    assert seed() == seed() and all(0 <= v < 1 << 64 for v in seed())
    assert host_imports(WasiConfig())["wasi:random/insecure-seed@0.2.0"]["insecure-seed"]() != seed()


def _code(call, *args) -> object:  # type: ignore[no-untyped-def]
    with pytest.raises(Err) as caught:
        call(*args)
    return caught.value.value


def test_sockets_are_refused_as_wasmtime_refuses_them() -> None:
    imports = host_imports(WasiConfig())
    network = imports["wasi:sockets/instance-network@0.2.0"]["instance-network"]()
    create_tcp = imports["wasi:sockets/tcp-create-socket@0.2.0"]["create-tcp-socket"]
    create_udp = imports["wasi:sockets/udp-create-socket@0.2.0"]["create-udp-socket"]
    assert _code(create_tcp, "ipv4") == "access-denied"
    assert _code(create_udp, case("ipv6")) == "access-denied"
    lookup = imports["wasi:sockets/ip-name-lookup@0.2.0"]["resolve-addresses"]
    for name in ("example.com", "127.0.0.1", ""):
        assert _code(lookup, network, name) == "permanent-resolver-failure"


def test_socket_resources_answer_as_sockets_never_bound() -> None:
    imports = host_imports(WasiConfig())
    network = imports["wasi:sockets/instance-network@0.2.0"]["instance-network"]()
    address = {"port": 80, "address": (93, 184, 216, 34)}
    tcp = imports["wasi:sockets/tcp@0.2.0"]["tcp-socket"]("ipv4", imports.wasi.interruption)
    assert tcp.address_family() == "ipv4"
    assert _code(tcp.start_bind, network, address) == "access-denied"
    assert _code(tcp.start_connect, network, address) == "access-denied"
    assert _code(tcp.finish_connect) == "not-in-progress"
    assert _code(tcp.start_listen) == "invalid-state"
    assert _code(tcp.accept) == "invalid-state"
    assert _code(tcp.local_address) == "invalid-state"
    assert not tcp.is_listening()
    tcp.set_keep_alive_enabled(True)
    assert tcp.keep_alive_enabled()
    assert _code(tcp.set_hop_limit, 0) == "invalid-argument"
    assert tcp.subscribe().ready()
    udp = imports["wasi:sockets/udp@0.2.0"]["udp-socket"]("ipv6", imports.wasi.interruption)
    assert _code(udp.start_bind, network, address) == "access-denied"
    assert _code(udp.stream, None) == "invalid-state"


def test_http_fields() -> None:
    fields_cls = host_imports(WasiConfig())["wasi:http/types@0.2.0"]["fields"]
    fields = fields_cls.from_list([("Content-Type", b"text/plain"), ("x-a", b"1"), ("X-A", b"2")])
    assert fields.get("x-a") == [b"1", b"2"]
    assert fields.has("content-type") and not fields.has("nothing")
    fields.append("x-a", b"3")
    fields.set("x-b", [b"4", b"5"])
    fields.delete("content-type")
    assert fields.entries() == [("x-a", b"1"), ("x-a", b"2"), ("x-a", b"3"), ("x-b", b"4"), ("x-b", b"5")]
    assert _code(fields.append, "bad name", b"x").wit_case == "invalid-syntax"
    assert _code(fields.append, "x-c", b"a\r\nb").wit_case == "invalid-syntax"
    assert _code(fields.set, "Connection", [b"close"]).wit_case == "forbidden"
    assert _code(fields_cls.from_list, [("host", b"example.com")]).wit_case == "forbidden"
    copy = fields.clone()
    copy.delete("x-a")
    assert fields.has("x-a") and not copy.has("x-a")


def test_http_response_and_outgoing_handler() -> None:
    http = host_imports(WasiConfig())["wasi:http/types@0.2.0"]
    headers = http["fields"].from_list([("content-type", b"text/plain")])
    response = http["outgoing-response"](headers)
    assert response.status_code() == 200
    response.set_status_code(404)
    assert _code(response.set_status_code, 42) is None
    assert _code(response.headers().append, "x", b"y").wit_case == "immutable"
    body = response.body()
    assert _code(response.body) is None  # taken once
    stream = body.write()
    stream.blocking_write_and_flush(b"not ")
    stream.write(b"found")
    http["outgoing-body"].finish(body, None)
    assert body.data == b"not found" and body.finished
    outparam = http["response-outparam"]()
    http["response-outparam"].set(outparam, Ok(response))
    assert outparam.response == Ok(response)
    assert _code(outparam.send_informational, 103, headers).wit_case == "internal-error"
    assert _code(outparam.send_informational, 200, headers).wit_case == "HTTP-protocol-error"
    request = http["incoming-request"](case("post"), "/a?b", case("HTTP"), "example.com", headers, b"x" * 3_000_000)
    assert request.method().wit_case == "post"
    incoming = request.consume()
    reader = incoming.stream()
    received = b""
    while True:
        try:
            received += reader.blocking_read(1 << 20)
        except Err as end:
            assert end.value.wit_case == "closed"
            break
    assert received == b"x" * 3_000_000
    trailers = http["incoming-body"].finish(incoming)
    assert trailers.get() == Ok(Ok(None))
    outgoing = http["outgoing-request"](http["fields"]())
    outgoing.set_method(case("other", "PURGE"))
    assert outgoing.method() == case("other", "PURGE")


def test_http_body_limit() -> None:
    http = host_imports(WasiConfig(), http_body_limit=10)["wasi:http/types@0.2.0"]
    stream = http["outgoing-response"](http["fields"]()).body().write()
    stream.write(b"0123456789")
    with pytest.raises(OutputLimitError):
        stream.write(b"!")
