"""`wasmkit serve` refuses what it cannot serve before starting (a configuration, an address in
use): one line, status 1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.edge.server import free_port
from tests.support import PROJECT_ROOT
from wasmkit.cli import main

EXAMPLES = PROJECT_ROOT / "examples" / "edge"


@pytest.mark.parametrize(
    ("config", "arguments", "message"),
    [
        (None, [], "cannot read"),
        ('[[module]]\nroute = "/a"\nmodule = "missing.wasm"', [], "module missing.wasm is not a file"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', [], "bad.wasm:0x4: unexpected end"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--listen", "nowhere"], "expected HOST:PORT"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--workers", "0"], "--workers must be at least 1"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--threads", "0"], "--threads must be at least 1"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--header-timeout", "0"], "--header-timeout must be more than 0"),
    ],
)
def test_refused_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    config: str | None, arguments: list[str], message: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.wasm").write_bytes(b"\0asm")
    if config is not None:
        (tmp_path / "modules.toml").write_text(config)
    assert main(["serve", "modules.toml", *arguments]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wasmkit: error: ") and message in err
    assert err.count("\n") == 1


def test_an_unknown_engine_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", str(tmp_path / "modules.toml"), "--engine", "quantum"])
    assert exit_.value.code == 2
    assert "invalid choice: 'quantum'" in capsys.readouterr().err


@pytest.mark.parametrize(("workers", "reuse_port"), [(1, False), (2, True)])
def test_an_address_in_use_is_one_line_and_status_1(tmp_path: Path, workers: int, reuse_port: bool) -> None:
    # Held by another program, or by another server's SO_REUSEPORT sockets (which a second
    # server with SO_REUSEPORT could otherwise join, taking a share of its connections).
    (tmp_path / "modules.toml").write_text(f'[[module]]\nroute = "/a"\nmodule = "{EXAMPLES / "hello.wasm"}"\n')
    port = free_port()
    with socket.socket() as holder:
        if reuse_port:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src"), "WASMKIT_CACHE_DIR": str(tmp_path / "cache")}
        command = [sys.executable, "-m", "wasmkit", "serve", "modules.toml", "--listen", f"127.0.0.1:{port}", "--workers", str(workers)]
        try:
            done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the server started on an address in use")
    assert done.returncode == 1
    assert done.stderr == f"wasmkit: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
