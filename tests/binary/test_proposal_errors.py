"""A binary that uses an encoding of a proposal left out of the reader's features, or a component, is
refused with the reference interpreter's words first (the spec tests match them as a prefix),
then what the byte means and which proposal it belongs to."""

from __future__ import annotations

import pytest

from wasmkit.binary import read_module
from wasmkit.errors import DecodeError
from wasmkit.opcodes import ALL_FEATURES, WASM_2_0, Feature

HEADER = b"\0asm\1\0\0\0"


def _section(section_id: int, *items: bytes) -> bytes:
    content = bytes((len(items),)) + b"".join(items)
    return bytes((section_id, len(content))) + content


def _func_body(code: bytes, params: bytes = b"") -> bytes:
    """A module with one function of type [params] -> [] whose body is `code` (then `end`)."""
    body = b"\0" + code + b"\x0b"
    return (
        HEADER
        + _section(1, b"\x60" + bytes((len(params),)) + params + b"\0")
        + _section(3, b"\0")
        + _section(10, bytes((len(body),)) + body)
    )


# WebAssembly 3.0's encodings that a reader told to keep to 2.0 refuses (as the 2.0 testsuite
# expects), naming the proposal it was told to leave out.
CASES_2_0 = {
    "memory64": (_section(5, b"\x04\x01"), "integer too large: 64-bit limits (memory64 proposal"),
    "table64": (_section(4, b"\x70\x05\x01\x02"), "integer too large: 64-bit limits (memory64 proposal"),
}

def _error(data: bytes, features=None) -> str:
    with pytest.raises(DecodeError) as err:
        read_module(data) if features is None else read_module(data, features)
    return err.value.message


def test_an_instruction_of_a_feature_left_out_is_named() -> None:
    """Under 2.0's rules (as the 2.0 testsuite reads), try_table is an illegal opcode, named."""
    assert _error(_func_body(b"\x1f\x40\x00\x0b"), WASM_2_0) == (
        "illegal opcode 1f: try_table (exceptions proposal, not enabled)"
    )


@pytest.mark.parametrize("name", sorted(CASES_2_0))
def test_3_0_sections_under_2_0_rules_are_named(name: str) -> None:
    section, expected = CASES_2_0[name]
    assert _error(HEADER + section, WASM_2_0) == f"{expected}, not enabled)"


def test_a_memory_index_under_2_0_rules_is_named() -> None:
    assert _error(_func_body(b"\x3f\x01\x1a"), WASM_2_0) == (
        "zero byte expected: a memory index (multi-memory proposal, not enabled)"
    )


def test_the_reference_types_of_3_0_are_read() -> None:
    """exnref, anyref and `(ref null? ht)` are value types now: read, not refused."""
    body = b"\x03\x01\x69\x01\x6e\x01\x64\x00\x0b"  # locals exnref, anyref, (ref 0)
    data = HEADER + _section(1, b"\x60\0\0") + _section(3, b"\0") + _section(10, bytes((len(body),)) + body)
    locals_ = read_module(data).funcs[0].locals
    assert [vt.text for _, vt in locals_] == ["exnref", "anyref", "(ref 0)"]
    assert _error(HEADER + _section(1, b"\x60\x01\x64\x60\x00")) == "malformed heap type"


def test_the_gc_type_section_is_read() -> None:
    """A recursion group of a struct (an i8 field, mutable) and an array of references to it."""
    types = _section(1, b"\x4e\x02\x5f\x01\x78\x01\x5e\x63\x00\x00")
    module = read_module(HEADER + types)
    assert module.rec_groups == ((0, 2),)
    assert [definition.kind.text for definition in module.types] == ["struct", "array"]
    assert _error(HEADER + _section(1, b"\x5d")) == "malformed definition type"


def test_a_component_is_named_as_one() -> None:
    assert _error(b"\0asm\x0d\x00\x01\x00") == (
        "unknown binary version: this is a WebAssembly component (component model), not a core module"
    )


def test_other_faults_keep_the_plain_words() -> None:
    assert _error(b"\0asm\2\0\0\0") == "unknown binary version"
    assert _error(HEADER + b"\x0e\x00") == "malformed section id"
    assert _error(HEADER + _section(1, b"\x60\x01\x55\x00")) == "malformed value type"
    assert _error(_func_body(b"\xff")) == "illegal opcode ff"
    assert _error(HEADER + _section(5, b"\x08\x01")) == "malformed limits flags"
    assert _error(HEADER + _section(5, b"\x08\x01"), WASM_2_0) == "integer too large"


def test_shared_memory_flags_are_malformed_without_threads() -> None:
    """WebAssembly 2.0 reads the limits flags as one bit, as its testsuite expects, and 3.0
    knows only 0x01 and 0x04; with threads (on by default) 0x02 is a shared memory."""
    shared = HEADER + _section(5, b"\x03\x01\x02")
    assert _error(shared, WASM_2_0) == "integer too large: a shared memory (threads proposal, not enabled)"
    assert _error(shared, ALL_FEATURES - {Feature.THREADS}) == (
        "malformed limits flags: a shared memory (threads proposal, not enabled)"
    )
    memory = read_module(shared).mems[0]
    assert memory.shared and (memory.limits.min, memory.limits.max) == (1, 2)
    assert read_module(shared, WASM_2_0 | {Feature.THREADS}).mems[0] == memory


def test_a_shared_64_bit_memory_has_both_flags() -> None:
    memory = read_module(HEADER + _section(5, b"\x07\x01\x02")).mems[0]
    assert memory.shared and memory.is_64 and (memory.limits.min, memory.limits.max) == (1, 2)


def test_a_shared_table_is_malformed() -> None:
    table = HEADER + _section(4, b"\x70\x03\x01\x02")
    assert _error(table) == "malformed limits flags: a shared table (threads proposal: only memories can be shared)"
    assert _error(table, WASM_2_0) == (
        "integer too large: a shared table (threads proposal: only memories can be shared)"
    )


def test_unknown_atomic_instructions_and_a_nonzero_fence_flag_are_malformed() -> None:
    assert _error(_func_body(b"\xfe\x04")) == "illegal opcode fe 4"
    assert _error(_func_body(b"\xfe\x03\x01")) == "zero flag expected"
