"""Hand-written SVG charts for the benchmark results: grouped bars and lines, nothing more.

No plotting library: the charts are plain SVG text that a browser, GitHub's Markdown view or an
editor shows as it is. Each chart has a title (`<title>` and visible text) and a description
(`<desc>`) for screen readers, axis labels, a legend, and a `<title>` on every bar and line, so
that pointing at one shows its figure. Bars also carry their figures as `data-category`,
`data-series` and `data-value` attributes, which the tests read back.

A value axis is logarithmic when asked, or, by default, when the values are all positive and
span more than `LOG_SPAN` times (the speed ratios against pywasm and wasmtime span five orders
of magnitude, which a linear axis would flatten to one visible bar).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Series", "Line", "bar_chart", "line_chart", "number", "LOG_SPAN"]

LOG_SPAN = 50.0
# Okabe and Ito's palette: told apart also with the common kinds of colour blindness.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
DASHES = ("", "6 3", "2 3", "8 3 2 3")  # lines differ in dash as well as colour
WIDTH, HEIGHT = 760, 440
LEFT, RIGHT, TOP, BOTTOM = 84, 24, 92, 78  # the plot area's margins
LEGEND_ROW = 18  # pixels
FONT = 'font-family="Helvetica, Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    """One value per category of a bar chart, drawn in one colour."""

    name: str
    values: Sequence[float]


@dataclass(frozen=True)
class Line:
    """Points (x, y) of a line chart, in order of x, and a note for its tooltip."""

    name: str
    points: Sequence[tuple[float, float]]
    note: str = ""


def number(value: float) -> str:
    """A figure as the tables write it: three significant digits, thousands with commas."""
    if value != 0 and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


class _Scale:
    """Maps values of one axis to pixels between `start` and `end`, and says where its ticks go."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool) -> None:
        self.log = log
        if log:
            if low <= 0:
                raise ValueError(f"a logarithmic axis needs positive values, not {number(low)}")
            low, high = 10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high))
            if low == high:
                high = low * 10
        else:
            low = min(low, 0.0)
            step = _nice_step((high - low) / 5 if high > low else 1.0)
            low, high = step * math.floor(low / step), step * math.ceil(high / step)
            if low == high:
                high = low + step
            self.step = step
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        if self.log:
            fraction = (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        else:
            fraction = (value - self.low) / (self.high - self.low)
        return self.start + fraction * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            first, last = round(math.log10(self.low)), round(math.log10(self.high))
            return [10.0**power for power in range(first, last + 1)]
        count = round((self.high - self.low) / self.step)
        return [round(self.low + index * self.step, 12) for index in range(count + 1)]


def _nice_step(rough: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least `rough`."""
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)


def _tick_label(value: float, log: bool) -> str:
    if log and value < 1:
        return f"{value:.{-round(math.log10(value))}f}"
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def _wants_log(values: Sequence[float], log: bool | None) -> bool:
    if log is not None:
        return log
    return bool(values) and min(values) > 0 and max(values) / min(values) > LOG_SPAN


def _text(x: float, y: float, content: str, size: int = 12, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _frame(title: str, subtitle: str, description: str, body: list[str]) -> str:
    """The whole SVG document around `body`: title, subtitle and the accessible names."""
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="chart-title chart-desc" {FONT}>',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text(WIDTH / 2, 24, title, 16, extra=' font-weight="bold" class="title"'),
    ]
    if subtitle:
        head.append(_text(WIDTH / 2, 44, subtitle, 12, extra=' fill="#444444" class="subtitle"'))
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def _legend(names: Sequence[str], swatch: Callable[[int, float, float], str]) -> tuple[list[str], float]:
    """Swatches and names under the title, centred, in as many rows as they need
    (`swatch(index, x, y)` draws one); and the top of the plot area below them."""
    widths = [28 + 7 * len(name) for name in names]  # about 7 pixels a character at 12 px
    rows: list[list[int]] = [[]]
    for index, width in enumerate(widths):
        if rows[-1] and sum(widths[i] for i in rows[-1]) + width > WIDTH - 2 * LEFT:
            rows.append([])
        rows[-1].append(index)
    parts = ['<g class="legend">']
    for row_number, row in enumerate(rows):
        x, y = max(LEFT, (WIDTH - sum(widths[i] for i in row)) / 2), 62 + LEGEND_ROW * row_number
        for index in row:
            parts += [swatch(index, x, y), _text(x + 20, y + 4, names[index], 12, "start", ' class="legend-label"')]
            x += widths[index]
    return [*parts, "</g>"], TOP + LEGEND_ROW * (len(rows) - 1)


def _value_axis(scale: _Scale, label: str, plot_left: float, plot_right: float, unit: Callable[[float], str]) -> list[str]:
    """Grid lines and tick labels of the vertical axis, and its label, turned upright."""
    parts = ['<g class="y-axis">']
    for tick in scale.ticks():
        y = scale(tick)
        parts.append(f'<line x1="{plot_left}" y1="{y:.1f}" x2="{plot_right}" y2="{y:.1f}" stroke="#dddddd"/>')
        parts.append(_text(plot_left - 6, y + 4, unit(tick), 11, "end"))
    middle = (scale.start + scale.end) / 2
    parts.append(_text(18, middle, label, 12, extra=f' transform="rotate(-90 18 {middle:.1f})" class="axis-label"'))
    return [*parts, "</g>"]


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_label: str,
    *,
    subtitle: str = "",
    category_label: str = "",
    log: bool | None = None,
    reference: float | None = None,
    reference_label: str = "",
) -> str:
    """Grouped bars: a group per category, in it a bar per series, each labelled with its value.
    `reference` draws a dashed line at that value (1 for ratios: "as fast")."""
    if not categories or not series:
        raise ValueError("a bar chart needs at least one category and one series")
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values for {len(categories)} categories")
    values = [value for one in series for value in one.values]
    spread = [*values, reference] if reference is not None else values
    is_log = _wants_log(spread, log)
    legend, plot_top = _legend([one.name for one in series], lambda i, x, y: (
        f'<rect x="{x:.1f}" y="{y - 6:.1f}" width="14" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>'
    ))  # fmt: skip
    plot_left, plot_right, plot_bottom = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM
    scale = _Scale(min(spread), max(spread), plot_bottom, plot_top, is_log)
    kind = "logarithmic" if is_log else "linear"
    description = (
        f"Bar chart, {kind} axis of {value_label}. "
        + "; ".join(
            f"{category}: " + ", ".join(f"{one.name} {number(one.values[i])}" for one in series)
            for i, category in enumerate(categories)
        )
        + "."
    )
    body = _value_axis(scale, value_label, plot_left, plot_right, lambda tick: _tick_label(tick, is_log)) + legend
    group = (plot_right - plot_left) / len(categories)
    bar = min(48.0, group * 0.8 / len(series))
    base = scale(scale.low) if is_log else scale(max(scale.low, 0.0))
    body.append('<g class="bars">')
    for i, category in enumerate(categories):
        centre = plot_left + group * (i + 0.5)
        body.append(_text(centre, plot_bottom + 18, category, 12, extra=' class="category"'))
        for j, one in enumerate(series):
            value = one.values[i]
            x = centre - bar * len(series) / 2 + bar * j
            top = scale(value)
            y, height = min(top, base), abs(base - top)
            body.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[j % len(COLOURS)]}" data-category={quoteattr(category)} '
                f'data-series={quoteattr(one.name)} data-value="{value!r}">'
                f"<title>{escape(f'{category}, {one.name}: {number(value)}')}</title></rect>"
            )
            body.append(_text(x + bar / 2, y - 4, number(value), 10, extra=' class="value"'))
    body.append("</g>")
    body.append(f'<line x1="{plot_left}" y1="{base:.1f}" x2="{plot_right}" y2="{base:.1f}" stroke="#333333"/>')
    if reference is not None:
        y = scale(reference)
        body.append(
            f'<line class="reference" x1="{plot_left}" y1="{y:.1f}" x2="{plot_right}" y2="{y:.1f}" '
            f'stroke="#333333" stroke-dasharray="5 4"><title>{escape(reference_label or number(reference))}</title></line>'
        )
        if reference_label:
            body.append(_text(plot_right - 4, y - 5, reference_label, 11, "end", ' fill="#333333"'))
    if category_label:
        body.append(_text((plot_left + plot_right) / 2, HEIGHT - 22, category_label, 12, extra=' class="axis-label"'))
    return _frame(title, subtitle, description, body)


def line_chart(
    title: str,
    lines: Sequence[Line],
    x_label: str,
    y_label: str,
    *,
    subtitle: str = "",
    x_log: bool | None = None,
    y_range: tuple[float, float] | None = None,
    y_format: Callable[[float], str] = lambda value: _tick_label(value, False),
) -> str:
    """Lines through each series' points; `y_range` fixes the vertical axis (0 to 1 for a
    cumulative distribution), else it fits the points."""
    if not lines or not all(line.points for line in lines):
        raise ValueError("a line chart needs at least one line, each with a point")
    xs = [x for line in lines for x, _ in line.points]
    ys = [y for line in lines for _, y in line.points]
    is_log = _wants_log(xs, x_log)
    legend, plot_top = _legend([line.name for line in lines], lambda i, x, y: (
        f'<line x1="{x:.1f}" y1="{y - 1:.1f}" x2="{x + 14:.1f}" y2="{y - 1:.1f}" stroke="{COLOURS[i % len(COLOURS)]}" '
        f'stroke-width="2.5" stroke-dasharray="{DASHES[i % len(DASHES)]}"/>'
    ))  # fmt: skip
    plot_left, plot_right, plot_bottom = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM
    x_scale = _Scale(min(xs), max(xs), plot_left, plot_right, is_log)
    low, high = y_range if y_range is not None else (min(ys), max(ys))
    y_scale = _Scale(low, high, plot_bottom, plot_top, False)
    description = f"Line chart of {y_label} against {x_label} ({'logarithmic' if is_log else 'linear'} axis): " + "; ".join(
        f"{line.name}" + (f" ({line.note})" if line.note else "") for line in lines
    ) + "."
    body = _value_axis(y_scale, y_label, plot_left, plot_right, y_format)
    body.append('<g class="x-axis">')
    for tick in x_scale.ticks():
        x = x_scale(tick)
        body.append(f'<line x1="{x:.1f}" y1="{plot_top}" x2="{x:.1f}" y2="{plot_bottom}" stroke="#eeeeee"/>')
        body.append(_text(x, plot_bottom + 18, _tick_label(tick, is_log), 11))
    body.append(_text((plot_left + plot_right) / 2, HEIGHT - 22, x_label, 12, extra=' class="axis-label"'))
    body.append("</g>")
    body += legend
    body.append('<g class="lines">')
    for i, line in enumerate(lines):
        points = " ".join(f"{x_scale(x):.1f},{y_scale(y):.1f}" for x, y in line.points)
        tooltip = f"{line.name}: {line.note}" if line.note else line.name
        body.append(
            f'<polyline class="line" data-series={quoteattr(line.name)} points="{points}" fill="none" '
            f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2" stroke-dasharray="{DASHES[i % len(DASHES)]}">'
            f"<title>{escape(tooltip)}</title></polyline>"
        )
    body.append("</g>")
    body.append(f'<line x1="{plot_left}" y1="{plot_bottom}" x2="{plot_right}" y2="{plot_bottom}" stroke="#333333"/>')
    return _frame(title, subtitle, description, body)
