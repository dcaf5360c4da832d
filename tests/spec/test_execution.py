"""The official WebAssembly testsuites, run on each engine: 2.0 and 3.0 on both (the native one
needs llvmlite, as the test extra installs it; without it, its tests are skipped with the
reason, or fail in CI), every file of 3.0, `legacy/` and `custom/` included, and the threads
proposal's tests.

Every command of every script must do what the script says: results bit for bit, traps and
exhaustion by message prefix, malformed and invalid modules rejected in the right phase,
linking and instantiation failures where expected. 2.0 runs with 2.0's rules
(`features=WASM_2_0`: its assert_invalid commands expect them), 3.0 with every feature, and
the threads proposal's files with the MVP and threads: they were written on the MVP, and
assert that a second table or memory is invalid, which reference types (2.0) and multi-memory
(3.0) allow. A form
the script reader does not know fails alone (`keep_going`). Known failures are listed, with
reasons, in known_failures.txt; they count as failures in the report, and one that starts
passing fails the suite until it is taken off the list.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.spec.engines import ENGINES, require_engine
from tests.support import SHARED, report, require_shared
from wasmkit.opcodes import ALL_FEATURES, WASM_2_0, Feature
from wasmkit.script.report import COLUMNS, tally
from wasmkit.script.runner import ScriptRunner
from wasmkit.text import parse_script

KNOWN_FAILURES_FILE = Path(__file__).with_name("known_failures.txt")
EVERY_COMMAND = 0  # the line number of an entry `FILE.wast:*`: every command of the file

# Each suite: the engines it runs on and the features its modules may use.
SUITES: dict[str, tuple[tuple[str, ...], frozenset[Feature]]] = {
    "wasm-2.0": (ENGINES, WASM_2_0),
    "wasm-3.0": (ENGINES, ALL_FEATURES),
    "threads": (ENGINES, frozenset({Feature.MVP, Feature.THREADS})),
}


def suite_files(suite: str) -> list[str]:
    """The .wast files of `suite`, as paths relative to it."""
    directory = SHARED / "spec" / suite
    return sorted(path.relative_to(directory).as_posix() for path in directory.rglob("*.wast")) or ["(testsuite missing).wast"]


CASES = [(suite, name, engine) for suite, (engines, _) in SUITES.items() for name in suite_files(suite) for engine in engines]


@functools.cache
def known_failures(engine: str) -> dict[tuple[str, int], str]:
    """(SUITE/FILE.wast, line) -> reason, for the given engine (line EVERY_COMMAND: the whole
    file)."""
    found = {}
    for line in KNOWN_FAILURES_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where, listed_engine, reason = line.split(None, 2)
        if listed_engine in (engine, "*"):
            path, number = where.rsplit(":", 1)
            found[(path, EVERY_COMMAND if number == "*" else int(number))] = reason
    return found


def run_spec_file(suite: str, name: str, engine: str, variant: str = "") -> None:
    """Run one file of `suite` on `engine` (`variant`: how the engine was set up, if not as
    usual, for the report's title)."""
    source = require_shared("spec", suite, *name.split("/")).read_text()
    features = SUITES[suite][1]
    outcomes = list(ScriptRunner(engine, features=features).run(parse_script(source, name, keep_going=True)))
    path = f"{suite}/{name}"
    known = {line: reason for (file, line), reason in known_failures(engine).items() if file == path}
    if EVERY_COMMAND in known:
        # A whole file listed: its failing commands are the known ones (those that pass, such
        # as assert_malformed, do not depend on the engine); it must still have some.
        failing = {o.line for o in outcomes if not o.passed}
        assert failing, f"{path} passes now on the {engine} engine: take it off known_failures.txt"
        known = {line: known[EVERY_COMMAND] for line in failing}
    table = report(f"spec {suite.removeprefix('wasm-')} execution ({engine} engine{variant})", tuple(COLUMNS))
    for column, (passed, failed) in tally(outcomes, known).items():
        table.add(name.removesuffix(".wast"), column, passed, failed)
    unexpected = [f"{path}:{o.line}: {o.kind}: {o.detail}" for o in outcomes if not o.passed and o.line not in known]
    fixed = [f"{path}:{o.line} passes now: take it off known_failures.txt" for o in outcomes if o.passed and o.line in known]
    assert not unexpected and not fixed, "\n".join(unexpected + fixed)


@pytest.mark.parametrize("suite, name, engine", CASES, ids=[f"{s}/{n}-{e}" for s, n, e in CASES])
def test_spec_file(suite: str, name: str, engine: str) -> None:
    require_engine(engine)
    run_spec_file(suite, name, engine)


# A large module's functions are compiled one at a time, as they are first called, and call
# each other through function slots (engine/native/pieces.py): every 3.0 file again with that
# forced on its small modules, so that calls, tail calls, call_indirect, call_ref, exceptions
# and GC across pieces are held to the whole suite.
@pytest.mark.parametrize("name", suite_files("wasm-3.0"))
def test_spec_file_with_a_piece_per_function(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    require_engine("native")
    monkeypatch.setenv("WASMKIT_NATIVE_TIER", "fast")
    run_spec_file("wasm-3.0", name, "native", ", a piece per function")
