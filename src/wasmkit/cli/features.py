"""wabt's feature flags (`--disable-simd`, `--disable-bulk-memory`, ...) on validate, run, wast
and wat2wasm: a module that uses a feature the user turned off is refused, naming the flag.

One flag per proposal of the instruction table (`opcodes.Feature`), named as wabt names it;
what a module uses is `validate.features`' to say.
"""

from __future__ import annotations

import argparse

from ..opcodes import Feature
from ..syntax.module import Module
from ..validate.features import check_features as _check_features

__all__ = ["add_feature_options", "check_features", "disabled_features"]

_OPTIONAL = tuple(feature for feature in Feature if feature is not Feature.MVP)


def _dest(feature: Feature) -> str:
    return "disable_" + feature.value.replace("-", "_")


def add_feature_options(parser: argparse.ArgumentParser) -> None:
    """One `--disable-FEATURE` flag per optional feature."""
    group = parser.add_argument_group("features", "refuse modules that use a feature (as wabt's flags do)")
    for feature in _OPTIONAL:
        group.add_argument(
            f"--disable-{feature.value}", dest=_dest(feature), action="store_true", help=f"refuse modules that use {feature.value}"
        )


def disabled_features(args: argparse.Namespace) -> frozenset[Feature]:
    return frozenset(feature for feature in _OPTIONAL if getattr(args, _dest(feature)))


def check_features(module: Module, disabled: frozenset[Feature]) -> None:
    """Raise ValidationError at the first use in `module` of a feature in `disabled`, naming
    the flag that disabled it."""
    _check_features(module, disabled, lambda feature: f"disabled by --disable-{feature.value}")
