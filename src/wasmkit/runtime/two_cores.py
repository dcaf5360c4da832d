"""Reading and validating a large module on two cores.

Decoding and validating yosys.wasm's 46,473 function bodies takes 14 s of one core, most of a
cold start; each body is checked on its own, but Python's threads share one interpreter. So a
large module's bodies are split in two halves of about equal size: a child process, forked
once the rest of the module is read (it shares the module's bytes and decoded sections), scans
and validates the second half while this process does the first, and sends back whether its
bodies make tail calls and use a data segment index.

Only a valid module is decided here. Anything else (a malformed section, a malformed or invalid
body in either half, a child that did not answer) returns None, and the caller reads and
validates the module the usual way, one body after another, for the exact error the spec's
order of checks gives.
"""

from __future__ import annotations

import dataclasses
import os
import threading

from ..binary.code import imm_readers, scan_expression
from ..binary.reader import read_module
from ..errors import DecodeError, ValidationError
from ..opcodes import ALL_FEATURES
from ..progress import Progress
from ..syntax.module import Module
from ..validate import ValidModule, validate

__all__ = ["MIN_CODE", "read_and_validate"]

# The least code (bytes of function bodies) worth a second process: forking costs milliseconds,
# checking a megabyte of code about a quarter of a second.
MIN_CODE = 2 << 20

# What the child answers: one byte each for "tail calls" and "uses a data index".
_ANSWER_BYTES = 2


def read_and_validate(data: bytes, progress: Progress | None = None, digest: bytes | None = None) -> ValidModule | None:
    """The module in `data` (under all features), read and validated with its function bodies
    checked on two cores, or None if it cannot be done so here (no second core, no `fork`,
    other threads running, too little code) or the module is not valid (see the module's
    docstring)."""
    if not _two_cores_free():
        return None
    try:
        syntax = read_module(data, scan_bodies=False)
    except DecodeError:
        return None
    sizes = [len(func.body) for func in syntax.funcs]
    if sum(sizes) < MIN_CODE:
        return None
    half = _middle(sizes)
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            os.close(reading)
            outcome = _check(data, syntax, range(half, len(sizes)), None)
            answer = b"" if outcome is None else bytes((outcome[0].tail_calls, outcome[1]))
            os.write(writing, answer)
        finally:
            os._exit(0)
    os.close(writing)
    try:
        mine = _check(data, syntax, range(half), progress, digest)
    finally:
        with os.fdopen(reading, "rb") as answers:
            theirs = answers.read()
        os.waitpid(child, 0)
    if mine is None or len(theirs) != _ANSWER_BYTES:
        return None
    valid, uses_data = mine
    if (uses_data or theirs[1]) and syntax.data_count is None:
        return None  # "data count section required": the usual reading says so
    return dataclasses.replace(valid, tail_calls=valid.tail_calls or bool(theirs[0]))


def _two_cores_free() -> bool:
    """Whether a forked child would have a core of its own and nothing to trip over: this
    process runs one thread (a fork copies only the calling one, and locks others held)."""
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return len(cores) >= 2


def _middle(sizes: list[int]) -> int:
    """The index that splits functions of `sizes` bytes into two runs of about equal size."""
    total = sum(sizes)
    running = 0
    for index, size in enumerate(sizes):
        running += size
        if 2 * running >= total:
            return index + 1
    return len(sizes)


def _check(
    data: bytes, syntax: Module, bodies: range, progress: Progress | None, digest: bytes | None = None
) -> tuple[ValidModule, bool] | None:
    """Scan and validate the defined functions `bodies` of `syntax` (read from `data` without
    its bodies scanned), with everything else in the module: the validated module and whether
    those bodies use a data segment index, or None if one of them is malformed or invalid."""
    readers = imm_readers(ALL_FEATURES)
    uses_data = False
    try:
        for func in syntax.funcs[bodies.start : bodies.stop]:
            end, uses = scan_expression(data, func.body_offset, readers)
            if end != func.body_offset + len(func.body):
                return None
            uses_data |= uses
        return validate(syntax, progress, bodies=bodies, digest=digest), uses_data
    except (DecodeError, ValidationError):
        return None
