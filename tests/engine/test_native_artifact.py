"""`wasmkit compile --engine native -o OUT` writes an artifact that `wasmkit run OUT` runs
without compiling; an artifact that is damaged or made by another toolchain is refused with
one clear line; the progress bar leaves a clean line for whatever is printed after it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llvmlite")

from wasmkit.cli import main  # noqa: E402
from wasmkit.engine.native import artifact  # noqa: E402
from wasmkit.progress import progress_bar  # noqa: E402

WAT = '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))'

# `wasmkit run` in a fresh process in which compiling anything fails.
RUN_WITHOUT_COMPILING = """
import sys
import wasmkit.engine.native.pieces as native_pieces
from wasmkit.cli import main

def no_compiling(*args, **kwargs):
    raise AssertionError("compiled again")

native_pieces.compile_piece = native_pieces.compile_pieces = no_compiling
sys.exit(main(["run", "--invoke", "add", sys.argv[1], "2", "3"]))
"""


@pytest.fixture
def compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An artifact of WAT, compiled with its own cache directory."""
    monkeypatch.setenv("WASMKIT_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "add.wat"
    source.write_text(WAT)
    out = tmp_path / "add.cwasm"
    assert main(["compile", "--engine", "native", "-o", str(out), str(source)]) == 0
    return out


def test_run_takes_the_artifact_and_compiles_nothing(compiled: Path, tmp_path: Path) -> None:
    env = {**os.environ, "WASMKIT_CACHE_DIR": str(tmp_path / "empty")}
    result = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT_COMPILING, str(compiled)], capture_output=True, text=True, timeout=120, env=env
    )
    assert (result.returncode, result.stdout) == (0, "5\n"), result.stderr[-2000:]


def test_a_damaged_artifact_is_refused(compiled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(compiled.read_bytes())
    data[-20] ^= 0xFF
    compiled.write_bytes(bytes(data))
    assert main(["run", "--invoke", "add", str(compiled), "2", "3"]) == 1
    err = capsys.readouterr().err
    assert err == f"wasmkit: error: {compiled}: damaged artifact: its checksum does not match\n"
    compiled.write_bytes(bytes(data[:24]))  # cut inside the header
    assert main(["run", "--invoke", "add", str(compiled), "2", "3"]) == 1
    assert "damaged artifact" in capsys.readouterr().err


def test_an_artifact_of_another_toolchain_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    wasm = b"\0asm\1\0\0\0"
    theirs = {**artifact.toolchain(), "llvm": "9.0.0"}
    monkeypatch.setattr(artifact, "toolchain", lambda: theirs)
    data = artifact.write_artifact(wasm, [], "full")
    monkeypatch.undo()
    with pytest.raises(artifact.ArtifactError, match="another toolchain \\(llvm differs; .*compile the module again"):
        artifact.read_artifact(data)


def test_compile_o_needs_the_native_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "add.wat"
    source.write_text(WAT)
    assert main(["compile", "-o", str(tmp_path / "out"), str(source)]) == 1
    assert "needs --engine native" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_error_after_progress_starts_on_a_clean_line() -> None:
    screen = _Terminal()
    with pytest.raises(ValueError):
        with progress_bar("compiling", screen) as report:
            assert report is not None
            report(1, 4)
            raise ValueError("bad")
    drawn, _, after = screen.getvalue().rpartition("compiling [")
    assert after.endswith("\r") and after.rstrip("\r").endswith(" " * 40)  # the bar is blanked out
