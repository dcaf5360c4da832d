"""`wasmkit.collector`: loading a module pauses Python's cyclic collector and leaves it as it
was found, an error included; `wasmkit run` moves what it loaded out of the collector's
generations."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

import wasmkit
from wasmkit import collector
from wasmkit.cli import main
from wasmkit.runtime import module as runtime_module

WAT = '(module (func (export "f") (result i32) (i32.const 7)))'


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    """Whatever a test does to the collector, the next test finds it on, with nothing frozen."""
    yield
    gc.enable()
    gc.unfreeze()


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_leaves_the_collector_as_it_found_it(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("an error inside")
    assert gc.isenabled() is enabled


def test_loading_a_module_collects_nothing_and_turns_the_collector_back_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = runtime_module.validate

    def validate(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime_module, "validate", validate)
    assert wasmkit.Instance(wasmkit.Module(WAT)).exports["f"]() == 7
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(wasmkit.ParseError), collector.paused():
        wasmkit.Module("(module (func (i32.const")
    assert gc.isenabled()


def test_run_freezes_what_it_loaded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.wat"
    path.write_text(WAT)
    gc.unfreeze()  # what an earlier test of this process froze
    assert gc.get_freeze_count() == 0
    assert main(["run", "--invoke", "f", str(path)]) == 0
    assert capsys.readouterr().out == "7\n"
    assert gc.get_freeze_count() > 0
    assert gc.isenabled()
