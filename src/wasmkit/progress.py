"""A progress bar on stderr, for work on large modules, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["progress_bar", "Progress"]

Progress = Callable[[int, int], None]  # called with (done, total)

_WIDTH = 30


def progress_bar(label: str, stream: TextIO | None = None) -> Progress | None:
    """A progress callback drawing `label [####    ] 45%`, or None when `stream` (stderr by
    default) is not a terminal. The bar is redrawn at most ten times a second and cleared when
    the work is done."""
    out = stream or sys.stderr
    if not out.isatty():
        return None
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < 0.1:
            return
        last = now
        fraction = done / total if total else 1.0
        filled = int(fraction * _WIDTH)
        out.write(f"\r{label} [{'#' * filled}{' ' * (_WIDTH - filled)}] {fraction:4.0%}")
        if done >= total:
            out.write("\r" + " " * (len(label) + _WIDTH + 9) + "\r")
        out.flush()

    return report
