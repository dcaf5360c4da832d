"""The first embedding surface: modules from files, instances with host functions, calls with
Python values, memory, globals and tables."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import wasmkit
from tests.support import PROJECT_ROOT
from wasmkit import FuncType, LinkError, ValType

I32, I64, F32, F64 = ValType.I32, ValType.I64, ValType.F32, ValType.F64

WAT = """
(module
  (import "env" "log" (func $log (param i32 f64)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (global (export "pi") f64 (f64.const 3.141592653589793))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $double)
  (func $double (export "double") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 2)))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "say") (param i32 f64) (call $log (local.get 0) (local.get 1)))
  (func (export "pair") (param f32) (result f32 i32) (local.get 0) (i32.const -1))
)
"""


@pytest.fixture()
def instance() -> wasmkit.Instance:
    logged: list[tuple] = []
    log = wasmkit.Func.host(FuncType((I32, F64), ()), lambda a, b: logged.append((a, b)))
    instance = wasmkit.Instance(wasmkit.Module(WAT), {"env": {"log": log}})
    instance.logged = logged  # type: ignore[attr-defined]
    return instance


def test_module_from_file_and_call() -> None:
    instance = wasmkit.Instance(wasmkit.Module.from_file(PROJECT_ROOT / "examples" / "fib.wasm"))
    assert instance.exports.fib(20) == 6765
    assert instance.exports["fib_loop"](30) == 832040


def test_values_cross_as_python_values(instance: wasmkit.Instance) -> None:
    assert instance.exports.double(-(2**40)) == -(2**41)
    value, minus_one = instance.exports.pair(0.1)
    assert value == pytest.approx(0.1) and value != 0.1  # rounded to single precision
    assert minus_one == -1


def test_host_functions_receive_python_values(instance: wasmkit.Instance) -> None:
    instance.exports.say(-5, 2.5)
    assert instance.logged == [(-5, 2.5)]  # type: ignore[attr-defined]


def test_memory_read_and_write(instance: wasmkit.Instance) -> None:
    memory = instance.exports.memory
    instance.exports.store(16, 0x04030201)
    assert memory.read(16, 4) == b"\x01\x02\x03\x04"
    memory.write(100, b"hello")
    assert memory.read(100, 5) == b"hello"
    assert memory.size == 65536
    with pytest.raises(IndexError):
        memory.read(65535, 2)


def test_globals_and_tables(instance: wasmkit.Instance) -> None:
    assert instance.exports.bump() == 8
    assert instance.exports.counter.value == 8
    assert math.isclose(instance.exports.pi.value, math.pi)
    table = instance.exports.table
    assert table.size == 2 and table.get(1) is None
    assert table.get(0) is instance.exports.double


def test_wrong_arguments_name_the_export_and_its_signature(instance: wasmkit.Instance) -> None:
    with pytest.raises(TypeError, match=r"double\[i64\] -> \[i64\] takes 1 argument"):
        instance.exports.double()
    with pytest.raises(TypeError, match="double"):
        instance.exports.double("x")
    with pytest.raises(TypeError, match="does not fit"):
        instance.exports.double(2**64)


def test_linker_resolves_imports_by_name() -> None:
    linker = wasmkit.Linker()
    linker.define_func("env", "log", FuncType((I32, F64), ()), lambda a, b: None)
    instance = linker.instantiate(wasmkit.Module(WAT))
    other = wasmkit.Linker()
    other.define_instance("lib", instance)
    user = other.instantiate(wasmkit.Module('(module (import "lib" "double" (func $d (param i64) (result i64))) (func (export "quad") (param i64) (result i64) (call $d (call $d (local.get 0)))))'))
    assert user.exports.quad(3) == 12


def test_link_errors_say_what_is_missing_or_wrong() -> None:
    with pytest.raises(LinkError, match="unknown import: env.log"):
        wasmkit.Linker().instantiate(wasmkit.Module(WAT))
    wrong = wasmkit.Func.host(FuncType((I32,), ()), lambda a: None)
    with pytest.raises(LinkError, match="incompatible import type for env.log"):
        wasmkit.Instance(wasmkit.Module(WAT), {"env": {"log": wrong}})


def test_module_describes_its_imports_and_exports() -> None:
    module = wasmkit.Module(WAT)
    assert module.imports == [("env", "log", FuncType((I32, F64), ()))]
    assert ("double", FuncType((I64,), (I64,))) in module.exports


def test_text_and_binary_sources(tmp_path: Path) -> None:
    wat = tmp_path / "m.wat"
    wat.write_text('(module (func (export "one") (result i32) (i32.const 1)))')
    assert wasmkit.Instance(wasmkit.Module.from_file(wat)).exports.one() == 1
    binary = wasmkit.write_module(wasmkit.parse_wat(wat.read_text()))
    assert wasmkit.Instance(wasmkit.Module(binary)).exports.one() == 1


def test_exports_named_like_mapping_methods_are_reachable_as_attributes() -> None:
    body = '(func (export "{0}") (result i32) (i32.const {1}))'
    names = ["get", "keys", "items", "values", "_items", "__items__"]
    wat = "(module " + " ".join(body.format(name, i) for i, name in enumerate(names)) + ")"
    exports = wasmkit.load(wat).exports
    assert (exports.get(), exports.keys(), exports.items(), exports.values(), exports._items()) == (0, 1, 2, 3, 4)
    assert [exports[name]() for name in names] == list(range(len(names)))
    assert list(exports) == names and len(exports) == len(names)
    assert "get" in exports and "missing" not in exports
    with pytest.raises(AttributeError, match="no export named 'missing'"):
        exports.missing
    with pytest.raises(KeyError):
        exports["missing"]


def test_an_instances_exports_can_be_given_as_imports() -> None:
    lib = wasmkit.load('(module (func (export "get") (result i32) (i32.const 7)))')
    user = wasmkit.load('(module (import "lib" "get" (func $g (result i32))) (func (export "run") (result i32) (call $g)))', {"lib": lib.exports})
    assert user.exports.run() == 7
