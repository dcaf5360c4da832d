"""Mutation fuzzing of the reader and validator: whatever the bytes, only WasmError subclasses
escape."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import PROJECT_ROOT, SHARED
from wasmkit.binary import read_module, write_module
from wasmkit.errors import WasmError
from wasmkit.validate import validate

SEEDS = [(PROJECT_ROOT / "examples" / "fib.wasm").read_bytes()] + [
    path.read_bytes() for path in sorted((SHARED / "bench").glob("*.wasm"))[:2]
]


@st.composite
def mutated_modules(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[pos] = draw(st.sampled_from([0x00, 0x0B, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 8))]
        elif action == "truncate":
            del data[pos:]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_modules())
def test_only_wasm_errors_escape(data: bytes) -> None:
    try:
        module = read_module(data)
        validate(module)
        assert read_module(write_module(module)) == module
    except WasmError:
        pass
