"""`wasmkit run COMPONENT ARGS` runs a WASI 0.2 command as `wasmtime run` does: the same
stdout, stderr and exit status for a componentize-py command (arguments, environment, a
preopened file, stdin; run returning ok or err, wasi:cli/exit, a trap), for the committed
command.wasm and for exit.wasm (`exit-with-code`), on both engines; `--invoke` calls with
WAVE arguments and results (invoke.wasm) as wasmtime's; and one-line errors for what is not
a command or not supported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.component.componentize import componentize
from tests.component.test_reader import _wasm_tools
from tests.spec.engines import ENGINES, require_engine
from tests.support import PROJECT_ROOT
from wasmkit.cli import main
from wasmkit.cli.run import TRAP_EXIT_STATUS

DATA = PROJECT_ROOT / "tests" / "component" / "data"
COMMAND_SOURCES = PROJECT_ROOT / "tests" / "component" / "run" / "command"


@pytest.fixture(scope="module")
def command() -> Path:
    return componentize("command", COMMAND_SOURCES / "wit", "command", COMMAND_SOURCES / "app")


@pytest.fixture(scope="module")
def preopen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    (directory / "input.txt").write_text("hello from a file\n")
    return directory


@pytest.fixture(scope="module")
def wasmtime() -> Path:
    from tests.corpus.big import Unavailable, wasmtime_cli

    try:
        return wasmtime_cli()
    except Unavailable as err:
        pytest.skip(str(err))


def _run(argv: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=300, env=env)


def _wasmkit(engine: str, args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return _run([sys.executable, "-m", "wasmkit", "run", "--engine", engine, *args], stdin)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", ["ok", "err", "exit", "trap"])
def test_a_componentize_py_command_runs_as_under_wasmtime(
    command: Path, preopen: Path, wasmtime: Path, engine: str, mode: str
) -> None:
    require_engine(engine)
    args = ["--dir", f"{preopen}::/data", "--env", f"RC_MODE={mode}", "--env", "RC_SECOND=two", str(command), "a", "b c"]
    stdin = b"from stdin\n"
    theirs = _run([str(wasmtime), "run", *args], stdin)
    ours = _wasmkit(engine, args, stdin)
    assert ours.stdout == theirs.stdout
    assert ours.returncode == theirs.returncode == {"ok": 0, "err": 1, "exit": 1, "trap": TRAP_EXIT_STATUS}[mode]
    if mode == "ok":
        assert ours.stdout.decode().splitlines() == [
            f"args: ['{command.name}', 'a', 'b c']",
            f"env: [('RC_MODE', '{mode}'), ('RC_SECOND', 'two')]",
            "file: hello from a file",
            "stdin: from stdin",
        ]
    if mode == "trap":  # the guest's own words, then each runtime's: wasmkit's in one line
        guest = theirs.stderr.partition(b"Error: failed to run main module")[0]
        assert ours.stderr == guest + b"wasmkit: trap: unreachable\n"
    else:
        assert ours.stderr == theirs.stderr == b"to stderr\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_small_commands_give_wasmtimes_output_and_status(wasmtime: Path, engine: str) -> None:
    require_engine(engine)
    for path, status in ((DATA / "command.wasm", 0), (DATA / "exit.wasm", 7)):
        theirs = _run([str(wasmtime), "run", str(path), "ignored"])
        ours = _wasmkit(engine, [str(path), "ignored"])
        assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
        assert ours.returncode == status


def test_a_component_that_is_not_a_command_is_refused_naming_its_exports(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "proxy.wasm"
    assert main(["run", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"wasmkit: error: {path}: not a wasi:cli command: it exports no wasi:cli/run@0.2.x or @0.3.x "
        "(it exports wasi:http/incoming-handler@0.2.0)\n"
    )


# wasi:cli/run whose `run` takes an argument: wasmtime refuses it ("type mismatch with parameters").
_WRONG_RUN = b"""(component
  (core module $m (func (export "run") (param i32) (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func $run (param "x" u32) (result (result)) (canon lift (core func $i "run")))
  (instance $r (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $r)))"""


def test_a_run_export_of_another_type_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wrong.wasm"
    path.write_bytes(_wasm_tools("parse", "-", stdin=_WRONG_RUN))
    assert main(["run", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"wasmkit: error: {path}: its export wasi:cli/run@0.2.0 is not the interface `run: func() -> result`\n"
    )


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--profile", "guest"], "--profile and --profile-svg are not supported for components"),
        (["--disable-simd"], "the --disable-* feature flags are not supported for components"),
    ],
)
def test_flags_for_modules_only_are_refused(flags: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *flags, str(DATA / "command.wasm")]) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_limits_bound_the_components_store(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--fuel", "10", str(DATA / "command.wasm")]) == TRAP_EXIT_STATUS
    assert capfd.readouterr().err == "wasmkit: trap: out of fuel (the fuel limit was reached)\n"
    # The preview 1 adapter inside grows its memory by a page to write: as under wasmtime,
    # it traps when 2 pages are the limit, and writes with 3.
    assert main(["run", "-W", "max-memory-size=131072", str(DATA / "command.wasm")]) == TRAP_EXIT_STATUS
    assert capfd.readouterr().err == "wasmkit: trap: unreachable\n"
    assert main(["run", "--max-memory-size", "196608", str(DATA / "command.wasm")]) == 0
    assert capfd.readouterr().out == "hi\n"


def test_a_missing_preopen_is_refused_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["run", "--dir", f"{missing}::/data", str(DATA / "command.wasm")]) == 1
    assert capsys.readouterr().err == f"wasmkit: error: --dir {missing}::/data: {missing} is not a directory\n"


# --invoke calls, each printing what wasmtime 49 prints for it.
INVOKE = DATA / "invoke.wasm"
_CALLS = [
    'echo("a\\"b\\\\c\\nd\\u{7f}\\té\\u{1F600}x\'\\u{0}\\u{a0}")', "echo(\"\")", "letter('\\'')", "letter('\"')",
    "letter('\\u{1F600}')", "count(3)", "count(0)", "paint(1)", "half(4)", "half(5)", "check(3)", "check(12)",
    "single(0.1)", "single(1e30)", "single(16777217)", "single(-0)", "single(nan)", "single(-inf)", "single(1.0e-10)",
    "big(18446744073709551615)", "small(-128)", "nothing()", "add( 1 ,2 )", "neg(2.5)", "example:math/more.not@1.0.0(true)",
]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_invoke_calls_a_function_with_wave_arguments_as_wasmtime(
    wasmtime: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    require_engine(engine)
    for call in _CALLS:
        theirs = _run([str(wasmtime), "run", "--invoke", call, str(INVOKE)])
        assert theirs.returncode == 0, call
        assert main(["run", "--engine", engine, "--invoke", call, str(INVOKE)]) == 0
        assert capsys.readouterr().out == theirs.stdout.decode(), call


def test_invoke_run_passes_the_arguments_to_the_program_and_prints_its_result(wasmtime: Path) -> None:
    argv = ["run", "--invoke", "wasi:cli/run.run@0.2.12()", str(DATA / "command.wasm"), "x"]
    theirs = _run([str(wasmtime), *argv])
    ours = _run([sys.executable, "-m", "wasmkit", *argv])
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout) == (0, b"hi\nok\n")


@pytest.mark.parametrize(
    ("call", "says"),
    [
        ("not(true)", "--invoke not: more than one exported interface has a function 'not': "
                      "name one of example:math/ops.not@1.0.0, example:math/more.not@1.0.0"),
        ("example:math/ops.neg(1.5)", f"{INVOKE}: no exported function 'example:math/ops.neg' (its exported functions: "
                                      "example:math/ops.add@1.0.0, example:math/ops.neg@1.0.0, example:math/ops.not@1.0.0, "
                                      "example:math/more.not@1.0.0, echo, count, letter, small, big, single, paint, half, "
                                      "check, nothing)"),
        ("small(200)", "--invoke: 200 is out of range for s8"),
        ("small(0x10)", "--invoke: cannot read 0x10 as s8"),
        ("echo(1)", "--invoke: cannot read 1 as string"),
        ("echo(\"x\", \"y\")", "--invoke echo: takes 1 argument(s), got 2"),
        ("add(1,)", "--invoke 'add(1,)': the arguments are to be separated by commas"),
        ("nothing", "--invoke 'nothing': expected a call such as 'name()' or 'name(1, \"two\")'"),
        ("echo(\"\\q\")", "--invoke: bad escape in \"\\q\""),
    ],
)
def test_invoke_mistakes_are_one_line(call: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--invoke", call, str(INVOKE)]) == 1
    assert capsys.readouterr().err == f"wasmkit: error: {says}\n"
