"""Bad input to every subcommand: one line on stderr, exit status 2 for a bad option value
(argparse's usage error) and 1 for anything else wasmkit refuses; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from wasmkit.cli import main

FIB = PROJECT_ROOT / "examples" / "fib.wasm"

# Every subcommand that reads one module file (wast reads scripts: tested with its runner).
FILE_COMMANDS = (["run"], ["validate"], ["objdump"], ["wit"], ["wat2wasm"], ["wasm2wat"])


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wasmkit: error: "), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("command", [["run"], ["wast"], ["serve"]])
def test_an_unknown_engine_is_a_usage_error(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--engine", "foo", str(FIB)])
    assert exit_.value.code == 2
    assert "argument --engine: invalid choice: 'foo'" in capsys.readouterr().err


# (`wasmkit wit` reads a directory as a WIT package: tests/component/test_wit_parse.py)
@pytest.mark.parametrize("command", [c for c in FILE_COMMANDS if c != ["wit"]])
def test_a_directory_is_one_line(command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, str(tmp_path)]) == 1
    assert "Is a directory" in _one_error_line(capsys)


@pytest.mark.parametrize("command", [["run"], ["validate"], ["objdump"], ["wit"]])
def test_an_empty_file_is_one_line(command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.wasm"
    empty.write_bytes(b"")
    assert main([*command, str(empty)]) == 1
    assert _one_error_line(capsys) == f"wasmkit: error: {empty}: the file is empty (neither a binary module nor text)\n"


@pytest.mark.parametrize("command", [["run"], ["validate"], ["objdump"], ["wit"], ["wasm2wat"]])
def test_a_binary_with_a_bad_header_is_reported_as_a_binary(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asn\1\0\0\0")
    assert main([*command, str(bad)]) == 1
    assert _one_error_line(capsys) == f"wasmkit: error: {bad}:0x0: magic header not detected\n"


def test_wat2wasm_refuses_a_binary_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["wat2wasm", str(FIB), "-o", str(tmp_path / "x.wasm")]) == 1
    assert "this is a binary module, not text" in _one_error_line(capsys)


def test_run_checks_dir_flags_even_without_wasi(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--dir", "/no/such/dir", "--invoke", "fib", str(FIB), "1"]) == 1
    assert _one_error_line(capsys) == "wasmkit: error: --dir /no/such/dir: /no/such/dir is not a directory\n"


def test_an_argument_too_large_for_its_type_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--invoke", "fib", str(FIB), str(1 << 40)]) == 1
    assert _one_error_line(capsys) == f"wasmkit: error: fib: {1 << 40} does not fit in i32\n"


def test_an_interrupt_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wasmkit.cli import run

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_execute", interrupted)
    assert main(["run", "--invoke", "fib", str(FIB), "1"]) == 130
    assert capsys.readouterr().err == ""


def test_run_without_a_file_names_only_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == "wasmkit run: error: the following arguments are required: file"


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc (a file that opens but cannot be read)")
@pytest.mark.parametrize("command", [*FILE_COMMANDS, ["bindgen"]])  # (for bindgen a directory is WIT)
def test_an_unreadable_file_is_one_line(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "/proc/self/mem"]) == 1
    assert _one_error_line(capsys) == "wasmkit: error: /proc/self/mem: Input/output error\n"
