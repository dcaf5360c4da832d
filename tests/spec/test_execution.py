"""The official WebAssembly 2.0 testsuite, run on each engine (the native one needs llvmlite, as
the test extra installs it; without it, its tests are skipped with the reason, or fail in CI).

Every command of every script must do what the script says: results bit for bit, traps and
exhaustion by message prefix, malformed and invalid modules rejected in the right phase,
linking and instantiation failures where expected. Known failures are listed, with reasons, in
known_failures.txt; they count as failures in the report, and one that starts passing fails the
suite until it is taken off the list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec.engines import ENGINES, require_engine
from tests.support import SHARED, report, require_shared
from wasmkit.script.report import COLUMNS, tally
from wasmkit.opcodes import WASM_2_0
from wasmkit.script.runner import ScriptRunner
from wasmkit.text import parse_script

SPEC_DIR = SHARED / "spec" / "wasm-2.0"
WAST_FILES = sorted(p.stem for p in SPEC_DIR.glob("*.wast")) or ["(spec testsuite missing)"]
KNOWN_FAILURES_FILE = Path(__file__).with_name("known_failures.txt")


EVERY_COMMAND = 0  # the line number of an entry `FILE.wast:*`: every command of the file


def known_failures(engine: str) -> dict[tuple[str, int], str]:
    """(file, line) -> reason, for the given engine (line EVERY_COMMAND: the whole file)."""
    found = {}
    for line in KNOWN_FAILURES_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where, listed_engine, reason = line.split(None, 2)
        if listed_engine in (engine, "*"):
            path, number = where.rsplit(":", 1)
            found[(Path(path).name, EVERY_COMMAND if number == "*" else int(number))] = reason
    return found


def run_spec_file(name: str, engine: str) -> None:
    source = require_shared("spec", "wasm-2.0", f"{name}.wast").read_text()
    outcomes = list(ScriptRunner(engine, features=WASM_2_0).run(parse_script(source, f"{name}.wast")))
    known = {line: reason for (file, line), reason in known_failures(engine).items() if file == f"{name}.wast"}
    if EVERY_COMMAND in known:
        # A whole file listed: its failing commands are the known ones (those that pass, such
        # as assert_malformed, do not depend on the engine); it must still have some.
        failing = {o.line for o in outcomes if not o.passed}
        assert failing, f"{name}.wast passes now on the {engine} engine: take it off known_failures.txt"
        known = {line: known[EVERY_COMMAND] for line in failing}
    table = report(f"spec 2.0 execution ({engine} engine)", tuple(COLUMNS))
    for column, (passed, failed) in tally(outcomes, known).items():
        table.add(name, column, passed, failed)
    unexpected = [f"{name}.wast:{o.line}: {o.kind}: {o.detail}" for o in outcomes if not o.passed and o.line not in known]
    fixed = [f"{name}.wast:{o.line} passes now: take it off known_failures.txt" for o in outcomes if o.passed and o.line in known]
    assert not unexpected and not fixed, "\n".join(unexpected + fixed)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", WAST_FILES)
def test_spec_file(name: str, engine: str) -> None:
    require_engine(engine)
    run_spec_file(name, engine)
