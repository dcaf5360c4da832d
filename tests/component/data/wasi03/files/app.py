"""A `wasi:cli/run@0.3.0` command for componentize-py (tests/component/test_wasi03.py) that uses
`wasi:filesystem@0.3.0` on its one preopened directory: it opens and reads `input.txt` through
`read-via-stream`, stats it, writes `out.txt` through `write-via-stream` and
`append-via-stream`, lists the directory through `read-directory`, and prints each outcome
and the error codes of a missing file and of a path leading out of the directory; then what
`wasi:sockets@0.3.0` answers to creating sockets and looking a name up (its world is the whole
`wasi:cli/command`)."""

from componentize_py_types import Err
from wit_world import byte_stream
from wit_world.exports import Run as RunBase
from wit_world.imports import ip_name_lookup, preopens
from wit_world.imports.wasi_filesystem_types import DescriptorFlags, OpenFlags, PathFlags
from wit_world.imports.wasi_sockets_types import IpAddressFamily, TcpSocket, UdpSocket


async def _read_all(reader) -> bytes:
    chunks = []
    with reader:
        while not reader.writer_dropped:
            chunks.append(await reader.read(7))  # small reads: several copies
    return b"".join(chunks)


async def _write(sink, data: bytes):
    writer, reader = byte_stream()
    done = sink(reader)
    with writer:
        await writer.write_all(data)
    return await done.read()


class Run(RunBase):
    async def run(self) -> None:
        [(root, path)] = preopens.get_directories()
        print("preopen", path)
        file = await root.open_at(PathFlags(0), "input.txt", OpenFlags(0), DescriptorFlags.READ)
        reader, done = file.read_via_stream(6)
        print("read", await _read_all(reader), await done.read())
        stat = await file.stat()
        print("stat", type(stat.type).__name__, stat.size, stat.link_count)
        print("type", type(await root.get_type()).__name__)
        out = await root.open_at(PathFlags(0), "out.txt", OpenFlags.CREATE | OpenFlags.TRUNCATE, DescriptorFlags.WRITE)
        print("write", await _write(lambda r: out.write_via_stream(r, 0), b"written\n" * 3))
        print("append", await _write(out.append_via_stream, b"more\n"))
        print("size", (await out.stat()).size)
        entries, done = root.read_directory()
        listing = []
        with entries:
            while not entries.writer_dropped:
                listing += [(entry.name, type(entry.type).__name__) for entry in await entries.read(1)]
        print("list", sorted(listing), await done.read())
        for name in ("missing.txt", "../outside.txt"):
            try:
                await root.open_at(PathFlags(0), name, OpenFlags(0), DescriptorFlags.READ)
            except Err as err:
                print("open", name, type(err.value).__name__)
        try:
            await file.set_size(0)  # opened for reading only
        except Err as err:
            print("set-size", type(err.value).__name__)
        for kind in (TcpSocket, UdpSocket):
            try:
                kind.create(IpAddressFamily.IPV4)
            except Err as err:
                print("create", kind.__name__, type(err.value).__name__)
        try:
            await ip_name_lookup.resolve_addresses("localhost")
        except Err as err:
            print("resolve", type(err.value).__name__)
