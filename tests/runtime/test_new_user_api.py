"""What a new user of the Python API stumbled on: each entry point takes what `load` takes,
bad arguments are clear TypeErrors, and link errors say what was expected and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

import wasmkit
from tests.support import PROJECT_ROOT

GREET = PROJECT_ROOT / "examples" / "greet.wat"
HELLO = PROJECT_ROOT / "examples" / "hello.wasm"


# -- Module(source) takes what load takes --


@pytest.mark.parametrize("source", [str(GREET), GREET, str(GREET).encode()])
def test_module_takes_a_path_as_load_does(source: object) -> None:
    module = wasmkit.Module(source)  # type: ignore[arg-type]
    assert [name for name, _ in module.exports] == ["memory", "greet"]
    assert module.name == str(GREET)


def test_module_still_takes_text_and_bytes() -> None:
    assert wasmkit.Module("(module (func (export \"f\")))").exports[0][0] == "f"
    assert wasmkit.Module(GREET.read_bytes()).exports[1][0] == "greet"


def test_module_from_a_missing_path_says_what_it_takes(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="a path, wasm bytes, WAT text"):
        wasmkit.Module(str(tmp_path / "absent.wat"))


def test_module_from_file_reads_content_that_looks_like_a_path(tmp_path: Path) -> None:
    """A file's content is never taken for a path in turn: text that is not WAT is a ParseError."""
    path = tmp_path / "prog.c"
    path.write_text("int main(void) { return 0; }\n")
    with pytest.raises(wasmkit.ParseError):
        wasmkit.Module.from_file(path)


# -- bad arguments are TypeErrors that say what is accepted --


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: wasmkit.load(GREET, imports={"env": [1, 2]}), r"imports\['env'\] must map names"),
        (lambda: wasmkit.load(GREET, imports=[print]), "imports= takes a dict"),  # type: ignore[arg-type]
        (lambda: wasmkit.load(42), "a module source is a path"),  # type: ignore[arg-type]
        (lambda: wasmkit.Module(42), "a module source is a path"),  # type: ignore[arg-type]
        (lambda: wasmkit.load(HELLO, wasi={"argv": ["x"]}), "wasi= takes a wasmkit.wasi.WasiConfig or True"),
        (lambda: wasmkit.read_module(str(HELLO)), "read_module takes a binary module's bytes"),  # type: ignore[arg-type]
        (lambda: wasmkit.validate("(module)"), "validate takes a parsed module"),  # type: ignore[arg-type]
        (lambda: wasmkit.Instance(wasmkit.Module(GREET), 5), "imports are a sequence"),  # type: ignore[arg-type]
        (lambda: wasmkit.Instance(wasmkit.Module(GREET), {"env": 5}), r"imports\['env'\] must map"),  # type: ignore[dict-item]
    ],
)
def test_bad_arguments_are_clear_type_errors(call: object, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        call()  # type: ignore[operator]


# -- Instance takes plain callables as load does; mismatches say both types --


def test_instance_takes_a_plain_callable_for_a_function_import() -> None:
    seen: list[tuple[int, int]] = []
    instance = wasmkit.Instance(wasmkit.Module(GREET), {"env": {"log": lambda p, n: seen.append((p, n))}})
    instance.exports.greet()
    assert seen == [(16, 22)]


def test_instance_passes_the_caller_to_a_callable_that_asks() -> None:
    texts: list[bytes] = []

    def log(caller: wasmkit.Caller, pointer: int, length: int) -> None:
        texts.append(caller.memory.read(pointer, length))

    wasmkit.Instance(wasmkit.Module(GREET), {"env": {"log": log}}).exports.greet()
    assert texts == [b"Hello from wasm memory"]


def test_incompatible_import_names_expected_and_given_types() -> None:
    with pytest.raises(wasmkit.LinkError) as caught:
        wasmkit.Instance(wasmkit.Module(GREET), {"env": {"log": wasmkit.host(lambda: None)}})
    message = str(caught.value)
    assert message.startswith("incompatible import type for env.log")
    assert "expected func [i32 i32] -> []" in message and "given func [] -> []" in message


def test_incompatible_memory_import_names_its_limits() -> None:
    module = wasmkit.Module('(module (import "env" "m" (memory 2)))')
    small = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1)))
    with pytest.raises(wasmkit.LinkError, match=r"expected memory with 2 pages, given memory with 1 pages"):
        wasmkit.Instance(module, {"env": {"m": small}})


# -- a WASI program loaded without wasi= is told how to give it --


def test_missing_wasi_suggests_the_wasi_argument() -> None:
    with pytest.raises(wasmkit.LinkError, match=r"wasi_snapshot_preview1\.args_get.*wasi=wasmkit\.wasi\.WasiConfig"):
        wasmkit.load(HELLO)


def test_linker_missing_wasi_suggests_it_too() -> None:
    with pytest.raises(wasmkit.LinkError, match=r"has not been defined \(the module uses WASI"):
        wasmkit.Linker().instantiate(wasmkit.Module(HELLO))


# -- reprs and small checks on runtime objects --


def test_reprs_say_what_an_object_holds() -> None:
    memory = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1, 3)))
    table = wasmkit.Table(wasmkit.TableType(wasmkit.Limits(2), wasmkit.ValType.FUNCREF))
    store = wasmkit.Store(limits=wasmkit.StoreLimits(memory_bytes=1 << 20), fuel=10)
    linker = wasmkit.Linker()
    linker.define("env", "m", memory)
    assert repr(memory) == "<Memory pages=1 max=3 size=65536>"
    assert repr(table) == "<Table funcref size=2>"
    assert repr(store) == "<Store engine=python fuel=10 memory_bytes=1048576>"
    assert repr(linker) == "<Linker 1 definitions: env.m>"
    assert repr(wasmkit.Module("(module)")) == "<Module exports=[]>"
    i32, f64 = wasmkit.ValType.I32, wasmkit.ValType.F64
    assert repr(wasmkit.FuncType((i32, f64), (i32,))) == "FuncType((i32, f64) -> (i32))"


def test_dir_of_the_package_is_its_api() -> None:
    assert "annotations" not in dir(wasmkit)
    assert set(wasmkit.__all__) <= set(dir(wasmkit))


def test_memory_refuses_negative_growth_and_unknown_formats() -> None:
    memory = wasmkit.Memory(wasmkit.MemoryType(wasmkit.Limits(1)))
    with pytest.raises(ValueError, match="grows by a number of pages >= 0"):
        memory.grow(-1)
    with pytest.raises(ValueError, match="memory.typed takes one native struct format item"):
        memory.typed("z")
    assert memory.grow(1) == 1 and memory.pages == 2


# -- backtraces say how many frames they leave out --


def test_backtrace_of_runaway_recursion_collapses_and_counts_the_rest() -> None:
    instance = wasmkit.load('(module (func $f (export "f") (call $f)))')
    with pytest.raises(wasmkit.Trap) as caught:
        instance.exports.f()
    trap = caught.value
    assert trap.kind is wasmkit.TrapKind.CALL_STACK_EXHAUSTED
    assert len(trap.frames) == 64 and trap.more_frames > 0
    assert str(trap).splitlines() == [
        "call stack exhausted",
        "wasm backtrace:",
        "  0: f",
        "  [previous frame repeated 63 more times]",
        f"  ... {trap.more_frames} more frames",
    ]


def test_backtrace_numbers_distinct_frames_as_before() -> None:
    trap = wasmkit.Trap(wasmkit.TrapKind.UNREACHABLE, frames=["h", "g", "g", "main"])
    assert str(trap).splitlines()[2:] == ["  0: h", "  1: g", "  [previous frame repeated 1 more times]", "  3: main"]
