"""A component given to the command line: `wasmkit objdump` shows its sections (and `wasmkit
validate` checks it: test_validate), and the commands that need a core module say what the
file is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.component.test_reader import EVERY_KIND, _wasm_tools
from wasmkit.cli import main


@pytest.fixture
def component(tmp_path: Path) -> Path:
    path = tmp_path / "c.wasm"
    path.write_bytes(_wasm_tools("parse", "-", stdin=EVERY_KIND.encode()))
    return path


def test_objdump_shows_a_components_sections(component: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["objdump", "-x", str(component)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{component}:\tfile format wasm component (version 0x0d, layer 1)"
    assert any(line.lstrip().startswith("core module") for line in out)
    assert any(line.endswith('(export "run" (func 1))') for line in out)


@pytest.mark.parametrize("command", [["run"], ["wasm2wat"]])
def test_commands_for_core_modules_say_it_is_a_component(
    command: list[str], component: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, str(component)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"wasmkit: error: {component}:0x4: unknown binary version: this is a WebAssembly component (component model), not a core module"
