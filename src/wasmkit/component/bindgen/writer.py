"""The text of a typed Python module for one world of a `Resolve` (see the package's doc)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from ...errors import WitError
from ..abi.classes import pascal_case, snake_case, upper_case
from ..syntax import Prim
from ..wit import Function, Interface, Resolve, TypeDef, WitType, World
from .names import Names, parameter_name, python_type, target

__all__ = ["generate"]

_WIDTH = 100  # the longest line written, where a signature or tuple fits it

_HEADER = '''from __future__ import annotations

import dataclasses as _dataclasses
import enum as _enum
import os as _os
import typing as _t

import wasmkit as _wasmkit
from wasmkit.component import abi as _abi
from wasmkit.component.bindgen.support import unbound as _unbound
from wasmkit.component.bindings import Instance as _Instance
from wasmkit.component.loader import Component as _Component
from wasmkit.component.resource_types import GuestResource as _GuestResource
from wasmkit.runtime.store import Store as _Store
'''


def generate(resolve: Resolve, world: str | None = None, source: str = "") -> str:
    """The module for `world` (by name; by default the main package's only world) of
    `resolve`: WitError if there is no such world. `source` names the input in its docstring."""
    worlds = resolve.main.worlds
    if world is None:
        if len(worlds) != 1:
            raise WitError(f"bindgen: name the world to bind (package {resolve.main.id} has {', '.join(worlds) or 'none'})")
        [chosen] = worlds.values()
    elif world in worlds:
        chosen = worlds[world]
    else:
        raise WitError(f"bindgen: package {resolve.main.id} has no world {world!r} (it has {', '.join(worlds) or 'none'})")
    return _Writer(chosen, source).module()


def _is_wasi(interface: Interface) -> bool:
    """WASI's interfaces are left to the `wasi=` host: no protocol for an imported one, and
    their types are `Any` (the host's own objects), even in an export's functions."""
    return interface.package is not None and interface.package.namespace == "wasi"


def _docstring(text: str | None, fallback: str, indent: str) -> list[str]:
    """A docstring's lines: the WIT docs (else `fallback`), escaped for a triple-quoted string."""
    body = (text or fallback).strip("\n").replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [line.rstrip() for line in body.split("\n")]
    if lines[-1].endswith('"'):
        lines[-1] += " "
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}'] + [f"{indent}{line}" if line else "" for line in lines[1:]] + [f'{indent}"""']


def _comment(text: str | None, indent: str) -> list[str]:
    """An item's docs (a field's, a case's) as `#:` comments above it."""
    if not text:
        return []
    return [f"{indent}#: {line}".rstrip() for line in text.strip("\n").split("\n")]


def _dict(keyword: str, entries: list[str], indent: str) -> list[str]:
    """A keyword argument of a dict display: one entry a line, or `{}`."""
    if not entries:
        return [f"{indent}{keyword}={{}},"]
    return [f"{indent}{keyword}={{", *(f"{indent}    {entry}" for entry in entries), f"{indent}}},"]


def _interface_key(key: str | Interface, item: object) -> tuple[str, str]:
    """An imported or exported interface's full WIT name, and its name without version."""
    if isinstance(key, Interface):
        package = key.package
        base = f"{package.namespace}:{package.name}/{key.name}" if package is not None else key.name or ""
        version = f"@{package.version}" if package is not None and package.version else ""
        return base + version, base
    return key, key


class _Writer:
    def __init__(self, world: World, source: str) -> None:
        self.world = world
        self.source = source
        self.names = Names()
        self.lines: list[str] = []
        self.declared: list[TypeDef] = []  # named types, each after those it refers to
        self.seen: set[int] = set()
        self.exported: set[int] = set()  # ids of the resources the component exports
        self.imported: set[int] = set()
        self.imports: list[tuple[str, str, Interface | Function]] = []  # (attribute, WIT name, item)
        self.exports: list[tuple[str, str, str, Interface | Function]] = []  # (attribute, WIT name, base, item)
        self.values: list[tuple[str, str, tuple[str, ...], str]] = []  # GivenClasses.values: kind, name, labels, class
        self.resources: list[tuple[str, str, str]] = []  # GivenClasses.resources: interface, resource, class
        self.protocols: dict[int, str] = {}  # imported interface's id -> its protocol's name
        self.exports_names: dict[int, str] = {}  # exported interface's id -> its class's name

    # -- what is bound --------------------------------------------------------------------

    def collect(self) -> None:
        attrs: dict[tuple[str, str], int] = {}
        for side, items in (("import", self.world.imports), ("export", self.world.exports)):
            for key, item in items.items():
                if isinstance(item, TypeDef):
                    self.visit(item)
                    if item.kind == "resource":
                        (self.exported if side == "export" else self.imported).add(id(item))
                    continue
                if side == "import" and isinstance(item, Interface) and _is_wasi(item):
                    continue
                if isinstance(item, Function) and item.resource is not None:
                    continue  # a world's resource function: reached through its resource
                full, base = _interface_key(key, item) if isinstance(item, Interface) else (cast(str, key), cast(str, key))
                short = base.rpartition("/")[2]
                attr = snake_case("".join(c if c.isalnum() else "_" for c in short))
                attrs[side, attr] = attrs.get((side, attr), 0) + 1
                if isinstance(item, Interface):
                    for typedef in item.types.values():
                        self.visit(typedef)
                        if typedef.kind == "resource":
                            (self.exported if side == "export" else self.imported).add(id(typedef))
                    for func in item.functions.values():
                        self.visit_function(func)
                else:
                    self.visit_function(item)
                if side == "import":
                    self.imports.append((attr, full, item))
                else:
                    self.exports.append((attr, full, base, item))
        # two imports (or exports) of one last name: each by its full name instead
        self.imports = [(self.attribute(a, full, attrs["import", a]), full, item) for a, full, item in self.imports]
        self.exports = [(self.attribute(a, full, attrs["export", a]), full, base, item) for a, full, base, item in self.exports]
        for typedef in self.declared:
            if typedef.kind == "resource" and id(typedef) in self.exported and id(typedef) in self.imported:
                self.names.import_side[id(typedef)] = self.names.unique(self.names.type_name(typedef) + "Import")

    @staticmethod
    def attribute(attr: str, full: str, count: int) -> str:
        """An import's or export's attribute: its last name, unless another has it too."""
        name = attr if count == 1 else snake_case("".join(c if c.isalnum() else "_" for c in full.partition("@")[0]))
        return name + "_" if name == "instance" else name  # (`Root.instance` is the untyped instance)

    def visit_function(self, func: Function) -> None:
        for _, t in func.params:
            self.visit(t)
        if func.result is not None:
            self.visit(func.result)

    def visit(self, t: object) -> None:
        """Collect the named types `t` is made of, then `t`, once each."""
        if isinstance(t, tuple):
            for part in t:
                self.visit(part)
            return
        if not isinstance(t, TypeDef) or id(t) in self.seen or self.opaque(t):
            return
        self.seen.add(id(t))
        for part in t.parts:
            self.visit(part)
        if t.name is not None:
            self.names.type_name(t)
            self.declared.append(t)

    @staticmethod
    def opaque(t: TypeDef) -> bool:
        """Whether `t` is WASI's (left to its host: typed `Any`)."""
        owner = target(t).owner if isinstance(target(t), TypeDef) else None  # type: ignore[union-attr]
        return isinstance(owner, Interface) and _is_wasi(owner)

    def annotation(self, t: WitType | None, side: str = "export") -> str:
        found = target(t) if t is not None else None
        if isinstance(found, TypeDef) and found.kind in ("own", "borrow"):
            found = target(cast(WitType, found.parts[0]))
        if isinstance(found, TypeDef) and self.opaque(found):
            return "_t.Any"
        return python_type(t, self.names, side)

    # -- the module -------------------------------------------------------------------------

    def module(self) -> str:
        self.collect()
        what = f" of {self.source}" if self.source else ""
        self.lines += [f'"""Typed bindings for the component world `{self.world.name}`{what}.', "",
                       "Written by `wasmkit bindgen`; do not edit. `load` instantiates the component through",
                       "`wasmkit.load`, with its records, variants, enums, flags and exported resources made",
                       'of the classes below (docs/components.md, "bindgen").', '"""', "", _HEADER.rstrip("\n")]  # fmt: skip
        for typedef in self.declared:
            self.declare(typedef)
        for attr, full, item in self.imports:
            if isinstance(item, Interface):
                self.protocol(attr, full, item)
        self.imports_class()
        for attr, full, base, item in self.exports:
            if isinstance(item, Interface):
                self.exports_class(attr, base, item)
        self.root()
        self.classes()
        self.loader()
        return "\n".join(self.lines) + "\n"

    def block(self, lines: Iterable[str]) -> None:
        self.lines += ["", ""]
        self.lines += lines

    def declare(self, typedef: TypeDef) -> None:
        name, kind = self.names.type_name(typedef), typedef.kind
        doc = _docstring(typedef.docs, f"The WIT {kind} `{typedef.name}`.", "    ")
        if kind == "record":
            fields = cast("tuple[tuple[str, WitType], ...]", typedef.parts)
            lines = ["@_dataclasses.dataclass(frozen=True, slots=True)", f"class {name}:", *doc]
            for label, t in fields:
                lines += _comment(typedef.item_docs.get(label), "    ")
                lines.append(f"    {parameter_name(label)}: {self.annotation(t)}")
            self.block(lines)
            self.values.append(("record", cast(str, typedef.name), tuple(label for label, _ in fields), name))
        elif kind == "variant":
            self.variant(typedef, name, doc)
        elif kind in ("enum", "flags"):
            labels = cast("tuple[str, ...]", typedef.parts)
            base = "_enum.Enum" if kind == "enum" else "_enum.Flag"
            lines = [f"class {name}({base}):", *doc]
            if labels:
                lines.append("")
            for i, label in enumerate(labels):
                lines += _comment(typedef.item_docs.get(label), "    ")
                lines.append(f'    {upper_case(label)} = "{label}"' if kind == "enum" else f"    {upper_case(label)} = {1 << i}")
            self.block(lines)
            self.values.append((kind, cast(str, typedef.name), labels, name))
        elif kind == "resource":
            if id(typedef) in self.exported or id(typedef) not in self.imported:
                self.resource_class(typedef, name, doc)
            if id(typedef) in self.imported:
                self.resource_protocol(typedef, self.names.import_side.get(id(typedef), name))
        elif kind == "alias":
            found = target(typedef)
            if isinstance(found, TypeDef) and found.kind in ("resource", "own", "borrow"):
                return  # a resource's alias: its uses name the resource itself
            if isinstance(found, TypeDef) and found.name is not None and found.kind in ("record", "variant", "enum", "flags"):
                self.block([f"{name} = {self.annotation(found)}"])
                labels = tuple(p if isinstance(p, str) else p[0] for p in found.parts)  # type: ignore[index]
                self.values.append((found.kind, cast(str, typedef.name), labels, name))
            else:
                self.block([f'{name}: _t.TypeAlias = "{self.annotation(found)}"'])
        elif kind not in ("own", "borrow"):  # `type bytes = list<u8>`
            self.block([f'{name}: _t.TypeAlias = "{self.annotation(TypeDef(None, kind, typedef.parts))}"'])

    def variant(self, typedef: TypeDef, name: str, doc: list[str]) -> None:
        cases = cast("tuple[tuple[str, WitType | None], ...]", typedef.parts)
        case_names = [self.names.unique(name + pascal_case(label)) for label, _ in cases]
        lines = [f"class {name}(_abi.VariantCase):", *doc, "", "    __slots__ = ()",
                 f"    cases: _t.ClassVar[tuple[type[{name}], ...]]"]  # fmt: skip
        lines += [f"    {pascal_case(label)}: _t.ClassVar[type[{case}]]" for (label, _), case in zip(cases, case_names)]
        self.block(lines)
        for (label, t), case in zip(cases, case_names):
            lines = ["@_dataclasses.dataclass(frozen=True, slots=True)", f"class {case}({name}):"]
            lines += _docstring(typedef.item_docs.get(label), f"The case `{label}` of `{typedef.name}`.", "    ")
            lines += ["", f'    wit_case = "{label}"']
            if t is not None:
                lines.append(f"    value: {self.annotation(t)}")
            self.block(lines)
        self.lines.append("")
        self.lines.append("")
        listed = f"{name}.cases = ({', '.join(case_names)}{',' if len(case_names) == 1 else ''})"
        self.lines += [listed] if len(listed) <= _WIDTH else [f"{name}.cases = (", *(f"    {case}," for case in case_names), ")"]
        self.lines += [f"{name}.{pascal_case(label)} = {case}" for (label, _), case in zip(cases, case_names)]
        self.values.append(("variant", cast(str, typedef.name), tuple(label for label, _ in cases), name))

    def resource_functions(self, typedef: TypeDef) -> list[Function]:
        owner = typedef.owner
        if isinstance(owner, Interface):
            funcs: Iterable[object] = owner.functions.values()
        elif isinstance(owner, World):
            funcs = [*self.world.imports.values(), *self.world.exports.values()]
        else:
            funcs = []
        return [f for f in funcs if isinstance(f, Function) and f.resource is typedef]

    def define(self, name: str, func: Function, side: str, first: str | None, stub: bool = False) -> list[str]:
        """A method's `def` line (its parameters one a line when it is long); `stub`: a
        protocol's, whose body is `...` on the same line."""
        params = func.params[1:] if func.kind == "method" else func.params
        text = [first] if first else []
        text += [f"{parameter_name(p)}: {self.annotation(t, side)}" for p, t in params]
        end = f") -> {self.returns(func, side)}:" + (" ..." if stub else "")
        one = f"    def {name}({', '.join(text)}{end}"
        if len(one) <= _WIDTH:
            return [one]
        return [f"    def {name}(", *(f"        {param}," for param in text), f"    {end}"]

    def returns(self, func: Function, side: str) -> str:
        """A function's Python result: a `result`'s ok value (its error is raised as `Err`)."""
        if func.kind == "constructor":
            return "None"
        result = func.result
        found = target(result) if result is not None else None
        if isinstance(found, TypeDef) and found.kind == "result":
            return self.annotation(cast("WitType | None", found.parts[0]), side)
        return self.annotation(result, side)

    def func_doc(self, func: Function, indent: str) -> list[str]:
        raises = ""
        found = target(func.result) if func.result is not None else None
        if isinstance(found, TypeDef) and found.kind == "result":
            raises = "\n\nRaises `wasmkit.component.abi.Err` with the error."
        return _docstring((func.docs or f"`{func.item_name}`.").rstrip("\n") + raises, "", indent)

    def resource_class(self, typedef: TypeDef, name: str, doc: list[str]) -> None:
        lines = [f"class {name}(_GuestResource):", *doc, "", "    __slots__ = ()"]
        for func in self.resource_functions(typedef):
            attr = snake_case(func.item_name)
            lines.append("")
            if func.kind == "constructor":
                lines += self.define("__init__", func, "export", "self")
            elif func.kind == "static":
                lines += ["    @staticmethod", *self.define(attr, func, "export", None)]
            else:
                lines += self.define(attr, func, "export", "self")
            lines += self.func_doc(func, "        ")
            lines.append(f'        raise _unbound("{name}.{attr if func.kind != "constructor" else "__init__"}")')
        self.block(lines)
        owner = typedef.owner
        if id(typedef) in self.exported:
            within = ""
            for _, _, base, item in self.exports:
                if item is owner:
                    within = base
            self.resources.append((within, cast(str, typedef.name), name))

    def resource_protocol(self, typedef: TypeDef, name: str) -> None:
        lines = [f"class {name}(_t.Protocol):"]
        lines += _docstring(typedef.docs, f"What the host implements for the WIT resource `{typedef.name}`.", "    ")
        for func in self.resource_functions(typedef):
            lines.append("")
            if func.kind == "constructor":
                lines += self.stub(func, "__init__", "self")
            elif func.kind == "static":
                lines += ["    @staticmethod", *self.stub(func, snake_case(func.item_name), None)]
            else:
                lines += self.stub(func, snake_case(func.item_name), "self")
        self.block(lines)

    def stub(self, func: Function, name: str, first: str | None) -> list[str]:
        """A protocol's method: its signature, and its docs when it has some."""
        if func.docs:
            return [*self.define(name, func, "import", first), *_docstring(func.docs, "", "        ")]
        return self.define(name, func, "import", first, stub=True)

    def protocol(self, attr: str, full: str, interface: Interface) -> None:
        name = self.protocols[id(interface)] = self.names.unique(pascal_case(attr.replace("_", "-")) + "Imports")
        lines = [f"class {name}(_t.Protocol):"]
        lines += _docstring(interface.docs, f"What the host implements for the imported interface `{full}`.", "    ")
        for typedef in interface.types.values():
            if typedef.kind == "resource":
                resource = self.annotation(typedef, "import")
                lines += ["", "    @property", f"    def {pascal_case(typedef.name or '')}(self) -> type[{resource}]: ..."]
        for func in interface.functions.values():
            if func.resource is None:
                lines += ["", *self.stub(func, snake_case(func.name), "self")]
        self.block(lines)

    def imports_class(self) -> None:
        lines = ["@_dataclasses.dataclass(frozen=True)", "class Imports:"]
        lines += _docstring(None, "What the component imports, but WASI's (from `load`'s `wasi=`).", "    ")
        if self.imports:
            lines.append("")
        for attr, _, item in self.imports:
            if isinstance(item, Interface):
                lines.append(f"    {attr}: {self.protocols[id(item)]}")
            else:
                params = ", ".join(self.annotation(t, "import") for _, t in item.params)
                lines.append(f"    {attr}: _t.Callable[[{params}], {self.returns(item, 'import')}]")
        self.block(lines)
        lines = ["def _import_values(imports: Imports) -> dict[str, object]:",
                 '    """The imports as `wasmkit.load` takes them (docs/components.md, "Imports")."""',
                 "    return {" if self.imports else "    return {}"]  # fmt: skip
        for attr, full, item in self.imports:
            if isinstance(item, Function):
                lines.append(f'        "{full}": imports.{attr},')
                continue
            members = [f'"{t.name}": imports.{attr}.{pascal_case(t.name or "")}' for t in item.types.values() if t.kind == "resource"]
            members += [f'"{f.name}": imports.{attr}.{snake_case(f.name)}' for f in item.functions.values() if f.resource is None]
            lines.append(f'        "{full}": {{')
            lines += [f"            {member}," for member in members]
            lines.append("        },")
        if self.imports:
            lines.append("    }")
        self.block(lines)

    def call(self, func: Function, target_expr: str, indent: str) -> list[str]:
        """The body of a method that calls the export `func` found by `target_expr`."""
        params = func.params[1:] if func.kind == "method" else func.params
        args = [parameter_name(p) for p, _ in params]
        returns = self.returns(func, "export")
        head = indent if returns == "None" else f'{indent}return _t.cast("{returns}", '
        tail = "" if returns == "None" else ")"
        one = f"{head}{target_expr}({', '.join(args)}){tail}"
        if len(one) <= _WIDTH:
            return [one]
        return [f"{head}{target_expr}(", *(f"{indent}    {arg}," for arg in args), f"{indent}){tail}"]

    def exports_class(self, attr: str, base: str, interface: Interface) -> None:
        name = self.exports_names[id(interface)] = self.names.unique(pascal_case(attr.replace("_", "-")) + "Exports")
        lines = [f"class {name}:"]
        lines += _docstring(interface.docs, f"The exported interface `{base}`.", "    ")
        resources = [t for t in interface.types.values() if t.kind == "resource" and id(t) in self.exported]
        lines += ["", "    def __init__(self, exports: _t.Any) -> None:", "        self._exports = exports"]
        for t in resources:
            cls = self.names.type_name(t)
            lines.append(f'        self.{pascal_case(t.name or "")}: type[{cls}] = exports["{t.name}"]')
        for func in interface.functions.values():
            if func.resource is None:
                lines += ["", *self.define(snake_case(func.name), func, "export", "self")]
                lines += self.func_doc(func, "        ")
                lines += self.call(func, f'self._exports["{func.name}"]', "        ")
        self.block(lines)

    def root(self) -> None:
        lines = ["class Root:"]
        lines += _docstring(self.world.docs, f"The exports of world `{self.world.name}`, typed; `instance` is the untyped one.", "    ")
        lines += ["", "    def __init__(self, instance: _Instance) -> None:", "        self.instance = instance"]
        for attr, full, _, item in self.exports:
            if isinstance(item, Interface):
                lines.append(f'        self.{attr} = {self.exports_names[id(item)]}(instance.exports["{full}"])')
        for attr, full, _, item in self.exports:
            if isinstance(item, Function):
                lines += ["", *self.define(attr, item, "export", "self")]
                lines += self.func_doc(item, "        ")
                lines += self.call(item, f'self.instance.exports["{full}"]', "        ")
        self.block(lines)

    def classes(self) -> None:
        values = []
        for kind, wit_name, labels, cls in self.values:
            listed = ", ".join(f'"{label}"' for label in labels) + ("," if len(labels) == 1 else "")
            values.append(f'("{kind}", "{wit_name}", ({listed})): {cls},')
        resources = [f'("{within}", "{resource}"): {cls},' for within, resource, cls in self.resources]
        lines = ["CLASSES = _abi.GivenClasses(", *_dict("values", values, "    "), *_dict("resources", resources, "    "), ")"]
        lines.append('"""The classes above, for `wasmkit.load(..., classes=CLASSES)`."""')
        self.block(lines)

    def loader(self) -> None:
        needed = bool(self.imports)
        default = "" if needed else " | None = None"
        lines = [
            "def load(",
            "    source: str | bytes | _os.PathLike[str] | _Component,",
            "    *,",
            f"    imports: Imports{default},",
            "    wasi: _t.Any = None,",
            '    engine: str = "python",',
            "    store: _Store | None = None,",
            "    extra_imports: _t.Mapping[str, object] | None = None,",
            ") -> Root:",
            '    """Instantiate the component (a path, its bytes or a `Component`) with `imports` (and',
            "    `extra_imports`, by WIT name, as `wasmkit.load` takes them), WASI 0.2 from `wasi` (a",
            '    `wasmkit.wasi.WasiConfig`, or True) when it imports WASI, on `engine` or in `store`."""',
            f"    given = {{**_import_values({'imports' if needed else 'imports or Imports()'}), **(extra_imports or {{}})}}",
            "    instance = _wasmkit.load(source, given, wasi, store=store, engine=engine, classes=CLASSES)",
            "    return Root(instance)",
        ]
        self.block(lines)
