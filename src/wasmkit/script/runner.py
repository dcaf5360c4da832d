"""Running .wast scripts: every command kind of the spec testsuite, against the runtime API.

Each command yields an `Outcome`. Results are compared bit for bit (NaN patterns by their
class), traps and exhaustion by message prefix, and `assert_malformed`/`assert_invalid` by the
phase that must reject the module: a malformed module must fail to decode or parse, an invalid
one must parse and then fail validation. `assert_malformed_custom` and `assert_invalid_custom`
narrow that to custom annotations and sections: the module must fail to parse only in a known
annotation, or be valid with a custom section that does not fit it.

Modules and instances have names of their own, as in the reference interpreter: every module
command defines a module (`(module definition $M ...)` only that), and `(module instance $I $M)`
makes a new instance of it, so that one definition can give several instances, each with its own
memories, tables, globals and tags.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..errors import DecodeError, LinkError, ParseError, Trap, TrapKind, ValidationError, WasmError
from ..opcodes import ALL_FEATURES, Feature
from ..runtime.call import call_wasm
from ..runtime.func import Func
from ..runtime.heap import Internalized
from ..runtime.global_ import Global
from ..runtime.instance import Extern, Instance
from ..runtime.module import Module
from ..runtime.store import Store
from ..runtime.tag import WasmException
from ..runtime.values import from_bits, is_of_heap, to_bits
from ..syntax.types import ValType, ValueType
from ..text.annotations import AnnotationError
from ..text.script import (
    Action,
    ActionCommand,
    AssertException,
    AssertExhaustion,
    AssertInvalid,
    AssertInvalidCustom,
    AssertMalformed,
    AssertMalformedCustom,
    AssertReturn,
    AssertTrap,
    AssertUninstantiable,
    AssertUnlinkable,
    Command,
    Either,
    LanePatterns,
    ModuleCommand,
    ModuleInstance,
    NanPattern,
    Register,
    RefPattern,
    Result,
    ScriptModule,
    Unreadable,
    Value,
)
from .custom import CustomSectionError, check_custom_sections
from .spectest import spectest_exports

__all__ = ["Outcome", "ScriptRunner", "HostRef"]


@dataclass(frozen=True)
class Outcome:
    line: int
    kind: str  # the command: "assert_return", "module", ...
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class HostRef:
    """The host reference that `ref.extern N` stands for in scripts."""

    number: int


class _Failure(Exception):
    """A command did not do what the script expects."""


class ScriptRunner:
    """Runs the commands of one script, keeping its modules and registrations."""

    def __init__(self, engine: str = "python", metered: bool = False, features: frozenset[Feature] = ALL_FEATURES) -> None:
        # A metered store runs the metered variant of the code, with fuel to spare.
        self.store = Store(engine, fuel=10**15) if metered else Store(engine)
        self.features = features  # what the script's modules may use (WASM_2_0 for 2.0's suite)
        self.current: Instance | None = None
        self.named: dict[str, Instance] = {}
        self.latest: Module | None = None  # the module defined last, for `(module instance)`
        self.definitions: dict[str, Module] = {}
        self.registered: dict[str, dict[str, Extern]] = {"spectest": spectest_exports()}

    def run(self, commands: Iterable[Command]) -> Iterator[Outcome]:
        """Each command's outcome. A command that fails in any way, even by an exception that
        is no WasmError (a bug in wasmkit), is one failed command: the script goes on."""
        for command in commands:
            kind = _unreadable_kind(command.keyword) if isinstance(command, Unreadable) else _KINDS[type(command)]
            try:
                self.execute(command)
            except _Failure as failure:
                yield Outcome(command.line, kind, False, str(failure))
            except WasmError as err:
                yield Outcome(command.line, kind, False, f"unexpected {type(err).__name__}: {err}")
            except Exception as err:  # noqa: BLE001 - reported as this command's failure
                yield Outcome(command.line, kind, False, f"internal error: {_describe_exception(err)}")
            else:
                yield Outcome(command.line, kind, True)

    # -- commands --

    def execute(self, command: Command) -> None:
        if isinstance(command, Unreadable):
            if command.keyword == "module":
                self.current = None  # what follows must not run against the module before it
                self.latest = None
            raise _Failure(f"cannot read this {command.keyword or 'form'}: {command.error.message}")
        if isinstance(command, ModuleCommand):
            module = self.define(command.module)
            if not command.definition:
                self.instantiate(module, command.module.name)
        elif isinstance(command, ModuleInstance):
            self.instantiate(self.definition(command.definition), command.name)
        elif isinstance(command, Register):
            instance = self.instance(command.module)
            self.registered[command.as_name] = {name: instance.exports[name] for name in instance.exports}
        elif isinstance(command, ActionCommand):
            self.perform(command.action)
        elif isinstance(command, AssertReturn):
            results = self.perform(command.action)
            self.check_results(command.results, results)
        elif isinstance(command, AssertTrap):
            self.expect_trap(command, command.message)
        elif isinstance(command, AssertExhaustion):
            self.expect_trap(command, command.message)
        elif isinstance(command, AssertException):
            try:
                self.perform(command.action)
            except WasmException:
                return
            raise _Failure("expected an uncaught exception, returned normally")
        elif isinstance(command, AssertMalformed):
            self.expect_malformed(command.module, command.message)
        elif isinstance(command, AssertInvalid):
            self.expect_invalid(command.module, command.message)
        elif isinstance(command, AssertMalformedCustom):
            self.expect_malformed_custom(command.module, command.message)
        elif isinstance(command, AssertInvalidCustom):
            self.expect_invalid_custom(command.module, command.message)
        elif isinstance(command, AssertUnlinkable):
            module = self.module_of(command.module)
            try:
                self.instantiate(module, None, keep=False)
            except LinkError as err:
                _check_message(err.message, command.message)
                return
            raise _Failure(f"expected unlinkable ({command.message}), the module linked")
        elif isinstance(command, AssertUninstantiable):
            module = self.module_of(command.module)
            try:
                self.instantiate(module, None, keep=False)
            except Trap as trap:
                _check_message(trap.message, command.message)
                return
            raise _Failure(f"expected a trap at instantiation ({command.message})")

    def build(self, script_module: ScriptModule) -> Module:
        return Module(script_module.build(self.features), name=script_module.name or "", features=self.features)

    def define(self, script_module: ScriptModule) -> Module:
        """Build a module of the script and keep it as the latest definition, and under its
        name if it has one (a module instantiated at once is a definition too, as in the
        reference interpreter: `(module instance $I $M)` may instantiate `(module $M ...)` again)."""
        module = self.build(script_module)
        self.latest = module
        if script_module.name:
            self.definitions[script_module.name] = module
        return module

    def definition(self, name: str | None) -> Module:
        """The module defined as `name`, or the latest definition."""
        module = self.definitions.get(name) if name else self.latest
        if module is None:
            raise _Failure(f"no module definition {name}" if name else "no module definition to instantiate")
        return module

    def module_of(self, target: ScriptModule | ModuleInstance) -> Module:
        """What an assertion instantiates: a module written in it, or one defined before (the
        instance name of `(module instance $I $M)` is ignored: the instance is not kept)."""
        if isinstance(target, ModuleInstance):
            return self.definition(target.definition)
        return self.build(target)

    def instantiate(self, module: Module, name: str | None, keep: bool = True) -> Instance:
        externs = []
        for imp in module.syntax.imports:
            item = self.registered.get(imp.module, {}).get(imp.name)
            if item is None:
                raise LinkError(f"unknown import {imp.module}.{imp.name}")
            externs.append(item)
        instance = Instance(module, externs, store=self.store)
        if keep:
            self.current = instance
            if name:
                self.named[name] = instance
        return instance

    def instance(self, name: str | None) -> Instance:
        instance = self.named.get(name) if name else self.current
        if instance is None:
            raise _Failure(f"no module {name or '(current)'}")
        return instance

    def perform(self, action: Action) -> list[object]:
        """Run an action; return its results as internal values."""
        instance = self.instance(action.module)
        export = instance.exports[action.name] if action.name in instance.exports else None
        if export is None:
            raise _Failure(f"no export {action.name!r}")
        if action.kind == "get":
            if not isinstance(export, Global):
                raise _Failure(f"export {action.name!r} is not a global")
            return [export.internal]
        if not isinstance(export, Func):
            raise _Failure(f"export {action.name!r} is not a function")
        args = tuple(_value(v) for v in action.args)
        result = call_wasm(export.fn, args)
        count = len(export.type.results)
        return [] if count == 0 else [result] if count == 1 else list(result)  # type: ignore[call-overload]

    def check_results(self, expected: tuple[Result, ...], actual: list[object]) -> None:
        if len(expected) != len(actual):
            raise _Failure(f"expected {len(expected)} results, got {len(actual)}")
        for i, (pattern, value) in enumerate(zip(expected, actual)):
            if not _matches(pattern, value):
                raise _Failure(f"result {i}: expected {_describe(pattern)}, got {_show(pattern, value)}")

    def expect_trap(self, command: AssertTrap | AssertExhaustion, message: str) -> None:
        try:
            if isinstance(command, AssertTrap) and command.module is not None:
                self.instantiate(self.module_of(command.module), None, keep=False)
            else:
                self.perform(command.action)  # type: ignore[arg-type]
        except Trap as trap:
            _check_message(trap.message, message)
            if isinstance(command, AssertExhaustion) and trap.kind is not TrapKind.CALL_STACK_EXHAUSTED:
                raise _Failure(f"expected exhaustion, got trap {trap.message!r}") from None
            return
        raise _Failure(f"expected a trap ({message}), returned normally")

    def expect_malformed(self, script_module: ScriptModule, message: str) -> None:
        try:
            script_module.build(self.features)
        except (DecodeError, ParseError) as err:
            _check_message(err.message, message)
            return
        raise _Failure(f"expected malformed ({message}), the module was read")

    def expect_invalid(self, script_module: ScriptModule, message: str) -> None:
        try:
            Module(script_module.build(self.features), features=self.features)
        except ValidationError as err:
            _check_message(err.message, message)
            return
        except (DecodeError, ParseError) as err:
            raise _Failure(f"expected invalid ({message}), the module is malformed: {err}") from None
        raise _Failure(f"expected invalid ({message}), the module validated")

    def expect_malformed_custom(self, script_module: ScriptModule, message: str) -> None:
        try:
            script_module.build(self.features)
        except AnnotationError as err:
            _check_message(err.message, message)
            return
        except (DecodeError, ParseError) as err:
            raise _Failure(f"expected malformed annotations ({message}), the module is malformed: {err}") from None
        raise _Failure(f"expected malformed annotations ({message}), the module was read")

    def expect_invalid_custom(self, script_module: ScriptModule, message: str) -> None:
        try:
            syntax = script_module.build(self.features)
            Module(syntax, features=self.features)
        except (DecodeError, ParseError, ValidationError) as err:
            raise _Failure(f"expected invalid custom sections ({message}), the module is not valid: {err}") from None
        try:
            check_custom_sections(syntax)
        except CustomSectionError as err:
            _check_message(err.message, message)
            return
        raise _Failure(f"expected invalid custom sections ({message}), they fit the module")


def _unreadable_kind(keyword: str) -> str:
    """The kind an unreadable command is counted as: its own where the keyword names a known
    command, else "command"."""
    if keyword in ("invoke", "get"):
        return "action"
    return keyword if keyword in _KINDS.values() else "command"


_KINDS = {
    ModuleCommand: "module",
    ModuleInstance: "module",
    Register: "register",
    ActionCommand: "action",
    AssertReturn: "assert_return",
    AssertTrap: "assert_trap",
    AssertExhaustion: "assert_exhaustion",
    AssertException: "assert_exception",
    AssertMalformed: "assert_malformed",
    AssertInvalid: "assert_invalid",
    AssertMalformedCustom: "assert_malformed_custom",
    AssertInvalidCustom: "assert_invalid_custom",
    AssertUnlinkable: "assert_unlinkable",
    AssertUninstantiable: "assert_uninstantiable",
}


# Messages the reference interpreter reworded for 3.0, each with the 2.0 wording that wasmkit
# gives (the 2.0 testsuite expects it): either wording names the same fault.
_REWORDED = {
    "immutable global": "global is immutable",
    "i8 constant out of range": "malformed lane index",  # a lane index past 255
}


def _check_message(actual: str, expected: str) -> None:
    """Faults are checked by message prefix, as the reference interpreter words them."""
    if not (actual.startswith(expected) or actual.startswith(_REWORDED.get(expected, expected))):
        raise _Failure(f"expected message {expected!r}, got {actual!r}")


def _describe_exception(err: Exception) -> str:
    """The exception's type and message, and where it was raised (file:line, function)."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"


def _value(value: Value) -> object:
    if value.type == ValType.EXTERNREF:
        return None if value.bits is None else HostRef(value.bits)
    if value.type == ValType.ANYREF:  # `(ref.host N)`: host value N seen as an anyref
        return None if value.bits is None else Internalized(HostRef(value.bits))
    return from_bits(value.type, value.bits)


def _nan_matches(kind: str, vt: ValueType, bits: int) -> bool:
    width = 32 if vt == ValType.F32 else 64
    quiet = 1 << (22 if width == 32 else 51)
    exponent = (0xFF << 23) if width == 32 else (0x7FF << 52)
    magnitude = bits & ((1 << (width - 1)) - 1)
    if magnitude & exponent != exponent or not magnitude & ((1 << (23 if width == 32 else 52)) - 1):
        return False  # not a NaN
    if kind == "canonical":
        return magnitude == exponent | quiet
    return bool(magnitude & quiet)



def _matches(pattern: Result, value: object) -> bool:
    if isinstance(pattern, Either):
        return any(_matches(option, value) for option in pattern.options)
    if isinstance(pattern, NanPattern):
        return isinstance(value, float) and _nan_matches(pattern.kind, pattern.type, to_bits(pattern.type, value))  # type: ignore[arg-type]
    if isinstance(pattern, RefPattern):
        return value is not None and is_of_heap(value, pattern.type.heap)  # `(ref.struct)`: any struct
    if isinstance(pattern, LanePatterns):
        width = 32 if pattern.shape == "f32x4" else 64
        vt = ValType.F32 if width == 32 else ValType.F64
        for i, lane in enumerate(pattern.lanes):
            bits = (value >> (i * width)) & ((1 << width) - 1)  # type: ignore[operator]
            if isinstance(lane, NanPattern):
                if not _nan_matches(lane.kind, vt, bits):
                    return False
            elif bits != lane:
                return False
        return True
    value_type = pattern.type
    if value_type.is_ref:
        if pattern.bits is None:
            return value is None
        if value_type == ValType.EXTERNREF:
            return value == HostRef(pattern.bits)
        if value_type == ValType.ANYREF:
            return value == Internalized(HostRef(pattern.bits))
        return isinstance(value, Func)
    return to_bits(value_type, value) == pattern.bits


def _describe(pattern: Result) -> str:
    if isinstance(pattern, Value):
        return f"{pattern.type.text} {pattern.bits if pattern.bits is None else hex(pattern.bits)}"
    return repr(pattern)


def _show(pattern: Result, value: object) -> str:
    vt = getattr(pattern, "type", None)
    if isinstance(vt, ValType) and not vt.is_ref and isinstance(value, (int, float)):
        return hex(to_bits(vt, value))  # type: ignore[arg-type]
    return repr(value)
