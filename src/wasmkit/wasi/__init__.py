"""WASI preview 1 (`wasi_snapshot_preview1`) for wasmkit.

Describe a program's world with `WasiConfig`, make the per-instance state with
`WasiPreview1(config)`, and link its `host_functions()` under the module name `MODULE`.
Files are reached only through preopened directories, host ones (`preopen_dir`) or in-memory
ones (`MemoryFS`, `preopen_fs`); see docs/wasi.md for what is supported and the sandbox's
guarantees. Another filesystem implements the protocol of `wasmkit.wasi.fs`, raising
`WasiError` for failures. WASI 0.2, for components, is `wasmkit.wasi.preview2`, over the
same configuration and sandbox.
"""

from .config import DirPerms, FilePerms, WasiConfig
from .errno import Errno, WasiError
from .fs import Directory, DirEntry, File, Filesystem, OpenOptions, Stat
from .memfs import MemoryFS
from .link import define_wasi, wasi_funcs, wasi_imports
from .preview1 import MODULE, WasiPreview1
from .stdio import OutputLimitError

__all__ = [
    "MODULE",
    "DirEntry",
    "DirPerms",
    "Directory",
    "Errno",
    "File",
    "FilePerms",
    "Filesystem",
    "MemoryFS",
    "OpenOptions",
    "OutputLimitError",
    "Stat",
    "WasiConfig",
    "WasiError",
    "WasiPreview1",
    "define_wasi",
    "wasi_funcs",
    "wasi_imports",
]
