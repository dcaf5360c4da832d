"""The binary reader, writer and validator against the official testsuite, as encoded by wabt.

wabt's wast2json turns each .wast script into binary modules; every binary `assert_malformed`
must raise DecodeError, every `assert_invalid` ValidationError, and every other module must
read, validate, and survive write-then-read unchanged. Messages must begin with the reference
interpreter's wording. This checks the binary side independently of wasmkit's own text parser.
Modules are read and validated with 2.0's rules (`WASM_2_0`): 3.0 reads some of 2.0's
malformed encodings (memory indices, 64-bit offsets and limits) as valid ones.
"""

from __future__ import annotations

import pytest

from tests.support import SHARED, report
from wasmkit.binary import read_module, write_module
from wasmkit.errors import DecodeError, ValidationError
from wasmkit.opcodes import WASM_2_0
from wasmkit.validate import validate

SPEC_DIR = SHARED / "spec" / "wasm-2.0"
WAST_FILES = sorted(p.stem for p in SPEC_DIR.glob("*.wast")) or ["(spec testsuite missing)"]
REPORT = report("spec 2.0 via wast2json: decode and validate", ("malformed", "invalid", "modules"))


def _encoding_omits_data_count(data: bytes) -> bool:
    """True when a binary's code uses a data segment index (memory.init, data.drop) but the
    binary has no data count section, which the binary format requires.

    wast2json writes such binaries for text modules that use data indices while declaring no
    data segment; the reference encoder would add the section. Such a binary is malformed, not
    invalid, whatever the text meant; the text itself is checked by the text-driven suite.
    """
    try:
        read_module(data, WASM_2_0)
    except DecodeError as err:
        return err.message == "data count section required"
    return False


@pytest.mark.parametrize("name", WAST_FILES)
def test_spec_file(name: str, converted) -> None:  # type: ignore[no-untyped-def]
    directory, commands = converted(name)
    failures: list[str] = []
    counts = {"malformed": [0, 0], "invalid": [0, 0], "modules": [0, 0]}

    def outcome(column: str, ok: bool, line: int, detail: str) -> None:
        counts[column][0 if ok else 1] += 1
        if not ok:
            failures.append(f"{name}.wast:{line}: {detail}")

    for cmd in commands:
        kind = cmd["type"]
        if cmd.get("module_type") == "text":
            continue  # text-format assertions: wasmkit's text parser covers them
        if kind not in ("module", "assert_malformed", "assert_invalid", "assert_unlinkable", "assert_uninstantiable"):
            continue
        data = (directory / cmd["filename"]).read_bytes()
        line = cmd["line"]
        if kind == "assert_malformed":
            try:
                read_module(data, WASM_2_0)
            except DecodeError as err:
                ok = err.message.startswith(cmd["text"])
                outcome("malformed", ok, line, f"expected {cmd['text']!r}, got {err.message!r}")
            else:
                outcome("malformed", False, line, f"expected DecodeError {cmd['text']!r}, module was read")
        elif kind == "assert_invalid":
            if _encoding_omits_data_count(data):
                outcome("invalid", True, line, "")
                continue
            try:
                validate(read_module(data, WASM_2_0), features=WASM_2_0)
            except ValidationError as err:
                ok = err.message.startswith(cmd["text"])
                outcome("invalid", ok, line, f"expected {cmd['text']!r}, got {err.message!r}")
            except DecodeError as err:
                outcome("invalid", False, line, f"expected ValidationError, got DecodeError {err}")
            else:
                outcome("invalid", False, line, f"expected ValidationError {cmd['text']!r}, module validated")
        else:
            try:
                module = read_module(data, WASM_2_0)
                validate(module, features=WASM_2_0)
                again = read_module(write_module(module))
            except (DecodeError, ValidationError) as err:
                outcome("modules", False, line, f"valid module rejected: {err}")
                continue
            outcome("modules", again == module, line, "write-then-read changed the module")
    for column, (passed, failed) in counts.items():
        REPORT.add(name, column, passed, failed)
    assert not failures, "\n".join(failures)
