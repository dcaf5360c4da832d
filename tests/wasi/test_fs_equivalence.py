"""The in-memory filesystem behaves like the host's: random sequences of path operations give
the same errnos and leave the same tree on both, and never touch anything outside."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wasi.conftest import Guest, captured_config
from tests.wasi.trees import SECRET, sandbox_memory, sandbox_tree, snapshot
from wasmkit.wasi import Errno, WasiPreview1
from wasmkit.wasi.abi import Filetype, Rights
from wasmkit.wasi.fs import Directory, OpenOptions

COMPONENTS = [
    "a",
    "b",
    "sub",
    "file.txt",
    "link_sub",
    "link_file",
    "dangling",
    "loop1",
    "..",
    ".",
    "",
    "x",
    "notempty",
    "link_out",
    "dotdot_link",
    "nothing",
    "up",
]
RIGHTS = [Rights.FD_READ, Rights.FD_READ | Rights.FD_WRITE, 0]

paths = st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=3).map("/".join)
operation = st.one_of(
    st.tuples(
        st.just("open"), paths, st.booleans(), st.sampled_from([0, 1, 2, 4, 5, 8, 9]), st.sampled_from(RIGHTS)
    ),
    st.tuples(st.just("path_create_directory"), paths),
    st.tuples(st.just("path_remove_directory"), paths),
    st.tuples(st.just("path_unlink_file"), paths),
    st.tuples(st.just("path_symlink"), paths, paths),
    st.tuples(st.just("path_rename"), paths, paths),
    st.tuples(st.just("path_link"), paths, paths),
    st.tuples(st.just("stat"), paths, st.booleans()),
    st.tuples(st.just("readlink"), paths),
)


def perform(guest: Guest, op: tuple) -> tuple:  # type: ignore[type-arg]
    name = op[0]
    if name == "open":
        _, path, follow, oflags, rights = op
        errno, fd = guest.open(path, follow=follow, oflags=oflags, rights=rights)
        if errno == Errno.SUCCESS:
            if rights & Rights.FD_WRITE:
                guest.write(fd, b"data")
            guest.call("fd_close", fd)
        return (errno,)
    if name == "stat":
        errno, stat = guest.filestat(op[1], follow=op[2])
        if errno != Errno.SUCCESS:
            return (errno,)
        if stat["filetype"] == Filetype.DIRECTORY:
            return (errno, stat["filetype"])  # directory sizes differ between filesystems
        return (errno, stat["filetype"], stat["size"], stat["nlink"])
    if name == "readlink":
        buf, out = guest.alloc(64), guest.alloc(4)
        errno = guest.path("path_readlink", 3, op[1], buf, 64, out)
        return (errno, guest.bytes(buf, guest.u32(out)) if errno == Errno.SUCCESS else b"")
    if name in ("path_symlink", "path_rename", "path_link"):
        first, first_len = guest.text(op[1])
        second, second_len = guest.text(op[2])
        if name == "path_symlink":
            return (guest.errno(name, first, first_len, 3, second, second_len),)
        if name == "path_link":
            return (guest.errno(name, 3, 0, first, first_len, 3, second, second_len),)
        return (guest.errno(name, 3, first, first_len, 3, second, second_len),)
    return (guest.path(name, 3, op[1]),)


def tree(directory: Directory, prefix: str = "") -> dict[str, str]:
    """A snapshot like trees.snapshot, read through the filesystem protocol."""
    result = {}
    for entry in sorted(directory.entries(), key=lambda e: e.name):
        key = prefix + entry.name
        if entry.filetype is Filetype.SYMBOLIC_LINK:
            result[key] = "-> " + directory.readlink(entry.name)
        elif entry.filetype is Filetype.DIRECTORY:
            result[key] = "<dir>"
            child = directory.open(entry.name, OpenOptions(directory=True))
            result.update(tree(child, key + "/"))  # type: ignore[arg-type]
        else:
            opened = directory.open(entry.name, OpenOptions())
            result[key] = opened.read(1 << 20, 0).decode()  # type: ignore[union-attr]
            opened.close()
    return result


@given(st.lists(operation, min_size=1, max_size=25))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_random_operations_agree(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        host_config = captured_config()
        host_config.preopen_dir(sandbox_tree(root), "/")
        memory = sandbox_memory()
        memory_config = captured_config()
        memory_config.preopen_fs(memory, "/")
        host, mem = Guest(WasiPreview1(host_config)), Guest(WasiPreview1(memory_config))
        try:
            for op in ops:
                assert perform(host, op) == perform(mem, op), op
        finally:
            host.wasi.close()
            mem.wasi.close()
        host_tree = {
            k: v.replace(str(root / "outside"), "/nonexistent/outside")
            for k, v in snapshot(root / "sandbox").items()
        }
        assert host_tree == tree(memory.root())
        assert snapshot(root / "outside") == {"secret.txt": SECRET}
