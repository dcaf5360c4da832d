"""A large module is compiled in pieces, each compiled (or loaded from the cache) when one of
its functions is first called: calls, tail calls, call_indirect, call_ref and exceptions
cross pieces as they cross functions, and only what runs is compiled. The fast tier, which
large modules get, makes a piece of each function; it is forced here on a small module."""

from __future__ import annotations

import gc
import threading
import zlib
from pathlib import Path
from typing import cast

import pytest

import wasmkit

pytest.importorskip("llvmlite")

from wasmkit.engine.native import NativeEngine  # noqa: E402
from wasmkit.engine.native import cache as native_cache  # noqa: E402
from wasmkit.engine.native import module as native_module  # noqa: E402
from wasmkit.engine.native import pieces as native_pieces  # noqa: E402
from wasmkit.engine.native import tier_up  # noqa: E402

PIECES = """
(module
  (type $unary (func (param i32) (result i32)))
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $double $negate)
  (tag $oops (param i32))
  (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
  (func $negate (type $unary) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "chain") (param i32) (result i32) (call $double (call $negate (local.get 0))))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $unary) (local.get 0) (local.get 1)))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 7))
      (else (return_call $down_again (i32.sub (local.get 0) (i32.const 1))))))
  (func $down_again (param i32) (result i32) (return_call $down (local.get 0)))
  (func $throw (param i32) (throw $oops (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $oops $caught) (call $throw (local.get 0)))
      (i32.const -1)))
  (func (export "by_reference") (param i32) (result i32) (call_ref $unary (local.get 0) (ref.func $negate)))
  (func (export "never") (result i32) (i32.const 99))
  (func (export "maybe") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (call $rarely)) (else (i32.const 0))))
  (func $rarely (result i32) (i32.const 5))
)
"""


@pytest.fixture
def one_function_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMKIT_NATIVE_TIER", "fast")


def instantiate(cache_dir: Path | None = None) -> wasmkit.Instance:
    return wasmkit.Instance(wasmkit.Module(PIECES), store=wasmkit.Store(NativeEngine(cache_dir=cache_dir)))


def loaded_functions(instance: wasmkit.Instance) -> set[int]:
    return {index for run in instance.native.compiled.pieces.loaded for index in run}  # type: ignore[attr-defined]


@pytest.mark.usefixtures("one_function_pieces")
def test_only_the_functions_that_run_are_compiled() -> None:
    instance = instantiate()
    assert len(instance.native.compiled.pieces.runs) == 12  # type: ignore[attr-defined]
    assert loaded_functions(instance) == set()
    assert instance.exports.chain(5) == -10
    assert loaded_functions(instance) == {0, 1, 2}  # chain, and the two it calls
    assert instance.exports.never() == 99
    assert loaded_functions(instance) == {0, 1, 2, 9}


@pytest.mark.usefixtures("one_function_pieces")
def test_every_kind_of_call_crosses_pieces() -> None:
    instance = instantiate()
    exports = instance.exports
    assert exports.indirect(21, 1) == -21  # through the runtime: negate was not loaded
    mirror = instance.native.mirrors[0]  # type: ignore[attr-defined]
    assert mirror[2] != 0  # element 1 now mirrors negate's code: the next call is direct
    assert exports.indirect(21, 1) == -21
    assert exports.indirect(21, 0) == 42
    with pytest.raises(wasmkit.Trap, match="undefined element|uninitialized|out of bounds"):
        exports.indirect(1, 5)
    assert exports.down(1_000_000) == 7  # tail calls back and forth between two pieces, in bounded stack
    assert exports.catch(13) == 13  # thrown in one piece, caught in another
    assert exports.by_reference(8) == -8
    assert exports.by_reference(9) == -9


@pytest.mark.usefixtures("one_function_pieces")
def test_threads_that_first_call_the_same_piece_both_get_it() -> None:
    instance = instantiate()
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(instance.exports.chain(3))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [-6] * 4


@pytest.mark.usefixtures("one_function_pieces")
def test_each_piece_is_cached_as_it_is_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert instantiate(tmp_path).exports.chain(5) == -10
    assert len(list((tmp_path / "native").glob("*/*.o"))) == 3

    def no_compiling(*args: object) -> bytes:
        raise AssertionError("a cached piece was compiled again")

    monkeypatch.setattr(native_pieces, "compile_piece", no_compiling)
    again = instantiate(tmp_path)
    assert again.exports.chain(6) == -12
    assert not again.native.compiled.compiled_now  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match="compiled again"):
        again.exports.never()  # never run before: not cached


@pytest.mark.usefixtures("one_function_pieces")
def test_compile_all_loads_every_piece_and_an_artifact_holds_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native_module.artifact, "_LOADED", {})  # the artifacts read here, forgotten after
    instance = instantiate()
    assert instance.exports.chain(1) == -2
    instance.native.compiled.compile_all()  # type: ignore[attr-defined]
    assert loaded_functions(instance) == set(range(12))
    assert instance.exports.down(10) == 7
    valid = wasmkit.Module(PIECES).valid
    data = native_module.artifact_of(valid, None)
    wasm = native_module.artifact.read_artifact(data)
    assert len(native_module.artifact.loaded_objects(native_module._digest(valid), False) or []) == 1  # one batch
    assert wasm == wasmkit.binary.write_module(valid.module)


@pytest.mark.usefixtures("one_function_pieces")
def test_a_whole_compile_makes_an_object_file_per_batch_which_later_runs_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiling all of a large module makes an object file per batch of functions (not one per
    function: 89,000 of them for python.wasm); a later run loads the batch of the function it
    calls from the cache, and a module compiled in part compiles the rest in runs."""
    from wasmkit.engine.native import codegen

    monkeypatch.setattr(codegen, "BATCH_FUNCTIONS", 5)
    first = instantiate(tmp_path)
    first.native.compiled.compile_all()  # type: ignore[attr-defined]
    assert sorted(p.name for p in (tmp_path / "native").glob("*/*.o")) == ["0-5.o", "10-12.o", "5-10.o"]

    def no_compiling(*args: object) -> bytes:
        raise AssertionError("compiled again")

    with monkeypatch.context() as patched:
        patched.setattr(native_pieces, "compile_piece", no_compiling)
        patched.setattr(native_pieces, "compile_pieces", no_compiling)
        later = instantiate(tmp_path)
        assert later.exports.chain(4) == -8
        assert loaded_functions(later) == set(range(5))  # the batch of 0-4
        assert later.exports.maybe(1) == 5
        assert loaded_functions(later) == set(range(5)) | {10, 11}

    partly = instantiate()
    assert partly.exports.never() == 99  # function 9, alone
    partly.native.compiled.compile_all()  # type: ignore[attr-defined]
    assert loaded_functions(partly) == set(range(12))
    assert partly.exports.chain(2) == -4 and partly.exports.down(100) == 7


@pytest.mark.usefixtures("one_function_pieces")
def test_an_artifact_holds_batches_loaded_as_their_functions_are_called(monkeypatch: pytest.MonkeyPatch) -> None:
    from wasmkit.engine.native import codegen

    monkeypatch.setattr(codegen, "BATCH_FUNCTIONS", 5)
    monkeypatch.setattr(native_module.artifact, "_LOADED", {})  # the artifacts read here, forgotten after
    valid = wasmkit.Module(PIECES).valid
    data = native_module.artifact_of(valid, None)
    native_module.artifact.read_artifact(data)
    assert len(native_module.artifact.loaded_objects(native_module._digest(valid), False) or []) == 3
    monkeypatch.setattr(native_pieces, "compile_piece", lambda *args: pytest.fail("compiled again"))
    instance = instantiate()
    assert instance.exports.indirect(3, 0) == 6
    assert loaded_functions(instance) == set(range(5))
    assert instance.exports.catch(4) == 4  # functions 6 and 7: the second batch
    assert loaded_functions(instance) == set(range(10))


@pytest.mark.usefixtures("one_function_pieces")
def test_a_function_called_while_its_batch_compiles_is_linked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch whose function another thread loaded meanwhile is not linked (its symbols would
    clash): the rest of its functions are loaded alone."""
    instance = instantiate()
    pieces = instance.native.compiled.pieces  # type: ignore[attr-defined]
    original = native_pieces.compile_pieces

    def called_meanwhile(*args: object, **kwargs: object) -> object:
        for span, data in original(*args, **kwargs):  # type: ignore[arg-type]
            pieces.load_function(span.start + 2)  # as a call on another thread would
            yield span, data

    monkeypatch.setattr(native_pieces, "compile_pieces", called_meanwhile)
    pieces.compile_all()
    assert loaded_functions(instance) == set(range(12))
    assert instance.exports.chain(7) == -14 and instance.exports.maybe(1) == 5


def variant_cache(cache_dir: Path) -> native_cache.ObjectCache:
    """The cache of the one variant compiled under `cache_dir`."""
    (directory,) = {path.parent for path in (cache_dir / "native").glob("*/*.o")}
    return native_cache.ObjectCache.at(directory)


def object_files(cache: native_cache.ObjectCache) -> dict[int, bytes]:
    """Each piece's object file in `cache`, by its first function."""
    return {start: cast(bytes, cache.load(run)) for start, run in cache.stored().items()}


def working_set(cache_dir: Path) -> list[int]:
    """The first function of each piece in the working set kept under `cache_dir`."""
    kept = variant_cache(cache_dir).load_working_set()
    if kept is None:
        return []
    assert kept.object_file() is not None  # which also closes the file
    return kept.starts


@pytest.mark.usefixtures("one_function_pieces")
def test_a_later_run_links_the_working_set_at_once_and_grows_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pieces a run loaded are merged into one object file when it ends, which the next run
    links on a thread as the module loads; what that run loads besides joins the working set."""
    first = instantiate(tmp_path)
    assert first.exports.chain(5) == -10
    del first
    gc.collect()  # the module's code is dropped: its working set is kept
    assert working_set(tmp_path) == [2, 1, 0]  # chain, then what it called, in that order

    monkeypatch.setattr(native_pieces, "compile_piece", lambda *args: pytest.fail("compiled again"))
    monkeypatch.setattr(native_pieces.ObjectCache, "load", lambda *args: pytest.fail("a piece read alone"))
    second = instantiate(tmp_path)
    assert second.exports.chain(6) == -12
    assert loaded_functions(second) == {0, 1, 2}
    monkeypatch.undo()
    monkeypatch.setenv("WASMKIT_NATIVE_TIER", "fast")
    assert second.exports.catch(3) == 3  # functions 6 and 7, loaded alone
    del second
    gc.collect()
    assert working_set(tmp_path) == [2, 1, 0, 7, 6]

    third = instantiate(tmp_path)
    assert third.exports.catch(9) == 9 and third.exports.down(1000) == 7 and third.exports.indirect(2, 1) == -2
    assert loaded_functions(third) >= {0, 1, 2, 6, 7}


@pytest.mark.usefixtures("one_function_pieces")
def test_tables_mirrored_before_the_working_set_links_are_mirrored_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instance bound while its working set still links lists the table's functions as not
    loaded; the first indirect call that finds them so mirrors the tables again, so that the
    next takes the direct path (one call through Python, not one per element)."""
    first = instantiate(tmp_path)
    assert first.exports.indirect(2, 0) == 4 and first.exports.indirect(2, 1) == -2
    del first
    gc.collect()
    assert {0, 1, 3} <= set(working_set(tmp_path))

    release = threading.Event()
    real_add = native_pieces.add_objects

    def held_add(*args: object) -> None:
        if threading.current_thread().name == "wasmkit-working-set":
            release.wait(10)
        real_add(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(native_pieces, "add_objects", held_add)
    slow_calls: list[int] = []
    real_call_indirect = native_module._Binding._call_indirect

    def counted(self: object, *args: int) -> int:
        slow_calls.append(args[2])
        return real_call_indirect(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(native_module._Binding, "_call_indirect", counted)
    second = instantiate(tmp_path)
    assert second.native.mirrored_before_link  # type: ignore[attr-defined]
    release.set()
    assert second.native.compiled.pieces.working_set_linked.wait(10)  # type: ignore[attr-defined]
    assert second.exports.indirect(2, 0) == 4 and second.exports.indirect(3, 1) == -3
    assert slow_calls == [0]  # the first element's, then the direct path


@pytest.mark.usefixtures("one_function_pieces")
def test_an_unusable_working_set_only_costs_time(tmp_path: Path) -> None:
    first = instantiate(tmp_path)
    assert first.exports.chain(5) == -10
    del first
    gc.collect()
    (kept,) = (tmp_path / "native").glob("*/working-set")
    data = kept.read_bytes()
    kept.write_bytes(data[: len(data) // 2])  # its object file cut short
    again = instantiate(tmp_path)
    assert again.exports.chain(7) == -14
    kept.write_bytes(b"\xff\xff\xff\xff")  # more pieces than the file holds
    assert instantiate(tmp_path).exports.chain(8) == -16


def exercise(instance: wasmkit.Instance) -> None:
    """Every kind of call across pieces, with the answers the module must give."""
    exports = instance.exports
    assert exports.chain(5) == -10 and exports.indirect(4, 1) == -4 and exports.down(100_000) == 7
    assert exports.catch(11) == 11 and exports.by_reference(3) == -3 and exports.maybe(1) == 5


@pytest.mark.usefixtures("one_function_pieces")
def test_pieces_are_compiled_again_and_later_runs_load_that_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FAST piece's IR is kept beside its object file; `tier_up`'s process compiles it
    again (registers allocated as LLVM's optimising levels do), and that code takes the first
    code's place in the piece's file and in the working set."""
    first = instantiate(tmp_path)
    exercise(first)
    del first
    gc.collect()  # WASMKIT_NATIVE_TIER_UP is "off" in the suite: the IR stays
    cache = variant_cache(tmp_path)
    fast = object_files(cache)
    assert sorted(run.start for run in cache.sources()) == sorted(fast)
    fast_set = (tmp_path / "native").glob("*/working-set").__next__().read_bytes()

    monkeypatch.setenv(tier_up.MODE_VARIABLE, "wait")
    tier_up.start(cache)
    assert cache.sources() == []
    again = object_files(cache)
    assert again.keys() == fast.keys() and all(again[k] != fast[k] for k in fast)
    assert sum(map(len, again.values())) < sum(map(len, fast.values()))  # fewer values spilled
    assert next((tmp_path / "native").glob("*/working-set")).read_bytes() != fast_set

    monkeypatch.setattr(native_pieces, "compile_piece", lambda *args: pytest.fail("compiled again"))
    exercise(instantiate(tmp_path))  # the working set's code, now the FULL tier's
    monkeypatch.setattr(native_pieces.ObjectCache, "load_working_set", lambda self: None)
    exercise(instantiate(tmp_path))  # each piece's own file


@pytest.mark.usefixtures("one_function_pieces")
def test_a_run_that_compiled_pieces_has_a_process_compile_them_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tier_up.MODE_VARIABLE, "background")
    first = instantiate(tmp_path)
    exercise(first)
    cache = variant_cache(tmp_path)
    fast = object_files(cache)
    del first
    gc.collect()
    tier_up.wait(tmp_path)  # the process started as the module was dropped holds the lock till it ends
    assert cache.sources() == []
    assert all(data != fast[k] for k, data in object_files(cache).items())
    exercise(instantiate(tmp_path))


@pytest.mark.usefixtures("one_function_pieces")
def test_a_piece_whose_ir_cannot_be_compiled_keeps_its_fast_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = instantiate(tmp_path)
    assert first.exports.chain(5) == -10
    del first
    gc.collect()
    cache = variant_cache(tmp_path)
    fast = object_files(cache)
    broken, cut = sorted(cache.directory.glob("*.ll.z"))[:2]
    broken.write_bytes(b"not zlib")
    cut.write_bytes(zlib.compress(b"define void @f( {"))
    monkeypatch.setenv(tier_up.MODE_VARIABLE, "wait")
    tier_up.start(cache)
    assert cache.sources() == []
    kept = {int(path.name.split("-")[0]) for path in (broken, cut)}
    assert {k for k, data in object_files(cache).items() if data == fast[k]} == kept
    exercise(instantiate(tmp_path))


@pytest.mark.usefixtures("one_function_pieces")
def test_a_run_can_wait_for_its_pieces_to_be_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tier_up.MODE_VARIABLE, "wait")
    first = instantiate(tmp_path)
    assert first.exports.chain(5) == -10
    del first
    gc.collect()
    assert variant_cache(tmp_path).sources() == []
