"""Run a WASI program on wasmtime-py, as `wasmtime run PROGRAM ARGS...` would.

    python bench/peers/wasmtime_run.py PROGRAM.wasm [ARGS...]

Exits with the program's status (134 after a trap).
"""

from __future__ import annotations

import sys

import wasmtime


def main(argv: list[str]) -> int:
    path, *args = argv
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.argv = [path, *args]
    config.inherit_stdout()
    config.inherit_stderr()
    store.set_wasi(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, path))
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exit_:
        return exit_.code
    except wasmtime.Trap as trap:
        print(trap, file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
