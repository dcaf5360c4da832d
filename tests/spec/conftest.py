"""Fixtures of the spec suites: the official scripts, and wabt's conversion of them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support import require_shared, tool


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Convert a wasm-2.0 .wast file with wast2json (once per session) and return the
    directory of its binaries and its commands."""
    root = tmp_path_factory.mktemp("wast2json")
    cache: dict[str, tuple[Path, list[dict]]] = {}

    def convert(name: str) -> tuple[Path, list[dict]]:
        if name not in cache:
            out = root / name
            out.mkdir()
            source = require_shared("spec", "wasm-2.0", f"{name}.wast")
            subprocess.run(
                [tool("wast2json"), str(source), "-o", str(out / f"{name}.json")],
                check=True,
                capture_output=True,
            )
            cache[name] = (out, json.loads((out / f"{name}.json").read_text())["commands"])
        return cache[name]

    return convert
