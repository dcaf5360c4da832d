"""A large module's function bodies are scanned and validated on two cores (a forked child
checks the second half): the module read so is the one read on one core, and a module that is
not valid, in either half, gets the exact error reading on one core gives.

Each check runs in a fresh interpreter: a process forks only while it runs one thread, and the
test process runs the engines' threads."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support import PROJECT_ROOT

# Builds a module of 40 functions with the `kind` of fault in function 30 (the second half),
# then prints, as JSON, what reading it gives: on two cores alone (`two_cores`, with its
# threshold lowered to what the module has), through `Module` (two cores, else one), and
# through `Module` on one core.
SCRIPT = r"""
import json, sys
import wasmkit
from wasmkit.binary import write_module
from wasmkit.errors import WasmError
from wasmkit.runtime import two_cores

kind = sys.argv[1]
bodies = ["(drop (i32.add (local.get 0) (i32.const 1))) (i32.const 7)"] * 40
bodies[30] = {
    "none": bodies[30],
    "invalid": "(i64.const 1)",
    "tail call": "(return_call 0 (i32.const 2))",
    "malformed": bodies[30],
}[kind]
funcs = "".join(f"(func (param i32) (result i32) {body})" for body in bodies)
data = write_module(wasmkit.parse_wat(f"(module (memory 1) {funcs})"))
if kind == "malformed":  # function 30's first instruction becomes an opcode that does not exist
    module = wasmkit.read_module(data)
    at = module.funcs[30].body_offset
    data = data[:at] + b"\xff" + data[at + 1:]

def outcome(load):
    try:
        valid = load()
    except WasmError as err:
        return {"error": type(err).__name__, "message": str(err)}
    return {"tail_calls": valid.tail_calls, "functions": len(valid.module.funcs), "same": valid.module == wasmkit.read_module(data)}

two_cores.MIN_CODE = 1
declined = two_cores.read_and_validate(data) is None
on_two = "declined" if declined else outcome(lambda: two_cores.read_and_validate(data))
module = outcome(lambda: wasmkit.Module(data, cache=False).valid)
two_cores.MIN_CODE = 1 << 62
print(json.dumps({"two": on_two, "module": module, "one": outcome(lambda: wasmkit.Module(data, cache=False).valid)}))
"""


def run(kind: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, kind], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def test_a_valid_module_reads_on_two_cores_as_on_one() -> None:
    result = run("none")
    assert result["two"] == {"tail_calls": False, "functions": 40, "same": True}
    assert result["module"] == result["one"] == result["two"]


def test_tail_calls_in_the_second_half_count() -> None:
    result = run("tail call")
    assert result["two"] == {"tail_calls": True, "functions": 40, "same": True}
    assert result["module"] == result["one"] == result["two"]


@pytest.mark.parametrize(
    ("kind", "error", "words"), [("invalid", "ValidationError", "type mismatch"), ("malformed", "DecodeError", "illegal opcode")]
)
def test_a_fault_in_the_second_half_is_left_to_reading_on_one_core(kind: str, error: str, words: str) -> None:
    """Two cores decide only valid modules: they decline this one, and `Module` then reads it
    on one core, for the exact error."""
    result = run(kind)
    assert result["two"] == "declined"
    module = result["module"]
    assert isinstance(module, dict) and module["error"] == error and words in str(module["message"])
    assert result["module"] == result["one"]
