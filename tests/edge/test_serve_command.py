"""`wasmkit serve` refuses a configuration it cannot serve before starting: one line, status 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmkit.cli import main


@pytest.mark.parametrize(
    ("config", "arguments", "message"),
    [
        (None, [], "cannot read"),
        ('[[module]]\nroute = "/a"\nmodule = "missing.wasm"', [], "module missing.wasm is not a file"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', [], "bad.wasm:0x4: unexpected end"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--listen", "nowhere"], "expected HOST:PORT"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--workers", "0"], "--workers must be at least 1"),
        ('[[module]]\nroute = "/a"\nmodule = "bad.wasm"', ["--engine", "quantum"], "unknown engine 'quantum'"),
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
