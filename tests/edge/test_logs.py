"""The server's logging: JSON lines through a bounded queue that drops, and counts, what does
not fit rather than hold up the caller."""

from __future__ import annotations

import json
import logging
import queue
from collections.abc import Iterator

import pytest

from wasmkit.edge.logs import DroppingQueueHandler, JsonFormatter


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("tests.edge.dropping")
    log.propagate = False
    yield log
    log.handlers.clear()


def test_a_full_queue_drops_and_counts_instead_of_waiting(logger: logging.Logger) -> None:
    records: queue.Queue[logging.LogRecord] = queue.Queue(2)
    handler = DroppingQueueHandler(records)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    for number in range(5):
        logger.warning("line %d", number)  # no writer drains the queue: the last three do not fit
    assert handler.dropped == 3
    assert [json.loads(records.get_nowait().getMessage())["message"] for _ in range(2)] == ["line 0", "line 1"]
    logger.warning("after")
    lines = [json.loads(records.get_nowait().getMessage()) for _ in range(2)]
    assert [line["message"] for line in lines] == ["3 log lines dropped: stderr was not keeping up", "after"]
    assert lines[0]["level"] == "warning" and handler.dropped == 0
