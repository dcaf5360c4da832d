"""Structured logs: one JSON object per line on stderr, for log collectors to read as they are.

    {"time": "...", "level": "info", "logger": "wasmkit.edge.access", "message": "GET /hello 200",
     "request_id": "3f2a...", "route": "/hello/...", "status": 200, "duration_ms": 2.4, ...}

Three loggers: `wasmkit.edge.access` (a line per request), `wasmkit.edge.module` (what a
module wrote to stderr, a line per line, with the request id, up to `MODULE_LINES` lines a
request), and `wasmkit.edge` (the server: loading, reloading, and why a request failed).
uvicorn's own loggers (`uvicorn`, `uvicorn.error`), any other library's and Python's warnings
go through the same formatter, so every line is JSON.

Logging is kept off the event loop's critical path: a record is formatted where it is made
and handed to a bounded queue; one thread per process writes the lines to stderr, so a slow
reader of stderr or a burst of lines never holds up requests (when the queue is full, lines
are dropped and counted rather than waited for).
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
import time

__all__ = [
    "ACCESS", "MODULE", "SERVER", "DroppingQueueHandler", "JsonFormatter", "log_module_stderr", "setup_logging",
    "stop_logging",
]  # fmt: skip

ACCESS = logging.getLogger("wasmkit.edge.access")
MODULE = logging.getLogger("wasmkit.edge.module")
SERVER = logging.getLogger("wasmkit.edge")
UVICORN = logging.getLogger("uvicorn")
MODULE_LINES = 100  # stderr lines logged per request; the rest are counted in one summary line
MODULE_LINE_CHARS = 8192  # a longer stderr line is cut to this many characters

# Record attributes that are not fields of the line (uvicorn adds color_message: ANSI codes).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line, with the fields given in `extra=` as keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


LOG_QUEUE_RECORDS = 10_000  # records waiting for the writer; past that they are dropped and counted


class DroppingQueueHandler(logging.handlers.QueueHandler):
    """Hands records to a bounded queue without ever blocking the caller: when the queue is
    full (stderr is not keeping up: a stalled log collector, say), the record is dropped and
    counted, and the next one that fits is preceded by a line saying how many were lost.
    Memory stays bounded and requests are never held up by logging."""

    def __init__(self, records: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(records)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            if self.dropped:
                notice = SERVER.makeRecord(
                    SERVER.name, logging.WARNING, __file__, 0,
                    "%d log lines dropped: stderr was not keeping up", (self.dropped,), None,
                )  # fmt: skip
                self.queue.put_nowait(self.prepare(notice))
                self.dropped = 0
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


class _Listener(logging.handlers.QueueListener):
    """The writer thread; told to stop by a marker that waits for room in the queue (the
    thread is draining it) instead of failing when the queue is full."""

    def __init__(self, records: queue.Queue[logging.LogRecord], writer: logging.Handler) -> None:
        super().__init__(records, writer)
        self._records = records

    def enqueue_sentinel(self) -> None:
        self._records.put(getattr(self, "_sentinel"))


_listener: logging.handlers.QueueListener | None = None


def setup_logging(level: int = logging.INFO) -> None:
    """Send every log record of the process to stderr as a JSON line, through a queue and a
    writer thread (once per process): the server's and uvicorn's at `level` and above, any
    other library's (wasmkit.wasi's, say) and Python's warnings at WARNING and above."""
    global _listener
    if _listener is not None:
        return
    lines: queue.Queue[logging.LogRecord] = queue.Queue(LOG_QUEUE_RECORDS)
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(logging.Formatter("%(message)s"))  # the record's message is its JSON line
    _listener = _Listener(lines, writer)
    _listener.start()
    atexit.register(stop_logging)
    enqueue = DroppingQueueHandler(lines)
    enqueue.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [enqueue]
    root.setLevel(logging.WARNING)
    for logger in (SERVER, UVICORN):
        logger.handlers.clear()
        logger.setLevel(level)
        logger.propagate = True
    logging.captureWarnings(True)


def stop_logging() -> None:
    """Write out what is queued and stop the writer thread (at exit; a worker process calls
    it itself, since multiprocessing children skip atexit)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None


def log_module_stderr(stderr: bytes, request_id: str, route: str, stream: str = "stderr") -> None:
    """Log what a request's module wrote to stderr (or `stream`: a component's stdout, which is
    not its response): a record per line, up to `MODULE_LINES` lines of up to
    `MODULE_LINE_CHARS` characters, then one record counting the lines left out (a module
    printing a million empty lines makes 101 records, not a million). Records of another
    stream than stderr say which in a `stream` field."""
    extra = {"request_id": request_id, "route": route}
    if stream != "stderr":
        extra["stream"] = stream
    parts = stderr.split(b"\n", MODULE_LINES)
    if len(parts) > MODULE_LINES:
        rest = parts.pop()  # the lines past the first MODULE_LINES
    else:
        rest = b""
        if not parts[-1]:
            parts.pop()  # the empty string after a final newline (or of empty output)
    for part in parts:
        line = part.removesuffix(b"\r").decode("utf-8", "replace")
        if len(line) > MODULE_LINE_CHARS:
            line = line[:MODULE_LINE_CHARS] + f"... ({len(line) - MODULE_LINE_CHARS} more characters)"
        MODULE.info(line, extra=extra)
    if rest:
        left = rest.count(b"\n") + (not rest.endswith(b"\n"))
        MODULE.warning(
            "%d more %s lines (%d bytes) not logged", left, stream, len(rest),
            extra={**extra, "lines_not_logged": left},
        )
