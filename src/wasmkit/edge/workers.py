"""The worker processes of `wasmkit serve`: several uvicorn servers on one address.

Each worker listens on a socket of its own, all bound to the same address with SO_REUSEPORT,
so that the kernel spreads new connections evenly across the workers. With one socket shared
by every worker (uvicorn's own worker mode), whichever worker wakes first accepts every
connection that is waiting: clients that open their connections together and keep them alive
can all end up on one worker while the others idle (on the hello load test, one worker of two
took every connection in most runs, halving the rate). Where SO_REUSEPORT does not balance
(only Linux is relied on for that), one socket is shared, as before.

The parent process starts the workers, starts a new one when one dies, and on SIGINT or
SIGTERM asks each to stop (SIGTERM, which uvicorn answers by finishing the requests it has).
A worker that fails to start (its routes do not load) stops the whole server.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from .logs import SERVER, setup_logging, stop_logging

if TYPE_CHECKING:
    from uvicorn import Config

__all__ = ["serve_workers", "reserve_address", "REUSE_PORT"]

# Where the kernel balances connections across sockets bound with SO_REUSEPORT.
REUSE_PORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
STARTUP_FAILURE = 3  # a worker's exit status when its app did not start (as uvicorn's)
_STOP_GRACE_SECONDS = 30.0  # how long a worker may take to finish its requests when told to stop
_spawn = multiprocessing.get_context("spawn")


def bind_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to (host, port), not yet listening. Raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def reserve_address(host: str, port: int, workers: int) -> socket.socket:
    """A socket bound to (host, port) for `workers` workers (see `serve_workers`). Raises
    OSError if the address is in use, also when another server holds it with SO_REUSEPORT
    sockets of its own (the kernel would let this one join that group and take a share of its
    connections): the address is first bound without SO_REUSEPORT, then released and bound
    again with it. Port 0 becomes the port the system chose."""
    reuse_port = REUSE_PORT and workers > 1
    if not reuse_port:
        return bind_socket(host, port, reuse_port=False)
    probe = bind_socket(host, port, reuse_port=False)
    port = probe.getsockname()[1]
    probe.close()
    return bind_socket(host, port, reuse_port=True)


def serve_workers(config: "Config", workers: int, reserved: socket.socket) -> int:
    """Run `workers` uvicorn servers with `config` (a `uvicorn.Config` naming the app by
    import string) until SIGINT or SIGTERM; the exit status: 0, or 1 if a worker failed to
    start. `reserved` is bound to the address already (by `reserve_address`, so that an
    address in use is one clear error before any worker starts): with
    SO_REUSEPORT it never listens, so it takes no connections, and each worker binds its own;
    without, the workers share it."""
    setup_logging()
    pool = _Pool(config, None if REUSE_PORT else reserved, workers)
    return pool.run()


class _Pool:
    def __init__(self, config: "Config", shared: socket.socket | None, size: int) -> None:
        self.config = config
        self.shared = shared
        self.size = size
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._start() for _ in range(self.size)]
            status = self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return status

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping.set()

    def _start(self) -> BaseProcess:
        process = _spawn.Process(target=_worker, args=(self.config, self.shared), name="wasmkit-serve-worker")
        process.start()
        return process

    def _watch(self) -> int:
        """Replace workers that die until told to stop; 1 if one could not start."""
        while not self.stopping.wait(0.5):
            for i, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    SERVER.error("a worker failed to start; stopping the server")
                    return 1
                SERVER.error("worker %s exited with status %s; starting another", process.pid, process.exitcode)
                self.processes[i] = self._start()
        return 0

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes what it has, then exits
        for process in self.processes:
            process.join(_STOP_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


def _worker(config: "Config", shared: socket.socket | None) -> None:
    """A worker process: one uvicorn server on its own socket (or the shared one)."""
    import uvicorn

    setup_logging()
    config.configure_logging()
    sock = shared if shared is not None else bind_socket(config.host, config.port, reuse_port=True)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        stop_logging()  # multiprocessing children skip atexit: write out the queued lines now
    if not server.started:
        sys.exit(STARTUP_FAILURE)
