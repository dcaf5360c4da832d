"""The explore page in a real browser (headless Chromium, see tests/browser.py): it lists the
functions, shows a function's disassembly (and engine code) when one is clicked, links a line
of generated code to its wasm instruction, and logs no console error; on graphviz.wasm (1,205
functions) and on a component too.

Each page's screenshot is kept in the artifacts directory ($WASMKIT_ARTIFACTS, else
build/artifacts), with the seconds each page took to load (explore-load-times.json): measured,
not asserted, as timings on a shared machine are no test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import Browser, require_browser
from tests.component.test_reader import EVERY_KIND, _wasm_tools
from tests.explore.modules import NAMES, demo_wasm
from tests.spec.engines import require_engine
from tests.support import PROJECT_ROOT
from wasmkit.explore import explore_page, module_data, render_page

ARTIFACTS = Path(os.environ.get("WASMKIT_ARTIFACTS", PROJECT_ROOT / "build" / "artifacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser()
    with Browser() as browser:
        yield browser


def _record(name: str, browser: Browser, seconds: float) -> None:
    """Keep the page's screenshot and its load time as artifacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(ARTIFACTS / f"explore-{name}.png")
    times = ARTIFACTS / "explore-load-times.json"
    recorded = json.loads(times.read_text()) if times.exists() else {}
    recorded[name] = round(seconds, 3)
    times.write_text(json.dumps(recorded, indent=1) + "\n")


def _page(tmp_path: Path, name: str, data: bytes, engine: str | None = None) -> Path:
    path = tmp_path / f"{name}.html"
    path.write_text(explore_page(data, f"{name}.wasm", engine), encoding="utf-8")
    return path


def test_a_module_page_lists_functions_and_shows_one_clicked(browser: Browser, tmp_path: Path) -> None:
    require_engine("native")
    seconds = browser.load(_page(tmp_path, "demo", demo_wasm(), "native"))
    assert browser.text("#title") == "demo.wasm"
    assert browser.count("#function-list .row") == len(NAMES)
    assert browser.count("#sections tr.section") == 10
    assert browser.count("#function-view .ln") == 0  # nothing laid out before a click
    browser.click('#function-list .row[data-index="2"]')
    browser.wait_for("#disassembly .ln")
    assert browser.text("#function-name") == "func[2] middle"
    assert "call 1 <leaf>" in browser.text("#disassembly")
    assert browser.text("#callgraph .callers").endswith("top")  # middle's one caller
    assert browser.count("#callgraph .callees .node") == 1  # leaf
    assert "define " in browser.text("#generated")
    # A line of IR that came from a wasm instruction marks that instruction.
    browser.click("#generated .ln[data-at]")
    at = browser.run("return document.querySelector('#generated .ln.hi').dataset.at")
    assert browser.count(f'#disassembly .ln.hi[data-at="{at}"]') == 1
    # Another function, from the call graph.
    browser.click("#callgraph .callees .node")
    assert browser.text("#function-name") == "func[1] leaf"
    assert browser.console_errors() == []
    _record("demo-native", browser, seconds)
    # A link to a function opens the page on it.
    browser.load((tmp_path / "demo.html").as_uri() + "#func=3")
    assert browser.text("#function-name") == "func[3] top"
    assert "call 2 <middle>" in browser.text("#disassembly")


def test_a_function_left_out_of_the_page_says_so(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "capped.html"
    root = module_data(demo_wasm(), "demo.wasm", max_disassembly=25).as_json()  # middle and top only
    page.write_text(render_page("demo.wasm", {"wasmkit": "", "engine": None, "root": root}), encoding="utf-8")
    browser.load(page)
    browser.click('#function-list .row[data-index="1"]')
    assert "objdump -d" in browser.text("#disassembly-missing")
    browser.click("#callgraph .callers .node")  # middle, which is in the page
    assert "call 1 <leaf>" in browser.text("#disassembly")
    assert browser.console_errors() == []


def test_graphviz_page_stays_usable(browser: Browser, tmp_path: Path) -> None:
    from tests.corpus.test_graphviz import GRAPHVIZ
    from tests.corpus.test_corpus import cached

    seconds = browser.load(_page(tmp_path, "graphviz", cached(GRAPHVIZ).read_bytes()))
    print(f"graphviz.wasm's explore page loaded in {seconds:.2f} s")
    assert browser.text("#title") == "graphviz.wasm"
    assert browser.count("#function-list .row") == 200  # at most LIST_LIMIT rows at once
    assert browser.text("#function-list .more") == "1021 more: filter to narrow"  # of 1,221 functions
    assert browser.count("#chart .chart-row") == 25
    browser.click("#chart .chart-row")  # the biggest function
    browser.wait_for("#disassembly .ln")
    assert browser.count("#disassembly .ln") > 5000
    browser.run("document.getElementById('function-filter').value = 'graphviz_render';"
                "document.getElementById('function-filter').dispatchEvent(new Event('input'))")
    assert browser.text("#function-list .row .name") == "62 graphviz_render"
    browser.click("#function-list .row")
    assert browser.text("#function-name") == "func[62] graphviz_render"
    assert browser.console_errors() == []
    _record("graphviz", browser, seconds)


def test_a_component_page_shows_structure_and_core_modules(browser: Browser, tmp_path: Path) -> None:
    data = _wasm_tools("parse", "-", stdin=EVERY_KIND.encode())
    seconds = browser.load(_page(tmp_path, "component", data))
    assert browser.text("#meta").startswith("component")
    assert "core instance" in browser.text("#structure")
    assert "world root" in browser.text("#wit-world")
    assert browser.count("#core-modules .core-module") == 2
    browser.click("#core-modules li:nth-child(2) .core-module")
    browser.click('#function-list .row[data-index="1"]')
    assert "local.get 0" in browser.text("#disassembly")
    browser.click("#back")
    assert browser.count("#core-modules .core-module") == 2
    browser.click("#structure .link")  # the first core module's section
    assert browser.text("#meta").startswith("core module") and browser.count("#function-list .row") == 1
    assert browser.console_errors() == []
    _record("component", browser, seconds)
