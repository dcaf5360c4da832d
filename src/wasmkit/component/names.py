"""The names of a component's imports and exports, as the Explainer's name grammar allows them
(design/mvp/Explainer.md, "Import and Export Definitions"), checked with wasm-tools' wording.

A name is a kebab-case label (`get-item`: words of lower-case or of upper-case letters and
digits joined by single hyphens, the first word starting with a letter, as wasm-tools reads
them), a resource function's (`[constructor]r`, `[method]r.m`, `[static]r.m`), or an
interface's (`ns:pkg/iface`, with an optional `@version` that is a semantic version). The
dependency, URL and hash names of the Explainer (`locked-dep=<...>`, ...) are refused, as
wasm-tools (1.262) refuses them. Names in one scope must differ, kebab-case names compared
without regard to case, as the Explainer says; a resource function's name must fit its type
(`NameSet`).
"""

from __future__ import annotations

import re

from ..errors import ValidationError
from .syntax import Sort
from .types import Entity, Func, Resource, Val

__all__ = ["is_kebab_case", "interface_name", "check_name", "NameSet"]

_FIRST_WORD = r"(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)"
_WORD = r"(?:[0-9]*[a-z][a-z0-9]*|[0-9]*[A-Z][A-Z0-9]*|[0-9]+)"  # after a hyphen: may start with digits
_KEBAB_TEXT = rf"{_FIRST_WORD}(?:-{_WORD})*"
_KEBAB = re.compile(rf"{_KEBAB_TEXT}\Z")
_LOWER_KEBAB = r"[a-z][a-z0-9]*(?:-[0-9]*[a-z][a-z0-9]*|-[0-9]+)*"
_INTERFACE = re.compile(rf"({_LOWER_KEBAB}):({_LOWER_KEBAB})/({_KEBAB_TEXT})(?:@(.*))?\Z")
_PACKAGE = re.compile(rf"{_LOWER_KEBAB}:{_LOWER_KEBAB}")
_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENT = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-{_IDENT}(?:\.{_IDENT})*)?(?:\+{_IDENT}(?:\.{_IDENT})*)?\Z")


def is_kebab_case(text: str) -> bool:
    """Whether `text` is a kebab-case label."""
    return _KEBAB.match(text) is not None


def interface_name(name: str) -> tuple[str, str, str, str | None] | None:
    """An interface's name split into its namespace, package, interface and version (None
    without `@version`); None if `name` is not an interface's name."""
    found = _INTERFACE.match(name)
    return None if found is None else (found.group(1), found.group(2), found.group(3), found.group(4))


def _reason(name: str) -> str | None:
    """Why `name` is not a valid extern name, or None if it is."""
    for prefix in ("[constructor]", "[method]", "[static]"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            parts = rest.split(".") if prefix != "[constructor]" else [rest]
            if prefix != "[constructor]" and len(parts) != 2:
                return "failed to find `.` character" if len(parts) < 2 else f"`{parts[1]}.{parts[2]}` is not in kebab case"
            bad = next((part for part in parts if not is_kebab_case(part)), None)
            return None if bad is None else f"`{bad}` is not in kebab case"
    if ":" in name:
        interface = _INTERFACE.match(name)
        if interface is None:
            return "expected `/` after package name" if _PACKAGE.fullmatch(name) else f"`{name}` is not a valid interface name"
        version = interface.group(4)
        if version is not None and not _SEMVER.match(version):
            return f"invalid interface version: `{version}` is not a valid semver"
        return None
    return None if is_kebab_case(name) else f"`{name}` is not in kebab case"


def check_name(name: str, kind: str) -> None:
    """A ValidationError unless `name` is a valid extern name; `kind` is "import" or "export"."""
    reason = _reason(name)
    if reason is not None:
        raise ValidationError(f"{kind} name `{name}` is not a valid extern name: {reason}")


class NameSet:
    """The names given so far in one scope (its imports, or its exports): a new one must
    differ from each, kebab-case names without regard to case; and a resource function's name
    must fit its function: `[constructor]r` return `(own r)` (or a result of it), `[method]r.m`
    take `(param "self" (borrow r))` first, `[static]r.m` name a resource known here, where
    `r` is the name under which the resource was imported or exported in this scope."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._seen: dict[str, str] = {}
        self._resources: dict[Resource, str] = {}  # each resource named here: its first name

    def add(self, name: str, item: Entity) -> None:
        check_name(name, self.kind)
        key = name.lower()
        previous = self._seen.get(key)
        if previous is not None:
            raise ValidationError(f"{self.kind} name `{name}` conflicts with previous name `{previous}`")
        self._seen[key] = name
        if item.sort == Sort.TYPE and isinstance(item.type, Resource):
            self._resources.setdefault(item.type, name)
        elif name.startswith(("[constructor]", "[method]", "[static]")):
            try:
                self._resource_function(name, item)
            except ValidationError as err:
                raise ValidationError(f"{self.kind} name `{name}` is not valid: {err}") from None

    def _resource_function(self, name: str, item: Entity) -> None:
        func = item.type
        if item.sort != Sort.FUNC or not isinstance(func, Func):
            raise ValidationError("item is not a func")
        prefix, _, rest = name.partition("]")
        resource_name = rest.partition(".")[0]
        if prefix == "[constructor":
            if func.is_async:
                raise ValidationError("constructor function cannot be async")
            if func.result is None:
                raise ValidationError("function should return one value")
            result = func.result
            if isinstance(result, Val) and result.kind == "result" and isinstance(result.parts[0], Val):
                result = result.parts[0]
            if not isinstance(result, Val) or result.kind != "own":
                raise ValidationError("function should return `(own $T)` or `(result (own $T))`")
            self._named(result.parts[0], resource_name)
        elif prefix == "[method":
            if not func.params:
                raise ValidationError("function should have at least one argument")
            first_name, first = func.params[0]
            if first_name != "self":
                raise ValidationError("function should have a first argument called `self`")
            if not isinstance(first, Val) or first.kind != "borrow":
                raise ValidationError("function should take a first argument of `(borrow $T)`")
            self._named(first.parts[0], resource_name)
        elif resource_name not in self._resources.values():
            raise ValidationError("static resource name is not known in this context")

    def _named(self, resource: object, name: str) -> None:
        expected = self._resources.get(resource)  # type: ignore[call-overload]
        if expected is None:
            raise ValidationError("resource used in function does not have a name in this context")
        if expected != name:
            raise ValidationError(f"function does not match expected resource name `{expected}`")
