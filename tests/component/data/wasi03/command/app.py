"""A `wasi:cli/run@0.3.0` command for componentize-py (tests/component/test_wasi03.py): it
writes its arguments, the variable GREETING and the file named by its second argument (read
through libc, so WASI 0.2's filesystem) to stdout through `write-via-stream`, a line to stderr
the same way, and stdin's length when asked; its first argument picks how it ends: `ok`,
`fail` (run returns err), `exit` (wasi:cli/exit with err), `trap` (an exception) or `sleep`
(waits 10 ms on the monotonic clock first)."""

from wit_world.exports import Run as RunBase
from componentize_py_types import Err, Ok
from wit_world import byte_stream
from wit_world.imports import environment, exit, monotonic_clock, stderr, stdin, stdout


async def _write(sink, data: bytes) -> None:
    writer, reader = byte_stream()
    done = sink.write_via_stream(reader)
    with writer:
        await writer.write_all(data)
    result = await done.read()
    if isinstance(result, Err):
        raise result


async def _read_stdin() -> bytes:
    reader, done = stdin.read_via_stream()
    chunks = []
    with reader:
        while not reader.writer_dropped:
            chunks.append(await reader.read(65536))
    await done.read()
    return b"".join(chunks)


class Run(RunBase):
    async def run(self) -> None:
        args = environment.get_arguments()
        env = dict(environment.get_environment())
        mode = args[1] if len(args) > 1 else "ok"
        if mode == "sleep":
            before = monotonic_clock.now()
            await monotonic_clock.wait_for(10_000_000)
            assert monotonic_clock.now() - before >= 10_000_000
        text = f"args: {args!r}\nGREETING={env.get('GREETING')}\n"
        if len(args) > 2:
            with open(args[2]) as file:
                text += f"file: {file.read()}"
        if mode == "stdin":
            text += f"stdin: {len(await _read_stdin())} bytes\n"
        await _write(stdout, text.encode())
        await _write(stderr, b"to stderr\n")
        if mode == "fail":
            raise Err(None)
        if mode == "exit":
            exit.exit(Err(None))
        if mode == "trap":
            raise ValueError("the command fails")
