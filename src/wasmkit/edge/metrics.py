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

`snapshot()` gives the same samples as JSON-ready data, for the status page (edge/status.py).
"""

from __future__ import annotations

import math
import os
from typing import Any

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
    "snapshot",
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


def _registry() -> CollectorRegistry:
    """What /metrics shows: every worker's metrics added up when there are several, else this
    process's."""
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's, when there are several."""
    return generate_latest(_registry())


def _histogram() -> dict[str, Any]:
    return {"count": 0, "sum": 0.0, "buckets": []}


def snapshot(registry: CollectorRegistry | None = None) -> dict[str, Any]:
    """The wasmkit metrics of `registry` (by default what /metrics shows) as JSON-ready data, for
    the status page: the same samples /metrics has, and nothing else (no process metrics).

        {"routes": [{"route": "/hello/...", "requests": {"200": 12}, "errors": {"trap": 1},
                     "duration": {"count": 13, "sum": 0.05, "buckets": [{"le": 0.001, "count": 3},
                                  ..., {"le": "+Inf", "count": 13}]},
                     "instance": {...}}, ...],
         "instances_running": 0, "reloads": {"ok": 1}}

    Routes are in order of their text; histogram buckets are cumulative, as Prometheus'."""
    routes: dict[str, dict[str, Any]] = {}

    def route(name: str) -> dict[str, Any]:
        empty = {"route": name, "requests": {}, "errors": {}, "duration": _histogram(), "instance": _histogram()}
        return routes.setdefault(name, empty)

    histograms = {"wasmkit_request_duration_seconds": "duration", "wasmkit_instance_seconds": "instance"}
    running = 0
    reloads: dict[str, int] = {}
    for family in (registry or _registry()).collect():
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == "wasmkit_requests_total":
                route(labels["route"])["requests"][labels["status"]] = int(value)
            elif name == "wasmkit_errors_total":
                route(labels["route"])["errors"][labels["kind"]] = int(value)
            elif name == "wasmkit_instances_running":
                running = int(value)
            elif name == "wasmkit_reloads_total":
                reloads[labels["result"]] = int(value)
            elif name.rpartition("_")[0] in histograms:
                base, _, part = name.rpartition("_")
                histogram = route(labels["route"])[histograms[base]]
                if part == "bucket":
                    bound = float(labels["le"])
                    histogram["buckets"].append({"le": bound if math.isfinite(bound) else "+Inf", "count": int(value)})
                elif part in ("count", "sum"):
                    histogram[part] = int(value) if part == "count" else value
    for entry in routes.values():
        for key in histograms.values():
            entry[key]["buckets"].sort(key=lambda bucket: math.inf if bucket["le"] == "+Inf" else bucket["le"])
    return {"routes": [routes[name] for name in sorted(routes)], "instances_running": running, "reloads": reloads}


def worker_exited() -> None:
    """Drop this process's live gauges from the totals (called as a worker shuts down)."""
    if _multiprocess():
        multiprocess.mark_process_dead(os.getpid())
