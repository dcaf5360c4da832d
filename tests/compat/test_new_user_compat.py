"""Where code written for wasmtime-py behaved differently on wasmkit.compat.wasmtime: each
observation is made with both and must be the same."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
import wasmtime as real

from wasmkit.compat import wasmtime as compat

WAT = """
(module
  (memory (export "memory") 1)
  (global (export "g") i32 (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
"""


def _instance(w: ModuleType) -> tuple[Any, Any]:
    store = w.Store(w.Engine())
    return store, w.Instance(store, w.Module(store.engine, WAT), [])


def _wrong_argument_counts(w: ModuleType) -> list[str]:
    store, instance = _instance(w)
    add = instance.exports(store)["add"]
    seen = []
    for args in [(1,), (1, 2, 3)]:
        try:
            add(store, *args)
        except w.WasmtimeError as err:  # what wasmtime-py programs catch
            seen.append(str(err))
    return seen


def _exports_as_a_mapping(w: ModuleType) -> list[object]:
    store, instance = _instance(w)
    exports = instance.exports(store)
    return [
        list(exports.keys()),
        [type(item).__name__ for item in exports.by_index],
        [(name, type(item).__name__) for name, item in exports.items()],
        exports.get("absent"),
        "add" in exports,
        exports["add"](store, 2, 3),
        exports.by_index[2](store, 4, 5),
    ]


def _negative_growth(w: ModuleType) -> str:
    store, instance = _instance(w)
    try:
        instance.exports(store)["memory"].grow(store, -1)
    except w.WasmtimeError as err:
        return str(err)
    return "grew"


def test_a_wrong_argument_count_is_a_wasmtime_error() -> None:
    assert _wrong_argument_counts(compat) == _wrong_argument_counts(real)
    assert len(_wrong_argument_counts(compat)) == 2


def test_instance_exports_is_a_mapping_with_by_index() -> None:
    assert _exports_as_a_mapping(compat) == _exports_as_a_mapping(real)


def test_negative_memory_growth_is_refused_as_wasmtime_does() -> None:
    assert _negative_growth(compat) == _negative_growth(real) == "cannot grow by negative amount"


def test_an_engine_keeps_no_store_alive() -> None:
    """A program keeps its Engine for its whole life and makes a Store per request: the engine
    must not hold every store ever made (nor walk them all on each epoch)."""
    import gc
    import weakref

    config = compat.Config()
    config.epoch_interruption = True
    engine = compat.Engine(config)
    kept = compat.Store(engine)
    kept.set_epoch_deadline(1)
    gone = [weakref.ref(compat.Store(engine)) for _ in range(3)]
    waiting = compat.Store(engine)
    waiting.set_epoch_deadline(5)
    dropped = weakref.ref(waiting)
    del waiting
    gc.collect()
    assert all(ref() is None for ref in gone) and dropped() is None
    engine.increment_epoch()  # the live store with a deadline still sees it pass
    exports = compat.Instance(kept, compat.Module(engine, '(module (func (export "f")))'), []).exports(kept)
    with pytest.raises(compat.Trap) as trap:
        exports["f"](kept)
    assert trap.value.trap_code == compat.TrapCode.INTERRUPT


def test_the_engine_is_picked_as_engine_auto_picks_it() -> None:
    """Code written for wasmtime-py runs at native speed where the native engine can run, and
    `Config.wasmkit_engine` picks one."""
    pytest.importorskip("llvmlite")
    wat = '(module (func (export "f") (result i32) (i32.const 7)))'
    for chosen, expected in (("auto", "native"), ("native", "native"), ("python", "python")):
        config = compat.Config()
        config.wasmkit_engine = chosen
        store = compat.Store(compat.Engine(config))
        assert store._store.engine.name == expected
        assert compat.Instance(store, compat.Module(store.engine, wat), []).exports(store)["f"](store) == 7
    assert compat.Config().wasmkit_engine == "auto"


def test_serialize_keeps_machine_code_on_the_native_engine(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As yowasp's runtime caches compiled modules: `serialize` on the native engine holds the
    machine code, and `deserialize_file` loads it without compiling; on the Python engine it is
    the module's binary encoding."""
    pytest.importorskip("llvmlite")
    wat = '(module (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))'
    engine = compat.Engine()
    path = tmp_path / "module.bin"
    path.write_bytes(compat.Module(engine, wat).serialize())
    assert path.read_bytes().startswith(b"\0wasmkit-native\n")

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("a deserialized module was compiled again")

    monkeypatch.setenv("WASMKIT_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("wasmkit.engine.native.pieces.compile_piece", no_compiling)
    monkeypatch.setattr("wasmkit.engine.native.pieces.compile_pieces", no_compiling)
    store = compat.Store(engine)
    module = compat.Module.deserialize_file(engine, str(path))
    assert compat.Instance(store, module, []).exports(store)["twice"](store, 21) == 42

    python = compat.Config()
    python.wasmkit_engine = "python"
    plain = compat.Module(compat.Engine(python), wat).serialize()
    assert bytes(plain).startswith(b"\0asm")
    with pytest.raises(compat.WasmtimeError):
        compat.Module.deserialize(engine, b"\0wasmkit-native\n" + b"\xff" * 40)
