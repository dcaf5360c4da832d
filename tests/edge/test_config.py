"""modules.toml: WAGI's format read as WAGI reads it, wasmkit's limits with their defaults,
and a clear error (file, route, what) for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmkit.edge.config import LIMIT_DEFAULTS, ConfigError, load_config


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.wasm").write_bytes(b"\0asm\1\0\0\0")
    (tmp_path / "data").mkdir()
    return tmp_path


def write(site: Path, text: str) -> Path:
    path = site / "modules.toml"
    path.write_text(text)
    return path


def test_a_wagi_config_reads_with_defaults(site: Path) -> None:
    config = load_config(write(site, '''
[[module]]
route = "/hello/..."
module = "app.wasm"
environment = { GREETING = "hi" }
volumes = { "/data" = "data" }
allowed_hosts = ["https://example.com"]

[[module]]
route = "/raw"
module = "file://app.wasm"
entrypoint = "handle"
argv = "${SCRIPT_NAME}"
timeout_ms = 100
fuel = 5000
memory_mb = 8
max_body_bytes = 10
max_response_bytes = 20
'''))
    first, second = config.routes
    assert first.route.text == "/hello/..." and first.module == site / "app.wasm"
    assert first.environment == {"GREETING": "hi"}
    assert first.volumes == {"/data": site / "data"}
    assert (first.entrypoint, first.argv) == ("_start", "${SCRIPT_NAME} ${ARGS}")
    assert first.timeout_ms == LIMIT_DEFAULTS["timeout_ms"] and first.fuel is None and first.memory_mb == 128
    assert second.module == site / "app.wasm"
    assert (second.entrypoint, second.argv) == ("handle", "${SCRIPT_NAME}")
    assert (second.timeout_ms, second.fuel, second.memory_mb, second.max_body_bytes, second.max_response_bytes) == (100, 5000, 8, 10, 20)
    assert len(config.warnings) == 1 and "allowed_hosts has no effect" in config.warnings[0]
    assert config.watched_files() == [site / "modules.toml", site / "app.wasm"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no \\[\\[module\\]\\] tables"),
        ("[[module]\n", "not valid TOML"),
        ('[[module]]\nmodule = "app.wasm"', "#1: route is required"),
        ('[[module]]\nroute = "/a"', "#1 \\(/a\\): module is required"),
        ('[[module]]\nroute = "/a"\nmodule = "missing.wasm"', "module missing.wasm is not a file"),
        ('[[module]]\nroute = "/a"\nmodule = "oci:x/y"', "of the form oci: are not supported"),
        ('[[module]]\nroute = "a"\nmodule = "app.wasm"', "must begin with /"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\ntimeout = 5', "unknown key\\(s\\) timeout"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\nfuel = -1', "fuel must be a positive whole number"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\nmemory_mb = true', "memory_mb must be a positive"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\nmemory_mb = 28', "memory_mb = 28 leaves no room for linear memory.*28.5 MiB"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\nvolumes = { "data" = "data" }', "absolute guest path"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\nvolumes = { "/d" = "nope" }', "nope is not a directory"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\nenvironment = { A = 1 }', "environment variable 'A'"),
        ('[[module]]\nroute = "/a"\nmodule = "app.wasm"\n[[module]]\nroute = "/a"\nmodule = "app.wasm"', "already served by \\[\\[module\\]\\] #1"),
        ('x = 1\n[[module]]\nroute = "/a"\nmodule = "app.wasm"', "unknown top-level key\\(s\\) x"),
    ],
)
def test_mistakes(site: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_config(write(site, text))
    assert str(error.value).startswith(str(site / "modules.toml"))


def test_unreadable_file(site: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(site / "absent.toml")


def test_a_wasm_file_is_served_on_every_path() -> None:
    # `wasmkit serve app.wasm`, as `wasmtime serve app.wasm`: the file, default limits.
    component = Path(__file__).parents[1] / "component" / "data" / "proxy.wasm"
    config = load_config(component)
    assert [(route.route.text, route.module) for route in config.routes] == [("/...", component.resolve())]
    assert config.routes[0].timeout_ms == LIMIT_DEFAULTS["timeout_ms"]
    assert config.watched_files() == [component.resolve()]
