"""A progress bar on stderr, for work on large modules, shown only when stderr is a terminal."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["progress_bar", "Progress"]

Progress = Callable[[int, int], None]  # called with (done, total)

_WIDTH = 30


@contextlib.contextmanager
def progress_bar(label: str, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """For the work done inside the `with`: a progress callback drawing
    `label [####    ] 45%`, or None when `stream` (stderr by default) is not a terminal.

    The bar is redrawn at most ten times a second, and its line is cleared when the work is
    done and whenever the `with` is left, an exception included: whatever is printed next (the
    error that stopped the work, say) starts on a clean line instead of after the bar."""
    out = stream or sys.stderr
    if not out.isatty():
        yield None
        return
    last = 0.0
    shown = False

    def clear() -> None:
        nonlocal shown
        out.write("\r" + " " * (len(label) + _WIDTH + 9) + "\r")
        out.flush()
        shown = False

    def report(done: int, total: int) -> None:
        nonlocal last, shown
        now = time.monotonic()
        if done < total and now - last < 0.1:
            return
        last = now
        fraction = done / total if total else 1.0
        filled = int(fraction * _WIDTH)
        out.write(f"\r{label} [{'#' * filled}{' ' * (_WIDTH - filled)}] {fraction:4.0%}")
        shown = True
        if done >= total:
            clear()
        out.flush()

    try:
        yield report
    finally:
        if shown:
            clear()
