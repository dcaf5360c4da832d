"""call_indirect's direct path through a table several instances share (as a component's
dynamically linked modules share one): each binding's mirror holds, element by element, its
own functions' addresses and type ids, and 0 for every other element, however the window
that changed is made up (engine/native/module.py, `_mirror` and `_window_kind`)."""

from __future__ import annotations

from typing import Any

import pytest

import wasmkit
from wasmkit.engine.native.layout import CELL_WORDS
from wasmkit.syntax.types import Limits, TableType, ValType

pytest.importorskip("llvmlite")


def writer(offset: int, value: int) -> str:
    """A module that puts three functions of its own (returning value, value+1, value+2) at
    `offset` of the shared table, and calls through any element."""
    funcs = "\n".join(f"  (func $f{k} (result i32) (i32.const {value + k}))" for k in range(3))
    return f"""
(module
  (type $t (func (result i32)))
  (import "env" "table" (table 16 funcref))
{funcs}
  (elem (i32.const {offset}) func $f0 $f1 $f2)
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
  (func (export "put") (param i32) (table.set 0 (local.get 0) (ref.func $f0)))
  (func (export "get") (param i32) (result funcref) (table.get 0 (local.get 0))))
"""


def mirror_of(instance: wasmkit.Instance) -> list[tuple[int, int]]:
    binding: Any = instance.native  # type: ignore[attr-defined]
    words = binding.mirrors[0]
    return [(words[CELL_WORDS * k], words[CELL_WORDS * k + 1]) for k in range(16)]


def expected(instance: wasmkit.Instance) -> list[tuple[int, int]]:
    """What the mirror must hold: each element that is one of the instance's own functions
    gives its direct target, any other 0."""
    binding: Any = instance.native  # type: ignore[attr-defined]
    table = binding.instance.tables[0]
    found = []
    for k in range(16):
        # (resolving a lazy entry makes its Func: the element is the same function after it)
        index = None if table.elements[k] is None else binding.instance.funcs.defined_index(table.resolve(k))
        found.append((0, 0) if index is None else binding.compiled.direct_target(index))
    return found


def test_each_binding_mirrors_its_own_functions_of_a_shared_table() -> None:
    store = wasmkit.Store("native")
    table = wasmkit.Table(TableType(Limits(16), ValType.FUNCREF))
    imports = {"env": {"table": table}}
    first = wasmkit.Instance(wasmkit.Module(writer(0, 10)), imports, store=store)
    second = wasmkit.Instance(wasmkit.Module(writer(4, 20)), imports, store=store)
    third = wasmkit.Instance(wasmkit.Module(writer(8, 30)), imports, store=store)
    instances = (first, second, third)
    for instance in instances:  # lazy entries: the window each segment wrote is all one owner's
        assert mirror_of(instance) == expected(instance)
    own = [sum(1 for target in mirror_of(instance) if target != (0, 0)) for instance in instances]
    assert own == [3, 3, 3]
    # Funcs of other instances, one of this one's, and nulls in one window (table.set, a
    # host's write), then every call through any element gives the right answer.
    first.exports.put(12)  # first's $f0 as a Func at 12
    second.exports.put(13)
    table.set(14, second.exports.get(5))  # the host writes second's $f1
    for instance in instances:
        assert mirror_of(instance) == expected(instance)
    assert [first.exports.call(k) for k in (0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14)] == [
        10, 11, 12, 20, 21, 22, 30, 31, 32, 10, 20, 21,
    ]
    with pytest.raises(wasmkit.Trap):
        third.exports.call(15)  # null
