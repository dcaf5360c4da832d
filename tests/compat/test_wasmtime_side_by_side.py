"""wasmkit.compat.wasmtime against real wasmtime-py, side by side.

Each scenario (ported from wasmtime-py's examples and documentation) is written once against
the wasmtime-py API and run twice: with `wasmtime` and with `wasmkit.compat.wasmtime`. Both
must give the same observations.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest
import wasmtime as real

from tests.support import PROJECT_ROOT
from wasmkit.compat import wasmtime as compat

SCENARIOS: list[Callable[[ModuleType, Path], Any]] = []


def scenario(fn: Callable[[ModuleType, Path], Any]) -> Callable[[ModuleType, Path], Any]:
    SCENARIOS.append(fn)
    return fn


def trap_code(w: ModuleType, call: Callable[[], Any]) -> Any:
    try:
        call()
    except w.Trap as trap:
        return trap.trap_code.name if trap.trap_code else "trap"
    return "no trap"


@scenario
def hello(w: ModuleType, tmp: Path) -> Any:
    """A host function imported and called by wasm (examples/hello.py)."""
    engine = w.Engine()
    store = w.Store(engine)
    module = w.Module(engine, '(module (func $hello (import "" "hello")) (func (export "run") (call $hello)))')
    calls = []
    hello = w.Func(store, w.FuncType([], []), lambda: calls.append("Hello from Python!"))
    instance = w.Instance(store, module, [hello])
    instance.exports(store)["run"](store)
    return calls


@scenario
def gcd(w: ModuleType, tmp: Path) -> Any:
    """Calling an exported function (examples/gcd.py)."""
    wat = """(module (func $gcd (export "gcd") (param i32 i32) (result i32) (local i32)
        block  ;; label = @1
          block  ;; label = @2
            local.get 0
            br_if 0 (;@2;)
            local.get 1
            local.set 2
            br 1 (;@1;)
          end
          loop  ;; label = @2
            local.get 1
            local.get 0
            local.tee 2
            i32.rem_u
            local.set 0
            local.get 2
            local.set 1
            local.get 0
            br_if 0 (;@2;)
          end
        end
        local.get 2))"""
    store = w.Store()
    instance = w.Instance(store, w.Module(store.engine, wat), [])
    gcd = instance.exports(store)["gcd"]
    return [gcd(store, 6, 27), gcd(store, 1071, 462)]


@scenario
def memory(w: ModuleType, tmp: Path) -> Any:
    """Reading, writing and growing memory, and out-of-bounds traps (examples/memory.py)."""
    wat = """(module (memory (export "memory") 2 3)
        (func (export "size") (result i32) (memory.size))
        (func (export "load") (param i32) (result i32) (i32.load8_s (local.get 0)))
        (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
        (data (i32.const 0x1000) "\\01\\02\\03\\04"))"""
    store = w.Store()
    instance = w.Instance(store, w.Module(store.engine, wat), [])
    exports = instance.exports(store)
    memory, size, load, store_ = exports["memory"], exports["size"], exports["load"], exports["store"]
    seen = [memory.size(store), memory.data_len(store), memory.data_ptr(store)[0x1003], size(store), load(store, 0x1003)]
    seen.append(trap_code(w, lambda: load(store, 0x20000)))
    memory.data_ptr(store)[0x1003] = 5
    store_(store, 0x1002, 6)
    seen += [memory.read(store, 0x1000, 0x1004), load(store, 0x1003)]
    memory.write(store, b"\xff\xfe", 0x1000)
    seen += [load(store, 0x1000), memory.grow(store, 1), memory.size(store), memory.data_len(store)]
    try:
        memory.grow(store, 1)
        seen.append("grew")
    except w.WasmtimeError:
        seen.append("grow refused")
    standalone = w.Memory(store, w.MemoryType(w.Limits(5, 5)))
    seen += [standalone.size(store), standalone.grow(store, 0)]
    return seen


@scenario
def multi_value(w: ModuleType, tmp: Path) -> Any:
    """Multi-value functions in both directions (examples/multi.py)."""
    wat = """(module
        (func $f (import "" "f") (param i32 i64) (result i64 i32))
        (func (export "g") (param i32 i64) (result i64 i32) (call $f (local.get 0) (local.get 1)))
        (func (export "round_trip_many") (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
          (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
          local.get 0 local.get 1 local.get 2 local.get 3 local.get 4
          local.get 5 local.get 6 local.get 7 local.get 8 local.get 9))"""
    store = w.Store()
    i32, i64 = w.ValType.i32(), w.ValType.i64()
    callback = w.Func(store, w.FuncType([i32, i64], [i64, i32]), lambda a, b: [b + 1, a + 1])
    instance = w.Instance(store, w.Module(store.engine, wat), [callback])
    exports = instance.exports(store)
    return [exports["g"](store, 1, 3), exports["round_trip_many"](store, *range(10))]


@scenario
def linking_with_wasi(w: ModuleType, tmp: Path) -> Any:
    """Two modules linked through a Linker with WASI (examples/linking.py)."""
    out = tmp / f"out-{w.__name__.rsplit('.', 1)[-1]}.txt"
    engine = w.Engine()
    linker = w.Linker(engine)
    linker.define_wasi()
    store = w.Store(engine)
    wasi = w.WasiConfig()
    wasi.stdout_file = str(out)
    store.set_wasi(wasi)
    printer = w.Module(engine, """(module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "print") (param i32 i32) (result i32)
          (i32.store (i32.const 0) (local.get 0)) (i32.store (i32.const 4) (local.get 1))
          (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))""")
    linker.define_instance(store, "printer", linker.instantiate(store, printer))
    user = w.Module(engine, """(module
        (import "printer" "print" (func $print (param i32 i32) (result i32)))
        (import "printer" "memory" (memory 1))
        (data (i32.const 16) "Hello, world!\\n")
        (func (export "run") (result i32) (call $print (i32.const 16) (i32.const 14))))""")
    errno = linker.instantiate(store, user).exports(store)["run"](store)
    del store, linker
    return [errno, out.read_text()]


@scenario
def traps(w: ModuleType, tmp: Path) -> Any:
    """Trap codes of the common traps."""
    wat = """(module (table 2 funcref) (elem (i32.const 0) $nop) (type $t (func (param i32)))
        (func $nop)
        (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
        (func (export "unreachable") unreachable)
        (func (export "indirect") (param i32) (call_indirect (type $t) (i32.const 0) (local.get 0)))
        (func $rec (export "recurse") (call $rec))
        (func (export "conv") (param f64) (result i32) (i32.trunc_f64_s (local.get 0))))"""
    store = w.Store()
    exports = w.Instance(store, w.Module(store.engine, wat), []).exports(store)
    return [
        trap_code(w, lambda: exports["div"](store, 0)),
        trap_code(w, lambda: exports["unreachable"](store)),
        trap_code(w, lambda: exports["indirect"](store, 0)),
        trap_code(w, lambda: exports["indirect"](store, 1)),
        trap_code(w, lambda: exports["indirect"](store, 5)),
        trap_code(w, lambda: exports["recurse"](store)),
        trap_code(w, lambda: exports["conv"](store, float("nan"))),
        exports["div"](store, -1),
    ]


@scenario
def fuel(w: ModuleType, tmp: Path) -> Any:
    """Fuel: refused without configuration, a trap when it runs out, refillable."""
    config = w.Config()
    config.consume_fuel = True
    engine = w.Engine(config)
    store = w.Store(engine)
    wat = '(module (func (export "spin") (param i32) (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))'
    spin = w.Instance(store, w.Module(engine, wat), []).exports(store)["spin"]
    store.set_fuel(10_000)
    spin(store, 10)
    left = store.get_fuel()
    code = trap_code(w, lambda: spin(store, 100_000))
    store.set_fuel(10_000)
    spin(store, 10)
    plain = w.Store()
    try:
        plain.set_fuel(1)
        refused = False
    except w.WasmtimeError:
        refused = True
    return [0 < left < 10_000, code, refused]


@scenario
def epoch_deadlines(w: ModuleType, tmp: Path) -> Any:
    """An epoch deadline passed while the store is idle stops the next call, until it is set
    again; ticks before the deadline stop nothing."""
    config = w.Config()
    config.epoch_interruption = True
    engine = w.Engine(config)
    store = w.Store(engine)
    store.set_epoch_deadline(2)
    wat = '(module (func (export "one") (result i32) (i32.const 1)) (func (export "spin") (loop (br 0))))'
    exports = w.Instance(store, w.Module(engine, wat), []).exports(store)
    engine.increment_epoch()
    before = exports["one"](store)
    engine.increment_epoch()
    passed = trap_code(w, lambda: exports["one"](store))
    again = trap_code(w, lambda: exports["one"](store))
    store.set_epoch_deadline(1)
    after = exports["one"](store)
    return [before, passed, again, after]


@scenario
def globals_and_tables(w: ModuleType, tmp: Path) -> Any:
    store = w.Store()
    i32 = w.ValType.i32()
    counter = w.Global(store, w.GlobalType(i32, True), 7)
    table = w.Table(store, w.TableType(w.ValType.funcref(), w.Limits(1, 4)), None)
    wat = """(module (import "" "g" (global $g (mut i32))) (import "" "t" (table 1 funcref))
        (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
        (func (export "size") (result i32) (table.size 0)))"""
    exports = w.Instance(store, w.Module(store.engine, wat), [counter, table]).exports(store)
    seen = [exports["bump"](store), counter.value(store)]
    counter.set_value(store, 100)
    seen += [exports["bump"](store), table.grow(store, 2, None), exports["size"](store), table.size(store), table.get(store, 0)]
    return seen


@scenario
def wasi_program_exit(w: ModuleType, tmp: Path) -> Any:
    """A WASI program's exit status arrives as ExitTrap."""
    engine = w.Engine()
    linker = w.Linker(engine)
    linker.define_wasi()
    store = w.Store(engine)
    wasi = w.WasiConfig()
    wasi.argv = ["exit_codes", "3"]
    wasi.stdout_file = str(tmp / f"exit-{w.__name__.rsplit('.', 1)[-1]}.txt")
    store.set_wasi(wasi)
    module = w.Module.from_file(engine, str(PROJECT_ROOT / "tests" / "wasi" / "programs" / "exit_codes.wasm"))
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except w.ExitTrap as exit_:
        return exit_.code
    return "returned"


@scenario
def module_introspection(w: ModuleType, tmp: Path) -> Any:
    engine = w.Engine()
    wasm = w.wat2wasm('(module (import "m" "f" (func (param i32))) (memory (export "mem") 1) (func (export "g") (result i64) (i64.const 1)))')
    w.Module.validate(engine, wasm)
    module = w.Module(engine, wasm)
    again = w.Module.deserialize(engine, module.serialize())
    try:
        w.Module(engine, b"\x00asm\x01\x00\x00\x00\x05")
        bad = "accepted"
    except w.WasmtimeError:
        bad = "rejected"
    return [
        [(i.module, i.name, [str(p) for p in i.type.params]) for i in module.imports],
        [(e.name, type(e.type).__name__) for e in again.exports],
        bad,
    ]


@scenario
def deserialize_refuses_what_serialize_never_made(w: ModuleType, tmp: Path) -> Any:
    """yowasp's runtime caches `serialize()` in a file it opens before serializing, so a
    failed serialize leaves an empty file; it relies on `deserialize_file` refusing that file
    (WasmtimeError) to compile the module again."""
    engine = w.Engine()
    empty = tmp / "empty.bin"
    empty.write_bytes(b"")
    outcomes = []
    for load in (lambda: w.Module.deserialize_file(engine, str(empty)), *(
        lambda data=data: w.Module.deserialize(engine, data) for data in (b"", b"(module)", b"garbage")
    )):  # fmt: skip
        try:
            load()
            outcomes.append("accepted")
        except w.WasmtimeError:
            outcomes.append("rejected")
    return outcomes


@pytest.mark.parametrize("run", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_same_as_wasmtime(run: Callable[[ModuleType, Path], Any], tmp_path: Path) -> None:
    assert run(compat, tmp_path) == run(real, tmp_path)
