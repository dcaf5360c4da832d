"""wasi:filesystem@0.3.0: `descriptor` and `preopens`, over 0.2's (`preview2.filesystem`, so
over the one sandbox preview 1 and 0.2 use, with the same permissions and answers).

What differs from 0.2: `error-code` and `descriptor-type` are variants (a case per label;
0.2's `unknown` type is `other(none)`, its `would-block` error `other("would-block")`); the
functions that were blocking are `async func`s, which the host answers at once; and the data
moves through streams: `read-via-stream(offset)` gives the file from `offset` as a stream read
piece by piece (64 KiB) as the guest reads, and a future of the outcome; `write-via-stream` and
`append-via-stream` write what the guest writes to its stream as it comes (`drain`) and
resolve their future once it ends (or with the error that stopped them, the stream dropped);
`read-directory` gives the entries as a `stream<directory-entry>` and a future.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ...component.async_.host_streams import ByteChunks, HostPromise, HostStream
from ...component.async_.values import StreamReader
from ..errno import WasiError
from ..preview2 import filesystem as fs2
from ..preview2.errors import error_code
from ..preview2.values import Case, Datetime, Err, Ok, case

__all__ = ["Descriptor", "DescriptorStat", "DirectoryEntry", "Preopens", "error_case"]

_CHUNK = 65536
_F = TypeVar("_F", bound=Callable[..., Any])


def error_case(which: object) -> Case:
    """0.3's `error-code` case for 0.2's label (`would-block`, gone in 0.3: `other`)."""
    if which == "would-block":
        return case("other", "would-block")
    return case(str(which))


def type_case(which: str) -> Case:
    """0.3's `descriptor-type` case for 0.2's label (`unknown`: `other(none)`)."""
    return case("other", None) if which == "unknown" else case(which)


def _v3(method: _F) -> _F:
    """0.2's method `method`, its error label raised as 0.3's case."""

    @functools.wraps(method)
    def call(*args: object) -> object:
        try:
            return method(*args)
        except Err as err:
            raise Err(error_case(err.value)) from None

    return cast(_F, call)


@dataclass(frozen=True, slots=True)
class DescriptorStat:
    """wasi:filesystem/types@0.3.0 `descriptor-stat` (its instants are 0.2's datetimes)."""

    type: Case
    link_count: int
    size: int
    data_access_timestamp: Datetime | None
    data_modification_timestamp: Datetime | None
    status_change_timestamp: Datetime | None

    @classmethod
    def of(cls, stat: fs2.DescriptorStat) -> DescriptorStat:
        return cls(type_case(stat.type), stat.link_count, stat.size, stat.data_access_timestamp,
                   stat.data_modification_timestamp, stat.status_change_timestamp)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """wasi:filesystem/types@0.3.0 `directory-entry`."""

    type: Case
    name: str


class Descriptor(fs2.Descriptor):
    """wasi:filesystem/types@0.3.0 `descriptor`: 0.2's, with 0.3's streams and cases."""

    def read_via_stream(self, offset: int) -> tuple[ByteChunks, HostPromise]:  # type: ignore[override]
        done = HostPromise()
        return ByteChunks(self._chunks(offset, done)), done

    def _chunks(self, offset: int, done: HostPromise) -> Iterator[bytes]:
        try:
            file = self._stream_file()
            while data := file.read(_CHUNK, offset):
                offset += len(data)
                yield data
        except WasiError as exc:
            done.resolve(Err(error_case(error_code(exc.errno))))
        finally:
            done.resolve(Ok(None))  # the end, or the guest dropped the stream

    def write_via_stream(self, data: StreamReader, offset: int) -> HostPromise:  # type: ignore[override]
        return self._write(data, offset)

    def append_via_stream(self, data: StreamReader) -> HostPromise:  # type: ignore[override]
        return self._write(data, None)

    def _write(self, data: StreamReader, offset: int | None) -> HostPromise:
        done = HostPromise()
        at = [offset]

        def take(chunk: Any) -> bool:
            view = memoryview(bytes(chunk))
            try:
                file = self._stream_file()
                while view:
                    written = file.write(view, at[0])
                    view = view[written:]
                    if at[0] is not None:
                        at[0] += written
            except WasiError as exc:
                done.resolve(Err(error_case(error_code(exc.errno))))
                return False
            return True

        data.drain(take, lambda: done.resolve(Ok(None)))
        return done

    def read_directory(self) -> tuple[HostStream, HostPromise]:  # type: ignore[override]
        done = HostPromise()
        try:
            listing = fs2.Descriptor.read_directory(self)
        except Err as err:
            done.resolve(Err(error_case(err.value)))
            return HostStream([]), done
        entries = []
        while (entry := listing.read_directory_entry()) is not None:
            entries.append(DirectoryEntry(type_case(entry.type), entry.name))
        done.resolve(Ok(None))
        return HostStream(entries), done

    def get_type(self) -> Case:  # type: ignore[override]
        return type_case(fs2.Descriptor.get_type(self))

    @_v3
    def stat(self) -> DescriptorStat:  # type: ignore[override]
        return DescriptorStat.of(fs2.Descriptor.stat(self))

    @_v3
    def stat_at(self, path_flags: object, path: str) -> DescriptorStat:  # type: ignore[override]
        return DescriptorStat.of(fs2.Descriptor.stat_at(self, path_flags, path))

    advise = _v3(fs2.Descriptor.advise)
    sync_data = _v3(fs2.Descriptor.sync_data)
    sync = _v3(fs2.Descriptor.sync)
    set_size = _v3(fs2.Descriptor.set_size)
    set_times = _v3(fs2.Descriptor.set_times)
    metadata_hash = _v3(fs2.Descriptor.metadata_hash)
    metadata_hash_at = _v3(fs2.Descriptor.metadata_hash_at)
    set_times_at = _v3(fs2.Descriptor.set_times_at)
    create_directory_at = _v3(fs2.Descriptor.create_directory_at)
    remove_directory_at = _v3(fs2.Descriptor.remove_directory_at)
    unlink_file_at = _v3(fs2.Descriptor.unlink_file_at)
    readlink_at = _v3(fs2.Descriptor.readlink_at)
    symlink_at = _v3(fs2.Descriptor.symlink_at)
    link_at = _v3(fs2.Descriptor.link_at)
    rename_at = _v3(fs2.Descriptor.rename_at)
    open_at = _v3(fs2.Descriptor.open_at)


class Preopens:
    """wasi:filesystem/preopens@0.3.0: the instance's preopened directories, each call a new
    0.3 descriptor over the instance's one open directory (as 0.2's)."""

    def __init__(self, preopens: list[tuple[fs2.Descriptor, str]]) -> None:
        self._preopens = preopens

    def get_directories(self) -> list[tuple[Descriptor, str]]:
        return [(d.shared_as(Descriptor), guest) for d, guest in self._preopens]
