"""Whether a wasm function calls nothing (`Func.leaf`: such a call runs on the caller's own
thread) is found when a call first asks, not for every function as an instance is made: on a
module of 46,000 functions, looking through every body took seconds of each start."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit.runtime import module as runtime_module

WAT = """(module
  (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "caller") (param i32) (result i32) (call $leaf (local.get 0)))
  (func (export "unused") (result i32) (i32.const 0)))"""


def test_leaves_are_found_on_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = runtime_module.Module.calls_nothing

    def counted(self: runtime_module.Module, index: int) -> bool:
        asked.append(index)
        return real(self, index)

    monkeypatch.setattr(runtime_module.Module, "calls_nothing", counted)
    exports = wasmkit.Instance(wasmkit.Module(WAT)).exports  # the Python engine binds every function
    assert asked == []
    leaf, caller = exports["leaf"], exports["caller"]
    assert leaf(1) == 2 and caller(1) == 2 and leaf(2) == 3
    assert sorted(asked) == [0, 1]  # once each, the unused function never
    assert leaf.leaf and not caller.leaf


def test_host_functions_are_leaves() -> None:
    func = wasmkit.Func.host(wasmkit.FuncType((), ()), lambda: None)
    assert func.leaf
