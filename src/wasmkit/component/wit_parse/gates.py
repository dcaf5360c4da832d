"""Feature gates (`@since`, `@unstable`, `@deprecated`) as wit-parser applies them: an
`@unstable` item is kept only when its feature is on, and a `@since` version must be one the
package has reached."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..wit import Package, Stability
from . import ast
from .semver import version_key

__all__ = ["Gate"]


@dataclass(frozen=True)
class Gate:
    """Which `@unstable` features are on (`all_features`: every one), and the package whose
    items are being gated (a `@since` version must not be later than its version)."""

    features: frozenset[str] = frozenset()
    all_features: bool = False
    package: Package | None = None

    def for_package(self, package: Package) -> Gate:
        return replace(self, package=package)

    def included(self, stability: Stability | None, where: ast.Id) -> bool:
        """Whether an item gated by `stability` (declared at `where`) is kept."""
        if stability is None:
            return True
        kind, value, _ = stability
        if kind == "unstable":
            return self.all_features or value in self.features
        package = self.package
        if package is None:
            return True
        if package.version is None:
            raise where.source.error(
                f"package [{package.id}] contains a feature gate with a version specifier, so it must have a version", where.at)
        if version_key(value) > version_key(package.version):
            raise where.source.error(
                f"feature gate cannot reference unreleased version {value} of package [{package.id}] "
                f"(current version {package.version})", where.at)
        return True
