"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import PROJECT_ROOT

EXPECTED = {
    "quickstart.py": ["fib(20) = 6765", "Hello from wasm memory", "half of 7 = 3.5", "as int32: 1234", "trapped: unreachable"],
    "wasi_program.py": ["Hello, Python, from WebAssembly!", "USER is demo", "9592 primes"],
    "limits.py": ["stopped: out of fuel | fuel left: 0", "stopped: interrupted"],
    "wasmtime_compat.py": ["Hello from Python!"],
    "import_hook.py": ["fib.fib(15) = 610"],
    "profile.py": ["functions sampled: ['fib']", "fib.json and", "flame.svg"],
}


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in (PROJECT_ROOT / "examples").glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str) -> None:
    result = subprocess.run(
        [sys.executable, f"examples/{name}"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for line in EXPECTED[name]:
        assert line in result.stdout
