"""WIT, the component model's interface language (design/mvp/WIT.md): a small model of what
a component's world says (packages, interfaces, worlds, types and functions) and its text,
printed as `wasm-tools component wit` prints it (wit-component's `WitPrinter`): the main
package first (`package root:component;` and its world `root`), then each package whose
interfaces the world imports or exports, as `package ns:name@version { ... }`.

`wit_decode.decode_world` builds the model from a validated component.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Union, cast

from ..errors import WitError
from .syntax import Prim

__all__ = ["TypeDef", "WitType", "Function", "Interface", "World", "Package", "Resolve", "print_wit"]


@dataclass(eq=False)
class TypeDef:
    """A type: named (declared in an interface or world) or not (a `list<u8>` in a signature).

    `kind` and `parts`: "record" ((label, type), ...), "variant" ((label, type or None), ...),
    "enum" and "flags" (labels), "resource" (), "alias" (the type it stands for: a `use` when
    that is another interface's), "list" (element,), "tuple" (types), "option" (type,), "result"
    (ok or None, error or None), "own" and "borrow" (the resource's TypeDef,), "future" and
    "stream" (type or None,), "map" (key, value), "fixed-length-list" (element, length)."""

    name: str | None
    kind: str
    parts: tuple[object, ...]
    owner: Interface | World | None = None
    external_id: str | None = None
    docs: str | None = None
    stability: Stability | None = None
    item_docs: dict[str, str] = field(default_factory=dict)  # a record's fields', a variant's cases'...

    @property
    def resource_name(self) -> str:
        """An `own` or `borrow` handle's resource's name."""
        return cast(TypeDef, self.parts[0]).name or ""


WitType = Union[Prim, TypeDef]

# A feature gate: ("stable", since, deprecated or None) or ("unstable", feature, deprecated or None).
Stability = tuple[str, str, Union[str, None]]


@dataclass(eq=False)
class Function:
    """A function: `kind` is "freestanding", "constructor", "method" or "static" (then
    `resource` is the resource it belongs to); `name` is its full name (`[method]r.m`)."""

    name: str
    kind: str
    params: tuple[tuple[str, WitType], ...]
    result: WitType | None
    is_async: bool = False
    resource: TypeDef | None = None
    external_id: str | None = None
    docs: str | None = None
    stability: Stability | None = None

    @property
    def item_name(self) -> str:
        """Its name as WIT writes it: a method's or static function's without the resource."""
        return self.name.partition(".")[2] if self.kind in ("method", "static") else self.name


@dataclass(eq=False)
class Interface:
    name: str | None  # None for one written inline in a world (`import x: interface { ... }`)
    package: Package | None = None
    types: dict[str, TypeDef] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    docs: str | None = None
    stability: Stability | None = None

    @property
    def id(self) -> str:
        """`ns:pkg/iface@version` (just its name if it belongs to no package)."""
        package = self.package
        if package is None:
            return self.name or ""
        version = f"@{package.version}" if package.version else ""
        return f"{package.namespace}:{package.name}/{self.name}{version}"


# A world's import or export: keyed by its name (a function, a type, an inline interface) or,
# for an interface named by its `ns:pkg/iface` name, by the interface itself.
WorldItem = Union[Interface, Function, TypeDef]


@dataclass(eq=False)
class World:
    name: str
    package: Package | None = None
    imports: dict[str | Interface, WorldItem] = field(default_factory=dict)
    exports: dict[str | Interface, WorldItem] = field(default_factory=dict)
    # the external-id of an interface imported ("import", key) or exported ("export", key)
    external_ids: dict[tuple[str, str | Interface], str] = field(default_factory=dict)
    # the docs and gate of an interface imported or exported, likewise
    item_docs: dict[tuple[str, str | Interface], str] = field(default_factory=dict)
    item_stability: dict[tuple[str, str | Interface], Stability] = field(default_factory=dict)
    docs: str | None = None
    stability: Stability | None = None


@dataclass(eq=False)
class Package:
    namespace: str
    name: str
    version: str | None = None
    interfaces: dict[str, Interface] = field(default_factory=dict)
    worlds: dict[str, World] = field(default_factory=dict)
    docs: str | None = None

    @property
    def id(self) -> str:
        return f"{self.namespace}:{self.name}" + (f"@{self.version}" if self.version else "")


@dataclass
class Resolve:
    """What is printed: the main package, then the others (`nested`) in that order."""

    main: Package
    nested: list[Package]


# Words that a name must be escaped with `%` to be (WIT's keywords, as wit-component lists them).
_KEYWORDS = frozenset(
    "use type func u8 u16 u32 u64 s8 s16 s32 s64 f32 f64 float32 float64 char resource record flags "
    "variant enum bool string option result future stream list own borrow _ as from static interface "
    "tuple world import export package with include constructor error-context async map".split()
)


def _escaped(name: str) -> str:
    return f"%{name}" if name in _KEYWORDS else name


_ID_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _quoted(text: str) -> str:
    """`text` in double quotes, as wit-component writes an external-id: letters, digits and
    `-_./: ` as they are, the usual escapes, `\\u{hex}` for the rest."""
    out = []
    for c in text:
        if c.isascii() and (c.isalnum() or c in "-_./: "):
            out.append(c)
        else:
            out.append(_ID_ESCAPES.get(c) or f"\\u{{{ord(c):x}}}")
    return '"' + "".join(out) + '"'


class _Out:
    """Text with two-space indentation, written as wit-component's printer writes it: a line's
    indentation goes in before its first word, so that blank lines stay empty."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.depth = 0
        self.at_line_start = False

    def write(self, text: str) -> None:
        if self.at_line_start:
            self.parts.append("  " * self.depth)
            self.at_line_start = False
        self.parts.append(text)

    def newline(self) -> None:
        self.parts.append("\n")
        self.at_line_start = True

    def semicolon(self) -> None:
        self.write(";")
        self.newline()

    def open(self) -> None:
        self.write(" {")
        self.depth += 1
        self.newline()

    def close(self) -> None:
        self.depth -= 1
        self.write("}")
        self.newline()

    def text(self) -> str:
        return "".join(self.parts)


def print_wit(resolve: Resolve) -> str:
    """The WIT text of `resolve`, as `wasm-tools component wit` prints it."""
    printer = _Printer()
    printer.package(resolve.main, main=True)
    for n, package in enumerate(resolve.nested):
        if n:
            printer.out.newline()
            printer.out.newline()
        printer.package(package, main=False)
    return printer.out.text()


class _Printer:
    def __init__(self) -> None:
        self.out = _Out()
        self.any_items = False  # whether the block so far has an item (the next one is set off by a blank line)

    def new_item(self) -> None:
        if self.any_items:
            self.out.newline()
        self.any_items = True

    def docs(self, text: str | None) -> None:
        if text is None:
            return
        lines = text.split("\n")
        if lines[-1] == "":  # as Rust's `lines()`: no line after a last newline
            lines.pop()
        for line in lines:
            line = line.removesuffix("\r")
            self.out.write(f"/// {line}" if line else "///")
            self.out.newline()

    def stability(self, gate: Stability | None) -> None:
        if gate is not None:
            kind, value, deprecated = gate
            self.out.write(f"@since(version = {value})" if kind == "stable" else f"@unstable(feature = {value})")
            self.out.newline()
            if deprecated is not None:
                self.out.write(f"@deprecated(version = {deprecated})")
                self.out.newline()

    def external_id(self, text: str | None) -> None:
        if text is not None:
            self.out.write(f"@external-id({_quoted(text)})")
            self.out.newline()

    def package(self, package: Package, main: bool) -> None:
        out = self.out
        self.docs(package.docs)
        out.write(f"package {_escaped(package.namespace)}:{_escaped(package.name)}")
        if package.version is not None:
            out.write(f"@{package.version}")
        if main:
            out.semicolon()
            out.newline()
        else:
            out.open()
        for name, interface in package.interfaces.items():
            self.docs(interface.docs)
            self.stability(interface.stability)
            out.write(f"interface {_escaped(name)}")
            out.open()
            self.interface(interface)
            out.close()
            if main:
                out.newline()
        for name, world in package.worlds.items():
            self.docs(world.docs)
            self.stability(world.stability)
            out.write(f"world {_escaped(name)}")
            out.open()
            self.world(world)
            out.close()
        if not main:
            out.close()

    def interface(self, interface: Interface) -> None:
        outer, self.any_items = self.any_items, False
        freestanding = [f for f in interface.functions.values() if f.resource is None]
        self.types(interface, interface.types.items(), _resource_functions(interface.functions.values()))
        for func in freestanding:
            self.new_item()
            self.docs(func.docs)
            self.stability(func.stability)
            self.external_id(func.external_id)
            self.out.write(f"{_escaped(func.item_name)}: ")
            self.function(func)
            self.out.semicolon()
        self.any_items = outer

    def types(self, owner: Interface | World, types: Iterable[tuple[str, TypeDef]], resource_funcs: dict[int, list[Function]]) -> None:
        """`use` statements for the types that are another interface's, then the others'
        declarations."""
        declared: list[TypeDef] = []
        uses: list[tuple[Interface, TypeDef, list[tuple[str, str]]]] = []
        for name, typedef in types:
            other = typedef.parts[0] if typedef.kind == "alias" else None
            if isinstance(other, TypeDef) and isinstance(other.owner, Interface) and other.owner is not owner:
                last = uses[-1] if uses else None
                if last and last[0] is other.owner and (last[1].external_id, last[1].stability) == (typedef.external_id, typedef.stability):
                    uses[-1][2].append((name, other.name or ""))
                else:
                    uses.append((other.owner, typedef, [(name, other.name or "")]))
                continue
            declared.append(typedef)
        package = owner.package
        for interface, first, names in uses:
            self.any_items = True
            self.stability(first.stability)
            self.external_id(first.external_id)
            listed = ", ".join(_escaped(mine) if mine == theirs else f"{_escaped(theirs)} as {_escaped(mine)}" for mine, theirs in names)
            self.out.write(f"use {_path(interface, package)}.{{{listed}}}")
            self.out.semicolon()
        for typedef in declared:
            self.new_item()
            self.docs(typedef.docs)
            self.stability(typedef.stability)
            self.external_id(typedef.external_id)
            if typedef.kind == "resource":
                self.resource(typedef, resource_funcs.get(id(typedef), []))
            else:
                self.declare(typedef)

    def resource(self, typedef: TypeDef, funcs: list[Function]) -> None:
        out = self.out
        out.write(f"resource {_escaped(typedef.name or '')}")
        if not funcs:
            out.semicolon()
            return
        out.open()
        for func in funcs:
            self.docs(func.docs)
            self.stability(func.stability)
            self.external_id(func.external_id)
            if func.kind == "method":
                out.write(f"{_escaped(func.item_name)}: ")
            elif func.kind == "static":
                out.write(f"{_escaped(func.item_name)}: static ")
            self.function(func)
            out.semicolon()
        out.close()

    def function(self, func: Function) -> None:
        out = self.out
        if func.is_async:
            out.write("async ")
        out.write("constructor(" if func.kind == "constructor" else "func(")
        params = func.params[1:] if func.kind == "method" else func.params
        out.write(", ".join(f"{_escaped(name)}: {_type_name(t)}" for name, t in params))
        out.write(")")
        result = func.result
        shorthand = func.kind == "constructor" and isinstance(result, TypeDef) and result.kind == "own" and result.parts[0] is func.resource
        if result is not None and not shorthand:
            out.write(f" -> {_type_name(result)}")

    def declare(self, typedef: TypeDef) -> None:
        out, name, kind = self.out, _escaped(typedef.name or ""), typedef.kind
        if kind in ("record", "variant", "enum", "flags"):
            out.write(f"{kind} {name}")
            out.open()
            for part in typedef.parts:
                self.docs(typedef.item_docs.get(cast(str, part if kind in ("enum", "flags") else part[0])))  # type: ignore[index]
                if kind == "record":
                    label, t = cast(tuple[str, WitType], part)
                    out.write(f"{_escaped(label)}: {_type_name(t)},")
                elif kind == "variant":
                    label, case = cast(tuple[str, Union[WitType, None]], part)
                    out.write(_escaped(label) + (f"({_type_name(case)})" if case is not None else "") + ",")
                else:
                    out.write(f"{_escaped(cast(str, part))},")
                out.newline()
            out.close()
        elif kind in ("own", "borrow"):
            out.write(f"type {name} = {kind}<{_escaped(typedef.resource_name)}>")
            out.semicolon()
        else:
            target = cast(WitType, typedef.parts[0]) if kind == "alias" else TypeDef(None, kind, typedef.parts)
            out.write(f"type {name} = {_type_name(target)}")
            out.semicolon()

    def world(self, world: World) -> None:
        outer, self.any_items = self.any_items, False
        types: list[tuple[str, TypeDef]] = []
        resource_funcs: list[Function] = []
        functions: list[tuple[str | Interface, Function]] = []
        for key, item in world.imports.items():
            if isinstance(item, TypeDef):
                types.append((cast(str, key), item))
            elif isinstance(item, Function) and item.resource is not None:
                resource_funcs.append(item)
            elif isinstance(item, Function):
                functions.append((key, item))
            else:
                self.world_item(world, key, item, "import")
                self.any_items = True
        self.types(world, types, _resource_functions(resource_funcs))
        for key, func in functions:
            self.world_item(world, key, func, "import")
            self.any_items = True
        if world.exports:
            self.new_item()
        for key, item in world.exports.items():
            self.world_item(world, key, item, "export")
        self.any_items = outer

    def world_item(self, world: World, key: str | Interface, item: WorldItem, keyword: str) -> None:
        out = self.out
        if isinstance(item, Function):
            self.docs(item.docs)
            self.stability(item.stability)
            self.external_id(item.external_id)
        else:
            docs = world.item_docs.get((keyword, key))
            self.docs(docs if docs is not None or isinstance(key, Interface) else item.docs)
            self.stability(world.item_stability.get((keyword, key)))
            self.external_id(world.external_ids.get((keyword, key)))
        out.write(f"{keyword} ")
        if isinstance(key, Interface):
            out.write(_path(key, world.package))
            out.semicolon()
        elif isinstance(item, Interface):
            out.write(f"{_escaped(key)}: ")
            if item.name is None:
                out.write("interface")
                out.open()
                self.interface(item)
                out.close()
            else:
                out.write(_path(item, world.package))
                out.semicolon()
        else:
            out.write(f"{_escaped(key)}: ")
            self.function(item)  # type: ignore[arg-type]
            out.semicolon()


def _resource_functions(funcs: Iterable[Function]) -> dict[int, list[Function]]:
    """The functions of each resource (by the id of its TypeDef), in order."""
    found: dict[int, list[Function]] = {}
    for func in funcs:
        if func.resource is not None:
            found.setdefault(id(func.resource), []).append(func)
    return found


def _path(interface: Interface, package: Package | None) -> str:
    """How an interface is named from `package`: by its name within it, else in full."""
    name = _escaped(interface.name or "")
    owner = interface.package
    if owner is package or owner is None:
        return name
    version = f"@{owner.version}" if owner.version is not None else ""
    return f"{_escaped(owner.namespace)}:{_escaped(owner.name)}/{name}{version}"


def _type_name(t: WitType) -> str:
    """A type as a signature or another type writes it: its name, or its structure."""
    if isinstance(t, Prim):
        return t.text
    if t.name is not None:
        return _escaped(t.name)
    kind, parts = t.kind, t.parts
    if kind == "own":
        return _escaped(t.resource_name)
    if kind == "borrow":
        return f"borrow<{_escaped(t.resource_name)}>"
    if kind in ("list", "option", "tuple", "map"):
        return f"{kind}<{', '.join(_type_name(cast(WitType, p)) for p in parts)}>"
    if kind == "result":
        ok, error = parts
        if ok is None and error is None:
            return "result"
        if error is None:
            return f"result<{_type_name(ok)}>"  # type: ignore[arg-type]
        return f"result<{'_' if ok is None else _type_name(ok)}, {_type_name(error)}>"  # type: ignore[arg-type]
    if kind in ("future", "stream"):
        return kind if parts[0] is None else f"{kind}<{_type_name(parts[0])}>"  # type: ignore[arg-type]
    if kind == "fixed-length-list":
        return f"list<{_type_name(parts[0])}, {parts[1]}>"  # type: ignore[arg-type]
    if kind == "alias":
        return _type_name(parts[0])  # type: ignore[arg-type]
    raise WitError(f"an unnamed {kind} type cannot be written in WIT")
