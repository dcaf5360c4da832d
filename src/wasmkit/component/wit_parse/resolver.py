"""One WIT package's syntax trees (all its files) to `wit`'s model, as wit-parser's
`ast/resolve.rs` resolves them: names looked up in the file, then the package, then the
packages already resolved (`known`, which must hold every package this one uses); interfaces
and worlds visited in dependency order (`toposort`), and within each, its `use`s first and
then its types in dependency order; feature gates (`@unstable`) leave out what is not
enabled. Each world's `include`s and its elaboration are `worlds`' job."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Union, cast

from ...errors import WitError
from ..syntax import Prim
from ..wit import Function, Interface, Package, Stability, TypeDef, World, WitType
from . import ast
from .gates import Gate
from .worlds import elaborate, include

__all__ = ["resolve_package", "docs_text", "toposort"]

_MAP_KEYS = frozenset({Prim.BOOL, Prim.U8, Prim.U16, Prim.U32, Prim.U64, Prim.S8, Prim.S16, Prim.S32, Prim.S64, Prim.CHAR, Prim.STRING})


def _error(message: str, where: ast.Id) -> WitError:
    return where.source.error(message, where.at)


def toposort(kind: str, deps: dict[str, list[ast.Id]]) -> list[str]:
    """The names of `deps` so that each comes after those it depends on, and otherwise in
    their order in `deps` (wit-parser's `toposort`: of the names ready, the first)."""
    index = {name: i for i, name in enumerate(deps)}
    remaining = [len(edges) for edges in deps.values()]
    dependents: list[list[int]] = [[] for _ in deps]
    for i, edges in enumerate(deps.values()):
        for edge in edges:
            if edge.name not in index:
                raise _error(f"{kind} `{edge.name}` does not exist", edge)
            dependents[index[edge.name]].append(i)
    names = list(deps)
    ready = [i for i in range(len(names)) if not remaining[i]]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(names[i])
        for j in dependents[i]:
            remaining[j] -= 1
            if not remaining[j]:
                heapq.heappush(ready, j)
    if len(order) < len(names):
        for i, edges in enumerate(deps.values()):
            for edge in edges:
                if remaining[i] and remaining[index[edge.name]]:
                    raise _error(f"{kind} `{edge.name}` depends on itself", edge)
    return order


def docs_text(comments: list[str]) -> str | None:
    """The docs that comments before an item give it, as wit-parser makes them: the comment
    markers and trailing blanks removed, the least indentation of the lines removed, a `\\n`
    between lines."""
    docs = []
    for comment in comments:
        body = comment[3:].removesuffix("*/") if comment.startswith("/**") else comment.lstrip("/")
        docs.append(body.rstrip())
    if not docs:
        return None
    indents = [len(d) - len(d.lstrip(" \t\n\r\f")) for d in docs if d]
    least = min(indents, default=0)
    if least:
        docs = [d.removeprefix(" " * least) for d in docs]
    text = "".join("\n" if not d else "".join(line + "\n" for line in d.split("\n")) for d in docs)
    return text.rstrip("\n")


@dataclass
class _Item:
    """A package's interface or world, as the resolver knows it."""

    node: Union[ast.Interface, ast.World]
    file: int
    model: Union[Interface, World, None] = None
    excluded: bool = False


class _TypeScope:
    """The names defined in an interface or a world: its types and functions."""

    def __init__(self) -> None:
        self.names: dict[str, Union[TypeDef, str]] = {}  # a TypeDef, or "function"
        self.excluded: set[int] = set()  # ids of the TypeDefs that a feature gate leaves out
        self.where: dict[str, ast.Id] = {}

    def define(self, name: ast.Id, item: Union[TypeDef, str]) -> None:
        if name.name in self.names:
            raise _error(f"name `{name.name}` is defined more than once", name)
        self.names[name.name] = item
        self.where[name.name] = name

    def kept_types(self) -> list[tuple[ast.Id, TypeDef]]:
        """The types defined here that no feature gate leaves out, with where each is named."""
        return [(self.where[n], t) for n, t in self.names.items() if isinstance(t, TypeDef) and id(t) not in self.excluded]


def resolve_package(name: ast.PackageName, files: list[ast.PackageFile], known: dict[str, Package], gate: Gate) -> Package:
    """The package `name` written in `files` (each a syntax tree of one file or one nested
    package block), with the packages it uses already in `known` (by `ns:pkg@version`)."""
    return _Resolver(name, files, known, gate).package_model()


class _Resolver:
    def __init__(self, name: ast.PackageName, files: list[ast.PackageFile], known: dict[str, Package], gate: Gate) -> None:
        self.files = files
        self.known = known
        self.package = Package(name.namespace, name.name, name.version, docs=docs_text(name.docs))
        self.gate = gate.for_package(self.package)
        self.items: dict[str, _Item] = {}
        self.file_names: list[dict[str, Union[str, ast.UsePath]]] = []  # per file: a local item's name, or a foreign path
        self.current_file = 0  # the file being resolved (what attributes' positions are in)

    def package_model(self) -> Package:
        self.collect_names()
        self.check_foreign_paths()
        order = self.order()
        for name in [n for n in order if isinstance(self.items[n].node, ast.Interface)] + \
                    [n for n in order if isinstance(self.items[n].node, ast.World)]:  # interfaces first, as wit-parser
            item = self.items[name]
            self.current_file = item.file
            if isinstance(item.node, ast.Interface):
                interface = Interface(name, self.package)
                item.model = interface
                item.excluded = not self.gate.included(self.stability(item.node.attrs), item.node.name)
                scope = self.interface(interface, item.node.items, item.node.docs, item.node.attrs, item.file)
                if item.excluded:
                    _refuse_kept_types(scope)
                else:
                    self.package.interfaces[name] = interface
            else:
                item.excluded = not self.gate.included(self.stability(item.node.attrs), item.node.name)
                world = self.world(cast(ast.World, item.node), item.file)
                item.model = world
                if not item.excluded:
                    self.package.worlds[name] = world
        return self.package

    # -- names and order --

    def collect_names(self) -> None:
        for i, file in enumerate(self.files):
            for node in file.items:
                if isinstance(node, (ast.Interface, ast.World)):
                    if node.name.name in self.items:
                        raise _error(f"duplicate item named `{node.name.name}`", node.name)
                    self.items[node.name.name] = _Item(node, i)
        for file in self.files:
            names: dict[str, Union[str, ast.UsePath]] = {}
            for node in file.items:
                if isinstance(node, ast.TopUse):
                    where = node.alias or node.path.name
                    target: Union[str, ast.UsePath] = node.path if node.path.package else node.path.name.name
                else:
                    where, target = node.name, node.name.name
                if where.name in names:
                    raise _error(f"duplicate name `{where.name}` in this file", where)
                names[where.name] = target
            self.file_names.append(names)

    def order(self) -> list[str]:
        """The package's interfaces and worlds in the order they can be resolved in."""
        deps: dict[str, list[ast.Id]] = {name: [] for name in self.items}
        for name, item in self.items.items():
            node = item.node
            if isinstance(node, ast.Interface):
                paths = [use.path for use in node.items if isinstance(use, ast.Use)]
            else:
                paths = [inc.path for inc in node.items if isinstance(inc, ast.Include)]
            for path in paths:
                if path.package is not None:
                    continue
                target = self.file_names[item.file].get(path.name.name)
                if isinstance(target, ast.UsePath):
                    continue
                if target is None and path.name.name not in self.items:
                    raise _error(f"interface or world `{path.name.name}` does not exist", path.name)
                # named where the file declares it (as wit-parser, whose cycle errors point there)
                declared = self.items.get(target or "")
                in_file = declared is not None and declared.file == item.file
                deps[name].append(declared.node.name if in_file else ast.Id(target or path.name.name, path.name.at, path.name.source))  # type: ignore[union-attr]
        return toposort("interface or world", deps)

    def check_foreign_paths(self) -> None:
        """Refuse a path to another package's interface or world that is not there, used or
        not (as wit-parser)."""
        for file in self.files:
            for path, want in ast.use_paths(file.items):
                if path.package is not None:
                    self.foreign(path, ast.Id(path.package_id, path.package_at, path.name.source), want)

    def lookup(self, path: ast.UsePath, file: int, want: str) -> Union[Interface, World]:
        """The interface or world (`want`) that `path` names in file `file`."""
        if path.package is None:
            target = self.file_names[file].get(path.name.name, path.name.name)
            if isinstance(target, ast.UsePath):
                return self.foreign(target, path.name, want)
            item = self.items.get(target)
            if item is None:
                raise _error(f"interface or world `{path.name.name}` does not exist", path.name)
            if isinstance(item.node, ast.World) != (want == "world"):
                other = "interface" if want == "world" else "world"
                article = "a" if want == "world" else "an"
                raise _error(f"name `{path.name.name}` is defined as an {other}, not {article} {want}" if other == "interface"
                             else f"name `{path.name.name}` is defined as a {other}, not {article} {want}", path.name)
            if item.model is None:
                raise _error(f"interface or world `{path.name.name}` depends on itself", path.name)
            if item.excluded:
                raise _error(f"found a reference to a {want} which is excluded due to its feature not being activated", path.name)
            return item.model
        return self.foreign(path, path.name, want)

    def foreign(self, path: ast.UsePath, where: ast.Id, want: str) -> Union[Interface, World]:
        package = self.known.get(path.package_id)
        if package is None:
            known = ", ".join([*self.known, self.package.id])
            raise _error(f"package '{path.package_id}' not found (known packages: {known})", where)
        found = (package.worlds if want == "world" else package.interfaces).get(path.name.name)
        if found is None:
            raise _error(f"{want} '{path.name.name}' not found in package '{package.id}'", path.name)
        return found

    # -- attributes --

    def stability(self, attrs: list[ast.Attr]) -> Stability | None:
        found: dict[str, ast.Attr] = {}
        for attr in attrs:
            if attr.kind == "external-id":
                continue
            if attr.kind in found:
                raise self.attr_error(f"cannot specify @{attr.kind} twice", attr)
            found[attr.kind] = attr
        since, unstable, deprecated = found.get("since"), found.get("unstable"), found.get("deprecated")
        if since and unstable:
            raise self.attr_error("cannot specify both @since and @unstable", since)
        if since:
            return ("stable", since.value, deprecated.value if deprecated else None)
        if unstable:
            return ("unstable", unstable.value, deprecated.value if deprecated else None)
        if deprecated:
            raise self.attr_error("cannot specify both @deprecated without @since or @unstable", deprecated)
        return None

    def external_id(self, attrs: list[ast.Attr]) -> str | None:
        ids = [attr for attr in attrs if attr.kind == "external-id"]
        if len(ids) > 1:
            raise self.attr_error("cannot specify @external-id twice", ids[1])
        return ids[0].value if ids else None

    def attr_error(self, message: str, attr: ast.Attr) -> WitError:
        source = self.files[self.current_file].source
        return source.error(message, attr.at)

    # -- interfaces --

    def interface(self, interface: Interface, items: list[Union[ast.Use, ast.TypeDecl, ast.Func]], docs: list[str],
                  attrs: list[ast.Attr], file: int) -> _TypeScope:
        self.current_file = file
        interface.docs = docs_text(docs)
        interface.stability = self.stability(attrs)
        scope = _TypeScope()
        uses = [item for item in items if isinstance(item, ast.Use)]
        decls = [item for item in items if isinstance(item, ast.TypeDecl)]
        types = self.types(interface, scope, uses, decls, file)
        interface.types.update((t.name or "", t) for t in types if id(t) not in scope.excluded)
        unique = _UniqueNames("name")
        for name in scope.names:
            unique.add(name, scope.where[name])
        for item in items:
            if isinstance(item, ast.Func):
                unique.add(item.name.name, item.name)
                scope.define(item.name, "function")
            elif isinstance(item, ast.TypeDecl) and item.kind == "resource":
                for member in item.funcs:
                    unique.add(_resource_func_name(item, member), member.func.name)
        for item in items:
            if isinstance(item, ast.Func):
                func = self.function(item, item.name.name, "freestanding", None, scope)
                if self.gate.included(func.stability, item.name):
                    interface.functions[func.name] = func
            elif isinstance(item, ast.TypeDecl) and item.kind == "resource":
                resource = cast(TypeDef, scope.names[item.name.name])
                for func in self.resource_functions(item, resource, scope):
                    if id(resource) not in scope.excluded and self.gate.included(func.stability, item.name):
                        interface.functions[func.name] = func
        return scope

    def types(self, owner: Union[Interface, World], scope: _TypeScope, uses: list[ast.Use], decls: list[ast.TypeDecl], file: int) -> list[TypeDef]:
        """Define the types of `uses` and `decls` in `scope`: the used ones first, then the
        declared ones in dependency order; return them in that order."""
        defined = []
        for use in uses:
            stability, external_id = self.stability(use.attrs), self.external_id(use.attrs)
            source = cast(Interface, self.lookup(use.path, file, "interface"))
            local = use.path.package is None and self.file_names[file].get(use.path.name.name, "") == use.path.name.name
            for name, alias in use.names:
                target = source.types.get(name.name)
                if target is None:
                    if name.name in source.functions:
                        raise _error(f"cannot import function `{name.name}`", name)
                    raise _error(f"name `{name.name}` does not exist" if local else f"type `{name.name}` not defined in interface", name)
                mine = alias or name
                typedef = TypeDef(mine.name, "alias", (target,), owner, external_id, stability=stability)
                scope.define(mine, typedef)
                if not self.gate.included(stability, mine):
                    scope.excluded.add(id(typedef))
                defined.append(typedef)
        deps: dict[str, list[ast.Id]] = {}
        by_name: dict[str, ast.TypeDecl] = {}
        for use in uses:
            for name, alias in use.names:
                deps[(alias or name).name] = []
        for decl in decls:
            if decl.name.name in by_name:
                raise _error(f"name `{decl.name.name}` is defined more than once", decl.name)
            by_name[decl.name.name] = decl
            deps[decl.name.name] = _type_deps(decl)
        for type_name in toposort("type", deps):
            found = by_name.get(type_name)
            if found is None:
                continue
            decl = found
            stability = self.stability(decl.attrs)
            excluded = not self.gate.included(stability, decl.name)
            typedef = self.declare(decl, owner, scope, excluded)
            typedef.docs, typedef.stability, typedef.external_id = docs_text(decl.docs), stability, self.external_id(decl.attrs)
            scope.define(decl.name, typedef)
            if excluded:
                scope.excluded.add(id(typedef))
            defined.append(typedef)
        return defined

    def declare(self, decl: ast.TypeDecl, owner: Union[Interface, World], scope: _TypeScope, excluded: bool) -> TypeDef:
        kind, name = decl.kind, decl.name.name
        typedef = TypeDef(name, kind, (), owner)
        if kind == "record":
            typedef.parts = tuple((m.name.name, self.type(cast(ast.TypeExpr, m.type), scope, excluded)) for m in decl.members)
        elif kind == "variant":
            typedef.parts = tuple((m.name.name, None if m.type is None else self.type(m.type, scope, excluded)) for m in decl.members)
        elif kind in ("enum", "flags"):
            typedef.parts = tuple(m.name.name for m in decl.members)
        elif kind != "resource":
            target = cast(ast.TypeExpr, decl.target)
            if target.kind == "prim":
                typedef.parts = target.args
            elif target.kind == "name":
                typedef.parts = (self.named(cast(ast.Id, target.args[0]), scope, excluded),)
            else:
                found = cast(TypeDef, self.type(target, scope, excluded))
                typedef.kind, typedef.parts = found.kind, found.parts
        unique = _UniqueNames({"record": "field", "flags": "flag"}.get(kind, "case"))
        for member in decl.members:
            unique.add(member.name.name, member.name)
            text = docs_text(member.docs)
            if text is not None:
                typedef.item_docs[member.name.name] = text
        return typedef

    def named(self, name: ast.Id, scope: _TypeScope, excluded: bool) -> TypeDef:
        """The type `name` names in `scope`."""
        found = scope.names.get(name.name)
        if found is None:
            raise _error(f"name `{name.name}` does not exist", name)
        if isinstance(found, str):
            raise _error(f"cannot use {found} `{name.name}` as a type", name)
        if id(found) in scope.excluded and not excluded:
            raise _error("found a reference to a type which is excluded due to its feature not being activated", name)
        return found

    def type(self, expr: ast.TypeExpr, scope: _TypeScope, excluded: bool = False) -> WitType:
        """A type used in a signature or in another type: a primitive, the type a name names
        (an `own` handle when it is a resource), or an unnamed structure."""
        kind, args = expr.kind, expr.args
        if kind == "prim":
            return cast(Prim, args[0])
        if kind == "name":
            found = self.named(cast(ast.Id, args[0]), scope, excluded)
            return TypeDef(None, "own", (found,)) if _resource_of(found) is not None else found
        if kind in ("own", "borrow"):
            found = self.named(cast(ast.Id, args[0]), scope, excluded)
            if _resource_of(found) is None:
                raise _error(f"type `{found.name}` used in a handle must be a resource", cast(ast.Id, args[0]))
            return TypeDef(None, kind, (found,))
        if kind == "fixed-length-list":
            return TypeDef(None, kind, (self.type(cast(ast.TypeExpr, args[0]), scope, excluded), args[1]))
        parts = tuple(None if a is None else self.type(cast(ast.TypeExpr, a), scope, excluded) for a in args)
        if kind == "map" and parts[0] not in _MAP_KEYS:
            raise self.files[self.current_file].source.error(
                "invalid map key type: map keys must be bool, u8, u16, u32, u64, s8, s16, s32, s64, char, or string", expr.at)
        return TypeDef(None, kind, parts)

    # -- functions --

    def function(self, node: ast.Func, name: str, kind: str, resource: TypeDef | None, scope: _TypeScope) -> Function:
        sig = node.sig
        stability = self.stability(node.attrs)
        excluded = not self.gate.included(stability, node.name)  # (then it may use types left out too)
        params: list[tuple[str, WitType]] = []
        if kind == "method":
            params.append(("self", TypeDef(None, "borrow", (cast(TypeDef, resource),))))
        for param, t in sig.params:
            if any(param.name.lower() == p.lower() for p, _ in params):
                raise _error(f"param `{param.name}` is defined more than once", param)
            params.append((param.name, self.type(t, scope, excluded)))
        result: WitType | None
        if kind == "constructor":
            result = self.constructor_result(sig, cast(TypeDef, resource), scope)
        else:
            result = None if sig.result is None else self.type(sig.result, scope, excluded)
        if not excluded and result is not None and _has_borrow(result):
            raise _error(f"function `{name}` returns a type which contains a `borrow<T>` which is not supported", node.name)
        return Function(name, kind, tuple(params), result, sig.is_async, resource, self.external_id(node.attrs),
                        docs_text(node.docs), stability)

    def constructor_result(self, sig: ast.Sig, resource: TypeDef, scope: _TypeScope) -> WitType:
        if sig.result is None:
            return TypeDef(None, "own", (resource,))
        result = self.type(sig.result, scope)
        source = self.files[self.current_file].source
        if not isinstance(result, TypeDef) or result.kind != "result" or result.name is not None:
            raise source.error("if a constructor return type is declared it must be a `result`", sig.result.at)
        ok = result.parts[0]
        if not (isinstance(ok, TypeDef) and ok.kind == "own" and ok.parts[0] is resource):
            ok_expr = sig.result.args[0]
            raise source.error("the `ok` type must be the resource being constructed", ok_expr.at if ok_expr else sig.result.at)  # type: ignore[attr-defined]
        return result

    def resource_functions(self, decl: ast.TypeDecl, resource: TypeDef, scope: _TypeScope) -> list[Function]:
        funcs = []
        for item in decl.funcs:
            if item.kind == "constructor" and item.func.sig.is_async:
                raise _error("constructors cannot be async", item.func.name)
            funcs.append(self.function(item.func, _resource_func_name(decl, item), item.kind, resource, scope))
        return funcs

    # -- worlds --

    def world(self, node: ast.World, file: int) -> World:
        self.current_file = file
        world = World(node.name.name, self.package, docs=docs_text(node.docs), stability=self.stability(node.attrs))
        scope = _TypeScope()
        uses = [item for item in node.items if isinstance(item, ast.Use)]
        decls = [item for item in node.items if isinstance(item, ast.TypeDecl)]
        for typedef in self.types(world, scope, uses, decls, file):
            if id(typedef) in scope.excluded:  # (wit-parser refuses these rather than leave them out)
                raise _error("found a reference to a type which is excluded due to its feature not being activated",
                             scope.where[typedef.name or ""])
            world.imports[typedef.name or ""] = typedef
        includes = [(inc, self.lookup(inc.path, file, "world")) for inc in node.items if isinstance(inc, ast.Include)]
        seen: dict[str, set[int]] = {"import": set(), "export": set()}
        for item in node.items:
            if isinstance(item, ast.TypeDecl) and item.kind == "resource":
                resource = cast(TypeDef, scope.names[item.name.name])
                for func in self.resource_functions(item, resource, scope):
                    if id(resource) not in scope.excluded and self.gate.included(func.stability, item.name):
                        world.imports[func.name] = func
            elif isinstance(item, ast.Extern):
                self.extern(world, item, scope, file, seen)
        for inc, included in includes:
            stability = self.stability(inc.attrs)
            if self.gate.included(stability, inc.path.name):
                include(world, cast(World, included), inc.names, inc.path.name)
        elaborate(world, node.name)
        return world

    def extern(self, world: World, item: ast.Extern, scope: _TypeScope, file: int, seen: dict[str, set[int]]) -> None:
        direction = item.direction
        items = world.imports if direction == "import" else world.exports
        key: Union[str, Interface]
        value: Union[Interface, Function]
        where = item.name if item.name is not None else cast(ast.UsePath, item.path).name
        if item.kind == "func":
            self.current_file = file
            value = self.function(ast.Func(item.docs, item.attrs, where, cast(ast.Sig, item.sig)), where.name, "freestanding", None, scope)
            key, stability = where.name, value.stability
        elif item.kind == "interface":
            value = Interface(None, self.package)
            inner = self.interface(value, item.items, item.docs, item.attrs, file)
            self.current_file = file
            key, stability = where.name, value.stability
            if not self.gate.included(stability, where):
                _refuse_kept_types(inner)
        else:
            value = cast(Interface, self.lookup(cast(ast.UsePath, item.path), file, "interface"))
            stability = self.stability(item.attrs)
            key = where.name if item.kind == "named" else value
            docs = docs_text(item.docs)
            if docs is not None:
                world.item_docs[direction, key] = docs
        if not self.gate.included(stability, where):
            world.item_docs.pop((direction, key), None)
            return
        if stability is not None and not isinstance(value, Function):
            world.item_stability[direction, key] = stability
        external_id = self.external_id(item.attrs)
        if external_id is not None and not isinstance(value, Function):
            world.external_ids[direction, key] = external_id
        if isinstance(key, Interface):
            if id(key) in seen[direction]:
                raise _error(f"interface cannot be {direction}ed more than once", where)
            seen[direction].add(id(key))
        elif key not in items:
            same = next((k for k in items if isinstance(k, str) and _unique_key(k) == _unique_key(key)), None)
            if same is not None:
                raise _error(f"name `{key}` conflicts with previous name `{same}`", where)
        else:
            previous = items[key]
            what = "interface" if isinstance(previous, Interface) else "func" if isinstance(previous, Function) else "type"
            raise _error(f"{direction} `{key}` conflicts with prior {what} of same name", where)
        items[key] = value


def _has_borrow(t: object) -> bool:
    """Whether the type `t` holds a `borrow` handle (which a function may not return)."""
    pending, seen = [t], set()
    while pending:
        t = pending.pop()
        if not isinstance(t, TypeDef) or id(t) in seen or t.kind in ("resource", "own", "enum", "flags"):
            continue
        if t.kind == "borrow":
            return True
        seen.add(id(t))
        pending += (p[1] if isinstance(p, tuple) else p for p in t.parts)  # a record's or a variant's (label, type)
    return False


def _resource_func_name(resource: ast.TypeDecl, func: ast.ResourceFunc) -> str:
    """A resource function's full name: `[constructor]r`, `[method]r.m` or `[static]r.m`."""
    if func.kind == "constructor":
        return f"[constructor]{resource.name.name}"
    return f"[{func.kind}]{resource.name.name}.{func.func.name.name}"


def _unique_key(name: str) -> str:
    """What two names must differ in to be told apart (the component model's "strongly
    unique"): their case ignored, a method's and a static function's `[...]` too."""
    if name.startswith("[") and not name.startswith("[constructor]"):
        return name.partition("]")[2].lower()
    return name.lower()


class _UniqueNames:
    """Names that must be strongly unique: `what` is what the messages call them."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.seen: dict[str, str] = {}

    def add(self, name: str, where: ast.Id) -> None:
        key = _unique_key(name)
        previous = self.seen.get(key)
        if previous is None:
            self.seen[key] = name
            return
        if previous == name:
            raise _error(f"duplicate {self.what} `{name}`", where)
        raise _error(f"{self.what} `{name}` conflicts with previous {self.what} `{previous}`", where)


def _refuse_kept_types(scope: _TypeScope) -> None:
    """Refuse an interface that a feature gate leaves out but that has types no gate leaves
    out (wit-parser cannot place them)."""
    for where, _ in scope.kept_types()[:1]:
        raise _error("found a reference to a interface which is excluded due to its feature not being "
                     "activated; this type is not gated by a feature but its interface is", where)


def _resource_of(typedef: TypeDef) -> TypeDef | None:
    """The resource `typedef` is or names (through aliases), if any."""
    seen = 0
    while typedef.kind == "alias" and isinstance(typedef.parts[0], TypeDef) and seen < 1000:
        typedef, seen = typedef.parts[0], seen + 1
    return typedef if typedef.kind == "resource" else None


def _type_deps(decl: ast.TypeDecl) -> list[ast.Id]:
    """The names a type declaration refers to."""
    found: list[ast.Id] = []

    def visit(expr: object) -> None:
        if isinstance(expr, ast.TypeExpr):
            if expr.kind in ("name", "own", "borrow"):
                found.append(cast(ast.Id, expr.args[0]))
            elif expr.kind != "prim":
                for arg in expr.args:
                    visit(arg)

    visit(decl.target)
    for member in decl.members:
        visit(member.type)
    return found
