"""Float conversions whose NaNs the native engine must quiet (f32x4.demote_f64x2_zero,
f64x2.promote_low_f32x4) followed by an operation that takes some of their lanes: LLVM used
to narrow the quieting (`llvm.canonicalize`) to <2 x float>, which the x86 backend cannot
legalize, and abort the whole process. Each compile runs in a subprocess, because the failure
it guards against is SIGABRT; results are checked bit for bit against the Python engine."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import wasmkit

pytest.importorskip("llvmlite")

MODULES = {
    "demote_extend_u": "f32x4.demote_f64x2_zero i64x2.extend_low_i32x4_u",
    "demote_extend_s": "f32x4.demote_f64x2_zero i64x2.extend_low_i32x4_s",
    "demote_promote": "f32x4.demote_f64x2_zero f64x2.promote_low_f32x4",
    "promote_demote": "f64x2.promote_low_f32x4 f32x4.demote_f64x2_zero",
}

# Signalling and quiet NaNs of both widths and signs, infinities, ordinary numbers, zero.
INPUTS = [
    0x7FF4000000000001_FFF0000000000001,
    (0xFFF8000000000000 << 64) | 0x7FF0000000000001,
    (0x3FF0000000000000 << 64) | 0x7FF8000000000123,
    0x7FA00001_FF800001_7F800000_3F800000,
    0xFFC00000_7FC00001_00000001_80000000,
    0,
]


def wat(instructions: str) -> str:
    return f'(module (func (export "f") (param v128) (result v128) local.get 0 {instructions}))'


def run_child(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`script` in a fresh Python with 4 GB of address space and an empty native cache."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4_000_000_000, 4_000_000_000))

    env = dict(os.environ, WASMKIT_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True, text=True, timeout=120, preexec_fn=limit, env=env,
    )  # fmt: skip


# The lowered IR through LLVM's whole default<O3> pipeline (which includes the folds that
# narrowed the quieting), then x86 code generation.
O3_SCRIPT = """
import sys
import llvmlite.binding as llvm
import wasmkit
from wasmkit.engine.native.lower import lower_piece

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()
machine = llvm.Target.from_default_triple().create_target_machine(opt=3, jit=True)
for text in sys.argv[1:]:
    valid = wasmkit.validate(wasmkit.parse_wat(text))
    source = lower_piece(valid, frozenset(), False, range(valid.imported_func_count, len(valid.func_types)), True)
    ir_module = llvm.parse_assembly(source)
    ir_module.triple = machine.triple
    ir_module.data_layout = str(machine.target_data)
    passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
    passes.getModulePassManager().run(ir_module, passes)
    machine.emit_object(ir_module)
print("compiled")
"""


def test_conversions_survive_llvms_full_optimiser(tmp_path: Path) -> None:
    script = O3_SCRIPT.replace("sys.argv[1:]", repr([wat(body) for body in MODULES.values()]))
    result = run_child(script, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "compiled"


NATIVE_SCRIPT = """
import json
import wasmkit
results = {}
for name, text in MODULES.items():
    f = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("native")).exports["f"]
    results[name] = [str(f(value)) for value in INPUTS]
print(json.dumps(results))
"""


def test_native_results_match_python_engine(tmp_path: Path) -> None:
    modules = {name: wat(body) for name, body in MODULES.items()}
    script = f"MODULES = {modules!r}\nINPUTS = {INPUTS!r}\n" + textwrap.dedent(NATIVE_SCRIPT)
    result = run_child(script, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    native = json.loads(result.stdout)
    for name, text in modules.items():
        f = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("python")).exports["f"]
        assert native[name] == [str(f(value)) for value in INPUTS], name
