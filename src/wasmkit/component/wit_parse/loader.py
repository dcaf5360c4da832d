"""WIT files to a `Resolve`, as wit-parser's `Resolve::push_path` reads them: a directory is
one package (all its `.wit` files) plus the packages of its `deps/` (each a directory of
`.wit` files or one `.wit` file); a file is one package. `package x { ... }` blocks in a file
are packages of their own. The packages are resolved in dependency order (a depth-first
walk over them sorted by name, as wit-parser's), and printed in that order after the main one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from ...errors import WitError
from ..wit import Package, Resolve, World
from . import ast
from .lexer import Source
from .parser import parse_file
from .resolver import resolve_package
from .semver import version_key
from .gates import Gate

__all__ = ["load_path", "load_sources", "select_world"]


@dataclass
class _Unresolved:
    """One package's name and syntax trees, before resolution."""

    name: ast.PackageName
    files: list[ast.PackageFile]

    def foreign_deps(self) -> list[tuple[str, ast.Id]]:
        """The packages it uses (by `ns:pkg@version`, with where first), in the order
        wit-parser meets them: item by item, a world's imports before its exports."""
        found: dict[str, ast.Id] = {}
        for path, _ in (p for file in self.files for p in ast.use_paths(file.items)):
            if path.package is not None and path.package_id not in found:
                found[path.package_id] = ast.Id(path.package_id, path.package_at, path.name.source)
        return list(found.items())


def load_path(path: str, features: Iterable[str] = (), all_features: bool = False) -> Resolve:
    """The WIT package at `path` (a directory with its `deps/`, or one `.wit` file) and the
    packages it depends on; WitError, located where it can be, for whatever is wrong."""
    if os.path.isdir(path):
        groups = [_group(_read_dir(path), path)]
        deps = os.path.join(path, "deps")
        if os.path.isdir(deps):
            for entry in sorted(os.listdir(deps)):
                full = os.path.join(deps, entry)
                if os.path.isdir(full):
                    groups.append(_group(_read_dir(full), full))
                elif entry.endswith(".wit"):
                    groups.append(_group([_read_file(full)], full))
                elif entry.endswith((".wasm", ".wat")):
                    raise WitError("a WIT package encoded in wasm: wasmkit reads dependencies in WIT text only", full)
    else:
        groups = [_group([_read_file(path)], path)]
    return _resolve(groups, Gate(frozenset(features), all_features))


def load_sources(sources: list[tuple[str, str]], features: Iterable[str] = (), all_features: bool = False) -> Resolve:
    """One package written in `sources` ((file name, text) pairs)."""
    return _resolve([_group([parse_file(Source(name, text)) for name, text in sources], sources[0][0] if sources else "")],
                    Gate(frozenset(features), all_features))


def _read_file(path: str) -> ast.PackageFile:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise WitError(f"failed to read path for WIT: {err.strerror}", path) from None
    if data[:4] == b"\0asm":
        raise WitError("a WIT package encoded in wasm: wasmkit reads WIT text only here", path)
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise WitError("input file is not valid utf-8", path) from None
    return parse_file(Source(path, text))


def _read_dir(path: str) -> list[ast.PackageFile]:
    try:
        names = sorted(os.listdir(path))
    except OSError as err:
        raise WitError(f"failed to read directory: {err.strerror}", path) from None
    return [_read_file(os.path.join(path, n)) for n in names if n.endswith(".wit") and not os.path.isdir(os.path.join(path, n))]


def _group(files: list[ast.PackageFile], where: str) -> list[_Unresolved]:
    """The packages of one package's files: those of its nested blocks, then its own."""
    name: ast.PackageName | None = None
    docs_from: ast.PackageName | None = None
    nested = []
    for file in files:
        header = file.package
        if header is not None:
            if name is not None and header.id != name.id:
                raise header.source.error(f"package identifier `{header.id}` does not match previous package name of `{name.id}`", header.at)
            if header.docs:
                if docs_from is not None:
                    raise header.source.error("found doc comments on multiple 'package' items", header.at)
                docs_from = header
            name = name or header
        nested += [_Unresolved(block.package, [block]) for block in file.nested if block.package is not None]
    if name is None:
        raise WitError("no `package` header was found in any WIT file for this package", where)
    if docs_from is not None:
        name = ast.PackageName(name.namespace, name.name, name.version, docs_from.docs, name.at, name.source)
    return [*nested, _Unresolved(name, files)]


def _resolve(groups: list[list[_Unresolved]], gate: Gate) -> Resolve:
    try:
        return _resolve_in_order(groups, gate)
    except RecursionError:  # (each level of use costs a Python frame in the elaboration)
        main = groups[0][-1].name
        raise WitError("interfaces or packages that use one another too deeply (a chain of about a thousand) "
                       "to resolve", main.source.name) from None


def _resolve_in_order(groups: list[list[_Unresolved]], gate: Gate) -> Resolve:
    main_name = groups[0][-1].name.id
    by_name: dict[str, _Unresolved] = {}
    for unresolved in (u for group in groups for u in group):
        previous = by_name.get(unresolved.name.id)
        if previous is not None:
            raise unresolved.name.source.error(f"package `{unresolved.name.id}` is defined in two different locations", unresolved.name.at)
        by_name[unresolved.name.id] = unresolved
    order: list[str] = []
    for key in sorted(by_name, key=lambda k: _name_key(by_name[k].name)):
        _visit(by_name[key], by_name, order, set())
    known: dict[str, Package] = {}
    for key in order:
        unresolved = by_name[key]
        known[key] = resolve_package(unresolved.name, unresolved.files, known, gate)
    return Resolve(known[main_name], [p for k, p in known.items() if k != main_name])


def _name_key(name: ast.PackageName) -> tuple[object, ...]:
    return (name.namespace, name.name, version_key(name.version))


def _visit(unresolved: _Unresolved, by_name: dict[str, _Unresolved], order: list[str], visiting: set[str]) -> None:
    """Put `unresolved` in `order` after the packages it uses."""
    if unresolved.name.id in order:
        return
    for dep, where in unresolved.foreign_deps():
        if dep in visiting:
            raise where.source.error(f"package `{dep}` creates a dependency cycle", where.at)
        visiting.add(dep)
        if dep in by_name:
            _visit(by_name[dep], by_name, order, visiting)
        visiting.discard(dep)
    order.append(unresolved.name.id)


def select_world(resolve: Resolve, name: str | None = None) -> World:
    """The world `name` of the main package (as wit-parser's `select_world`): without a name,
    its only world."""
    package = resolve.main
    if name is None:
        if len(package.worlds) == 1:
            return next(iter(package.worlds.values()))
        if not package.worlds:
            raise WitError(f"no worlds found in package `{package.id}`")
        raise WitError(f"multiple worlds found in package `{package.id}`: one must be explicitly chosen")
    world = package.worlds.get(name)
    if world is None:
        raise WitError(f"no world named `{name}` in package `{package.id}`")
    return world
