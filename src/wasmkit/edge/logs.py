"""Structured logs: one JSON object per line on stderr, for log collectors to read as they are.

    {"time": "...", "level": "info", "logger": "wasmkit.edge.access", "message": "GET /hello 200",
     "request_id": "3f2a...", "route": "/hello/...", "status": 200, "duration_ms": 2.4, ...}

Three loggers: `wasmkit.edge.access` (a line per request), `wasmkit.edge.module` (what a
module wrote to stderr, a line per line, with the request id), and `wasmkit.edge` (the server:
loading, reloading, and why a request failed).
"""

from __future__ import annotations

import json
import logging
import sys
import time

__all__ = ["ACCESS", "MODULE", "SERVER", "JsonFormatter", "setup_logging"]

ACCESS = logging.getLogger("wasmkit.edge.access")
MODULE = logging.getLogger("wasmkit.edge.module")
SERVER = logging.getLogger("wasmkit.edge")

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


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


def setup_logging(level: int = logging.INFO) -> None:
    """Send the server's logs to stderr as JSON lines (once per process)."""
    if any(isinstance(handler.formatter, JsonFormatter) for handler in SERVER.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    SERVER.addHandler(handler)
    SERVER.setLevel(level)
    SERVER.propagate = False
