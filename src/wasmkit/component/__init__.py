"""Components (the component model): the binary format's syntax (`syntax`), its reader
(`reader.read_component`), validation (`validate.validate_component`), its description
for `wasmkit objdump` (`describe`), and the canonical ABI for values (`abi`: lifting and
lowering, strings, resource handle tables). Nothing below
`runtime/` knows of components (see DESIGN.md section 11). The package itself imports only
`is_component`, which the commands ask of every file."""

from .header import is_component

__all__ = ["is_component"]
