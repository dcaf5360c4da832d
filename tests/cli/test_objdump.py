"""`wasmkit objdump -h / -x / -d`: laid out as wabt's wasm-objdump, checked against it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support import PROJECT_ROOT, tool
from wasmkit.cli import main

# Every section kind, imports of each kind, named and unnamed entities, each kind of constant.
RICH_WAT = """
(module $rich
  (type $t0 (func (param i32 i64) (result f32)))
  (type (func))
  (type (func (param f64) (result i32 i64)))
  (import "env" "f" (func $imp (type 1)))
  (import "env" "tab" (table 2 10 funcref))
  (import "env" "mem" (memory 1 2))
  (import "env" "g" (global $gi i32))
  (table $t 3 externref)
  (global $a i32 (i32.const -5))
  (global (mut i64) (i64.const 1234567890123))
  (global f32 (f32.const 1.5))
  (global f64 (f64.const -2.25))
  (global i32 (global.get $gi))
  (global funcref (ref.func $main))
  (global externref (ref.null extern))
  (func $main (type 1) (local i32 i32 i64 f32) nop)
  (func $two (param $x f64) (result i32 i64) i32.const 1 i64.const -9223372036854775808)
  (func (type $t0) f32.const 0)
  (start $main)
  (export "main" (func $main))
  (export "t" (table $t))
  (export "g" (global $a))
  (elem (i32.const 1) $main $two)
  (elem (table 0) (offset (i32.const 0)) funcref (ref.func $main) (ref.null func))
  (data (i32.const 16) "hello, world with more than sixteen bytes\\00\\01")
  (data (i32.const 0) ""))
"""
EXTRA_CUSTOM = b"\x00\x09\x05extraabc"  # a custom section "extra", appended after wabt's name section


@pytest.fixture(scope="module")
def rich_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("objdump")
    (directory / "rich.wat").write_text(RICH_WAT)
    subprocess.run(
        [tool("wat2wasm"), "--debug-names", str(directory / "rich.wat"), "-o", str(directory / "rich.wasm")], check=True
    )
    with open(directory / "rich.wasm", "ab") as f:
        f.write(EXTRA_CUSTOM)
    return directory / "rich.wasm"


def _ours(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["objdump", *args]) == 0
    return capsys.readouterr().out


def _wabt(*args: str) -> str:
    return subprocess.run([tool("wasm-objdump"), *args], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("flag", ["-h", "-x"])
@pytest.mark.parametrize("name", ["rich", "fib", "hello"])
def test_headers_and_details_are_what_wabt_prints(
    flag: str, name: str, rich_wasm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = rich_wasm if name == "rich" else PROJECT_ROOT / "examples" / f"{name}.wasm"
    ours = _ours(capsys, flag, str(path))
    # The one addition: each function's local count in the Code details.
    assert re.sub(r" locals=\d+$", "", ours, flags=re.M) == _wabt(flag, str(path))


def test_details_give_each_functions_locals(rich_wasm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _ours(capsys, "-x", str(rich_wasm))
    assert " - func[1] size=9 <main> locals=4\n" in out
    assert ' - name: "extra"\n' in out and " - global[1] <a>\n" in out


def test_passive_segments_are_numbered_from_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "p.wat"
    source.write_text('(module (memory 1) (func $f) (elem (i32.const 4) $f) (elem func $f) (data (i32.const 9) "a") (data "b"))')
    out = _ours(capsys, "-x", str(source))
    assert " - segment[1] flags=1 table=0 count=1\n  - elem[0] = ref.func:0\n" in out
    assert " - segment[1] passive size=1\n  - 0000000: 62 " in out


def test_64_bit_memories_and_tables_and_memory_indices_are_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "m64.wat"
    source.write_text(
        '(module (memory 1) (memory i64 2 3) (table i64 1 funcref)'
        ' (func (drop (i32.load 1 offset=8 (i64.const 0))) (drop (memory.size 1))))'
    )
    out = _ours(capsys, "-x", "-d", str(source))
    assert " - memory[1] pages: initial=2 max=3 i64\n" in out and " - memory[0] pages: initial=1\n" in out
    assert " - table[0] type=funcref initial=1 i64\n" in out
    assert "| i32.load 1 offset=8\n" in out and "| memory.size 1\n" in out


def test_disassembly_has_wabts_offsets_and_bytes(rich_wasm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (rich_wasm, PROJECT_ROOT / "examples" / "hello.wasm"):
        ours = _ours(capsys, "-d", str(path)).splitlines()
        theirs = _wabt("-d", str(path)).splitlines()
        # Up to the bar: offsets, raw bytes (9 a line, long ones continued), local declarations.
        assert [line[:38] for line in ours] == [line[:38] for line in theirs]


def test_all_three_together_in_wabts_order(capsys: pytest.CaptureFixture[str]) -> None:
    out = _ours(capsys, "-h", "-x", "-d", str(PROJECT_ROOT / "examples" / "fib.wasm"))
    assert out.index("Sections:") < out.index("Section Details:") < out.index("Code Disassembly:")
    assert "\n 00004b: 03 7f                      | local[1..3] type=i32\n" in out


def test_help_is_the_long_option_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["objdump", "--help"])
    assert exit_.value.code == 0
    assert "-h, --headers" in capsys.readouterr().out
