"""A headless Chromium for tests that look at pages: load a URL or a file, click, read the DOM
through JavaScript, collect the console's errors, take a screenshot.

It drives Debian's chromium through chromedriver (the `chromium-driver` package, which `make
test` installs) over the W3C WebDriver protocol, spoken here with the standard library's HTTP
client: no Python package is needed. Each `Browser` is a chromedriver process and one session
in a fresh profile directory:

    with Browser() as browser:
        seconds = browser.load(path_or_url)
        browser.click("#function-list .row")
        browser.wait_for("#disassembly .ln")
        assert browser.console_errors() == []
        browser.screenshot(tmp_path / "page.png")

`require_browser()` skips a test when Chromium or chromedriver is missing, and fails it in CI
(CI=true), where `make test` has installed them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support import missing

__all__ = ["CHROMEDRIVER", "CHROMIUM", "Browser", "BrowserError", "require_browser"]

CHROMIUM = os.environ.get("WASMKIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("WASMKIT_CHROMEDRIVER", "/usr/bin/chromedriver")

# What makes Chromium start headless in a container as root, quickly and without talking to
# the network on its own (updates, sync, field trials).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)

# The WebDriver error for an element that is not there (yet).
_NO_SUCH_ELEMENT = "no such element"


class BrowserError(Exception):
    """chromedriver refused a command, or Chromium did not do what was asked in time."""


def require_browser() -> None:
    """Skip the calling test when Chromium or chromedriver is not installed (`make test`
    installs both); in CI, fail instead."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if absent:
        missing(f"{' and '.join(absent)} not found: `make test` installs them (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One headless Chromium, driven through its own chromedriver; a context manager that
    ends both and removes the profile directory."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="wasmkit-chromium-")
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            self._wait_for_driver()
            capabilities = {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": [*CHROMIUM_FLAGS, f"--user-data-dir={self.profile}"]},
                "goog:loggingPrefs": {"browser": "ALL"},
            }
            reply = self._request("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
            self.session = f"/session/{reply['sessionId']}"
        except BaseException:
            self.close()
            raise

    # -- the protocol --

    def _wait_for_driver(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if self._request("GET", "/status").get("ready"):
                    return
            except (OSError, BrowserError):
                pass
            if time.monotonic() > deadline or self.driver.poll() is not None:
                raise BrowserError("chromedriver did not start")
            time.sleep(0.05)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout + 30) as response:
                reply = json.load(response)
        except urllib.error.HTTPError as err:
            try:
                value = json.load(err).get("value", {})
            except ValueError:
                value = {}
            raise BrowserError(f"{value.get('error', err.code)}: {value.get('message', err.reason)}") from None
        return reply.get("value") if "sessionId" not in reply else reply

    def _command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request(method, self.session + path, body)

    # -- what tests do --

    def load(self, target: str | Path) -> float:
        """Open a URL, or a file by its path, and wait until it has loaded (its `load` event):
        the seconds that took."""
        url = target if isinstance(target, str) and "://" in target else Path(target).resolve().as_uri()
        started = time.monotonic()
        self._command("POST", "/url", {"url": url})  # returns once the document has loaded
        return time.monotonic() - started

    def run(self, script: str, *args: Any) -> Any:
        """The value of the JavaScript function body `script` (given `arguments`)."""
        return self._command("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, selector: str) -> str:
        """The WebDriver id of the first element `selector` matches (BrowserError if none)."""
        element = self._command("POST", "/element", {"using": "css selector", "value": selector})
        return str(next(iter(element.values())))

    def wait_for(self, selector: str) -> str:
        """The first element `selector` matches, once there is one (BrowserError on timeout)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self.find(selector)
            except BrowserError as err:
                if _NO_SUCH_ELEMENT not in str(err) or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """Click the first element `selector` matches, as a user would (scrolled into view)."""
        self._command("POST", f"/element/{self.wait_for(selector)}/click", {})

    def text(self, selector: str) -> str:
        """The rendered text of the first element `selector` matches."""
        return str(self._command("GET", f"/element/{self.wait_for(selector)}/text"))

    def count(self, selector: str) -> int:
        """How many elements `selector` matches now."""
        return int(self.run("return document.querySelectorAll(arguments[0]).length", selector))

    def console_errors(self) -> list[str]:
        """The console's errors (and uncaught exceptions) since the last call."""
        entries = self._command("POST", "/se/log", {"type": "browser"})
        return [entry["message"] for entry in entries if entry.get("level") == "SEVERE"]

    def resize(self, width: int, height: int) -> None:
        """Make the window `width` x `height` pixels (what a screenshot shows)."""
        self._command("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path: str | Path) -> None:
        """Save what the window shows as a PNG file."""
        Path(path).write_bytes(base64.b64decode(self._command("GET", "/screenshot")))

    # -- ending --

    def close(self) -> None:
        if getattr(self, "session", None):
            try:
                self._command("DELETE", "")
            except (OSError, BrowserError):
                pass
            self.session = ""
        if self.driver.poll() is None:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
