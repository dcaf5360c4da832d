"""Routes: which module answers a request path, and how the path divides into the CGI
variables SCRIPT_NAME and PATH_INFO.

A route is written as in WAGI's modules.toml, plus named segments:

    /hello          exactly /hello
    /hello/...      /hello and everything below it (/hello/a/b)
    /users/:id      /users/42, with the parameter id = "42"
    /users/:id/...  /users/42 and everything below it
    /...            every path

Paths are matched segment by segment after splitting the raw path on "/" and decoding each
segment, so that an encoded slash (%2F) stays inside its segment. When several routes match,
the most specific wins: the one with more literal segments, then an exact route over a
wildcard, then the one written first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

__all__ = ["RouteMatch", "RoutePattern", "Router", "RouteSyntaxError"]

_WILDCARD = "..."
_PARAMETER = re.compile(r"^:([A-Za-z_][A-Za-z0-9_]*)$")

T = TypeVar("T")


class RouteSyntaxError(ValueError):
    """A route that cannot be read; the message says why."""


@dataclass(frozen=True)
class RouteMatch:
    """How a request path matched a route: SCRIPT_NAME (the part the route names, decoded),
    PATH_INFO (the rest, decoded), the rest as it was sent, and the named parameters."""

    script_name: str
    path_info: str
    raw_path_info: str
    params: dict[str, str]


@dataclass(frozen=True)
class RoutePattern:
    """A parsed route: its segments (literal text, or ":name") and whether it ends in /...."""

    text: str
    segments: tuple[str, ...]
    wildcard: bool

    @classmethod
    def parse(cls, text: str) -> RoutePattern:
        if not text.startswith("/"):
            raise RouteSyntaxError(f"route {text!r} must begin with /")
        parts = text[1:].split("/") if text != "/" else []
        wildcard = bool(parts) and parts[-1] == _WILDCARD
        if wildcard:
            parts.pop()
        names = set()
        for part in parts:
            if not part:
                raise RouteSyntaxError(f"route {text!r} has an empty segment")
            if part == _WILDCARD:
                raise RouteSyntaxError(f"route {text!r}: /... may only end a route")
            if part.startswith(":"):
                found = _PARAMETER.match(part)
                if found is None:
                    raise RouteSyntaxError(f"route {text!r}: {part!r} is not a parameter name (letters, digits, _)")
                if found.group(1) in names:
                    raise RouteSyntaxError(f"route {text!r} names parameter {part!r} twice")
                names.add(found.group(1))
        return cls(text, tuple(parts), wildcard)

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: more literal segments first, then exact routes before wildcards."""
        literals = sum(1 for part in self.segments if not part.startswith(":"))
        return literals, 0 if self.wildcard else 1

    def match(self, raw_segments: list[str]) -> RouteMatch | None:
        """Match the raw (still encoded) segments of a path, as `Router.find` splits it."""
        count = len(self.segments)
        if len(raw_segments) < count or (len(raw_segments) > count and not self.wildcard):
            return None
        params: dict[str, str] = {}
        for pattern, raw in zip(self.segments, raw_segments):
            value = unquote(raw)
            if pattern.startswith(":"):
                if not value:
                    return None
                params[pattern[1:]] = value
            elif value != pattern:
                return None
        head, rest = raw_segments[:count], raw_segments[count:]
        raw_rest = "".join("/" + part for part in rest)
        return RouteMatch(
            script_name="".join("/" + unquote(part) for part in head),
            path_info=unquote(raw_rest),
            raw_path_info=raw_rest,
            params=params,
        )


class Router(Generic[T]):
    """Routes, each with what answers it (a `T`), looked up by request path."""

    def __init__(self, routes: list[tuple[RoutePattern, T]]) -> None:
        # The most specific first; sorted() is stable, so ties keep the order written.
        self._routes = sorted(routes, key=lambda entry: entry[0].specificity, reverse=True)

    def find(self, raw_path: str) -> tuple[RoutePattern, T, RouteMatch] | None:
        """The route answering `raw_path` (the path as sent, without the query), or None."""
        stripped = raw_path.strip("/")
        segments = stripped.split("/") if stripped else []
        if raw_path.endswith("/") and segments:
            segments.append("")  # /hello/ is /hello with an empty last segment: PATH_INFO "/"
        for pattern, target in self._routes:
            found = pattern.match(segments)
            if found is not None:
                return pattern, target, found
        return None
