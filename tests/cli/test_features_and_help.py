"""wabt's --disable-FEATURE flags on validate, run and wat2wasm; `wat2wasm --debug-names`;
every subcommand's --help with a summary and an example."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT, tool
from wasmkit.binary import read_module
from wasmkit.cli import build_parser, main
from wasmkit.opcodes import Feature

# One use of each optional feature, inside a function body.
USES = {
    Feature.SIGN_EXTENSION: "(drop (i32.extend8_s (i32.const 1)))",
    Feature.SATURATING_FLOAT_TO_INT: "(drop (i32.trunc_sat_f32_s (f32.const 1)))",
    Feature.BULK_MEMORY: "(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))",
    Feature.REFERENCE_TYPES: "(drop (ref.is_null (ref.null extern)))",
    Feature.SIMD: "(drop (i32x4.extract_lane 0 (i32x4.splat (i32.const 1))))",
    Feature.THREADS: "(drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))",
}


def _module(body: str) -> str:
    return f'(module (memory 1)\n  (func $f (export "f")\n    {body}))'


@pytest.mark.parametrize("command", ["validate", "run", "wat2wasm"])
@pytest.mark.parametrize("feature", list(USES), ids=lambda f: f.value)
def test_a_disabled_feature_is_refused_where_it_is_used(
    command: str, feature: Feature, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "m.wat"
    source.write_text(_module(USES[feature]))
    out = ["-o", str(tmp_path / "m.wasm")] if command == "wat2wasm" else []
    run = ["--invoke", "f"] if command == "run" else []
    assert main([command, *run, str(source), *out]) == 0
    capsys.readouterr()
    assert main([command, f"--disable-{feature.value}", *run, str(source), *out]) == 1
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith(f"wasmkit: error: {source}:3:")
    assert f"needs the {feature.value} feature, disabled by --disable-{feature.value} (in func $f, index 0)" in first


def test_other_features_stay_allowed(tmp_path: Path) -> None:
    source = tmp_path / "m.wat"
    source.write_text(_module(USES[Feature.SIMD]))
    others = [f"--disable-{f.value}" for f in USES if f is not Feature.SIMD]
    assert main(["validate", *others, str(source)]) == 0


def test_types_and_segments_count_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "--disable-simd": "(module (global v128 (v128.const i64x2 0 0)))",
        "--disable-reference-types": "(module (table 1 externref))",
        "--disable-bulk-memory": '(module (memory 1) (data "passive"))',
        "--disable-threads": '(module (import "env" "m" (memory 1 1 shared)))',
    }
    for flag, text in cases.items():
        source = tmp_path / "m.wat"
        source.write_text(text)
        assert main(["validate", flag, str(source)]) == 1, flag
    err = capsys.readouterr().err
    assert "a global of type v128 needs the simd feature" in err
    assert "a table of externref needs the reference-types feature" in err
    assert "a data segment that is passive needs the bulk-memory feature" in err
    assert "a shared memory needs the threads feature" in err


def test_a_1_0_element_segment_is_not_reference_types(capsys: pytest.CaptureFixture[str]) -> None:
    hello = PROJECT_ROOT / "examples" / "hello.wasm"  # an element segment of function indices
    assert main(["validate", "--disable-reference-types", "--disable-simd", str(hello)]) == 0


@pytest.mark.parametrize("name", ["fib.wat", "names.wat"])
def test_debug_names_writes_what_wabt_writes(name: str, tmp_path: Path) -> None:
    source = PROJECT_ROOT / "examples" / name if name == "fib.wat" else tmp_path / name
    if name == "names.wat":  # unnamed functions, an import, named tables, memories, segments
        source.write_text(
            '(module $m (import "a" "b" (func $imp)) (memory $mem 1) (table $tab 1 funcref)'
            ' (func $f (param $x i32) (block $l)) (func) (elem $e func $f) (data $d "x"))'
        )
    ours, theirs = tmp_path / "ours.wasm", tmp_path / "theirs.wasm"
    assert main(["wat2wasm", "--debug-names", str(source), "-o", str(ours)]) == 0
    subprocess.run([tool("wat2wasm"), "--debug-names", str(source), "-o", str(theirs)], check=True)
    assert ours.read_bytes() == theirs.read_bytes()


def test_without_debug_names_there_is_no_name_section(tmp_path: Path) -> None:
    out = tmp_path / "fib.wasm"
    assert main(["wat2wasm", str(PROJECT_ROOT / "examples" / "fib.wat"), "-o", str(out)]) == 0
    assert read_module(out.read_bytes()).custom("name") == []


def test_every_subcommand_has_a_summary_and_an_example() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"run", "validate", "objdump", "wat2wasm", "wasm2wat", "strip", "serve", "wast", "compile"} <= set(commands)
    for name, sub in commands.items():
        text = sub.format_help()
        assert sub.description and sub.description in text, name
        assert f"\n  wasmkit {name} " in text.split("example")[-1], name
