"""The status page of `wasmkit serve` at /.well-known/wasmkit/, and the JSON it reads.

The page (status.html, beside this module) is one self-contained HTML document: its CSS and
script are inline, it loads nothing from elsewhere, and it shows only what it reads from
/.well-known/wasmkit/metrics.json every two seconds: the samples of /metrics
(`metrics.snapshot`), as a table of routes (requests, requests/s, statuses, errors, mean and
percentile latencies) and a latency histogram. It contains no server data itself, so it is the
same for every request and cannot carry anything injected; the script writes what it reads as
text (never as HTML). Its Content-Security-Policy allows only its own inline script and style
(by their hashes) and reading from the server itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from importlib import resources

from . import metrics

__all__ = ["STATUS_PATH", "STATUS_JSON_PATH", "PAGE", "PAGE_HEADERS", "JSON_HEADERS", "metrics_json"]

STATUS_PATH = "/.well-known/wasmkit/"
STATUS_JSON_PATH = "/.well-known/wasmkit/metrics.json"

PAGE = resources.files(__package__).joinpath("status.html").read_bytes()


def _inline_hash(tag: str) -> str:
    """The CSP source of the page's one inline `<tag>` element: 'sha256-...' of its text."""
    found = re.findall(rb"<%s>(.*?)</%s>" % (tag.encode(), tag.encode()), PAGE, re.DOTALL)
    if len(found) != 1:
        raise RuntimeError(f"status.html must have exactly one <{tag}> element, not {len(found)}")
    return "'sha256-" + base64.b64encode(hashlib.sha256(found[0]).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src {_inline_hash('script')}; style-src {_inline_hash('style')}; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_COMMON = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
PAGE_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    *_COMMON,
]
JSON_HEADERS = [(b"content-type", b"application/json"), *_COMMON]


def metrics_json() -> bytes:
    """What the page reads: `metrics.snapshot()` as JSON."""
    return json.dumps(metrics.snapshot(), separators=(",", ":")).encode()
