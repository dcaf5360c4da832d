"""What a newcomer types in their first hour with the command line, answered as wasmtime and
wabt users expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT
from wasmkit.cli import main

HELLO = PROJECT_ROOT / "examples" / "hello.wasm"

VALUES = """(module
  (func (export "add") (param f64 f64) (result f64) (f64.add (local.get 0) (local.get 1)))
  (func (export "same32") (param f32) (result f32) (local.get 0))
  (func (export "refs") (result funcref externref funcref) (ref.null func) (ref.null extern) (ref.func 0))
  (memory (export "memory") 1))
"""


@pytest.fixture
def values(tmp_path: Path) -> Path:
    path = tmp_path / "values.wat"
    path.write_text(VALUES)
    return path


@pytest.mark.parametrize(
    ("name", "args", "printed"),
    [
        ("add", ["1", "2"], "3"),  # not 3.0
        ("add", ["-0", "-0"], "-0"),
        ("add", ["0.1", "0.2"], "0.30000000000000004"),
        ("add", ["1e21", "0"], "1000000000000000000000"),  # never an exponent
        ("add", ["1e-7", "0"], "0.0000001"),
        ("same32", ["0.1"], "0.1"),  # the f32 nearest 0.1, not 0.10000000149011612
        ("same32", ["16777217"], "16777216"),
        ("same32", ["nan"], "NaN"),
        ("same32", ["-inf"], "-inf"),
        ("refs", [], "<null funcref>\n<null externref>\n<funcref>"),
    ],
)
def test_invoke_prints_results_as_wasmtime_does(
    values: Path, name: str, args: list[str], printed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--invoke", name, str(values), *args]) == 0
    assert capsys.readouterr().out == printed + "\n"


def test_a_missing_function_names_the_ones_there_are(values: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(values)]) == 1
    assert main(["run", "--invoke", "ad", str(values)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"wasmkit: error: {values}: no exported function '_start' (its exported functions: add, same32, refs;"
        " call one with --invoke NAME)",
        f"wasmkit: error: {values}: no exported function 'ad' (its exported functions: add, same32, refs)",
    ]


def test_argv0_is_the_file_name_without_its_directory(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(HELLO), "Ada"]) == 0
    assert "argv[0] = hello.wasm\n  argv[1] = Ada\n" in capfd.readouterr().out
    assert main(["run", "--argv0", "greeter", str(HELLO)]) == 0
    assert "argv[0] = greeter\n" in capfd.readouterr().out


def test_validate_checks_every_file_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = [PROJECT_ROOT / "examples" / "fib.wasm", PROJECT_ROOT / "examples" / "fib.wat"]
    typo = tmp_path / "typo.wat"
    typo.write_text("(module (func i32.cnst 1))")
    invalid = tmp_path / "invalid.wat"
    invalid.write_text("(module (func (result i32)))")
    assert main(["validate", *map(str, good)]) == 0
    assert main(["validate", str(typo), *map(str, good), str(invalid), str(tmp_path / "missing.wasm")]) == 1
    err = capsys.readouterr().err
    assert err.count("wasmkit: error: ") == 3
    assert f"{typo}:1:15: unknown operator i32.cnst" in err
    assert f"{invalid}:1:27: type mismatch" in err
    assert f"{tmp_path / 'missing.wasm'}: No such file or directory" in err


def test_wasm2wat_given_text_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    fib_wat = PROJECT_ROOT / "examples" / "fib.wat"
    assert main(["wasm2wat", str(fib_wat)]) == 1
    assert capsys.readouterr().err == (
        f"wasmkit: error: {fib_wat}: this is the text format, not a binary module (wat2wasm translates it)\n"
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["rnu", str(HELLO)], "wasmkit: error: argument COMMAND: invalid choice: 'rnu' (did you mean 'run'?)"),
        (
            ["run", "--dirr", ".", str(HELLO)],
            "wasmkit run: error: unrecognized arguments: --dirr (did you mean --dir?)",
        ),
        (
            ["run", "--engine", "nativ", str(HELLO)],
            "wasmkit run: error: argument --engine: invalid choice: 'nativ' (did you mean 'native'?)",
        ),
        (
            ["objdump", "--detials", str(HELLO)],
            "wasmkit objdump: error: unrecognized arguments: --detials (did you mean --details?)",
        ),
    ],
)
def test_a_typo_gets_the_subcommands_usage_and_a_suggestion(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == said
    assert err.startswith(f"usage: {said.partition(': ')[0]} ")


def test_arguments_after_the_file_still_go_to_the_program(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(HELLO), "--dirr"]) == 0
    assert "argv[1] = --dirr\n" in capfd.readouterr().out


def test_wat2wasm_from_stdin_does_not_write_binary_to_a_terminal() -> None:
    primary, secondary = os.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "wasmkit", "wat2wasm", "-"],
            input=(PROJECT_ROOT / "examples" / "fib.wat").read_bytes(),
            stdout=secondary,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert process.returncode == 1
    said = b"wasmkit: error: not writing a binary module to the terminal: give -o FILE, or pipe the output\n"
    assert process.stderr == said


def test_wat2wasm_from_stdin_writes_to_a_pipe() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "wasmkit", "wat2wasm", "-"],
        input=(PROJECT_ROOT / "examples" / "fib.wat").read_bytes(),
        capture_output=True,
        timeout=60,
    )
    assert process.returncode == 0 and process.stdout.startswith(b"\0asm\1\0\0\0")


def test_bare_wasmkit_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: wasmkit ") and "wat2wasm  translate the text format to a binary module" in err


@pytest.mark.parametrize("command", ["validate", "run", "wat2wasm", "objdump"])
def test_a_wast_script_given_for_a_module_says_what_runs_it(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    script = PROJECT_ROOT / "examples" / "fib.wast"
    assert main([command, str(script)]) == 1
    said = f"wasmkit: error: {script}: this is a .wast script, not a module (wasmkit wast runs it)\n"
    assert capsys.readouterr().err == said


def test_a_file_without_a_command_is_run(capfd: pytest.CaptureFixture[str]) -> None:
    assert main([str(HELLO), "Ada"]) == 0
    assert "Hello, Ada, from WebAssembly!\n" in capfd.readouterr().out


def test_a_missing_module_without_a_command_is_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.wasm"
    assert main([str(missing)]) == 1
    assert capsys.readouterr().err == f"wasmkit: error: {missing}: No such file or directory\n"


def test_help_says_a_file_alone_is_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "`wasmkit FILE [ARGS...]` is short for `wasmkit run FILE [ARGS...]`" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "line"),
    [("quickstart.py", "fib(20) = 6765"), ("wasi_program.py", "9592 primes"), ("import_hook.py", "fib.fib(15) = 610")],
)
def test_an_example_runs_from_any_directory(name: str, line: str, tmp_path: Path) -> None:
    script = PROJECT_ROOT / "examples" / name
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert line in result.stdout


# A plain `pip install wasmkit` has none of the serve extra's packages (uvicorn, httptools,
# uvloop, prometheus_client): every command but `serve` works without them, and `serve` says
# which extra it needs.
WITHOUT_SERVE_EXTRA = """
import sys
for name in ("uvicorn", "httptools", "uvloop", "prometheus_client"):
    sys.modules[name] = None  # an import of it fails, as when it is not installed
from wasmkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_every_command_but_serve_runs_without_the_serve_extra(tmp_path: Path) -> None:
    def wasmkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", WITHOUT_SERVE_EXTRA, *args], capture_output=True, text=True)

    ran = wasmkit("run", str(HELLO))
    assert (ran.returncode, ran.stderr) == (0, "")
    assert ran.stdout.strip()
    routes = tmp_path / "modules.toml"
    routes.write_text('[[module]]\nroute = "/"\nmodule = "hello.wasm"\n')
    served = wasmkit("serve", str(routes))
    assert served.returncode == 1
    assert served.stderr.strip() == "wasmkit: error: wasmkit serve needs the serve extra: pip install 'wasmkit[serve]'"
