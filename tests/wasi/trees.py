"""Directory trees the WASI tests preopen, built the same way on the host and in memory."""

from __future__ import annotations

import os
from pathlib import Path

from wasmkit.wasi import MemoryFS

# What a preopened sandbox holds: files, directories, and symbolic links, some of which point
# outside it (relative and absolute), loop, or dangle. ABSOLUTE stands for the absolute path of
# the `outside` directory next to the sandbox.
ABSOLUTE = "<outside>"
SANDBOX_FILES = {"file.txt": "hello\n", "file2.txt": "two\n", "notempty/x": ""}
SANDBOX_DIRS = ["sub", "notempty"]
SANDBOX_LINKS = {
    "link_out": "../outside/secret.txt",
    "abs_link": ABSOLUTE + "/secret.txt",
    "loop1": "loop2",
    "loop2": "loop1",
    "self": "self",
    "dotdot_link": "..",
    "sub/up": "..",
    "link_file": "file.txt",
    "link_sub": "sub",
    "dangling": "nothing",
}
SECRET = "secret\n"


def sandbox_tree(root: Path) -> Path:
    """Build `root/sandbox` (returned) and `root/outside/secret.txt` on the host."""
    outside = root / "outside"
    sandbox = root / "sandbox"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET)
    for name in SANDBOX_DIRS:
        (sandbox / name).mkdir(parents=True)
    for name, text in SANDBOX_FILES.items():
        (sandbox / name).write_text(text)
    for name, target in SANDBOX_LINKS.items():
        os.symlink(target.replace(ABSOLUTE, str(outside)), sandbox / name)
    return sandbox


def sandbox_memory() -> MemoryFS:
    """The same sandbox as an in-memory filesystem (with nothing outside it)."""
    fs = MemoryFS(SANDBOX_FILES)
    for name in SANDBOX_DIRS:
        fs.mkdir(name)
    for name, target in SANDBOX_LINKS.items():
        fs.symlink(target.replace(ABSOLUTE, "/nonexistent/outside"), name)
    return fs


def snapshot(root: Path) -> dict[str, str]:
    """Every entry below `root`: file contents, link targets, `<dir>` for directories."""
    result = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            result[key] = "-> " + os.readlink(path)
        elif path.is_dir():
            result[key] = "<dir>"
        else:
            result[key] = path.read_text()
    return result
