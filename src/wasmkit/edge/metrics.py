"""The server's Prometheus metrics, served at /metrics.

With several worker processes, each worker records into files in `PROMETHEUS_MULTIPROC_DIR`
(which `wasmkit serve` sets before any worker starts) and /metrics adds them up, so that every
worker answers for the whole server. With none set (one process, or the app embedded in a test),
the process's own registry is served.

    wasmkit_requests_total{route, status}        requests answered
    wasmkit_request_duration_seconds{route}      time from request to response (histogram)
    wasmkit_errors_total{route, kind}            requests that failed: trap, timeout, fuel, ...
    wasmkit_instance_seconds{route}              time spent in the request's instance (histogram)
    wasmkit_instances_running                    instances running now (0 once stopped)
    wasmkit_reloads_total{result}                configuration reloads, ok or failed
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import REGISTRY, multiprocess

__all__ = [
    "CONTENT_TYPE",
    "ERRORS",
    "INSTANCE_SECONDS",
    "INSTANCES_RUNNING",
    "RELOADS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "exposition",
    "worker_exited",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("wasmkit_requests", "Requests answered, by route and status.", ["route", "status"])
REQUEST_SECONDS = Histogram(
    "wasmkit_request_duration_seconds", "Time from request to response, by route.", ["route"], buckets=_BUCKETS
)
ERRORS = Counter("wasmkit_errors", "Requests that failed, by route and kind of failure.", ["route", "kind"])
INSTANCE_SECONDS = Histogram(
    "wasmkit_instance_seconds", "Time spent in a request's instance, by route.", ["route"], buckets=_BUCKETS
)
INSTANCES_RUNNING = Gauge(
    "wasmkit_instances_running", "Instances running now.", multiprocess_mode="livesum"
)
RELOADS = Counter("wasmkit_reloads", "Configuration reloads, by result.", ["result"])


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's, when there are several."""
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def worker_exited() -> None:
    """Drop this process's live gauges from the totals (called as a worker shuts down)."""
    if _multiprocess():
        multiprocess.mark_process_dead(os.getpid())
