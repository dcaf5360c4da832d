"""The headless-browser harness (tests/browser.py) does what its users rely on: it loads a
file, clicks, reads the DOM, reports console errors and uncaught exceptions, and takes a
screenshot."""

from __future__ import annotations

from pathlib import Path

from tests.browser import Browser, require_browser

PAGE = """<!DOCTYPE html><html><body>
<button id="go" onclick="document.getElementById('out').textContent = 'clicked'">go</button>
<p id="out">waiting</p>
<script>console.log("fine"); console.error("something broke"); undefinedFunction();</script>
</body></html>"""


def test_the_harness_loads_clicks_reads_and_hears_errors(tmp_path: Path) -> None:
    require_browser()
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    with Browser() as browser:
        assert browser.load(page) > 0
        assert browser.text("#out") == "waiting"
        browser.click("#go")
        assert browser.text("#out") == "clicked"
        assert browser.count("button") == 1 and browser.run("return 6 * 7") == 42
        errors = browser.console_errors()
        assert len(errors) == 2
        assert "something broke" in errors[0] and "undefinedFunction is not defined" in errors[1]
        assert browser.console_errors() == []  # each error reported once
        browser.screenshot(tmp_path / "page.png")
        assert (tmp_path / "page.png").read_bytes().startswith(b"\x89PNG")
    assert browser.driver.poll() is not None  # chromedriver ended with the context
