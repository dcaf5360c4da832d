"""Every command and snippet README.md shows works as a new user would type it.

The README is read, not copied here: its ```python blocks run as scripts, its ```sh lines run
with the venv's `wasmkit` on PATH (from a scratch directory that sees the project's examples), and
the serve quickstart starts the server on a free port and asks it what the README asks. A comment
on a Python expression statement (`print(x)  # 6765`) or on a curl line is the output the README
promises (up to a `{` or `...`), and is checked.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
BLOCKS = [(lang, textwrap.dedent(body)) for lang, body in re.findall(r"```(\w+)\n(.*?)```", README, re.S)]
BIN = Path(sys.executable).parent


def _promised_outputs(source: str) -> list[str]:
    """The comments standing after expression statements: what those lines print."""
    lines = source.splitlines()
    promised = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr):
            line = lines[node.lineno - 1]
            if "#" in line:
                promised.append(line.split("#", 1)[1].strip())
    return promised


def _commands(body: str) -> list[str]:
    """The command lines of a shell block, comments dropped."""
    return [line.split("  #", 1)[0].strip() for line in body.splitlines() if line.strip()]


PYTHON_BLOCKS = [body for lang, body in BLOCKS if lang == "python"]
SHELL_LINES = [
    command
    for lang, body in BLOCKS
    if lang == "sh" and "serve" not in body
    for command in _commands(body)
    if not command.startswith("make ")
]
SERVE_BLOCK = next(body for lang, body in BLOCKS if lang == "sh" and "wasmkit serve" in body)


def _environment() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "USER": "ada"}


def test_the_readme_shows_commands_and_snippets() -> None:
    assert len(PYTHON_BLOCKS) >= 3 and len(SHELL_LINES) >= 8


@pytest.mark.parametrize("source", PYTHON_BLOCKS, ids=[f"python-{i}" for i in range(len(PYTHON_BLOCKS))])
def test_python_snippet(source: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", source], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for output in _promised_outputs(source):
        assert output in result.stdout, f"README promises {output!r}; printed {result.stdout!r}"


@pytest.mark.parametrize("command", SHELL_LINES)
def test_shell_command(command: str, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(PROJECT_ROOT / "examples")
    result = subprocess.run(
        shlex.split(command), cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{command}: {result.stderr}"
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, server: subprocess.Popen[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"wasmkit serve exited with {server.returncode}")
        probe = subprocess.run(["curl", "-sf", url], capture_output=True, timeout=10)
        if probe.returncode == 0:
            return
        time.sleep(0.2)
    pytest.fail(f"wasmkit serve did not answer {url}")


def test_serve_quickstart() -> None:
    """The quickstart's server answers each of its curl lines as the README says."""
    port = str(_free_port())
    commands = [c.replace("8080", port) for c in _commands(SERVE_BLOCK) if not c.startswith("make ")]
    serve = next(c for c in commands if "wasmkit serve" in c)
    serve_argv = shlex.split(serve)
    serve_argv[0] = str(PROJECT_ROOT / serve_argv[0])
    server = subprocess.Popen(
        serve_argv, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/metrics", server, time.monotonic() + 90)
        promised = {line.split("  #", 1)[0].strip(): line.split("  #", 1)[1].strip()
                    for line in SERVE_BLOCK.splitlines() if "curl" in line and "  #" in line}
        for command in (c for c in commands if c.startswith("curl")):
            result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30)
            assert result.returncode == 0, f"{command}: {result.stderr}"
            expected = promised.get(command.replace(port, "8080"), "").removesuffix("...").strip()
            assert expected.split("{")[0] in result.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
