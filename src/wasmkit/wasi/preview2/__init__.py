"""WASI 0.2 (the component-model WASI) for wasmkit: the host side, as plain Python objects.

    from wasmkit.wasi import WasiConfig
    from wasmkit.wasi.preview2 import host_imports

    imports = host_imports(WasiConfig(argv=["prog"]))       # one instance's host
    imports.find("wasi:cli/environment@0.2.3")["get-arguments"]()   # -> ["prog"]

`host_imports(config)` maps each interface a component may import, by its versioned name
("wasi:cli/environment@0.2.0"; `find` and indexing match any 0.2.x; WASI 0.3's, from
`wasmkit.wasi.preview3`, "...@0.3.0" for any 0.3.x), to its functions by WIT
name and its resources by WIT name (a Python class whose methods are the WIT methods in
snake_case). Values follow the canonical ABI's Python mapping (docs/components.md, "Values"):
errors are raised as `Err(...)`. The configuration, the sandbox and the stdio streams are
preview 1's (`WasiConfig`, `wasmkit.wasi.sandbox`, `wasmkit.wasi.stdio`); see docs/wasi.md,
"WASI 0.2".

One module per interface group: `cli`, `streams`, `poll`, `error` (wasi:io), `clocks`,
`random`, `filesystem` (with `errors`, the error-code table), `sockets`, `http` (types) and
`outgoing` (the outgoing handler, off unless hosts are allowed); `host` assembles them and
`values` holds the value helpers.
"""

from .error import IoError
from .filesystem import Descriptor, DescriptorStat, DirectoryEntry, DirectoryEntryStream, MetadataHashValue
from .host import VERSION, HostImports, WasiPreview2, host_imports, interface_key
from .poll import Pollable, poll
from .streams import InputStream, OutputStream
from .values import Case, Datetime, Err, Ok, case

__all__ = [
    "VERSION",
    "Case",
    "Datetime",
    "Descriptor",
    "DescriptorStat",
    "DirectoryEntry",
    "DirectoryEntryStream",
    "Err",
    "HostImports",
    "InputStream",
    "IoError",
    "MetadataHashValue",
    "Ok",
    "OutputStream",
    "Pollable",
    "WasiPreview2",
    "case",
    "host_imports",
    "interface_key",
    "poll",
]
