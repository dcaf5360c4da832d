"""The Python engine's code generator on control-flow shapes that once came out wrong: each
module runs on the Python engine and on wasmtime, and the results must agree."""

from __future__ import annotations

import pytest
import wasmtime

import wasmkit
from tests.engine.control_flow import deep_code_shapes

# A branch out of a block left a guard pending (`if not _t:`) when a `br_table` followed; the
# table's cases were written at the indentation from before the guard opened, so the Python
# came out mis-indented (a CompileError on the first call). graphviz.wasm has this shape.
BR_TABLE_AFTER_FORWARD_BRANCH = """
(module (func (export "f") (param i32) (result i32)
  (block $b2 (block $b1 (block $b0 (br_if $b1 (local.get 0))) (br_table $b1 $b2 (local.get 0)))
    (return (i32.const 1)))
  (i32.const 2)))
"""

# The same, with the table's cases going to three targets and carrying a value.
BR_TABLE_WITH_VALUES_AFTER_GUARD = """
(module (func (export "f") (param i32) (result i32)
  (block $b3 (result i32)
    (block $b2 (result i32)
      (block $b1 (result i32)
        (block $b0 (br_if $b3 (i32.const 7) (i32.eq (local.get 0) (i32.const 5))) (drop))
        (i32.const 10) (local.get 0) (br_table $b1 $b2 $b3 $b2 (local.get 0)))
      (i32.add (i32.const 100)))
    (i32.add (i32.const 1000)))))
"""


def _wasmtime(text: str, arg: int) -> int:
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, text), [])
    return instance.exports(store)["f"](store, arg)


@pytest.mark.parametrize("text, at_zero", [(BR_TABLE_AFTER_FORWARD_BRANCH, 1), (BR_TABLE_WITH_VALUES_AFTER_GUARD, 1100)])
def test_br_table_after_a_pending_guard(text: str, at_zero: int) -> None:
    f = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("python")).exports["f"]
    assert f(0) == at_zero
    for arg in (0, 1, 2, 3, 5, 0xFFFF_FFFF):
        assert f(arg) == _wasmtime(text, arg), arg


# A forward branch out of a nested block leaves the code after it guarded by `if not _t:`; an
# empty block there opened the guard and wrote nothing into it (Python wants a body).
EMPTY_BLOCK_AFTER_FORWARD_BRANCH = """
(module (func (export "f") (param i32) (result i32)
  (block $a (block $b (br_if $a (local.get 0))) (block (nop)))
  (i32.const 5)))
"""


def test_empty_block_under_a_guard() -> None:
    f = wasmkit.Instance(wasmkit.Module(EMPTY_BLOCK_AFTER_FORWARD_BRANCH), store=wasmkit.Store("python")).exports["f"]
    assert [f(0), f(1)] == [5, 5]


def _nested_loops(depth: int) -> str:
    """`depth` loops one in another; the innermost counts, and branches back to the outermost
    and to a middle one, and returns from inside when the count hits 1000."""
    opening = "".join(f"(loop $l{n} " for n in range(depth))
    body = (
        "(local.set 1 (i32.add (local.get 1) (i32.const 1)))"
        "(if (i32.eq (local.get 1) (i32.const 1000)) (then (return (i32.const -1))))"
        "(br_if $l0 (i32.lt_u (local.get 1) (local.get 0)))"
        f"(br_if $l{depth // 2} (i32.lt_u (local.get 1) (i32.shl (local.get 0) (i32.const 1))))"
    )
    return f'(module (func (export "f") (param i32) (result i32) (local i32) {opening}{body}{")" * depth} (local.get 1)))'


# CPython allows 20 nested loops in a function; QuickJS's resolve_variables nests 21.
def test_loops_nested_deeper_than_python_allows() -> None:
    text = _nested_loops(45)
    f = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("python")).exports["f"]
    metered = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("python", fuel=10**6)).exports["f"]
    assert f(5) == 10
    for arg in (0, 1, 7, 600):
        assert f(arg) == metered(arg) == _wasmtime(text, arg), arg


# An `if` written flat (deep in a function) whose then-part begins with `br 0`: the branch was
# taken as plain structure, falling to the then-part's end, and so into the else-part. Forced
# here by writing code flat from three levels of indentation on.
FLAT_IF_LEFT_AT_ONCE = """
(module (func (export "f") (param i32 i32) (result i32) (local i32)
  (if (local.get 0) (then
     (block $b (br_if 1 (i32.eqz (local.get 1))))
     (local.set 2 (i32.const 5))
     (if (local.get 1) (then (br 0)) (else (local.set 2 (i32.const 9))))))
  (local.get 2)))
"""


def test_flat_if_whose_then_part_branches_at_once() -> None:
    with deep_code_shapes(3, 16, 18):
        f = wasmkit.Instance(wasmkit.Module(FLAT_IF_LEFT_AT_ONCE), store=wasmkit.Store("python")).exports["f"]
        assert [f(1, 1), f(1, 0), f(0, 1)] == [5, 0, 0]


# A flat `if` whose enclosing code awaited a guard: the `if` was placed as if not flat, inside
# a guard that its own else-selection (_t = -depth) then skipped, and _t stayed set.
FLAT_IF_AFTER_A_FORWARD_BRANCH = """
(module (func (export "f") (param i32) (result i32 i32)
  (block (result i32)
    (block
      (block (result i32)
        (block (result i32) (br_if 2 (local.get 0)) (i32.const 0))
        (br_if 2 (i32.const 0))
        (if (then (unreachable)))
        (i32.const 0))
      (return (i32.const 0) (i32.const 0)))
    (unreachable))
  (unreachable)))
"""


def test_flat_if_after_a_forward_branch() -> None:
    with deep_code_shapes(2, 16, 18):
        f = wasmkit.Instance(wasmkit.Module(FLAT_IF_AFTER_A_FORWARD_BRANCH), store=wasmkit.Store("python")).exports["f"]
        assert f(0) == (0, 0)
        with pytest.raises(wasmkit.Trap):
            f(1)


def _switch(cases: int) -> str:
    """A C `switch` as compilers write it: a block per case, one br_table at the innermost;
    case k returns 3k."""
    table = " ".join(map(str, range(cases)))
    ends = "".join(f") (return (i32.const {3 * k}))" for k in range(cases + 1))
    body = f"{'(block ' * (cases + 1)}(br_table {table} {cases} (local.get 0)){ends}"
    return f'(module (func (export "f") (param i32) (result i32) {body} (i32.const -1)))'


# The cases of a br_table were one `elif` chain, which CPython's compiler recurses on once per
# case: 5,000 cases were a CompileError.
def test_switch_with_thousands_of_cases() -> None:
    text = _switch(5000)
    f = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("python")).exports["f"]
    assert f(17) == 51
    for arg in (0, 1, 16, 17, 4999, 5000, 12345, 0x8000_0000):
        assert f(arg) == _wasmtime(text, arg), arg


# A loop that only br_on_null, br_on_non_null, br_on_cast or br_on_cast_fail branches back to
# was not written as a Python loop (only br, br_if and br_table were seen as branches to it),
# so its body ran once: a 3.0 wasm-smith campaign found it. Each loop here runs until the
# counter passes 5 and returns it; all but br_on_null's carry a reference (the loop's param).
LOOPING_BRANCHES = {
    "br_on_null": "ref.null any br_on_null $top drop",
    "br_on_non_null": "drop i32.const 1 ref.i31 br_on_non_null $top",
    "br_on_cast": "br_on_cast $top anyref (ref null $s) drop",
    "br_on_cast_fail": "br_on_cast_fail $top anyref (ref $s) drop",
}


@pytest.mark.parametrize("instruction", sorted(LOOPING_BRANCHES))
def test_a_loop_that_a_reference_branch_continues(instruction: str) -> None:
    carries = instruction != "br_on_null"
    text = f"""(module (type $s (struct))
      (func (export "f") (param i32) (result i32) (local $n i32)
        {"ref.null any" if carries else ""}
        loop $top {"(param anyref)" if carries else ""}
          local.get $n i32.const 1 i32.add local.set $n
          local.get $n i32.const 5 i32.gt_u
          if local.get $n return end
          {LOOPING_BRANCHES[instruction]}
        end
        i32.const 99))"""
    f = wasmkit.Instance(wasmkit.Module(text), store=wasmkit.Store("python")).exports["f"]
    assert f(0) == _wasmtime(text, 0) == 6


# A call's results go into the slots above the stack; an entry below may still read one of them
# (i64.or took table.size's result from slot 1 and left its own at position 0): the call
# overwrote it before the entry was evaluated. A 3.0 wasm-smith campaign found it.
SLOT_READ_BELOW_A_CALL = """
(module (table 3 funcref) (func $g (result i64) (i64.const 7))
  (func (export "f") (param i32) (result i64)
    i64.const 0x100 table.size 0 i64.extend_i32_u i64.or
    call $g
    i64.add))
"""


def test_a_call_does_not_overwrite_a_slot_an_entry_below_reads() -> None:
    f = wasmkit.Instance(wasmkit.Module(SLOT_READ_BELOW_A_CALL), store=wasmkit.Store("python")).exports["f"]
    assert f(0) == _wasmtime(SLOT_READ_BELOW_A_CALL, 0) == (0x100 | 3) + 7
