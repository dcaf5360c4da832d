"""Small wasm-smith campaigns (bench/smith.py): generated 2.0 modules, and modules using every
3.0 proposal, give the same results, traps, memories and globals on the Python engine, the
native engine and wasmtime; and the comparison itself notices a difference of each kind."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.smith import as_wasmtime, differences
from tests.support import PROJECT_ROOT

pytest.importorskip("llvmlite")


@pytest.mark.parametrize("proposals, count", [("2.0", 50), ("3.0", 60)])
def test_engines_agree_on_smith_modules(proposals: str, count: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.smith", "--count", str(count), "--seed", "7", "--jobs", "2", "--json",
         "--proposals", proposals],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["disagreements"] == []
    assert summary["modules"] == count and summary["calls"] >= count


OUTCOME = {"calls": [[1], "trap OUT_OF_BOUNDS_MEMORY"], "globals": {"g": 5}, "memories": {"m": [65536, "ab"]}}


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"calls": [[2], "trap OUT_OF_BOUNDS_MEMORY"]}, "result"),
        ({"calls": [[1], "trap UNREACHABLE"]}, "trap"),
        ({"globals": {"g": 6}}, "global"),
        ({"memories": {"m": [65536, "cd"]}}, "memory"),
    ],
)  # fmt: skip
def test_a_difference_of_each_kind_is_found(change: dict, kind: str) -> None:
    assert differences(OUTCOME, OUTCOME) == []
    assert differences(OUTCOME, {**OUTCOME, **change}) == [kind]


def test_trap_kinds_are_compared_in_wasmtime_terms() -> None:
    reference = {**OUTCOME, "calls": [[1], "trap MEMORY_OUT_OF_BOUNDS"]}
    ours = as_wasmtime(OUTCOME, reference, {"globals": []})
    assert differences(ours, reference) == []


def test_a_call_wasmtime_cannot_make_is_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    """wasmtime refusing a call for want of host memory (seen on a table growth by billions of
    elements) is not a difference: that call and its effects are left out of the comparison."""
    import wasmtime

    import wasmkit
    from bench.smith import NOT_COMPARED, plan, run_wasmtime

    data = wasmkit.write_module(wasmkit.parse_wat(
        '(module (global (export "g") (mut i32) (i32.const 0))'
        ' (func (export "f") (result i32) (global.set 0 (i32.const 1)) (i32.const 7)))'
    ))  # fmt: skip

    def refuse(self: object, store: object, *args: object) -> object:
        raise wasmtime.WasmtimeError("out of memory (failed to allocate 34359244648 bytes)")

    monkeypatch.setattr(wasmtime.Func, "__call__", refuse)
    what = plan(data)
    reference = run_wasmtime(data, what)
    assert reference == {"calls": [NOT_COMPARED], "globals": NOT_COMPARED, "memories": NOT_COMPARED}
    ours = {"calls": [[7]], "globals": {"g": 1}, "memories": {}}
    assert differences(as_wasmtime(ours, reference, what), reference) == []


def test_wasmtime_is_held_to_wasmkits_table_limit() -> None:
    """A table growth past wasmkit's implementation limit answers -1 on both sides: wasmtime,
    which allocates tables lazily, would grow one to two billion elements."""
    import wasmkit
    from bench.smith import plan, run_wasmkit, run_wasmtime

    data = wasmkit.write_module(wasmkit.parse_wat(
        '(module (table 1 funcref)'
        ' (func (export "f") (result i32) (table.grow (ref.null func) (i32.const 2000000000))))'
    ))  # fmt: skip
    what = plan(data)
    reference = run_wasmtime(data, what)
    ours = run_wasmkit("python", data, what)
    assert ours["calls"] == reference["calls"] and len(reference["calls"]) == 1  # type: ignore[arg-type]
    assert differences(as_wasmtime(ours, reference, what), reference) == []
