"""corpus/fetch.py without the network: a module is kept only with the manifest's hash, a
second fetch downloads nothing, and a changed package is a clear error."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

import corpus.fetch as fetch
from corpus.fetch import Entry, fetch as fetch_all, is_cached, load_manifest, module_path

MODULE = b"\0asm\x01\0\0\0"


def _entry(data: bytes) -> Entry:
    return Entry(name="tiny", registry="npm", package="tiny-pkg", version="1.0.0", path="package/tiny.wasm",
                 sha256=hashlib.sha256(data).hexdigest(), size=len(data), toolchain="none", evidence="test")  # fmt: skip


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake npm registry serving a tarball that holds MODULE; records each download."""
    downloads: list[str] = []

    def download(registry: str, package: str, version: str, into: Path) -> Path:
        downloads.append(package)
        archive = into / f"{package}-{version}.tgz"
        with tarfile.open(archive, "w:gz") as tf:
            info = tarfile.TarInfo("package/tiny.wasm")
            info.size = len(MODULE)
            tf.addfile(info, io.BytesIO(MODULE))
        return archive

    monkeypatch.setattr(fetch, "_download", download)
    return downloads


def test_fetch_keeps_the_module_and_skips_it_when_cached(registry: list[str], tmp_path: Path) -> None:
    entry = _entry(MODULE)
    assert fetch_all([entry], tmp_path) == []
    assert module_path(entry, tmp_path).read_bytes() == MODULE and is_cached(entry, tmp_path)
    assert fetch_all([entry], tmp_path) == []
    assert registry == ["tiny-pkg"]


def test_a_changed_module_is_a_clear_error(registry: list[str], tmp_path: Path) -> None:
    entry = _entry(MODULE + b"\0")
    errors = fetch_all([entry], tmp_path)
    assert len(errors) == 1 and "holds a different package/tiny.wasm" in errors[0]
    assert not module_path(entry, tmp_path).exists()


def test_the_manifest_covers_many_toolchains() -> None:
    entries = load_manifest()
    assert len(entries) >= 30 and len({e.name for e in entries}) == len(entries)
    families = {e.toolchain.split(" ")[0] for e in entries}
    assert len(families) >= 6, families
    assert all(len(e.sha256) == 64 and e.registry in ("pypi", "npm") for e in entries)
