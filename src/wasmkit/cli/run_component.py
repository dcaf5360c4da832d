"""`wasmkit run COMPONENT ARGS`: run a WASI 0.2 command (a component exporting
`wasi:cli/run@0.2.x`), as `wasmtime run` does.

The component gets wasmkit's WASI 0.2 host (`wasi.preview2`) made of the same `WasiConfig`
as a module's WASI: argv is the file's name (without its directory, or `--argv0`) then ARGS,
the environment only the `--env` variables, the `--dir`s preopened, stdio inherited. Its
`run` is called once; the limits (`--fuel`, `--timeout`, `--max-memory-size`,
`--max-table-elements`, `-W`) bound the store its core instances live in, from
instantiation on, as for a module.

Exit status, as wasmtime's: 0 when `run` returns ok, 1 when it returns err (nothing printed),
the status `wasi:cli/exit` was given (`exit`: 0 or 1, `exit-with-code`: the code), 134 after
a trap (one line on stderr), 1 for a wasmkit error (a component that is not a command, an
import the host does not provide).

Not for components (refused, one line): `--invoke`, `--profile`/`--profile-svg` and the
`--disable-*` feature flags. `-S threads` has nothing to act on (wasi-threads is preview 1's)
and is accepted.
"""

from __future__ import annotations

import argparse
import sys

from ..component.abi import Err
from ..component.loader import Component
from ..component.syntax import Sort
from ..component.types import Entity, Func, InstanceT, Val
from ..errors import ExitTrap, Trap
from ..wasi.preview2 import interface_key
from .common import CliError
from .features import disabled_features
from .profiling import wanted as profiling_wanted

__all__ = ["run_component", "RUN_INTERFACE"]

RUN_INTERFACE = "wasi:cli/run@0.2.0"  # as `interface_key` names any 0.2.x of it


def run_component(args: argparse.Namespace, data: bytes) -> int:
    """Run the command component `data` (read from `args.file`) as `args` say: its exit
    status. The `--dir`s were checked (`run.preopens`); `run` is the module runner, lent for
    what the two share."""
    from . import run

    _refuse_module_only_flags(args)
    limits = run.limits_from_args(args)
    component = Component(data, args.file)
    export = _run_export(component, args.file)
    store = limits.store(run.engine_for(args))
    config = run.wasi_config(args)
    limits.start_timeout(store)
    wasi = None
    try:
        try:
            instance = component.instantiate(store=store, wasi=config)
        except OSError as err:
            raise CliError(f"cannot set up WASI: {err}") from None
        wasi = instance.wasi
        instance.exports[export]["run"]()
    except Err:
        return 1  # `run` returned err: wasmtime exits with 1 and says nothing
    except ExitTrap as exit_:
        return exit_.code
    except Trap as trap:
        sys.stdout.flush()
        print(f"wasmkit: trap: {run.describe_trap(trap, backtrace=False)}", file=sys.stderr)
        return run.TRAP_EXIT_STATUS
    finally:
        limits.stop_timeout(store)
        if wasi is not None:
            wasi.close()
    return 0


def _refuse_module_only_flags(args: argparse.Namespace) -> None:
    if args.invoke:
        raise CliError(
            f"{args.file}: --invoke is not supported for components (a command component's "
            "wasi:cli/run is called; call other exports from Python with wasmkit.load)"
        )
    if profiling_wanted(args):
        raise CliError(f"{args.file}: --profile and --profile-svg are not supported for components")
    if disabled_features(args):
        raise CliError(f"{args.file}: the --disable-* feature flags are not supported for components")


def _run_export(component: Component, path: str) -> str:
    """The name of the component's `wasi:cli/run@0.2.x` export, checked to be an instance
    with `run: func() -> result`, as wasmtime checks it; a CliError naming what it exports
    when it has none (it is not a command)."""
    exports = component.valid.type.exports
    for name, entity in exports.items():
        if interface_key(name) == RUN_INTERFACE:
            if not _is_run_interface(entity):
                raise CliError(f"{path}: its export {name} is not the interface `run: func() -> result`")
            return name
    listed = ", ".join(exports) if exports else "nothing"
    raise CliError(f"{path}: not a wasi:cli command: it exports no wasi:cli/run@0.2.x (it exports {listed})")


_RUN_TYPE = Func(params=(), result=Val("result", (None, None)))


def _is_run_interface(entity: Entity) -> bool:
    if entity.sort != Sort.INSTANCE or not isinstance(entity.type, InstanceT):
        return False
    run = entity.type.exports.get("run")
    return run is not None and run.sort == Sort.FUNC and run.type == _RUN_TYPE
