"""The native engine: wasm compiled to machine code through LLVM (llvmlite), called from Python
through ctypes. Needs the `native` extra (`pip install 'wasmkit[native]'`).

It implements the same `Engine` protocol as the Python engine and shares the runtime (memory,
tables, globals, WASI) with it; see `lower` for how functions become LLVM IR and `module` for
how machine code is bound to instances, `simd` for v128, and `gc_lower`, `gc`, `objects`,
`handles` and `roots` for GC (structs and arrays, references as handles, and reclaiming them). An instruction it cannot lower
would be a `NativeCompileError` naming the function and instruction.
"""

from __future__ import annotations

from pathlib import Path

from ...validate import ValidModule
from .lower import NativeCompileError
from .module import NativeCompiledModule

__all__ = ["NativeEngine", "NativeCompileError"]


class NativeEngine:
    """Compiles whole modules to machine code with LLVM. With a `cache_dir`, machine code is
    kept on disk there (see `cache`)."""

    name = "native"

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir

    def compile(self, module: ValidModule, metered: bool = False, profiled: bool = False) -> NativeCompiledModule:
        return NativeCompiledModule(module, metered, self.cache_dir, profiled)
