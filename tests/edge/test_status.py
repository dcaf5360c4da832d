"""The status page of `wasmkit serve` (/.well-known/wasmkit/) and the JSON it reads
(/.well-known/wasmkit/metrics.json): the page is served whole and self-contained, with a policy
that lets only its own script run; the JSON holds the samples /metrics has, and no others.

The page's script runs in headless Chromium in the last test (tests/browser.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram  # noqa: E402

from tests.edge.server import Server, handler_wat  # noqa: E402
from tests.support import PROJECT_ROOT  # noqa: E402
from wasmkit.edge import metrics, status  # noqa: E402

CGI_OUTPUT = b"Content-Type: text/plain\n\n"


# -- the JSON, from a registry of our own --


def test_the_snapshot_has_each_routes_counts_and_histograms() -> None:
    registry = CollectorRegistry()
    requests = Counter("wasmkit_requests", "", ["route", "status"], registry=registry)
    errors = Counter("wasmkit_errors", "", ["route", "kind"], registry=registry)
    duration = Histogram("wasmkit_request_duration_seconds", "", ["route"], buckets=(0.001, 0.01), registry=registry)
    instance = Histogram("wasmkit_instance_seconds", "", ["route"], buckets=(0.001, 0.01), registry=registry)
    running = Gauge("wasmkit_instances_running", "", registry=registry)
    reloads = Counter("wasmkit_reloads", "", ["result"], registry=registry)
    Counter("unrelated", "not wasmkit's: left out", registry=registry).inc()
    requests.labels("/b", "200").inc(3)
    requests.labels("/b", "500").inc()
    requests.labels("/a/...", "200").inc()
    errors.labels("/b", "trap").inc()
    for seconds in (0.0005, 0.005, 0.005, 2.0):
        duration.labels("/b").observe(seconds)
    duration.labels("/a/...").observe(0.002)
    instance.labels("/b").observe(0.0002)
    running.set(2)
    reloads.labels("ok").inc(2)

    snapshot = metrics.snapshot(registry)
    assert [route["route"] for route in snapshot["routes"]] == ["/a/...", "/b"]
    b = snapshot["routes"][1]
    assert b["requests"] == {"200": 3, "500": 1}
    assert b["errors"] == {"trap": 1}
    assert b["duration"]["count"] == 4 and b["duration"]["sum"] == pytest.approx(2.0105)
    assert b["duration"]["buckets"] == [{"le": 0.001, "count": 1}, {"le": 0.01, "count": 3}, {"le": "+Inf", "count": 4}]
    assert b["instance"]["buckets"] == [{"le": 0.001, "count": 1}, {"le": 0.01, "count": 1}, {"le": "+Inf", "count": 1}]
    assert snapshot["routes"][0]["errors"] == {}
    assert snapshot["instances_running"] == 2
    assert snapshot["reloads"] == {"ok": 2}
    assert "unrelated" not in json.dumps(snapshot)


# -- the page, as a file --


class _Page(HTMLParser):
    """What a page refers to and names: its elements' ids, and every URL-valued attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] = tag
            if name in ("src", "href", "action", "srcset", "poster", "data") and value is not None:
                self.urls.append(value)


def _page() -> _Page:
    parser = _Page()
    parser.feed(status.PAGE.decode())
    return parser


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = _page()
    assert page.urls == ["metrics.json", "../../metrics"]  # links to the server's own paths
    text = status.PAGE.decode()
    assert not re.search(r"https?:|//[a-z]", text, re.IGNORECASE)  # no absolute URL anywhere
    assert re.findall(r"fetch\(([^,)]*)", text) == ["SOURCE"] and 'const SOURCE = "metrics.json";' in text
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text  # figures are written as text


def test_the_page_names_what_a_browser_test_checks() -> None:
    assert _page().ids.items() >= {
        "routes": "table", "histogram": "table", "histogram-route": "select", "rate": "span",
        "running": "span", "reloads": "span", "updated": "span", "error": "p", "no-routes": "p",
    }.items()  # fmt: skip


def test_the_policy_allows_exactly_the_pages_inline_script_and_style() -> None:
    policy = dict(part.strip().split(" ", 1) for part in status.CONTENT_SECURITY_POLICY.split(";"))
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        (inline,) = re.findall(rb"<%s>(.*?)</%s>" % (tag.encode(), tag.encode()), status.PAGE, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(inline).digest()).decode()
        assert policy[directive] == f"'sha256-{digest}'"
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


def test_the_page_is_packaged() -> None:
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    assert '"edge/status.html"' in pyproject


# -- served by `wasmkit serve` --


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    pytest.importorskip("uvicorn")
    directory: Path = tmp_path_factory.mktemp("status")
    (directory / "ok.wat").write_text(handler_wat(CGI_OUTPUT + b"ok"))
    (directory / "trap.wat").write_text(handler_wat(CGI_OUTPUT, start="(unreachable)"))
    (directory / "modules.toml").write_text(
        '[[module]]\nroute = "/ok/..."\nmodule = "ok.wat"\n\n[[module]]\nroute = "/trap"\nmodule = "trap.wat"\n'
    )
    running = Server(directory, workers=2)
    yield running
    running.stop()


def test_the_status_page_is_served_with_its_policy(server: Server) -> None:
    response = server.get("/.well-known/wasmkit/")
    assert response.status == 200
    assert response.body == status.PAGE
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert response.header("Content-Security-Policy") == status.CONTENT_SECURITY_POLICY
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("Cache-Control") == "no-store"
    assert response.header("X-Frame-Options") == "DENY"
    head = server.request("HEAD", "/.well-known/wasmkit/")
    assert head.status == 200 and head.body == b"" and head.header("Content-Length") == str(len(status.PAGE))


def test_the_path_without_its_slash_redirects_to_the_page(server: Server) -> None:
    response = server.get("/.well-known/wasmkit")
    assert response.status == 308 and response.header("Location") == "/.well-known/wasmkit/"


def _exposition(server: Server) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics: (name, labels) -> value."""
    samples = {}
    for line in server.get("/metrics").body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        name, _, label_text = sample.partition("{")
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', label_text))
        samples[(name, labels)] = float(value)
    return samples


def _until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_the_json_holds_what_metrics_has(server: Server) -> None:
    for _ in range(4):
        assert server.get("/ok/x").status == 200
    assert server.get("/trap").status == 500
    # A worker counts a request just after answering it: wait until both counts are in.
    _until(lambda: server.metric("wasmkit_requests_total", route="/trap", status="500") == 1
           and server.metric("wasmkit_requests_total", route="/ok/...", status="200") == 4)  # fmt: skip
    response = server.get("/.well-known/wasmkit/metrics.json")
    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    assert response.header("Cache-Control") == "no-store"
    snapshot = response.json()
    samples = _exposition(server)

    def sample(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert [route["route"] for route in snapshot["routes"]] == ["/ok/...", "/trap"]
    ok, trap = snapshot["routes"]
    assert ok["requests"] == {"200": 4} and ok["errors"] == {}
    assert trap["requests"] == {"500": 1} and trap["errors"] == {"trap": 1}
    for route in snapshot["routes"]:
        for status_, count in route["requests"].items():
            assert count == sample("wasmkit_requests_total", route=route["route"], status=status_)
        for kind, count in route["errors"].items():
            assert count == sample("wasmkit_errors_total", route=route["route"], kind=kind)
        for key, name in (("duration", "wasmkit_request_duration_seconds"), ("instance", "wasmkit_instance_seconds")):
            histogram = route[key]
            assert histogram["count"] == sample(f"{name}_count", route=route["route"])
            assert histogram["sum"] == pytest.approx(sample(f"{name}_sum", route=route["route"]))
            exposed = {
                float(dict(labels)["le"]): value
                for (sample_name, labels), value in samples.items()
                if sample_name == f"{name}_bucket" and ("route", route["route"]) in labels
            }
            assert [(float(bucket["le"]), bucket["count"]) for bucket in histogram["buckets"]] == sorted(exposed.items())
            assert histogram["buckets"][-1]["count"] == histogram["count"]
    assert snapshot["instances_running"] == sample("wasmkit_instances_running")
    # Nothing /metrics lacks: every figure of the JSON is one of its samples (checked above),
    # and the only other keys are the labels' values.
    assert set(snapshot) == {"routes", "instances_running", "reloads"}
    assert all(set(route) == {"route", "requests", "errors", "duration", "instance"} for route in snapshot["routes"])


def test_reading_the_status_is_not_counted_as_a_request(server: Server) -> None:
    before = server.get("/.well-known/wasmkit/metrics.json").json()
    for _ in range(3):
        server.get("/.well-known/wasmkit/")
        server.get("/.well-known/wasmkit/metrics.json")
    after = server.get("/.well-known/wasmkit/metrics.json").json()
    assert [route["route"] for route in after["routes"]] == [route["route"] for route in before["routes"]]
    assert [route["requests"] for route in after["routes"]] == [route["requests"] for route in before["routes"]]


def test_the_page_shows_routes_and_latencies_in_a_browser(server: Server) -> None:
    """The status page in headless Chromium (tests/browser.py): the route that answered is
    listed with its count, the histogram has its buckets, and nothing is logged as an error."""
    from tests.browser import Browser, require_browser

    require_browser()
    for _ in range(3):
        assert server.get("/ok/page").status == 200
    with Browser() as browser:
        browser.load(f"http://127.0.0.1:{server.port}/.well-known/wasmkit/")
        browser.wait_for('#routes tbody tr[data-route="/ok/..."]')
        _until(lambda: int(browser.run("return document.body.dataset.refreshes || 0")) >= 2)
        row = '#routes tbody tr[data-route="/ok/..."]'
        assert int(browser.text(f"{row} .requests")) >= 3
        assert browser.count("#histogram tbody tr.bucket") == 15
        assert browser.run("return document.querySelector('#no-routes').hidden") is True
        assert browser.console_errors() == []
        artifacts = Path(os.environ.get("WASMKIT_ARTIFACTS", PROJECT_ROOT / "build" / "artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        browser.screenshot(artifacts / "status-page.png")
