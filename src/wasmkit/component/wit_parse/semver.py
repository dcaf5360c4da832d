"""Semver versions ordered as the `semver` crate orders them (wit-parser sorts packages and
checks `@since` gates with it): major, minor, patch, then a pre-release before its release."""

from __future__ import annotations

__all__ = ["version_key"]


def _identifiers(text: str) -> tuple[tuple[int, int, str], ...]:
    """Dot-separated identifiers: numeric ones before alphanumeric ones, numbers by value."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in text.split(".")) if text else ()


def version_key(version: str | None) -> tuple[object, ...]:
    """A key that sorts versions (None first) as semver does."""
    if version is None:
        return (0,)
    core, _, build = version.partition("+")
    numbers, _, pre = core.partition("-")
    major, minor, patch = (int(n) for n in numbers.split("."))
    return (1, major, minor, patch, (0, _identifiers(pre)) if pre else (1, ()), _identifiers(build))
