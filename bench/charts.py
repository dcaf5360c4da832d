"""Charts of the benchmark results, drawn beside their tables in bench/RESULTS.md.

    python -m bench.charts [bench/RESULTS.md] [--redraw]

The benchmarks draw their charts from what they measured (`python -m bench --output`,
`python -m bench.startup --output`, `python -m bench.edge --output`): an SVG file in plots/ beside
the results file, and a Markdown image link under the table they append. This command draws the
charts of tables already in the results file, from the figures printed in them: the speed
ratios of `python -m bench` (any table with a "PEER run ÷ SUBJECT run" column) and the start-up
times of `python -m bench.startup`. A table that already has its chart (an image link right
under it) keeps it, unless `--redraw`; one without gets its chart and the link. Tables of other
shapes are left alone: the edge server's latency distribution, in particular, is drawn only by
`bench.edge` itself, since its tables keep percentiles, not the distribution.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .harness import HERE, geomean
from .svgchart import Line, Series, bar_chart, line_chart, number

__all__ = ["add_chart", "latency_chart", "ratio_chart", "refresh", "startup_chart", "tables", "chart_of_table"]

RESULTS = HERE / "RESULTS.md"
PLOTS = "plots"  # the charts' directory, beside the results file
RATIO_COLUMN = re.compile(r"^(?P<peer>.+) run ÷ (?P<subject>.+) run$")
STARTUP_HEADER = ["module", "bytes", "cold start (s)", "warm start (s)"]
LINK = re.compile(r"^!\[[^\]]*\]\((?P<target>[^)\s]+\.svg)\)\s*$")
CDF_POINTS = 200  # points per line of a latency distribution


def ratio_chart(
    programs: Sequence[str],
    ratios: Mapping[str, Sequence[float]],
    subject: str,
    subtitle: str = "",
    means: dict[str, float] | None = None,
) -> str:
    """A bar per program and peer: the peer's run time ÷ the subject's (`harness.speed_ratios`),
    on a logarithmic axis when they span orders of magnitude, with a line at 1 (as fast). The
    legend gives each peer's geometric mean: `means`, or computed from `ratios`."""
    means = means or {peer: geomean(values) for peer, values in ratios.items()}
    series = [Series(f"{peer} (geometric mean {number(means[peer])})", values) for peer, values in ratios.items()]
    return bar_chart(
        f"Speed of {subject} against its peers",
        programs,
        series,
        f"peer's run time ÷ {subject}'s",
        subtitle=subtitle,
        category_label=f"program (above 1: {subject} is faster)",
        reference=1.0,
        reference_label="as fast",
    )


def startup_chart(modules: Sequence[str], cold: Sequence[float], warm: Sequence[float], subtitle: str = "") -> str:
    """Cold (empty code cache) and warm start-up seconds of `wasmkit run`, a pair of bars per module."""
    return bar_chart(
        "Start-up of wasmkit run",
        modules,
        [Series("cold (empty code cache)", cold), Series("warm (second run)", warm)],
        "seconds",
        subtitle=subtitle,
        category_label="module",
        log=False,
    )


def latency_chart(latencies: Mapping[str, Sequence[float]], subtitle: str = "") -> str:
    """The distribution of request latencies (seconds) of each load run, as cumulative lines:
    how many requests were answered within each time."""
    lines = []
    for name, values in latencies.items():
        ordered = sorted(values)
        if not ordered:
            continue
        count = len(ordered)
        picks = sorted({round(k * (count - 1) / (CDF_POINTS - 1)) for k in range(CDF_POINTS)}) if count > CDF_POINTS else range(count)
        points = [(ordered[i] * 1000, (i + 1) / count) for i in picks]
        p50, p99 = (ordered[min(count - 1, int(f * count))] * 1000 for f in (0.5, 0.99))
        lines.append(Line(name, points, f"p50 {number(p50)} ms, p99 {number(p99)} ms, {count} requests"))
    return line_chart(
        "Latency of wasmkit serve under load",
        lines,
        "latency (ms)",
        "requests answered within",
        subtitle=subtitle,
        y_range=(0.0, 1.0),
        y_format=lambda value: f"{value:.0%}",
    )


# -- the tables of a results file --


@dataclass
class Table:
    """A Markdown table of the results file: its section's heading, header cells, rows of cells,
    the index of its last line, and the chart linked under it (a path relative to the file)."""

    heading: str
    header: list[str]
    rows: list[list[str]]
    end: int
    link: str | None


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(lines: Sequence[str]) -> list[Table]:
    """Every table of a Markdown document, with the heading it stands under."""
    found: list[Table] = []
    heading = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if not line.startswith("|"):
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index].startswith("|"):
            index += 1
        after = index
        while after < len(lines) and not lines[after].strip():
            after += 1
        match = LINK.match(lines[after]) if after < len(lines) else None
        rows = [_cells(row) for row in lines[start + 2 : index]]
        found.append(Table(heading, _cells(lines[start]), rows, index - 1, match["target"] if match else None))
    return found


def _figure(cell: str) -> float:
    return float(cell.strip("*").replace(",", ""))


def _plain(heading: str) -> str:
    return heading.replace("`", "")


def chart_of_table(table: Table) -> str | None:
    """The chart of a table this module knows the shape of, from its printed figures; None for others."""
    if table.header == STARTUP_HEADER:
        rows = [row for row in table.rows if len(row) == 4]
        return startup_chart([r[0] for r in rows], [_figure(r[2]) for r in rows], [_figure(r[3]) for r in rows], _plain(table.heading))
    columns = {i: RATIO_COLUMN.match(name) for i, name in enumerate(table.header)}
    ratio_columns = {i: match for i, match in columns.items() if match}
    if table.header[:1] != ["program"] or not ratio_columns:
        return None
    rows = [row for row in table.rows if not row[0].startswith("**")]
    printed_means = [row for row in table.rows if row[0].strip("*") == "geometric mean"]
    subject = next(iter(ratio_columns.values()))["subject"]
    ratios = {match["peer"]: [_figure(row[i]) for row in rows] for i, match in ratio_columns.items()}
    means = {match["peer"]: _figure(printed_means[0][i]) for i, match in ratio_columns.items()} if printed_means else None
    return ratio_chart([row[0] for row in rows], ratios, subject, _plain(table.heading), means)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _plain(text).lower()).strip("-")[:80] or "chart"


def _unique(base: str, taken: set[str]) -> str:
    """`plots/BASE.svg`, or with -2, -3, ... when that is taken; then taken."""
    name, number_ = f"{PLOTS}/{base}.svg", 2
    while name in taken:
        name, number_ = f"{PLOTS}/{base}-{number_}.svg", number_ + 1
    taken.add(name)
    return name


def _linked(lines: Sequence[str]) -> set[str]:
    """The charts a document links to already."""
    return {match["target"] for match in map(LINK.match, lines) if match}


def _title(svg: str) -> str:
    """The chart's title and subtitle, for the image link's alternative text."""
    found = re.findall(r'class="(?:title|subtitle)">([^<]*)<', svg)
    return ": ".join(found).replace("[", "(").replace("]", ")")


def _write(results: Path, target: str, svg: str) -> Path:
    path = results.parent / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg)
    return path


def add_chart(results: Path, heading: str, svg: str) -> Path:
    """Write `svg` under plots/ beside `results`, named after `heading`, and append its image link
    to `results` (under the table just appended there)."""
    text = results.read_text() if results.exists() else ""
    taken = _linked(text.splitlines())
    target = _unique(_slug(heading), taken)
    path = _write(results, target, svg)
    with results.open("a") as out:
        out.write(f"\n![{_title(svg)}]({target})\n")
    return path


def refresh(results: Path, redraw: bool = False) -> list[Path]:
    """Draw the charts of the tables in `results` that have none (all of them with `redraw`), and
    link the new ones under their tables. The paths written."""
    lines = results.read_text().splitlines()
    found = tables(lines)
    taken = _linked(lines)
    written: list[Path] = []
    links: list[tuple[int, str]] = []  # (after which line, the link)
    for table in found:
        svg = chart_of_table(table)
        if svg is None:
            continue
        if table.link is None:
            target = _unique(_slug(table.heading), taken)
            links.append((table.end, f"![{_title(svg)}]({target})"))
        elif redraw or not (results.parent / table.link).exists():
            target = table.link
        else:
            continue
        written.append(_write(results, target, svg))
    for end, link in reversed(links):
        lines[end + 1 : end + 1] = ["", link]
    if links:
        results.write_text("\n".join(lines) + "\n")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.charts", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS, help="the results file (bench/RESULTS.md)")
    parser.add_argument("--redraw", action="store_true", help="draw again the charts that exist")
    args = parser.parse_args(argv)
    if not args.results.exists():
        parser.error(f"no such file: {args.results}")
    for path in refresh(args.results, args.redraw):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
