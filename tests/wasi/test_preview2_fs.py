"""WASI 0.2 filesystem: the same sandbox guarantees as preview 1 (escapes refused with
`not-permitted`, the host tree next to the sandbox untouched), on a host directory and in
memory; descriptors, streams over files, directory listings, permissions, error codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wasi.trees import sandbox_memory, sandbox_tree, snapshot
from wasmkit.wasi import DirPerms, Errno, FilePerms, MemoryFS, WasiConfig
from wasmkit.wasi.preview2 import Datetime, Descriptor, Err, IoError, case, host_imports
from wasmkit.wasi.preview2.errors import ERROR_CODES, error_code

FOLLOW = {"symlink-follow"}
NOFOLLOW: set[str] = set()


def _root(config: WasiConfig) -> Descriptor:
    imports = host_imports(config)
    ((descriptor, guest),) = imports["wasi:filesystem/preopens@0.2.0"]["get-directories"]()
    assert guest == "/"
    return descriptor


def _code(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(Err) as caught:
        call(*args)
    return caught.value.value


@pytest.fixture(params=["host", "memory"])
def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Descriptor, Path | None]:
    config = WasiConfig(argv=["prog"])
    if request.param == "host":
        config.preopen_dir(sandbox_tree(tmp_path), "/")
        return _root(config), tmp_path / "outside"
    config.preopen_fs(sandbox_memory(), "/")
    return _root(config), None


ESCAPES = [
    # (path, path flags, open flags, error-code); wasmtime's answers, as in preview 1
    ("../outside/secret.txt", NOFOLLOW, set(), "not-permitted"),
    ("/outside/secret.txt", NOFOLLOW, set(), "not-permitted"),
    ("/file.txt", NOFOLLOW, set(), "not-permitted"),
    ("..", NOFOLLOW, set(), "not-permitted"),
    ("sub/../..", NOFOLLOW, set(), "not-permitted"),
    ("../sandbox/file.txt", NOFOLLOW, set(), "not-permitted"),
    ("link_out", FOLLOW, set(), "not-permitted"),
    ("link_out", NOFOLLOW, set(), "loop"),
    ("abs_link", FOLLOW, set(), "not-permitted"),
    ("loop1", FOLLOW, set(), "loop"),
    ("dotdot_link/outside/secret.txt", NOFOLLOW, set(), "not-permitted"),
    ("sub/up/../outside/secret.txt", FOLLOW, set(), "not-permitted"),
    ("link_out", FOLLOW, {"truncate"}, "not-permitted"),
    ("link_out", FOLLOW, {"create"}, "not-permitted"),
]


@pytest.mark.parametrize(("path", "path_flags", "open_flags", "code"), ESCAPES)
def test_opening_outside_is_refused(
    sandbox: tuple[Descriptor, Path | None], path: str, path_flags: set[str], open_flags: set[str], code: str
) -> None:
    root, outside = sandbox
    before = snapshot(outside) if outside else {}
    assert _code(root.open_at, path_flags, path, open_flags, {"read", "write"}) == code
    assert outside is None or snapshot(outside) == before


def test_every_path_method_refuses_escapes(sandbox: tuple[Descriptor, Path | None]) -> None:
    root, outside = sandbox
    before = snapshot(outside) if outside else {}
    secret = "../outside/secret.txt"
    assert _code(root.stat_at, NOFOLLOW, secret) == "not-permitted"
    assert _code(root.stat_at, FOLLOW, "link_out") == "not-permitted"
    assert root.stat_at(NOFOLLOW, "link_out").type == "symbolic-link"  # the link itself is inside
    assert _code(root.metadata_hash_at, NOFOLLOW, "..") == "not-permitted"
    assert _code(root.create_directory_at, "../newdir") == "not-permitted"
    assert _code(root.remove_directory_at, "../outside") == "not-permitted"
    assert _code(root.unlink_file_at, secret) == "not-permitted"
    assert _code(root.readlink_at, "../x") == "not-permitted"
    assert _code(root.set_times_at, NOFOLLOW, secret, "now", "now") == "not-permitted"
    assert _code(root.rename_at, "file2.txt", root, "../moved.txt") == "not-permitted"
    assert _code(root.rename_at, secret, root, "stolen.txt") == "not-permitted"
    assert _code(root.link_at, NOFOLLOW, "file.txt", root, "/hard.txt") == "not-permitted"
    assert _code(root.link_at, FOLLOW, "link_out", root, "hard.txt") == "invalid"
    # A link whose target is outside may be made (wasmtime too), never followed; an absolute
    # target is refused when made.
    root.symlink_at("../outside/secret.txt", "guest_link")
    assert _code(root.open_at, FOLLOW, "guest_link", set(), {"read"}) == "not-permitted"
    assert _code(root.symlink_at, "/etc/passwd", "guest_abs") == "not-permitted"
    assert outside is None or snapshot(outside) == before


def test_paths_too_long_or_with_nul(sandbox: tuple[Descriptor, Path | None]) -> None:
    root, _ = sandbox
    assert _code(root.stat_at, NOFOLLOW, "a" * 256) == "name-too-long"
    assert _code(root.stat_at, NOFOLLOW, "./" * 3000 + "file.txt") == "name-too-long"
    assert _code(root.stat_at, NOFOLLOW, "file.txt\0") == "invalid"


def test_files_through_descriptors_and_streams(sandbox: tuple[Descriptor, Path | None]) -> None:
    root, _ = sandbox
    new = root.open_at(NOFOLLOW, "new.txt", {"create", "exclusive"}, {"read", "write"})
    assert new.get_type() == "regular-file"
    assert new.get_flags() == {"read", "write"}
    assert new.write(b"hello world", 0) == 11
    assert new.read(5, 6) == (b"world", False)
    assert new.read(100, 6) == (b"world", False)  # the end is reported when nothing is left
    assert new.read(100, 11) == (b"", True)
    out = new.append_via_stream()
    out.blocking_write_and_flush(b"!")
    writer = new.write_via_stream(0)
    writer.write(b"J")
    stream = new.read_via_stream(0)
    assert stream.blocking_read(100) == b"Jello world!"
    assert _code(stream.read, 1).wit_case == "closed"  # the end of the file
    new.set_size(4)
    assert new.stat().size == 4
    new.set_times(case("timestamp", Datetime(1_000_000_000, 5)), "no-change")
    assert new.stat().data_access_timestamp == Datetime(1_000_000_000, 5)
    assert _code(root.open_at, NOFOLLOW, "new.txt", {"create", "exclusive"}, {"write"}) == "exist"
    assert _code(root.open_at, NOFOLLOW, "new.txt", {"directory"}, {"read"}) == "not-directory"
    assert _code(root.open_at, NOFOLLOW, "sub", {"directory", "create"}, {"read"}) == "invalid"
    assert _code(root.open_at, NOFOLLOW, "missing", set(), {"read"}) == "no-entry"
    reader = root.open_at(FOLLOW, "link_file", set(), {"read"})
    assert reader.read(100, 0) == (b"hello\n", False)
    assert _code(reader.write, b"x", 0) == "bad-descriptor"  # not opened for writing
    # wasmtime makes the stream, and the write through it fails.
    assert _code(reader.write_via_stream(0).blocking_write_and_flush, b"x").wit_case == "last-operation-failed"
    assert _code(reader.set_size, 1) == "invalid"
    assert new.is_same_object(root.open_at(NOFOLLOW, "new.txt", set(), {"read"}))
    assert not new.is_same_object(reader)
    assert new.metadata_hash() == root.metadata_hash_at(NOFOLLOW, "new.txt")
    assert new.metadata_hash() != reader.metadata_hash()


def test_directories(sandbox: tuple[Descriptor, Path | None]) -> None:
    root, _ = sandbox
    assert root.get_type() == "directory"
    assert root.get_flags() == {"read", "mutate-directory"}
    root.create_directory_at("made")
    assert _code(root.create_directory_at, "made") == "exist"
    assert _code(root.create_directory_at, ".") == "exist"
    made = root.open_at(NOFOLLOW, "made", {"directory"}, {"read", "mutate-directory"})
    made.open_at(NOFOLLOW, "inner.txt", {"create"}, {"write"}).write(b"x", 0)
    entries = root.open_at(NOFOLLOW, "made", set(), {"read"}).read_directory()
    first = entries.read_directory_entry()
    assert (first.type, first.name) == ("regular-file", "inner.txt")
    assert entries.read_directory_entry() is None
    names = set()
    listing = root.read_directory()
    while (entry := listing.read_directory_entry()) is not None:
        names.add((entry.name, entry.type))
    assert {("file.txt", "regular-file"), ("sub", "directory"), ("link_out", "symbolic-link")} <= names
    assert ".." not in {name for name, _ in names}
    assert _code(root.remove_directory_at, "made") == "not-empty"
    made.rename_at("inner.txt", root, "moved.txt")
    root.remove_directory_at("made")
    assert root.readlink_at("link_sub") == "sub"
    assert _code(root.readlink_at, "file.txt") == "invalid"
    root.unlink_file_at("moved.txt")
    assert _code(root.unlink_file_at, "sub") == "is-directory"
    assert _code(root.read, 1, 0) == "bad-descriptor"
    assert _code(root.read_via_stream, 0) == "is-directory"
    assert _code(root.set_size, 0) == "bad-descriptor"
    file = root.open_at(NOFOLLOW, "file.txt", set(), {"read"})
    assert _code(file.read_directory) == "not-directory"
    assert _code(file.stat_at, NOFOLLOW, "x") == "not-directory"


def test_read_only_preopen(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("data")
    config = WasiConfig()
    config.preopen_dir(tmp_path, "/", DirPerms.READ_ONLY, FilePerms.READ_ONLY)
    root = _root(config)
    assert root.get_flags() == {"read"}
    assert root.open_at(NOFOLLOW, "data.txt", set(), {"read"}).read(10, 0) == (b"data", False)
    assert _code(root.open_at, NOFOLLOW, "data.txt", set(), {"write"}) == "not-permitted"
    assert _code(root.open_at, NOFOLLOW, "new.txt", {"create"}, {"read"}) == "not-permitted"
    assert _code(root.open_at, NOFOLLOW, ".", {"directory"}, {"read", "mutate-directory"}) == "not-permitted"
    assert _code(root.create_directory_at, "d") == "not-permitted"
    assert _code(root.unlink_file_at, "data.txt") == "not-permitted"
    assert _code(root.set_times, "now", "now") == "not-permitted"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt"]


def test_preopens_share_one_directory() -> None:
    config = WasiConfig()
    config.preopen_fs(MemoryFS({"a.txt": b"a"}), "/one")
    config.preopen_fs(MemoryFS({"b.txt": b"b"}), "/two", DirPerms.READ_ONLY)
    imports = host_imports(config)
    get = imports["wasi:filesystem/preopens@0.2.0"]["get-directories"]
    first = get()
    assert [guest for _, guest in first] == ["/one", "/two"]
    assert first[1][0].get_flags() == {"read"}
    first[0][0].close()  # dropping one handle leaves the preopen usable
    (again, _), _ = get()
    assert again.open_at(NOFOLLOW, "a.txt", set(), {"read"}).read(9, 0) == (b"a", False)
    imports.wasi.close()


def test_error_codes() -> None:
    labels = set(ERROR_CODES.values())
    assert len(labels) == 37  # every case of wasi:filesystem error-code
    assert error_code(Errno.PERM) == "not-permitted"
    assert error_code(Errno.NOTCAPABLE) == "not-permitted"
    assert error_code(Errno.CONNRESET) == "io"
    code = host_imports(WasiConfig())["wasi:filesystem/types@0.2.0"]["filesystem-error-code"]
    assert code(IoError("no space", Errno.NOSPC)) == "insufficient-space"
    assert code(IoError("other")) is None


PIECES = ["..", ".", "sub", "file.txt", "link_out", "dotdot_link", "abs_link", "link_sub", "loop1", "outside", "secret.txt", ""]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from(PIECES), min_size=1, max_size=6),
    absolute=st.booleans(),
    follow=st.booleans(),
    how=st.sets(st.sampled_from(["create", "truncate", "directory", "exclusive"])),
)
def test_random_paths_never_leave_the_sandbox(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], absolute: bool, follow: bool, how: set[str]
) -> None:
    base = tmp_path_factory.mktemp("random")
    config = WasiConfig()
    config.preopen_dir(sandbox_tree(base), "/")
    root = _root(config)
    before = snapshot(base / "outside")
    path = ("/" if absolute else "") + "/".join(parts)
    flags = FOLLOW if follow else NOFOLLOW
    calls = [
        lambda: root.open_at(flags, path, how, {"read", "write"}),
        lambda: root.stat_at(flags, path),
        lambda: root.create_directory_at(path),
        lambda: root.unlink_file_at(path),
        lambda: root.remove_directory_at(path),
        lambda: root.rename_at(path, root, "renamed"),
        lambda: root.link_at(NOFOLLOW, path, root, "linked"),
        lambda: root.symlink_at(path, "made_link"),
        lambda: root.readlink_at(path),
        lambda: root.set_times_at(flags, path, "now", "now"),
    ]
    for call in calls:
        try:
            call()
        except Err as err:
            assert err.value in set(ERROR_CODES.values())
    assert snapshot(base / "outside") == before
