"""Module definitions and instances in scripts: `(module definition $M ...)` defines a module
without instantiating it, `(module instance $I $M)` makes a new instance of it, as the reference
interpreter reads and runs them (WebAssembly 3.0's instance.wast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmkit.cli import main
from wasmkit.errors import ParseError
from wasmkit.script.report import tally
from wasmkit.script.runner import Outcome, ScriptRunner
from wasmkit.text import parse_script
from wasmkit.text.script import AssertTrap, AssertUnlinkable, ModuleCommand, ModuleInstance, Unreadable

# A module with one of each kind of state, and functions that show it.
STATEFUL = """
  (global $g (export "glob") (mut i32) (i32.const 0))
  (table $t (export "tab") 1 funcref)
  (memory $m (export "mem") 1)
  (tag (export "tag"))
  (func $f)
  (elem declare func $f)
  (func (export "set") (param i32)
    (global.set $g (local.get 0))
    (i32.store (i32.const 0) (local.get 0))
    (table.set $t (i32.const 0) (ref.func $f)))
  (func (export "glob-get") (result i32) (global.get $g))
  (func (export "mem-get") (result i32) (i32.load (i32.const 0)))
  (func (export "tab-get") (result funcref) (table.get $t (i32.const 0)))
"""


def _run(script: str) -> list[Outcome]:
    return list(ScriptRunner("python").run(parse_script(script)))


def _failures(outcomes: list[Outcome]) -> list[tuple[int, str]]:
    return [(o.line, o.detail) for o in outcomes if not o.passed]


def test_each_instance_of_a_definition_has_its_own_state() -> None:
    outcomes = _run(
        f"(module definition $M {STATEFUL})\n"
        "(module instance $I1 $M)\n"
        "(module instance $I2 $M)\n"
        '(invoke $I1 "set" (i32.const 5))\n'
        '(assert_return (invoke $I1 "glob-get") (i32.const 5))\n'
        '(assert_return (invoke $I1 "mem-get") (i32.const 5))\n'
        '(assert_return (invoke $I1 "tab-get") (ref.func))\n'
        '(assert_return (invoke $I2 "glob-get") (i32.const 0))\n'
        '(assert_return (invoke $I2 "mem-get") (i32.const 0))\n'
        '(assert_return (invoke $I2 "tab-get") (ref.null))\n'
        '(assert_return (get $I2 "glob") (i32.const 0))\n'
        '(assert_return (invoke "glob-get") (i32.const 0))\n'  # the current instance: $I2
    )
    assert len(outcomes) == 12 and _failures(outcomes) == []


def test_registered_instances_of_one_definition_are_distinct_imports() -> None:
    # instance.wast without the table initialisers: the tags of two instances are two tags.
    outcomes = _run(
        f"(module definition $M {STATEFUL})\n"
        "(module instance $I1 $M)\n"
        "(module instance $I2 $M)\n"
        '(register "I1" $I1)\n'
        '(register "I2" $I2)\n'
        "(module\n"
        '  (import "I1" "glob" (global $glob1 (mut i32)))\n'
        '  (import "I2" "glob" (global $glob2 (mut i32)))\n'
        '  (import "I1" "tag" (tag $tag1))\n'
        '  (import "I2" "tag" (tag $tag2))\n'
        '  (func (export "glob") (result i32) (global.set $glob1 (i32.const 1)) (global.get $glob2))\n'
        '  (func (export "tag") (result i32)\n'
        "    (block $on_tag1 (block $on_other\n"
        "      (try_table (catch $tag1 $on_tag1) (catch_all $on_other) (throw $tag2)) (unreachable))\n"
        "      (return (i32.const 0)))\n"
        "    (i32.const 1)))\n"
        '(assert_return (invoke "glob") (i32.const 0))\n'
        '(assert_return (invoke "tag") (i32.const 0))\n'
        '(assert_return (invoke $I1 "glob-get") (i32.const 1))\n'
    )
    assert len(outcomes) == 9 and _failures(outcomes) == []


def test_a_definition_is_not_instantiated() -> None:
    outcomes = _run(
        '(module $A (func (export "f") (result i32) (i32.const 1)))\n'
        '(module definition $T (func $trap (unreachable)) (start $trap))\n'
        '(assert_return (invoke "f") (i32.const 1))\n'  # $A is still the current instance
        '(assert_trap (module instance $T) "unreachable")\n'
        '(assert_return (invoke "f") (i32.const 1))\n'  # the instance that trapped is not kept
        "(module instance $T)\n"
    )
    first_lines = [(line, detail.split("\n")[0]) for line, detail in _failures(outcomes)]
    assert first_lines == [(6, "unexpected Trap: unreachable")]  # the trap once instantiated


def test_one_name_is_the_definitions_and_none_is_the_latest_definition() -> None:
    assert parse_script("(module instance)")[0] == ModuleInstance(1, None, None)
    assert parse_script("(module instance $M)")[0] == ModuleInstance(1, None, "M")
    assert parse_script("(module instance $I $M)")[0] == ModuleInstance(1, "I", "M")
    outcomes = _run(
        '(module definition $M (global (export "g") i32 (i32.const 1)))\n'
        '(module definition (global (export "g") i32 (i32.const 2)))\n'
        "(module instance $M)\n"
        '(assert_return (get "g") (i32.const 1))\n'
        "(module instance)\n"
        '(assert_return (get "g") (i32.const 2))\n'
    )
    assert len(outcomes) == 6 and _failures(outcomes) == []


def test_a_module_instantiated_at_once_is_a_definition_too() -> None:
    outcomes = _run(
        '(module $M (global $g (export "g") (mut i32) (i32.const 0))'
        ' (func (export "inc") (global.set $g (i32.add (global.get $g) (i32.const 1)))))\n'
        '(invoke $M "inc")\n'
        "(module instance $N $M)\n"
        '(assert_return (get $N "g") (i32.const 0))\n'
        '(assert_return (get $M "g") (i32.const 1))\n'
    )
    assert len(outcomes) == 5 and _failures(outcomes) == []


def test_binary_and_quoted_definitions() -> None:
    script = (
        '(module definition $B binary "\\00asm\\01\\00\\00\\00"'
        ' "\\06\\06\\01\\7f\\00\\41\\07\\0b" "\\07\\05\\01\\01\\67\\03\\00")\n'
        '(module definition $Q quote "(global (export \\"g\\") i32 (i32.const 8))")\n'
        "(module instance $b $B)\n"
        "(module instance $q $Q)\n"
        '(assert_return (get $b "g") (i32.const 7))\n'
        '(assert_return (get $q "g") (i32.const 8))\n'
    )
    commands = parse_script(script)
    assert [(c.module.kind, c.definition) for c in commands[:2] if isinstance(c, ModuleCommand)] == [
        ("binary", True), ("quote", True)
    ]  # fmt: skip
    outcomes = list(ScriptRunner("python").run(commands))
    assert len(outcomes) == 6 and _failures(outcomes) == []


def test_an_instance_of_an_undefined_module_fails_that_command_with_its_name() -> None:
    outcomes = _run(
        "(module instance $I $Nowhere)\n"
        "(module instance)\n"
        '(register "I" $I)\n'
        '(module definition $Bad (func (result i32)))\n'  # invalid: defines nothing
        "(module instance $Bad)\n"
    )
    assert [(o.kind, o.passed) for o in outcomes] == [("module", False), ("module", False), ("register", False),
                                                      ("module", False), ("module", False)]  # fmt: skip
    assert outcomes[0].detail == "no module definition Nowhere"
    assert outcomes[1].detail == "no module definition to instantiate"
    assert outcomes[2].detail == "no module I"
    assert outcomes[3].detail.startswith("unexpected ValidationError: type mismatch")
    assert outcomes[4].detail == "no module definition Bad"
    assert tally(outcomes) == {"module/other": (0, 5)}


def test_the_command_line_counts_an_undefined_definition_as_one_failed_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "t.wast"
    script.write_text("(module definition $M)\n(module instance $I $M)\n(module instance $J $Missing)\n")
    assert main(["wast", str(script)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "2 passed, 1 failed"
    assert "Missing" in out + err and "Traceback" not in out + err


def test_assertions_instantiate_a_definition_without_keeping_the_instance() -> None:
    commands = parse_script(
        '(module definition $U (import "nowhere" "f" (func)))\n'
        '(assert_unlinkable (module instance $I $U) "unknown import")\n'
        '(assert_unlinkable (module instance $Missing) "unknown import")\n'
        '(register "I" $I)\n'
    )
    assert isinstance(commands[1], AssertUnlinkable) and commands[1].module == ModuleInstance(2, "I", "U")
    outcomes = list(ScriptRunner("python").run(commands))
    assert _failures(outcomes) == [(3, "no module definition Missing"), (4, "no module I")]
    assert isinstance(parse_script('(assert_trap (module instance) "unreachable")')[0], AssertTrap)


@pytest.mark.parametrize("assertion", ["assert_unlinkable", "assert_trap", "assert_uninstantiable"])
def test_a_definition_in_an_instantiating_assertion_is_misplaced(assertion: str) -> None:
    script = f'(module $A)\n({assertion} (module definition (func)) "x")\n'
    with pytest.raises(ParseError, match="misplaced module definition"):
        parse_script(script)
    commands = parse_script(script, keep_going=True)
    assert isinstance(commands[1], Unreadable)
    outcomes = list(ScriptRunner("python").run(commands))
    assert [(o.kind, o.passed) for o in outcomes] == [("module", True), (assertion, False)]
    assert "misplaced module definition" in outcomes[1].detail


def test_an_instance_is_no_module_to_read() -> None:
    with pytest.raises(ParseError, match="unexpected token"):
        parse_script('(module definition $M)\n(assert_invalid (module instance $M) "type mismatch")')
