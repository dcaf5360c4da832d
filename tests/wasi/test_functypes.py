"""Every wasi_snapshot_preview1 function is provided, with the type wasi-libc imports it with."""

from __future__ import annotations

import pytest

from wasmkit.syntax.types import FuncType, ValType
from wasmkit.wasi import MODULE, WasiConfig, WasiPreview1

I32, I64 = ValType.I32, ValType.I64

# The import types of wasi-libc (as compiled by zig cc for wasm32-wasi), i.e. the witx
# signatures lowered to core wasm.
EXPECTED = {
    "args_get": ((I32, I32), (I32,)),
    "args_sizes_get": ((I32, I32), (I32,)),
    "environ_get": ((I32, I32), (I32,)),
    "environ_sizes_get": ((I32, I32), (I32,)),
    "clock_res_get": ((I32, I32), (I32,)),
    "clock_time_get": ((I32, I64, I32), (I32,)),
    "fd_advise": ((I32, I64, I64, I32), (I32,)),
    "fd_allocate": ((I32, I64, I64), (I32,)),
    "fd_close": ((I32,), (I32,)),
    "fd_datasync": ((I32,), (I32,)),
    "fd_fdstat_get": ((I32, I32), (I32,)),
    "fd_fdstat_set_flags": ((I32, I32), (I32,)),
    "fd_fdstat_set_rights": ((I32, I64, I64), (I32,)),
    "fd_filestat_get": ((I32, I32), (I32,)),
    "fd_filestat_set_size": ((I32, I64), (I32,)),
    "fd_filestat_set_times": ((I32, I64, I64, I32), (I32,)),
    "fd_pread": ((I32, I32, I32, I64, I32), (I32,)),
    "fd_prestat_get": ((I32, I32), (I32,)),
    "fd_prestat_dir_name": ((I32, I32, I32), (I32,)),
    "fd_pwrite": ((I32, I32, I32, I64, I32), (I32,)),
    "fd_read": ((I32, I32, I32, I32), (I32,)),
    "fd_readdir": ((I32, I32, I32, I64, I32), (I32,)),
    "fd_renumber": ((I32, I32), (I32,)),
    "fd_seek": ((I32, I64, I32, I32), (I32,)),
    "fd_sync": ((I32,), (I32,)),
    "fd_tell": ((I32, I32), (I32,)),
    "fd_write": ((I32, I32, I32, I32), (I32,)),
    "path_create_directory": ((I32, I32, I32), (I32,)),
    "path_filestat_get": ((I32, I32, I32, I32, I32), (I32,)),
    "path_filestat_set_times": ((I32, I32, I32, I32, I64, I64, I32), (I32,)),
    "path_link": ((I32, I32, I32, I32, I32, I32, I32), (I32,)),
    "path_open": ((I32, I32, I32, I32, I32, I64, I64, I32, I32), (I32,)),
    "path_readlink": ((I32, I32, I32, I32, I32, I32), (I32,)),
    "path_remove_directory": ((I32, I32, I32), (I32,)),
    "path_rename": ((I32, I32, I32, I32, I32, I32), (I32,)),
    "path_symlink": ((I32, I32, I32, I32, I32), (I32,)),
    "path_unlink_file": ((I32, I32, I32), (I32,)),
    "poll_oneoff": ((I32, I32, I32, I32), (I32,)),
    "proc_exit": ((I32,), ()),
    "proc_raise": ((I32,), (I32,)),
    "sched_yield": ((), (I32,)),
    "random_get": ((I32, I32), (I32,)),
    "sock_accept": ((I32, I32, I32), (I32,)),
    "sock_recv": ((I32, I32, I32, I32, I32, I32), (I32,)),
    "sock_send": ((I32, I32, I32, I32, I32), (I32,)),
    "sock_shutdown": ((I32, I32), (I32,)),
}


def functions() -> dict[str, tuple[FuncType, object]]:
    wasi = WasiPreview1(WasiConfig())
    try:
        return wasi.host_functions()  # type: ignore[return-value]
    finally:
        wasi.close()


def test_every_witx_function_is_provided_with_its_wasm_type() -> None:
    provided = {name: (ft.params, ft.results) for name, (ft, _) in functions().items()}
    assert provided == EXPECTED


def test_the_types_are_the_ones_wasmtime_links() -> None:
    """A module importing every function with our types links against wasmtime's own WASI."""
    wasmtime = pytest.importorskip("wasmtime")
    names = {ValType.I32: "i32", ValType.I64: "i64"}
    imports = []
    for name, (functype, _) in sorted(functions().items()):
        params = " ".join(names[t] for t in functype.params)
        results = " ".join(names[t] for t in functype.results)
        imports.append(f'(import "{MODULE}" "{name}" (func (param {params}) (result {results})))')
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, "(module " + " ".join(imports) + ' (memory (export "memory") 1))')
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker.instantiate(store, module)
