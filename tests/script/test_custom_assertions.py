"""`assert_malformed_custom` and `assert_invalid_custom`: the module must fail only because of
its custom annotations or sections, and nothing else counts."""

from __future__ import annotations

from wasmkit.script.report import tally
from wasmkit.script.runner import Outcome, ScriptRunner
from wasmkit.text import parse_script

_HINT_ON_ADD = '(module (func (result i32) (i32.const 1) (@metadata.code.branch_hint "\\01") (i32.eqz)))'


def _run(script: str) -> list[Outcome]:
    return list(ScriptRunner("python").run(parse_script(script)))


def test_assert_malformed_custom_wants_an_annotation_error_with_its_message() -> None:
    outcomes = _run(
        '(assert_malformed_custom (module quote "(@custom)") "@custom annotation: missing section name")\n'
        '(assert_malformed_custom (module quote "(@custom)") "misplaced")\n'
        '(assert_malformed_custom (module quote "(func (bogus))") "unknown operator")\n'
        '(assert_malformed_custom (module quote "(@custom \\"x\\")") "@custom")\n'
    )
    assert [o.passed for o in outcomes] == [True, False, False, False]
    assert "the module is malformed" in outcomes[2].detail  # malformed, but not in its annotations
    assert "the module was read" in outcomes[3].detail


def test_assert_invalid_custom_wants_a_valid_module_whose_custom_sections_do_not_fit() -> None:
    outcomes = _run(
        f'(assert_invalid_custom {_HINT_ON_ADD} "@metadata.code.branch_hint annotation: invalid target")\n'
        '(assert_invalid_custom (module (func (i32.eqz))) "@metadata.code.branch_hint")\n'
        '(assert_invalid_custom (module (func (i32.const 0) (@metadata.code.branch_hint "\\01") (if (then))))'
        ' "@metadata.code.branch_hint")\n'
    )
    assert [o.passed for o in outcomes] == [True, False, False]
    assert "the module is not valid" in outcomes[1].detail
    assert "they fit the module" in outcomes[2].detail


def test_the_custom_assertions_count_in_the_malformed_and_invalid_columns() -> None:
    outcomes = _run(
        '(assert_malformed_custom (module quote "(@custom)") "@custom")\n'
        f'(assert_invalid_custom {_HINT_ON_ADD} "@metadata.code.branch_hint")\n'
    )
    assert tally(outcomes) == {"invalid": (1, 0), "malformed": (1, 0)}
