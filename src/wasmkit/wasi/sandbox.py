"""Path resolution that keeps a guest inside its preopened directories.

A guest path is resolved one component at a time from the directory handle it is relative to,
keeping the chain of directory handles opened on the way, exactly like a kernel's `openat`
walk but done here, above the filesystem protocol:

- an absolute path fails with PERM, and so does a `..` that would climb above the starting
  directory (the handle chain is popped, never the host's `..` followed);
- a symbolic link met on the way (or at the end, when the caller follows links, or when the
  path ends in `/`) is read with `readlink` and its target spliced into the remaining path; a
  target that is absolute fails with PERM, more than 40 expansions fail with LOOP;
- the filesystem is only ever asked to look up a single name in a directory handle it gave
  out, never following a link, so no host path is ever built from guest input and no race
  with a link swapped in can lead outside.

These are wasmtime's (cap-std's) rules and errnos; the wasi-testsuite accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import cast

from .abi import Filetype
from .errno import Errno, WasiError
from .fs import Directory, OpenOptions, Stat

__all__ = ["Resolved", "resolve"]

MAX_SYMLINK_EXPANSIONS = 40  # Linux's MAXSYMLINKS
MAX_NAME_BYTES = 255  # Linux's NAME_MAX

_AS_DIRECTORY = OpenOptions(directory=True)


@dataclass(slots=True)
class Resolved:
    """Where a path leads.

    `directory` holds the final component `name`; when `name` is None the path named
    `directory` itself (it ended in `.` or `..`, or was `.`). `dir_required` says the path
    ended in `/`, so the final component must be a directory. `stat` is the final entry's
    attributes when resolution looked it up (when following links or `dir_required`; None
    then means it does not exist), and None otherwise.
    """

    directory: Directory
    name: str | None
    dir_required: bool
    stat: Stat | None


class resolve:
    """Resolve `path` from `start`; use as a context manager, which closes every directory
    handle opened on the way when the operation is done:

        with resolve(dir_handle, "a/b/c.txt", follow=True) as target:
            target.directory.open(target.name, options)

    `follow` says whether a symbolic link as the final component is followed.
    """

    def __init__(self, start: Directory, path: str, *, follow: bool) -> None:
        self._chain: list[Directory] = [start]
        self._path = path
        self._follow = follow

    def __enter__(self) -> Resolved:
        try:
            return self._walk()
        except BaseException:
            self._close()
            raise

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        while len(self._chain) > 1:
            self._chain.pop().close()

    def _up(self) -> None:
        if len(self._chain) == 1:
            raise WasiError(Errno.PERM)
        self._chain.pop().close()

    def _walk(self) -> Resolved:
        path = self._path
        if not path:
            raise WasiError(Errno.NOENT)
        if "\0" in path:
            raise WasiError(Errno.INVAL)
        if path.startswith("/"):
            raise WasiError(Errno.PERM)
        dir_required = path.endswith("/")
        # Components still to resolve, the next one last.
        todo = _components(path)
        expansions = 0
        while True:
            if not todo:
                return Resolved(self._chain[-1], None, dir_required, None)
            name = todo.pop()
            final = not todo
            if name == ".":
                continue
            if name == "..":
                self._up()
                continue
            if len(name.encode("utf-8")) > MAX_NAME_BYTES:
                raise WasiError(Errno.NAMETOOLONG)
            current = self._chain[-1]
            if final:
                if not (self._follow or dir_required):
                    return Resolved(current, name, False, None)
                try:
                    stat: Stat | None = current.stat(name)
                except WasiError as exc:
                    if exc.errno is not Errno.NOENT:
                        raise
                    stat = None
                if stat is None or stat.filetype is not Filetype.SYMBOLIC_LINK:
                    if dir_required and stat is not None and stat.filetype is not Filetype.DIRECTORY:
                        raise WasiError(Errno.NOTDIR)
                    return Resolved(current, name, dir_required, stat)
            else:
                try:
                    opened = current.open(name, _AS_DIRECTORY)
                except WasiError as exc:
                    if exc.errno is not Errno.LOOP:
                        raise
                else:
                    self._chain.append(cast(Directory, opened))  # `directory=True` opens directories only
                    continue
            # `name` is a symbolic link: splice its target into the path.
            expansions += 1
            if expansions > MAX_SYMLINK_EXPANSIONS:
                raise WasiError(Errno.LOOP)
            target = current.readlink(name)
            if not target:
                raise WasiError(Errno.NOENT)
            if target.startswith("/"):
                raise WasiError(Errno.PERM)
            if final and target.endswith("/"):
                dir_required = True
            todo.extend(_components(target))


def _components(path: str) -> list[str]:
    """The components of `path`, the first one last (ready to pop), empty ones dropped."""
    return [part for part in reversed(path.split("/")) if part]
