"""A component given to the command line: `wasmkit objdump` shows its sections, its nested
core modules' and components', and with -x each definition after the indices it gets (and
`wasmkit validate` checks it: test_validate; `wasmkit wit`: test_wit), and the commands that
need a core module say what the file is."""

from __future__ import annotations

import re
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
    assert '    - func[2]: (export "run" (func 1))' in out


def _objdump(path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> list[str]:
    assert main(["objdump", *options, str(path)]) == 0
    return capsys.readouterr().out.splitlines()


def test_objdump_numbers_each_definition_as_wasm_tools_print_does(component: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each definition of the outer component, in order, gets the index that `wasm-tools
    print` notes as `(;N;)` on it."""
    printed = _wasm_tools("print", str(component)).decode().splitlines()
    theirs = [int(re.search(r"\(;(\d+);\)", line).group(1)) for line in printed if re.match(r"  \((?!@)", line)]  # type: ignore[union-attr]
    ours = []
    for line in _objdump(component, capsys, "-x"):
        found = re.match(r"    - [a-z ]+\[(\d+)\]: ", line) or re.match(r"  (?:core module|component) .*\[(\d+)\]$", line)
        if found:
            ours.append(int(found.group(1)))
    assert ours == theirs
    assert len(ours) == 33


def test_objdump_shows_nested_core_modules_and_components(component: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _objdump(component, capsys)
    first = next(n for n, line in enumerate(lines) if line.endswith("core module[0]"))
    assert [line.split()[0] for line in lines[first + 1 : first + 7]] == ["Type", "Function", "Memory", "Export", "Code", "Custom"]
    start = int(lines[first + 1].split("start=")[1].split()[0], 16)  # where in the component, not in the module
    assert start > int(lines[first].split("start=")[1].split()[0], 16)
    assert any(line.endswith("nested component[0]") for line in lines)
    details = _objdump(component, capsys, "-x")
    assert '      - func[1] -> "run"' in details and "      - func sig=0 (i32, i32) -> () <- host.log" in details
    assert '      - func[1]: (export "g" (func 0))' in details  # in the nested component, its own indices


def test_objdump_shows_an_invalid_component_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.wasm"
    path.write_bytes(_wasm_tools("parse", "-", stdin=b'(component (alias export 5 "x" (func)) (export "y" (func 0)))'))
    lines = _objdump(path, capsys, "-x")
    assert lines[-3:] == [
        '    - func[0]: (alias export 5 "x" (func))',
        "  export        start=0x00000010 end=0x00000019 (size=0x00000009) count: 1",
        '    - func[1]: (export "y" (func 0))',
    ]


@pytest.mark.parametrize("command", [["wasm2wat"]])  # `run` runs components: test_run_component
def test_commands_for_core_modules_say_it_is_a_component(
    command: list[str], component: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, str(component)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"wasmkit: error: {component}:0x4: unknown binary version: this is a WebAssembly component (component model), not a core module"
