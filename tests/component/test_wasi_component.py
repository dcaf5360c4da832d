"""A WASI 0.2 command component run from Python with `wasi=`: its wasi:cli, wasi:io and
wasi:filesystem imports come from wasmkit's WASI 0.2 host (any 0.2.x version it imports), on
both engines, and print what the wasmtime CLI prints for it."""

from __future__ import annotations

import subprocess

import pytest

import wasmkit
from tests.spec.engines import ENGINES, require_engine
from tests.support import PROJECT_ROOT
from wasmkit.wasi import WasiConfig

COMMAND = PROJECT_ROOT / "tests" / "component" / "data" / "command.wasm"  # writes "hi\n" to stdout


@pytest.mark.parametrize("engine", ENGINES)
def test_a_command_component_runs_on_the_wasi_host(engine: str) -> None:
    require_engine(engine)
    config = WasiConfig()
    config.capture_stdout()
    instance = wasmkit.load(COMMAND, wasi=config, engine=engine)
    assert list(instance.exports) == ["wasi:cli/run@0.2.12"]  # the adapter's version; the host is 0.2.0
    assert instance.exports["wasi:cli/run"]["run"]() is None  # result<_, _>: ok
    assert instance.wasi.captured_stdout == b"hi\n" == wasmtime_output()


def wasmtime_output() -> bytes:
    from tests.corpus.big import Unavailable, wasmtime_cli

    try:
        cli = wasmtime_cli()
    except Unavailable as err:
        pytest.skip(str(err))
    return subprocess.run([str(cli), "run", str(COMMAND)], capture_output=True, check=True, timeout=60).stdout


def test_imports_given_by_name_win_over_the_wasi_host() -> None:
    from wasmkit.component.host import lookup_import
    from wasmkit.component.loader import _WithWasi
    from wasmkit.wasi.preview2 import host_imports

    host = host_imports(WasiConfig())
    mine = {"get-stdout": lambda: None}
    merged = _WithWasi({"wasi:cli/stdout": mine}, host)
    assert lookup_import(merged, "wasi:cli/stdout@0.2.12") is mine  # named without a version: any
    assert lookup_import(merged, "wasi:cli/stderr@0.2.3") is host.find("wasi:cli/stderr@0.2.0")
    assert lookup_import(merged, "wasi:cli/stderr@0.3.0") is host.find("wasi:cli/stderr@0.3.0")  # WASI 0.3's
    assert "wasi:cli/stderr@0.4.0" not in merged  # another version is neither
    host.wasi.close()
