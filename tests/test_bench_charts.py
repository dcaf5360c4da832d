"""The benchmarks' SVG charts (bench/svgchart.py, bench/charts.py): each is well-formed XML with a
title and description, a bar or line per figure given, and shows the figures and names it was given."""

from __future__ import annotations

import math
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import charts
from bench.svgchart import Line, Series, bar_chart, line_chart, number
from tests.support import PROJECT_ROOT

SVG = "{http://www.w3.org/2000/svg}"
PROGRAMS = ["fib", "sieve", "nbody"]
RATIOS = {"wasmtime": [0.0187, 0.00509, 0.00268], "pywasm": [356.0, 206.0, 150.0]}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def texts(root: ET.Element, cls: str) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text") if element.get("class") == cls]


def bars(root: ET.Element) -> list[ET.Element]:
    return [element for element in root.iter(f"{SVG}rect") if element.get("class") == "bar"]


def test_a_ratio_chart_has_a_bar_per_program_and_peer_with_its_figure() -> None:
    root = parse(charts.ratio_chart(PROGRAMS, RATIOS, "wasmkit-python", "a run"))
    assert root.find(f"{SVG}title").text == "Speed of wasmkit-python against its peers"  # type: ignore[union-attr]
    found = [(b.get("data-category"), b.get("data-series"), float(b.get("data-value", "nan"))) for b in bars(root)]
    expected = [
        (program, f"{peer} (geometric mean {number(math.prod(values) ** (1 / 3))})", values[i])
        for i, program in enumerate(PROGRAMS)
        for peer, values in RATIOS.items()
    ]
    assert found == expected
    assert texts(root, "category") == PROGRAMS
    assert texts(root, "value") == [number(RATIOS[peer][i]) for i in range(3) for peer in RATIOS]
    assert texts(root, "legend-label") == [series for _, series, _ in expected[:2]]
    assert texts(root, "subtitle") == ["a run"]
    assert [bar.find(f"{SVG}title").text for bar in bars(root)][:2] == [  # type: ignore[union-attr]
        "fib, wasmtime (geometric mean 0.00634): 0.0187",
        "fib, pywasm (geometric mean 222): 356",
    ]


def test_ratios_spanning_orders_of_magnitude_get_a_logarithmic_axis() -> None:
    root = parse(charts.ratio_chart(PROGRAMS, RATIOS, "wasmkit-python"))
    assert "logarithmic" in root.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]
    heights = {b.get("data-value"): float(b.get("height", "0")) for b in bars(root)}
    # On a log axis starting at 0.001, 150 stands twice as high as 0.00268 does above 0.001,
    # give or take: log(150/0.001) / log(0.00268/0.001) = 12.1.
    ratio = heights["150.0"] / heights["0.00268"]
    assert ratio == pytest.approx(math.log10(150 / 0.001) / math.log10(0.00268 / 0.001), rel=0.01)
    close = parse(charts.ratio_chart(PROGRAMS, {"wasmtime": [0.9, 1.07, 0.84]}, "wasmkit-native"))
    assert "linear" in close.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]


def test_a_startup_chart_has_cold_and_warm_bars_on_a_linear_axis() -> None:
    root = parse(charts.startup_chart(["fib.wasm", "sqlite.wasm"], [0.253, 2.0], [0.201, 0.69]))
    assert [(b.get("data-category"), b.get("data-series"), b.get("data-value")) for b in bars(root)] == [
        ("fib.wasm", "cold (empty code cache)", "0.253"),
        ("fib.wasm", "warm (second run)", "0.201"),
        ("sqlite.wasm", "cold (empty code cache)", "2.0"),
        ("sqlite.wasm", "warm (second run)", "0.69"),
    ]
    assert "linear" in root.find(f"{SVG}desc").text  # type: ignore[operator,union-attr]
    assert "seconds" in texts(root, "axis-label")


def test_names_are_escaped_and_the_chart_stays_well_formed() -> None:
    root = parse(bar_chart('a <b> & "c"', ["x<y", "a&b"], [Series("s'1\"", [1.0, 2.0])], "v & w"))
    assert root.find(f"{SVG}title").text == 'a <b> & "c"'  # type: ignore[union-attr]
    assert texts(root, "category") == ["x<y", "a&b"]
    assert [b.get("data-series") for b in bars(root)] == ["s'1\"", "s'1\""]


def test_impossible_charts_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        bar_chart("t", ["a", "b", "c"], [Series("s", [1.0, 2.0])], "v")
    with pytest.raises(ValueError, match="positive values"):
        bar_chart("t", ["a", "b"], [Series("s", [0.0, 2.0])], "v", log=True)
    with pytest.raises(ValueError, match="at least one"):
        line_chart("t", [], "x", "y")


def test_a_latency_chart_has_a_cumulative_line_per_load_run() -> None:
    runs = {"python, 4 in flight": [0.004 + i * 1e-6 for i in range(1000)], "native, 4 in flight": [0.002, 0.001, 0.003]}
    root = parse(charts.latency_chart(runs))
    lines = [element for element in root.iter(f"{SVG}polyline")]
    assert [line.get("data-series") for line in lines] == list(runs)
    assert texts(root, "legend-label") == list(runs)
    assert [line.find(f"{SVG}title").text for line in lines] == [  # type: ignore[union-attr]
        "python, 4 in flight: p50 4.5 ms, p99 4.99 ms, 1000 requests",
        "native, 4 in flight: p50 2 ms, p99 3 ms, 3 requests",
    ]
    first = [tuple(map(float, point.split(","))) for point in lines[0].get("points", "").split()]
    assert len(first) == charts.CDF_POINTS
    assert [x for x, _ in first] == sorted(x for x, _ in first)  # in order of latency
    assert [y for _, y in first] == sorted((y for _, y in first), reverse=True)  # rising (SVG's y points down)


def test_a_line_chart_shows_each_line_named_in_the_legend() -> None:
    root = parse(line_chart("t", [Line("one", [(1.0, 0.5), (2.0, 1.0)], "note")], "x (ms)", "share"))
    assert texts(root, "legend-label") == ["one"]
    assert [element.text for element in root.iter(f"{SVG}text") if element.get("class") == "axis-label"] == ["share", "x (ms)"]


RESULTS = """\
# Benchmark results

## wasmkit-python against its peers, 2026-11-30

| program | size | wasmkit-python load / run (s) | wasmtime run ÷ wasmkit-python run | pywasm run ÷ wasmkit-python run |
|---|---|---:|---:|---:|
| fib | 24 | 0.191 / 0.0110 | 0.0187 | 356 |
| sieve | 100000 | 0.193 / 0.0277 | 0.00509 | 206 |
| **geometric mean** |  |  | **0.00976** | **271** |

Some prose.

## Start-up, 2026-11-23

| module | bytes | cold start (s) | warm start (s) |
|---|---:|---:|---:|
| fib.wasm | 22320 | 0.253 | 0.201 |
| sqlite.wasm ; | 1080000 | 2.0 | 0.69 |
## Calls

| runtime | Python -> wasm | wasm -> Python |
|---|---:|---:|
| wasmkit | 2.27 | 1.16 |
"""


def test_the_tables_of_a_results_file_get_their_charts_linked_under_them(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(RESULTS)
    written = charts.refresh(results)
    assert [path.name for path in written] == ["wasmkit-python-against-its-peers-2026-11-30.svg", "start-up-2026-11-23.svg"]
    lines = results.read_text().splitlines()
    first = lines.index("| **geometric mean** |  |  | **0.00976** | **271** |")
    assert lines[first + 1 : first + 4] == [
        "",
        "![Speed of wasmkit-python against its peers: wasmkit-python against its peers, 2026-11-30]"
        "(plots/wasmkit-python-against-its-peers-2026-11-30.svg)",
        "",
    ]
    second = lines.index("| sqlite.wasm ; | 1080000 | 2.0 | 0.69 |")
    assert lines[second + 1 : second + 4] == [
        "", "![Start-up of wasmkit run: Start-up, 2026-11-23](plots/start-up-2026-11-23.svg)", "## Calls"
    ]
    ratios = parse(written[0].read_text())
    assert [(b.get("data-category"), b.get("data-value")) for b in bars(ratios)] == [
        ("fib", "0.0187"), ("fib", "356.0"), ("sieve", "0.00509"), ("sieve", "206.0")
    ]
    assert texts(ratios, "legend-label") == ["wasmtime (geometric mean 0.00976)", "pywasm (geometric mean 271)"]
    startup = parse(written[1].read_text())
    assert [b.get("data-value") for b in bars(startup)] == ["0.253", "0.201", "2.0", "0.69"]
    # Again: nothing to do; with --redraw, the same charts again under the same names.
    before = results.read_text()
    assert charts.refresh(results) == []
    assert charts.refresh(results, redraw=True) == written
    assert results.read_text() == before


def test_a_benchmark_run_appends_its_chart_under_a_name_of_its_own(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    svg = charts.startup_chart(["a.wasm"], [1.0], [0.5], "Start-up, today")
    first = charts.add_chart(results, "Start-up, today", svg)
    second = charts.add_chart(results, "Start-up, today", svg)
    assert (first.name, second.name) == ("start-up-today.svg", "start-up-today-2.svg")
    assert results.read_text().count("](plots/start-up-today") == 2
    assert first.read_text() == svg


def test_every_chart_of_bench_results_is_committed_and_linked(tmp_path: Path) -> None:
    """bench/RESULTS.md shows a chart under each table bench/charts.py can draw, and each exists."""
    text = (PROJECT_ROOT / "bench" / "RESULTS.md").read_text()
    links = [table.link for table in charts.tables(text.splitlines()) if table.link]
    assert len(links) >= 6
    assert all((PROJECT_ROOT / "bench" / link).is_file() for link in links)
    copy = tmp_path / "RESULTS.md"
    shutil.copy(PROJECT_ROOT / "bench" / "RESULTS.md", copy)
    shutil.copytree(PROJECT_ROOT / "bench" / "plots", tmp_path / "plots")
    assert charts.refresh(copy) == []


def test_the_command_refuses_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        charts.main([str(tmp_path / "nothing.md")])
    assert exit_.value.code == 2
    assert "no such file" in capsys.readouterr().err
