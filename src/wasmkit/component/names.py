"""The names of a component's imports and exports, as the Explainer's name grammar allows them
(design/mvp/Explainer.md, "Import and Export Definitions"), checked with wasm-tools' wording.

A name is a kebab-case label (`get-item`, words of lower-case or of upper-case letters and
digits, joined by single hyphens, no word starting with a digit), a resource function's
(`[constructor]r`, `[method]r.m`, `[static]r.m`), an interface's (`ns:pkg/iface`, with an
optional `@version`), or a dependency's, URL's or hash's (`locked-dep=<...>`,
`unlocked-dep=<...>`, `url=<...>`, `integrity=<...>`). Names in one scope must differ, and
kebab-case names are compared without regard to case, as the Explainer says they are.
"""

from __future__ import annotations

import re

from ..errors import ValidationError

__all__ = ["is_kebab_case", "check_name", "NameSet"]

_WORD = r"(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)"
_KEBAB = re.compile(rf"{_WORD}(?:-{_WORD})*\Z")
_LOWER_WORD = r"[a-z][a-z0-9]*"
_LOWER_KEBAB = rf"{_LOWER_WORD}(?:-{_LOWER_WORD})*"
_INTERFACE = re.compile(rf"{_LOWER_KEBAB}:{_LOWER_KEBAB}/{_WORD}(?:-{_WORD})*(?:@.+)?\Z")
_PACKAGE = re.compile(rf"{_LOWER_KEBAB}:{_LOWER_KEBAB}(?:/{_WORD}(?:-{_WORD})*)?")
_PREFIXED = ("locked-dep=<", "unlocked-dep=<", "url=<", "integrity=<")


def is_kebab_case(text: str) -> bool:
    """Whether `text` is a kebab-case label."""
    return _KEBAB.match(text) is not None


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
    if name.startswith(_PREFIXED):
        return None if name.endswith(">") or ">," in name else "expected `>`"
    if ":" in name:
        if _INTERFACE.match(name):
            return None
        if _PACKAGE.fullmatch(name):
            return "expected `/` after package name"
        return f"`{name}` is not a valid interface name"
    return None if is_kebab_case(name) else f"`{name}` is not in kebab case"


def check_name(name: str, kind: str) -> None:
    """A ValidationError unless `name` is a valid extern name; `kind` is "import" or "export"."""
    reason = _reason(name)
    if reason is not None:
        raise ValidationError(f"{kind} name `{name}` is not a valid extern name: {reason}")


class NameSet:
    """The names given so far in one scope (of imports, or of exports): a new one must differ
    from each, kebab-case names without regard to case."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._seen: dict[str, str] = {}

    def add(self, name: str) -> None:
        check_name(name, self.kind)
        key = name.lower()
        previous = self._seen.get(key)
        if previous is not None:
            raise ValidationError(f"{self.kind} name `{name}` conflicts with previous name `{previous}`")
        self._seen[key] = name
