"""The `ticks` world in Python, for componentize-py: each export is a coroutine, the stream
and the future are filled by tasks spawned beside it."""

import componentize_py_async_support
import wit_world
from wit_world import byte_stream, u32_future


class WitWorld(wit_world.WitWorld):
    async def ticks(self, n: int) -> wit_world.ByteStreamReader:
        writer, reader = byte_stream()

        async def fill() -> None:
            with writer:
                await writer.write_all(bytes(range(n)))

        componentize_py_async_support.spawn(fill())
        return reader

    async def later(self, x: int) -> wit_world.FutureReader[int]:
        writer, reader = u32_future(lambda: 0)

        async def fill() -> None:
            with writer:
                await writer.write(x + 1)

        componentize_py_async_support.spawn(fill())
        return reader

    async def add(self, a: int, b: int) -> int:
        return a + b
