"""`wasmkit run COMPONENT ARGS`: run a WASI 0.2 command (a component exporting
`wasi:cli/run@0.2.x`), as `wasmtime run` does, or a WASI 0.3 one (`wasi:cli/run@0.3.x`, whose
`run` is an async function), as `wasmtime run -Sp3 -Wcomponent-model-async` does.

The component gets wasmkit's WASI 0.2 host (`wasi.preview2`, which has WASI 0.3's
interfaces too) made of the same `WasiConfig`
as a module's WASI: argv is the file's name (without its directory, or `--argv0`) then ARGS,
the environment only the `--env` variables, the `--dir`s preopened, stdio inherited. Its
`run` is called once; the limits (`--fuel`, `--timeout`, `--max-memory-size`,
`--max-table-elements`, `-W`) bound the store its core instances live in, from
instantiation on, as for a module.

Exit status, as wasmtime's: 0 when `run` returns ok, 1 when it returns err (nothing printed),
the status `wasi:cli/exit` was given (`exit`: 0 or 1, `exit-with-code`: the code), 134 after
a trap (one line on stderr), 1 for a wasmkit error (a component that is not a command, an
import the host does not provide).

`--invoke 'NAME(ARGS)'` calls another exported function instead, as wasmtime's does: NAME is
a function the component exports, or one an exported interface has (`iface.name@version`,
or the bare name when only one interface has it), the arguments and the result are in WAVE
(`wave`), the result printed on one line (`()` for none; a `result`'s error too, with
status 0). ARGS after FILE are still the program's arguments.

Not for components (refused, one line): `--profile`/`--profile-svg` and the `--disable-*`
feature flags. `-S threads` has nothing to act on (wasi-threads is preview 1's) and is
accepted.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from ..component.abi import Err, Ok
from ..component.loader import Component
from ..component.syntax import Sort
from ..component.types import Entity, Func, InstanceT, Val
from ..errors import ExitTrap, Trap
from ..wasi.preview2 import WasiPreview2, interface_key
from .common import CliError
from .features import disabled_features
from .limits import limits_from_args
from .profiling import wanted as profiling_wanted
from .running import engine_for, trap_exit, wasi_config
from .wave import ARGUMENT_TYPES, RESULT_TYPES, parse_call, parse_value, printable, type_text, wave_text

__all__ = ["run_component", "RUN_INTERFACE"]

RUN_INTERFACE = "wasi:cli/run@0.2.0"  # as `interface_key` names any 0.2.x of it
RUN_INTERFACE_03 = "wasi:cli/run@0.3.0"  # WASI 0.3's, any 0.3.x


def run_component(args: argparse.Namespace, data: bytes) -> int:
    """Run the command component `data` (read from `args.file`) as `args` say: its exit
    status. The `--dir`s were checked (`running.preopens`)."""
    _refuse_module_only_flags(args)
    limits = limits_from_args(args)
    component = Component(data, args.file)
    call = _invocation(component, args.invoke, args.file) if args.invoke else None
    export = None if call else _run_export(component, args.file)
    store = limits.store(engine_for(args))
    config = wasi_config(args, args.args)  # with --invoke too, as wasmtime
    limits.start_timeout(store)
    wasi: WasiPreview2 | None = None
    try:
        try:
            instance = component.instantiate(store=store, wasi=config)
        except OSError as err:
            raise CliError(f"cannot set up WASI: {err}") from None
        wasi = instance.wasi
        if call is not None:
            call.perform(instance.exports)
        elif export is not None:
            instance.exports[export]["run"]()
    except Err:
        return 1  # `run` returned err: wasmtime exits with 1 and says nothing
    except ExitTrap as exit_:
        return exit_.code
    except Trap as trap:
        return trap_exit(trap, backtrace=False)
    finally:
        limits.stop_timeout(store)
        if wasi is not None:
            wasi.close()
    return 0


def _refuse_module_only_flags(args: argparse.Namespace) -> None:
    if profiling_wanted(args):
        raise CliError(f"{args.file}: --profile and --profile-svg are not supported for components")
    if disabled_features(args):
        raise CliError(f"{args.file}: the --disable-* feature flags are not supported for components")


def _run_export(component: Component, path: str) -> str:
    """The name of the component's `wasi:cli/run@0.2.x` export (or else its
    `wasi:cli/run@0.3.x`), checked to be an instance with `run: func() -> result` (`async
    func` for 0.3), as wasmtime checks it; a CliError naming what it exports when it has none
    (it is not a command)."""
    exports = component.valid.type.exports
    for wanted, run_type in ((RUN_INTERFACE, _RUN_TYPE), (RUN_INTERFACE_03, _RUN_TYPE_03)):
        for name, entity in exports.items():
            if interface_key(name) == wanted:
                if not _is_run_interface(entity, run_type):
                    kind = "async func" if run_type.is_async else "func"
                    raise CliError(f"{path}: its export {name} is not the interface `run: {kind}() -> result`")
                return name
    listed = ", ".join(exports) if exports else "nothing"
    raise CliError(f"{path}: not a wasi:cli command: it exports no wasi:cli/run@0.2.x or @0.3.x (it exports {listed})")


_RUN_TYPE = Func(params=(), result=Val("result", (None, None)))
_RUN_TYPE_03 = Func(params=(), result=Val("result", (None, None)), is_async=True)


def _is_run_interface(entity: Entity, run_type: Func) -> bool:
    if entity.sort != Sort.INSTANCE or not isinstance(entity.type, InstanceT):
        return False
    run = entity.type.exports.get("run")
    return run is not None and run.sort == Sort.FUNC and run.type == run_type


@dataclass(frozen=True)
class _Invocation:
    """An `--invoke` call, read and checked before the component is instantiated: the path
    to the function among the exports (a name, or an interface's name and the function's),
    its type and its arguments."""

    path: tuple[str, ...]
    type: Func
    args: tuple[object, ...]

    def perform(self, exports: Any) -> None:
        """Call the function and print its result as wasmtime does."""
        func = exports[self.path[0]] if len(self.path) == 1 else exports[self.path[0]][self.path[1]]
        result = self.type.result
        if isinstance(result, Val) and result.kind == "result":
            try:
                outcome: object = Ok(func(*self.args))
            except Err as err:
                outcome = err
            print(wave_text(result, outcome))
            return
        value = func(*self.args)
        print("()" if result is None else wave_text(result, value))


def _invocation(component: Component, text: str, path: str) -> _Invocation:
    call = parse_call(text)
    where, func = _find_function(component, call.name, path)
    if len(call.args) != len(func.params):
        raise CliError(f"--invoke {call.name}: takes {len(func.params)} argument(s), got {len(call.args)}")
    for _, vt in func.params:
        if vt not in ARGUMENT_TYPES:
            raise CliError(f"--invoke {call.name}: arguments of type {type_text(vt)} cannot be given on the command line")
    if not printable(func.result):
        raise CliError(f"--invoke {call.name}: its result cannot be printed (wasmkit prints {RESULT_TYPES})")
    args = tuple(parse_value(vt, token) for (_, vt), token in zip(func.params, call.args))
    return _Invocation(where, func, args)


def _find_function(component: Component, name: str, path: str) -> tuple[tuple[str, ...], Func]:
    """Where function `name` is among the exports, as wasmtime finds it: an exported
    function; `iface.func@version`, a function of an exported interface; or a bare name that
    exactly one exported interface has."""
    exports = component.valid.type.exports
    found: list[tuple[tuple[str, ...], Func]] = []
    named = exports.get(name)
    if named is not None and named.sort == Sort.FUNC:
        return (name,), named.type  # type: ignore[return-value]
    base, at, version = name.partition("@")
    head, dot, func_name = base.rpartition(".")
    if dot:
        interface = exports.get(head + at + version)
        if interface is not None and isinstance(interface.type, InstanceT):
            entity = interface.type.exports.get(func_name)
            if entity is not None and entity.sort == Sort.FUNC:
                return (head + at + version, func_name), entity.type  # type: ignore[return-value]
    for export, entity in exports.items():
        if isinstance(entity.type, InstanceT):
            inner = entity.type.exports.get(name)
            if inner is not None and inner.sort == Sort.FUNC:
                found.append(((export, name), inner.type))  # type: ignore[arg-type]
    if len(found) == 1:
        return found[0]
    if found:
        places = ", ".join(_dotted(where, func) for (where, func), _ in found)
        raise CliError(f"--invoke {name}: more than one exported interface has a function {name!r}: name one of {places}")
    raise CliError(f"{path}: no exported function {name!r} (its exported functions: {', '.join(_functions(exports)) or 'none'})")


def _functions(exports: dict[str, Entity]) -> list[str]:
    """The names `--invoke` takes for the exported functions."""
    names = []
    for export, entity in exports.items():
        if entity.sort == Sort.FUNC:
            names.append(export)
        elif isinstance(entity.type, InstanceT):
            names += [_dotted(export, f) for f, e in entity.type.exports.items() if e.sort == Sort.FUNC]
    return names


def _dotted(interface: str, func: str) -> str:
    """How `--invoke` names function `func` of interface `interface`: `ns:pkg/iface.func@1.0.0`."""
    base, at, version = interface.partition("@")
    return f"{base}.{func}{at}{version}"
