"""The syntax tree of a WIT file, as the parser reads it and before any name is resolved.
Every name keeps its token's offset (`Id.at`) and its file (`Id.source`), so that the resolver
can say where a fault is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Union

from .lexer import Source

__all__ = [
    "Id", "Attr", "TypeExpr", "Sig", "Func", "ResourceFunc", "Member", "TypeDecl", "UsePath", "Use",
    "Interface", "Extern", "Include", "World", "TopUse", "PackageName", "PackageFile", "use_paths",
]


@dataclass(frozen=True)
class Id:
    name: str
    at: int
    source: Source


@dataclass
class Attr:
    """`@since(version = V)`, `@unstable(feature = F)`, `@deprecated(version = V)` or
    `@external-id("...")`: `kind` and its value."""

    kind: str
    value: str
    at: int


@dataclass
class TypeExpr:
    """A type as written: `kind` is "prim" (`args` the Prim), "name" (an Id), "list", "option",
    "tuple", "result" (ok, err: each TypeExpr or None), "future", "stream" (TypeExpr or None),
    "own", "borrow" (an Id), "map" (key, value), "fixed-length-list" (element, length)."""

    kind: str
    args: tuple[object, ...]
    at: int


@dataclass
class Sig:
    is_async: bool
    params: list[tuple[Id, TypeExpr]]
    result: TypeExpr | None
    at: int


@dataclass
class Func:
    docs: list[str]
    attrs: list[Attr]
    name: Id
    sig: Sig


@dataclass
class ResourceFunc:
    kind: str  # "method", "static" or "constructor"
    func: Func


@dataclass
class Member:
    """A record's field, a variant's case (`type` None when it has no payload), an enum's
    case or a flag."""

    docs: list[str]
    name: Id
    type: TypeExpr | None = None


@dataclass
class TypeDecl:
    """`kind` "alias" (`type x = target;`), "record", "variant", "enum", "flags" (`members`)
    or "resource" (`funcs`)."""

    docs: list[str]
    attrs: list[Attr]
    name: Id
    kind: str
    at: int
    target: TypeExpr | None = None
    members: list[Member] = field(default_factory=list)
    funcs: list[ResourceFunc] = field(default_factory=list)


@dataclass
class UsePath:
    """`iface` or `ns:pkg/iface@version`: `package` is (namespace, name, version or None) or None."""

    package: tuple[str, str, str | None] | None
    name: Id
    package_at: int = 0  # where the package's name starts

    @property
    def package_id(self) -> str:
        namespace, name, version = self.package or ("", "", None)
        return f"{namespace}:{name}" + (f"@{version}" if version else "")


@dataclass
class Use:
    attrs: list[Attr]
    path: UsePath
    names: list[tuple[Id, Id | None]]  # (name, `as` name)


@dataclass
class Interface:
    docs: list[str]
    attrs: list[Attr]
    name: Id
    items: list[Union[Use, TypeDecl, Func]]


@dataclass
class Extern:
    """A world's `import` or `export` (`direction`): `kind` "func" (`name`, `sig`), "interface"
    (`name`, `items` of an inline interface), "path" (`path`) or "named" (`name`, `path`)."""

    direction: str
    docs: list[str]
    attrs: list[Attr]
    kind: str
    name: Id | None = None
    sig: Sig | None = None
    items: list[Union[Use, TypeDecl, Func]] = field(default_factory=list)
    path: UsePath | None = None
    at: int = 0


@dataclass
class Include:
    attrs: list[Attr]
    path: UsePath
    names: list[tuple[Id, Id]]  # `with { name as new }`


@dataclass
class World:
    docs: list[str]
    attrs: list[Attr]
    name: Id
    items: list[Union[Use, TypeDecl, Extern, Include]]


@dataclass
class TopUse:
    """`use ns:pkg/iface@version as name;` (or a local interface) at the top of a file."""

    path: UsePath
    alias: Id | None


@dataclass
class PackageName:
    namespace: str
    name: str
    version: str | None
    docs: list[str]
    at: int
    source: Source

    @property
    def id(self) -> str:
        return f"{self.namespace}:{self.name}" + (f"@{self.version}" if self.version else "")


@dataclass
class PackageFile:
    """One file (or one `package x { ... }` block in it): its package header, if any, and its
    items; the blocks nested in a file are in `nested`."""

    source: Source
    package: PackageName | None
    items: list[Union[Interface, World, TopUse]]
    nested: list[PackageFile] = field(default_factory=list)


def use_paths(items: Iterable[object]) -> Iterator[tuple[UsePath, str]]:
    """Every path in `items` that names an interface or a world (with which it names), in
    the order wit-parser meets them: item by item, a world's imports before its exports."""
    for item in items:
        if isinstance(item, TopUse):
            yield item.path, "interface"
        elif isinstance(item, Interface):
            yield from ((use.path, "interface") for use in item.items if isinstance(use, Use))
        elif isinstance(item, World):
            externs = []
            for member in item.items:
                if isinstance(member, Use):
                    yield member.path, "interface"
                elif isinstance(member, Include):
                    yield member.path, "world"
                elif isinstance(member, Extern):
                    externs.append(member)
            for extern in sorted(externs, key=lambda e: e.direction != "import"):
                if extern.kind == "interface":
                    yield from ((use.path, "interface") for use in extern.items if isinstance(use, Use))
                elif extern.path is not None:
                    yield extern.path, "interface"
