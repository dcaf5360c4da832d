"""ModuleHandler without the HTTP server: loading errors, read-only volumes, the per-request
memory cap, and stopping a request through its RunControl."""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path

import pytest

from wasmkit.edge.cgi import CgiRequest
from wasmkit.edge.config import load_config
from wasmkit.edge.handler import HandlerLoadError, ModuleHandler, RunControl
from wasmkit.edge.routing import RouteMatch
from wasmkit.engine.registry import get_engine
from wasmkit.runtime import memory as memory_module
from tests.edge.server import handler_wat, wat_string

REQUEST = CgiRequest("GET", "/", "", [], b"", "http", "1.1", ("127.0.0.1", 1), ("127.0.0.1", 2))
MATCH = RouteMatch("", "/", "/", {})

FILE_IMPORTS = """
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
"""
READ_THEN_CREATE = f"""
  (data (i32.const 4000) {wat_string(b"note.txt")})
  (data (i32.const 4100) {wat_string(b"new.txt")})
  (func (export "handle")
    (call $print (i32.const 1024) (i32.const 26))
    ;; open /data/note.txt (preopen fd 3) and print what it holds
    (drop (call $path_open (i32.const 3) (i32.const 0) (i32.const 4000) (i32.const 8) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 4200)))  ;; rights: fd_read
    (i32.store (i32.const 16) (i32.const 5000))
    (i32.store (i32.const 20) (i32.const 100))
    (drop (call $fd_read (i32.load (i32.const 4200)) (i32.const 16) (i32.const 1) (i32.const 24)))
    (call $print (i32.const 5000) (i32.load (i32.const 24)))
    ;; creating a file must fail: print its errno as a byte
    (i32.store8 (i32.const 4300)
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 4100) (i32.const 7) (i32.const 1)
        (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 4200)))
    (call $print (i32.const 4300) (i32.const 1)))
"""


def make_handler(tmp_path: Path, wat: str, extra: str = "") -> ModuleHandler:
    (tmp_path / "handler.wat").write_text(wat)
    (tmp_path / "modules.toml").write_text(f'[[module]]\nroute = "/"\nmodule = "{tmp_path / "handler.wat"}"\n{extra}\n')
    return ModuleHandler(load_config(tmp_path / "modules.toml").routes[0], get_engine("python"))


def test_volumes_are_read_only(tmp_path: Path) -> None:
    data = tmp_path / "site"
    data.mkdir()
    (data / "note.txt").write_text("from the volume")
    wat = handler_wat(b"Content-Type: text/plain\n\n", extra=READ_THEN_CREATE, imports=FILE_IMPORTS)
    handler = make_handler(tmp_path, wat, f'entrypoint = "handle"\nvolumes = {{ "/data" = "{data}" }}')
    outcome = handler.handle(REQUEST, MATCH)
    assert outcome.status == 200, outcome.detail
    assert outcome.body[:-1] == b"from the volume"
    assert outcome.body[-1] != 0  # an errno: the create was refused
    assert not (data / "new.txt").exists()


def test_a_memory_larger_than_the_cap_cannot_be_served(tmp_path: Path) -> None:
    wat = "(module (memory 300) (func (export \"_start\")))"  # 18.75 MiB
    with pytest.raises(HandlerLoadError, match="initial memory of 19660800 bytes exceeds"):
        make_handler(tmp_path, wat, "memory_mb = 32")  # 32 MiB less 28.5 for the body, output and tables


# Grows memory by $pages pages and prints 1 if that worked, 0 if memory.grow refused.
GROW = """
  (func $grow (param $pages i32)
    (call $print (i32.const 1024) (i32.const 26))
    (i32.store8 (i32.const 600) (i32.ne (memory.grow (local.get $pages)) (i32.const -1)))
    (call $print (i32.const 600) (i32.const 1)))
  (func (export "grow_20_mib") (call $grow (i32.const 320)))
  (func (export "grow_5_mib") (call $grow (i32.const 80)))
"""


@pytest.mark.parametrize(("entrypoint", "grew"), [("grow_20_mib", 0), ("grow_5_mib", 1)])
def test_memory_mb_bounds_guest_memory_and_host_buffers_together(tmp_path: Path, entrypoint: str, grew: int) -> None:
    # 40 MiB for the whole request: 10 MiB of body, 16 MiB of response, 1 MiB of stderr and
    # 1.5 MiB of tables are kept for the host, so linear memory may grow to 11.5 MiB.
    wat = handler_wat(b"Content-Type: text/plain\n\n", extra=GROW)
    handler = make_handler(tmp_path, wat, f'entrypoint = "{entrypoint}"\nmemory_mb = 40')
    outcome = handler.handle(REQUEST, MATCH)
    assert outcome.status == 200, outcome.detail
    assert outcome.body == bytes([grew])
    assert handler.budget.memory_bytes == 40 * 2**20 - (10 + 16 + 1) * 2**20 - 65_536 * 24


def test_run_control_stops_a_running_instance(tmp_path: Path) -> None:
    handler = make_handler(tmp_path, handler_wat(start="(loop $l (br $l))"))
    control = RunControl()
    threading.Timer(0.2, control.stop).start()
    started = time.monotonic()
    outcome = handler.handle(REQUEST, MATCH, control)
    assert (outcome.status, outcome.error) == (504, "timeout")
    assert time.monotonic() - started < 5


def test_run_control_stops_a_wasi_call_in_progress(tmp_path: Path) -> None:
    # One random_get over 224 MiB takes seconds when done whole (and as much host memory
    # again); stopped, the call ends at its next piece and the instance traps.
    start = """
        (drop (memory.grow (i32.const 3600)))
        (drop (call $random_get (i32.const 65536) (i32.const 234881024)))"""
    handler = make_handler(tmp_path, handler_wat(start=start), "memory_mb = 256")
    control = RunControl()
    threading.Timer(0.1, control.stop).start()
    started = time.monotonic()
    outcome = handler.handle(REQUEST, MATCH, control)
    assert (outcome.status, outcome.error) == (504, "timeout")
    assert time.monotonic() - started < 1.5  # generous: the whole call takes about 3 s here


def test_a_host_out_of_memory_is_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = make_handler(tmp_path, handler_wat(b"Content-Type: text/plain\n\n"))

    def no_memory(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(memory_module.mmap, "mmap", no_memory)
    outcome = handler.handle(REQUEST, MATCH)
    assert (outcome.status, outcome.error) == (503, "capacity")


def test_stderr_is_returned_for_the_log(tmp_path: Path) -> None:
    wat = handler_wat(b"Content-Type: text/plain\n\n", start="""
        (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 12))
        (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))""")
    outcome = make_handler(tmp_path, wat).handle(REQUEST, MATCH)
    assert outcome.status == 200
    assert outcome.stderr == b"Content-Type"


@pytest.mark.parametrize(
    ("wat", "extra", "message"),
    [
        ("(module (func", "", "handler.wat:1:14: unexpected end of input"),
        ("(module)", "", "no exported function '_start'"),
        ('(module (import "env" "f" (func)) (func (export "_start")))', "", "imports from env"),
        ('(module (func (export "wizer.initialize") unreachable) (func (export "_start")))', "", "wizer.initialize failed: unreachable"),
    ],
)
def test_modules_that_cannot_be_served(tmp_path: Path, wat: str, extra: str, message: str) -> None:
    with pytest.raises(HandlerLoadError, match=message):
        make_handler(tmp_path, wat, extra)
