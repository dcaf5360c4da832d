"""The WASI 0.2 host's values go through the canonical ABI both ways: what the host returns
lowers (records, enums as labels, flags as label sets, variant cases), and what a guest's
arguments lift to is accepted by the host (an `enum.Enum`, an `enum.Flag`, a case class)."""

from __future__ import annotations

import pytest

from tests.component.abi_support import Guest, val
from wasmkit.component.abi import CanonicalAbi, Err, FlatReader, Ok
from wasmkit.component.syntax import Prim
from wasmkit.wasi import MemoryFS, WasiConfig
from wasmkit.wasi.preview2 import Datetime, case, host_imports
from wasmkit.wasi.preview2.values import flag_labels, label

DATETIME = val("record", (("seconds", Prim.U64), ("nanoseconds", Prim.U32)))
DESCRIPTOR_TYPE = val(
    "enum",
    ("unknown", "block-device", "character-device", "directory", "fifo", "symbolic-link", "regular-file", "socket"),
)
DESCRIPTOR_STAT = val(
    "record",
    (
        ("type", DESCRIPTOR_TYPE),
        ("link-count", Prim.U64),
        ("size", Prim.U64),
        ("data-access-timestamp", val("option", (DATETIME,))),
        ("data-modification-timestamp", val("option", (DATETIME,))),
        ("status-change-timestamp", val("option", (DATETIME,))),
    ),
)
DESCRIPTOR_FLAGS = val(
    "flags",
    ("read", "write", "file-integrity-sync", "data-integrity-sync", "requested-write-sync", "mutate-directory"),
)
PATH_FLAGS = val("flags", ("symlink-follow",))
OPEN_FLAGS = val("flags", ("create", "directory", "exclusive", "truncate"))
NEW_TIMESTAMP = val("variant", (("no-change", None), ("now", None), ("timestamp", DATETIME)))
ERROR_CODE = val("enum", ("access", "would-block", "already", "bad-descriptor", "no-entry", "not-permitted"))
ENTRY_RESULT = val("result", (val("option", (val("record", (("type", DESCRIPTOR_TYPE), ("name", Prim.STRING))),)), ERROR_CODE))
HEADER_ERROR = val("variant", (("invalid-syntax", None), ("forbidden", None), ("immutable", None)))

ABI = CanonicalAbi()


def _round(vt: object, value: object) -> object:
    codec = ABI.codec(vt)  # type: ignore[arg-type]
    cx = Guest().context()
    flat: list[object] = []
    codec.lower_flat(cx, value, flat)
    return codec.lift_flat(cx, FlatReader(flat))


def test_host_results_lower_and_guest_arguments_lift_into_the_host() -> None:
    config = WasiConfig()
    config.preopen_fs(MemoryFS({"f.txt": b"abc"}), "/")
    ((root, _),) = host_imports(config)["wasi:filesystem/preopens@0.2.0"]["get-directories"]()
    # Guest arguments as the ABI lifts them: an enum.Flag for flags, a case class for a variant.
    path_flags = _round(PATH_FLAGS, set())
    open_flags = _round(OPEN_FLAGS, {"create"})
    wanted = _round(DESCRIPTOR_FLAGS, {"read", "write"})
    assert flag_labels(wanted) == {"read", "write"}
    file = root.open_at(path_flags, "new.txt", open_flags, wanted)
    assert _round(DESCRIPTOR_FLAGS, file.get_flags()) == wanted
    stamp = _round(NEW_TIMESTAMP, case("timestamp", Datetime(7, 8)))
    file.set_times(stamp, _round(NEW_TIMESTAMP, case("no-change")))
    stat = _round(DESCRIPTOR_STAT, file.stat())
    assert label(stat.type) == "regular-file"  # type: ignore[attr-defined]
    assert stat.data_access_timestamp.seconds == 7  # type: ignore[attr-defined]
    assert stat.data_access_timestamp.nanoseconds == 8  # type: ignore[attr-defined]
    assert label(_round(DESCRIPTOR_TYPE, root.get_type())) == "directory"
    listing = root.read_directory()
    entry = _round(ENTRY_RESULT, Ok(listing.read_directory_entry()))
    assert entry.value.name in {"f.txt", "new.txt"}  # type: ignore[attr-defined]
    with pytest.raises(Err) as caught:
        root.open_at(path_flags, "..", _round(OPEN_FLAGS, set()), wanted)
    lifted = _round(val("result", (None, ERROR_CODE)), caught.value)
    assert label(lifted.value) == "not-permitted"  # type: ignore[attr-defined]


def test_http_header_errors_lower() -> None:
    fields = host_imports(WasiConfig())["wasi:http/types@0.2.0"]["fields"]()
    with pytest.raises(Err) as caught:
        fields.append("connection", b"close")
    lifted = _round(val("result", (None, HEADER_ERROR)), caught.value)
    assert lifted.value.wit_case == "forbidden"  # type: ignore[attr-defined]
