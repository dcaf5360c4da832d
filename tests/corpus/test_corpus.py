"""Real modules from published packages (corpus/manifest.toml): each validates, every function
compiles on the Python engine and on the native engine, and each WASI command prints the same
stdout and exits with the same status as on wasmtime.

Modules come from the corpus cache (`make corpus`): a module the cache does not hold is skipped
on a user's machine and fails in CI (CI=true), where .ci/run fetches the corpus first. Compiling
all of it takes long (about 10 s per MB on the Python engine, over 100 s per MB on the native
engine, cold), so `make test` checks the modules the manifest marks `quick` (Python engine)
and `native`; WASMKIT_CORPUS=full checks every module on both engines (`make corpus-test`).

A check that fails today is listed in tests/corpus/known_failures.txt with its reason: it is
counted as failed in the report, and the test fails once it passes, so that the list only
shrinks.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from corpus.fetch import Entry, Run, cache_dir, is_cached, load_manifest, module_path
from tests.corpus import big
from tests.support import PROJECT_ROOT, missing, report

ENTRIES = load_manifest()
FULL = os.environ.get("WASMKIT_CORPUS") == "full"
KNOWN_FAILURES_FILE = Path(__file__).with_name("known_failures.txt")
# Bounds of one check's subprocess: generous, so that only a runaway compile reaches them.
COMPILE_TIMEOUT = 1800
RUN_TIMEOUT = 600
MEMORY_LIMIT = 4 * 1024**3

REPORT = report("real-module corpus", ("validate", "python", "native", "wasi run"))


def known_failures() -> dict[tuple[str, str], str]:
    """(module, check) -> reason, from known_failures.txt (`MODULE  CHECK  reason` lines)."""
    known: dict[tuple[str, str], str] = {}
    for line in KNOWN_FAILURES_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, check, reason = line.split(maxsplit=2)
            known[(name, check)] = reason
    return known


KNOWN = known_failures()


# The big programs' runs (tests/corpus/big.py) take minutes each: `make corpus-test` runs them.
slow = pytest.mark.skipif(not FULL, reason="slow: runs with WASMKIT_CORPUS=full (make corpus-test)")


def big_outcome(program: str, runtime: str) -> big.Outcome:
    """`program`'s run under `runtime`, skipping (failing in CI) when something it needs is
    missing."""
    try:
        return big.run(program, runtime)
    except big.Unavailable as err:
        missing(str(err))


def cached(entry: Entry) -> Path:
    """The module's file in the corpus cache, skipping (failing in CI) when it is absent."""
    if not is_cached(entry):
        missing(f"{entry.name} is not in the corpus cache {cache_dir()} (run `make corpus`)")
    return module_path(entry)


def settle(entry: Entry, check: str, column: str, problems: list[str]) -> None:
    """Record the outcome of one check, held against the known-failures list."""
    reason = KNOWN.get((entry.name, check))
    REPORT.add(entry.name, column, int(not problems and reason is None), int(bool(problems) or reason is not None))
    if reason is not None:
        assert problems, f"{entry.name} {check} passes now: remove it from {KNOWN_FAILURES_FILE.name}"
        return
    assert not problems, f"{entry.name} ({entry.toolchain}) fails {check}:\n" + "\n".join(problems[:20])


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def compile_problems(engine: str, path: Path) -> list[str]:
    """What went wrong compiling every function of the module on `engine` (check.py, in a
    subprocess with a timeout and a memory limit)."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "tests.corpus.check", engine, str(path)], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=COMPILE_TIMEOUT, preexec_fn=_limit_memory,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return [f"no result in {COMPILE_TIMEOUT} s"]
    if result.returncode != 0:
        return [f"the check exited with status {result.returncode}: {result.stderr.strip()[-2000:]}"]
    outcome = json.loads(result.stdout)
    return [f"function {where}: {message}" for where, message in outcome["failures"]]


def selected(flag: str) -> list[Entry]:
    return [e for e in ENTRIES if FULL or getattr(e, flag)]


def ids(entries: list[Entry]) -> list[str]:
    return [e.name for e in entries]


@pytest.mark.parametrize("entry", selected("quick"), ids=ids(selected("quick")))
def test_module_validates(entry: Entry) -> None:
    import wasmkit

    try:
        wasmkit.Module.from_file(cached(entry))
        problems = []
    except wasmkit.WasmError as err:
        problems = [str(err)]
    settle(entry, "validate", "validate", problems)


@pytest.mark.parametrize("entry", selected("quick"), ids=ids(selected("quick")))
def test_every_function_compiles_on_python(entry: Entry) -> None:
    settle(entry, "python", "python", compile_problems("python", cached(entry)))


@pytest.mark.parametrize("entry", selected("native"), ids=ids(selected("native")))
def test_every_function_compiles_on_native(entry: Entry) -> None:
    pytest.importorskip("llvmlite")
    settle(entry, "native", "native", compile_problems("native", cached(entry)))


COMMANDS = [(e, run) for e in ENTRIES for run in e.runs if FULL or run.quick]


@pytest.mark.parametrize(
    ("entry", "run"), COMMANDS, ids=[f"{e.name}:{' '.join(r.args)}" for e, r in COMMANDS]
)  # fmt: skip
def test_command_matches_wasmtime(entry: Entry, run: Run) -> None:
    path = cached(entry)
    expected = wasmtime_run(path, run)
    problems = []
    engines = ("python", "native") if (FULL or entry.native) else ("python",)
    for engine in engines:
        try:
            result = subprocess.run(
                [sys.executable, "-m", "wasmkit", "run", "--engine", engine, str(path), *run.args],
                input=run.stdin.encode(), capture_output=True, timeout=RUN_TIMEOUT,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            problems.append(f"{engine}: no exit in {RUN_TIMEOUT} s")
            continue
        if (result.returncode, result.stdout) != expected:
            problems.append(
                f"{engine}: exit {result.returncode}, stdout {result.stdout[:200]!r}; wasmtime: exit "
                f"{expected[0]}, stdout {expected[1][:200]!r}; stderr {result.stderr[-500:]!r}"
            )
    settle(entry, "run:" + ",".join(run.args), "wasi run", problems)


def wasmtime_run(path: Path, run: Run) -> tuple[int, bytes]:
    """The exit status and stdout of the command on wasmtime (its own WASI), argv[0] being the
    file's name, as `wasmkit run` and `wasmtime run` give it."""
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    with tempfile.TemporaryDirectory() as tmp:
        stdin, stdout = Path(tmp, "stdin"), Path(tmp, "stdout")
        stdin.write_bytes(run.stdin.encode())
        config = wasmtime.WasiConfig()
        config.argv = [path.name, *run.args]
        config.stdin_file = str(stdin)
        config.stdout_file = str(stdout)
        store.set_wasi(config)
        instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path)))
        try:
            instance.exports(store)["_start"](store)
            status = 0
        except wasmtime.ExitTrap as exit_:
            status = exit_.code
        except wasmtime.Trap:
            status = 134
        return status, stdout.read_bytes()
