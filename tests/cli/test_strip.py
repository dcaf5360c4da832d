"""`wasmkit strip`: custom sections dropped as wabt's wasm-strip drops them, byte for byte."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT, tool
from wasmkit.binary import read_module
from wasmkit.cli import main

FIB = PROJECT_ROOT / "examples" / "fib.wasm"  # has a name section
EXTRA = b"\x00\x09\x05extraabc"  # a custom section "extra"


@pytest.fixture
def with_customs(tmp_path: Path) -> Path:
    path = tmp_path / "m.wasm"
    path.write_bytes(FIB.read_bytes() + EXTRA)
    return path


@pytest.mark.parametrize("flags", [[], ["-k", "name"], ["--keep-section", "extra"], ["-R", "extra"], ["-R", "name", "-R", "extra"]])
def test_strip_writes_what_wasm_strip_writes(flags: list[str], with_customs: Path, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.wasm", tmp_path / "theirs.wasm"
    assert main(["strip", str(with_customs), "-o", str(ours), *flags]) == 0
    subprocess.run([tool("wasm-strip"), str(with_customs), "-o", str(theirs), *flags], check=True)
    assert ours.read_bytes() == theirs.read_bytes()


def test_strip_without_output_rewrites_the_file(with_customs: Path) -> None:
    assert main(["strip", str(with_customs)]) == 0
    module = read_module(with_customs.read_bytes())
    assert module.customs == () and [e.name for e in module.exports] == ["fib", "fib_loop"]


def test_strip_refuses_text_and_malformed_binaries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "m.wat"
    text.write_text("(module)")
    assert main(["strip", str(text)]) == 1
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(FIB.read_bytes()[:30])
    assert main(["strip", str(broken)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"wasmkit: error: {text}: not a binary module (strip reads .wasm files)"
    assert err[1].startswith(f"wasmkit: error: {broken}:0x")
    assert broken.read_bytes() == FIB.read_bytes()[:30]  # left as it was
