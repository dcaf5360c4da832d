"""Ahead-of-time artifacts: a module and its machine code in one file (what `wasmkit compile
--engine native -o OUT` writes and `wasmkit run OUT` runs, as wasmtime's .cwasm).

Layout, all integers little-endian:

    MAGIC                      16 bytes, "\\0wasmkit-native\\n"
    header length              4 bytes
    header                     JSON: format, toolchain (see `codegen.toolchain`), tier,
                               sha256 of the payload
    payload                    8-byte length of the wasm module, the module, then its object
                               files (`codegen.pack_objects`) for the plain (unmetered) variant

Reading checks the header against this process's toolchain (machine code from another
wasmkit, LLVM or CPU is never run) and the payload against its checksum, and says which is
wrong. The object files of a read artifact are kept for the rest of the process, by the
module's digest, and the native engine uses them instead of compiling that module.
"""

from __future__ import annotations

import hashlib
import json
import struct

from ...errors import WasmError
from .codegen import pack_objects, toolchain, unpack_objects

__all__ = ["MAGIC", "ArtifactError", "is_artifact", "loaded", "loaded_objects", "read_artifact", "write_artifact"]

MAGIC = b"\0wasmkit-native\n"
FORMAT = 1

# Object files of the artifacts read in this process, by the digest of their module.
_LOADED: dict[bytes, list[bytes]] = {}


class ArtifactError(WasmError):
    """A file that starts as an artifact but cannot be run here: damaged, or made by another
    wasmkit, LLVM or CPU."""


def is_artifact(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def write_artifact(wasm: bytes, objects: list[bytes], tier: str) -> bytes:
    """The artifact of the module `wasm` whose plain variant compiled to `objects`."""
    payload = struct.pack("<Q", len(wasm)) + wasm + pack_objects(objects)
    header = {"format": FORMAT, "toolchain": toolchain(), "tier": tier, "sha256": hashlib.sha256(payload).hexdigest()}
    encoded = json.dumps(header, sort_keys=True).encode()
    return MAGIC + struct.pack("<I", len(encoded)) + encoded + payload


def read_artifact(data: bytes) -> bytes:
    """The wasm module in the artifact `data`, whose machine code the native engine will now
    use for it. Raises ArtifactError."""
    if not is_artifact(data):
        raise ArtifactError("not a wasmkit native artifact")
    try:
        (length,) = struct.unpack_from("<I", data, len(MAGIC))
        start = len(MAGIC) + 4
        header = json.loads(data[start : start + length])
        payload = data[start + length :]
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ArtifactError(f"artifact format {header.get('format') if isinstance(header, dict) else '?'} "
                                f"is not the one this wasmkit reads ({FORMAT}): compile the module again")
    except (struct.error, ValueError, UnicodeDecodeError):
        raise ArtifactError("damaged artifact: its header cannot be read") from None
    ours = toolchain()
    theirs = header.get("toolchain")
    if theirs != ours:
        differ = [key for key in ours if not isinstance(theirs, dict) or theirs.get(key) != ours[key]]
        raise ArtifactError(
            "artifact made by another toolchain (" + ", ".join(f"{key} differs" for key in differ)
            + f"; this is wasmkit {ours['wasmkit']} with LLVM {ours['llvm']}): compile the module again"
        )
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ArtifactError("damaged artifact: its checksum does not match")
    try:
        (wasm_length,) = struct.unpack_from("<Q", payload, 0)
        wasm = payload[8 : 8 + wasm_length]
        objects = unpack_objects(payload[8 + wasm_length :])
    except (struct.error, ValueError):
        raise ArtifactError("damaged artifact: its contents do not fit together") from None
    _LOADED[hashlib.sha256(wasm).digest()] = objects
    return wasm


def loaded() -> bool:
    """Whether any artifact was read in this process."""
    return bool(_LOADED)


def loaded_objects(module_digest: bytes, variant: int) -> list[bytes] | None:
    """The object files an artifact gave for the module with this digest (of its binary), in
    the variant asked for (a `layout.Variant`; an artifact holds the plain one); None if none
    did."""
    return None if variant else _LOADED.get(module_digest)
