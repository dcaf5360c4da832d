"""A large module's pieces compiled again, better, after a run has used them, in a process
of its own that the run does not wait for (as git's automatic gc works in the background), so
that later runs load faster code.

A large module is compiled a function at a time, as each is first called, on the FAST tier
(`codegen.pieces`): LLVM's code generator at -O0 after three passes, which keeps a first run
short. Its fast register allocator spills every value that lives across blocks, so the code is
big and slow. The cache keeps each FAST piece's IR beside its object file
(`cache.ObjectCache.save`). When a run that compiled pieces ends and its working set has grown
(`pieces.Pieces`), `start` spawns `python -m wasmkit.engine.native.tier_up DIRECTORY`, detached
and at a low priority, which compiles each kept IR again with LLVM's optimising register
allocator (`codegen.optimise_register_allocation`), in the working set's order (what a run needs
first, first), puts that object file in place of the first (dropping the IR), and at last
merges the working set again from the pieces. A later run gets a piece's new code as soon as it
is there, and the working set's once it is merged. On yosys's synthesis of a small design the
3,265 pieces take about 130 s of the second core once, and the synthesis itself then takes
about half the time.

Not the FULL tier (LLVM's O3 passes and code generator): it made the synthesis no faster than
this, cost twice the time, and took minutes on one of yosys's largest functions. Not a thread
of the run itself: lowering is Python, and a thread that lowers holds the GIL that native code
needs for every host call (docs/decisions.md); LLVM's setting is for the whole process; and a
short run (yosys's synthesis: 1 s) ends long before its pieces could be compiled again.

One process works on a variant's pieces at a time: the spawning run takes the variant's
tier-up lock and hands it to the process (held from before it starts until it ends, which is
what `wait` waits for). $WASMKIT_NATIVE_TIER_UP chooses: "background" (the default), "wait"
(the run waits for the process: for tests) or "off".
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from .cache import ObjectCache
from .codegen import FAST, object_file, optimise_register_allocation
from .relocatable import merge_objects

__all__ = ["MODE_VARIABLE", "start", "tier_up", "wait"]

MODE_VARIABLE = "WASMKIT_NATIVE_TIER_UP"
_LOCK = "tier-up.lock"


def start(cache: ObjectCache) -> None:
    """Have the pieces of `cache` whose IR is kept compiled again, as $WASMKIT_NATIVE_TIER_UP
    says (see the module's docstring), unless a process is at it."""
    mode = os.environ.get(MODE_VARIABLE, "background")
    if mode == "off" or not cache.sources():
        return
    lock = _try_lock(cache.directory)
    if lock is None:
        return
    with os.fdopen(lock, "rb") as held:
        process = _spawn(cache.directory, held.fileno())
    if process is not None and mode == "wait":
        process.wait()


def tier_up(directory: Path) -> int:
    """Compile again every piece in `directory` whose IR is kept (those kept while this runs
    too), then merge the working set again: the number of pieces compiled. Run by the
    process `start` spawns, which holds the tier-up lock and has asked LLVM for its
    optimising register allocator. A piece whose IR cannot be read or compiled keeps its
    code."""
    cache = ObjectCache.at(directory)
    compiled = 0
    while pending := cache.sources():
        stored = cache.load_working_set()
        order = {start: k for k, start in enumerate(stored.starts)} if stored is not None else {}
        if stored is not None:
            stored.close()
        pending.sort(key=lambda run: order.get(run.start, len(order)))
        for run in pending:
            source = cache.load_source(run)
            try:
                if source is None:
                    raise ValueError("unreadable")
                cache.replace(run, object_file(FAST, source))
                compiled += 1
            except (ValueError, RuntimeError, OSError):  # LLVM's errors are RuntimeErrors
                cache.drop_source(run)
    if compiled:
        _merge_again(cache)
    return compiled


def _merge_again(cache: ObjectCache) -> None:
    """The working set merged again from its pieces' object files (now the new ones); left as
    it is if any is missing or the merge is refused."""
    with cache.working_set_lock():
        stored = cache.load_working_set()
        if stored is None:
            return
        stored.close()
        runs = cache.stored()
        objects = []
        for start in stored.starts:
            data = cache.load(runs[start]) if start in runs else None
            if data is None:
                return
            objects.append(data)
        merged = merge_objects(objects)
        if merged is not None:
            cache.save_working_set(stored.starts, merged)


def wait(root: Path) -> None:
    """Wait until no process compiles pieces again for any variant in the cache directory
    `root` (for measurements that must not share the machine with one)."""
    for lock_path in sorted((root / "native").glob(f"*/{_LOCK}")):
        try:
            with lock_path.open("rb") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError:
            continue


def _try_lock(directory: Path) -> int | None:
    """A descriptor holding the tier-up lock of the variant in `directory`, or None if
    another process holds it (or there is no lock file to be had)."""
    try:
        fd = os.open(directory / _LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _spawn(directory: Path, lock: int) -> subprocess.Popen[bytes] | None:
    """Start `python -m wasmkit.engine.native.tier_up DIRECTORY LOCK_FD` detached, with this
    wasmkit first on its path and the lock's descriptor inherited (so the lock is its own
    until it ends). A process that cannot be started leaves the pieces as they are (None)."""
    if not sys.executable:
        return None
    package_root = str(Path(__file__).resolve().parents[3])  # the directory holding `wasmkit`
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", __name__, str(directory), str(lock)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, pass_fds=(lock,), env={**os.environ, "PYTHONPATH": path},
        )  # fmt: skip
    except OSError:
        return None


def main(argv: list[str]) -> int:
    """The spawned process: DIRECTORY and the descriptor of the lock it was handed."""
    directory, lock = Path(argv[0]), int(argv[1])
    try:
        os.nice(10)
    except OSError:
        pass
    optimise_register_allocation()
    try:
        tier_up(directory)
    finally:
        os.close(lock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
