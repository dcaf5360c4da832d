"""Test helpers for the edge server: handler modules written in WAT, and a real `wasmkit serve`
process on a free loopback port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import PROJECT_ROOT

_WASI = "wasi_snapshot_preview1"


def wat_string(data: bytes) -> str:
    """`data` as a WAT string literal."""
    return '"' + "".join(f"\\{byte:02x}" for byte in data) + '"'


def handler_wat(output: bytes = b"", start: str = "", extra: str = "", imports: str = "") -> str:
    """A WASI handler module: `_start` runs `start`, then prints `output` (from memory at 1024).
    `$print(ptr, len)` writes to stdout, `$count` is a mutable global, memory is one page;
    `imports` adds imports, `extra` adds fields at the end."""
    return f"""
(module
  (import "{_WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "{_WASI}" "proc_exit" (func $proc_exit (param i32)))
  (import "{_WASI}" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "{_WASI}" "random_get" (func $random_get (param i32 i32) (result i32)))
  {imports}
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 1024) {wat_string(output)})
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    {start}
    (call $print (i32.const 1024) (i32.const {len(output)})))
  {extra}
)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> dict:
        return json.loads(self.body)


class Server:
    """`wasmkit serve` in a subprocess, run from `directory` (where modules.toml is)."""

    def __init__(
        self, directory: Path, workers: int = 2, reload_interval: float = 0.2, engine: str = "python",
        extra_args: tuple[str, ...] = (), target: str = "modules.toml", cache_dir: Path | None = None,
    ) -> None:  # fmt: skip
        """`target`: what to serve (a configuration, or a Wasm file); `cache_dir`: where
        compiled code is kept (by default a directory of the server's own)."""
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / "server.log"
        cache = str(cache_dir or directory / "cache")
        env = {**os.environ, "WASMKIT_CACHE_DIR": cache, "PYTHONPATH": str(PROJECT_ROOT / "src")}
        command = [
            sys.executable, "-m", "wasmkit", "serve", target,
            "--listen", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--reload-interval", str(reload_interval), "--engine", engine, *extra_args,
        ]  # fmt: skip
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, cwd=directory, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.request("GET", "/.well-known/wasmkit/health").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not come up:\n{self.log()}")

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            reply = connection.getresponse()
            return Response(reply.status, reply.getheaders(), reply.read())
        finally:
            connection.close()

    def get(self, path: str, **kwargs: object) -> Response:
        return self.request("GET", path, **kwargs)  # type: ignore[arg-type]

    def raw(self, data: bytes, timeout: float = 10) -> bytes:
        """Send `data` as it is and return what comes back until the server closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            chunks = []
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except (ConnectionResetError, TimeoutError):
                pass
        return b"".join(chunks)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_entries(self) -> list[dict]:
        """The JSON entries of the log so far; a last line still being written (no newline
        yet) is not one yet."""
        entries = []
        for line in self.log().splitlines(keepends=True):
            if line.startswith("{") and line.endswith("\n"):
                entries.append(json.loads(line))
        return entries

    def metric(self, name: str, **labels: str) -> float:
        """The value of a metric sample from /metrics (0 when absent)."""
        text = self.get("/metrics").body.decode()
        wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            sample, _, value = line.rpartition(" ")
            metric_name, _, label_text = sample.partition("{")
            found = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
            if metric_name == name and found == wanted:
                return float(value)
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
