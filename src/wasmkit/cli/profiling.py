"""`wasmkit run`'s profiling options: `--profile` (a profile for the Firefox Profiler, in
wasmtime's spelling too), `--profile-svg` (a flame graph) and `--profile-interval`.

    --profile PATH                          write the profile to PATH
    --profile guest[,PATH[,INTERVAL]]       wasmtime's form: PATH defaults to
                                            wasmkit-guest-profile.json, INTERVAL to 10ms
    --profile-svg PATH                      draw a flame graph to PATH
    --profile-interval DURATION             the time between samples (10ms, as wasmtime)
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from collections.abc import Iterator
from dataclasses import dataclass

from ..profile import Profiler
from .common import CliError
from .limits import parse_duration

__all__ = ["ProfileRequest", "add_profile_options", "profiling"]

DEFAULT_PATH = "wasmkit-guest-profile.json"
DEFAULT_INTERVAL = 0.010  # seconds, wasmtime's
# wasmtime's other strategies, which sample the host process: not a file name here.
_HOST_STRATEGIES = ("perfmap", "jitdump", "vtune")


@dataclass(frozen=True)
class ProfileRequest:
    """Where `--profile` writes, and at which interval it samples."""

    path: str | None
    interval: float | None = None


def _profile_option(text: str) -> ProfileRequest:
    strategy, _, rest = text.partition(",")
    if strategy in _HOST_STRATEGIES:
        raise argparse.ArgumentTypeError(f"--profile={strategy}: wasmkit profiles the guest only (--profile=guest[,PATH[,INTERVAL]])")
    if strategy != "guest":
        return ProfileRequest(text)
    path, _, interval = rest.partition(",")
    return ProfileRequest(path or DEFAULT_PATH, parse_duration(interval) if interval else None)


def add_profile_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        type=_profile_option,
        metavar="PATH|guest[,PATH[,INTERVAL]]",
        help="sample the wasm call stack and write a profile for the Firefox Profiler (profiler.firefox.com) to PATH",
    )
    p.add_argument("--profile-svg", metavar="PATH", help="sample the wasm call stack and draw a flame graph (SVG) to PATH")
    p.add_argument(
        "--profile-interval", type=parse_duration, metavar="DURATION", help="time between samples (default 10ms)"
    )


def wanted(args: argparse.Namespace) -> bool:
    """Whether the run is to be profiled."""
    return bool(args.profile or args.profile_svg)


@contextmanager
def profiling(args: argparse.Namespace) -> Iterator[None]:
    """Sample the wasm call stack while the block runs, if asked, and write what was asked
    for when it ends, however it ends (a WASI program usually ends with `proc_exit`)."""
    if not wanted(args):
        yield
        return
    request: ProfileRequest | None = args.profile
    interval = next(
        (given for given in (args.profile_interval, request.interval if request else None) if given is not None),
        DEFAULT_INTERVAL,
    )
    if interval <= 0:
        raise CliError("the profiling interval must be more than 0")
    profiler = Profiler(interval, name=os.path.basename(args.file))
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        try:
            if request is not None and request.path:
                profiler.save(request.path)
            if args.profile_svg:
                profiler.save_svg(args.profile_svg)
        except OSError as err:
            raise CliError(f"cannot write the profile: {err}") from None
