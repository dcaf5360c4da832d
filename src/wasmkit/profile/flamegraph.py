"""A flame graph of sampled stacks, as one self-contained SVG document (no script, no fonts or
styles from elsewhere): the outermost functions at the bottom, each function's callees above it,
every box as wide as the share of samples its stack was in, named when the name fits, with the
name, sample count and percentage as its hover title. Callees are in name order, as in Brendan
Gregg's flamegraph.pl, so the x axis is not time."""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from html import escape as _escape_with_quotes

__all__ = ["svg"]


def escape(text: str) -> str:
    """`text` as XML character data (`&`, `<` and `>` escaped)."""
    return _escape_with_quotes(text, quote=False)

WIDTH = 1200  # of the drawing, in pixels
ROW = 17  # height of a row of boxes
FONT = 12  # font size; a character is about 0.6 of it wide (Verdana and most sans fonts: less)
CHAR = 0.6 * FONT
MARGIN = 10
TOP = 2 * FONT + 12  # room for the title
MIN_WIDTH = 0.1  # boxes narrower than this (pixels) are left out, with their callees


@dataclass
class _Node:
    name: str
    count: int = 0
    children: dict[str, "_Node"] = field(default_factory=dict)


def _tree(stacks: Counter[tuple[str, ...]]) -> _Node:
    root = _Node("all")
    for stack, count in stacks.items():
        root.count += count
        node = root
        for name in stack:
            node = node.children.setdefault(name, _Node(name))
            node.count += count
    return root


def _color(name: str) -> str:
    """A warm colour that depends on the name only, so that a function looks the same in
    every graph."""
    h = zlib.crc32(name.encode("utf-8", "replace"))
    return f"rgb({205 + h % 50},{(h >> 8) % 180 + 40},{(h >> 16) % 55})"


def svg(stacks: Counter[tuple[str, ...]], title: str) -> str:
    """The flame graph of `stacks` (each stack outermost first, with how many samples saw it)."""
    root = _tree(stacks)
    total = root.count or 1
    scale = (WIDTH - 2 * MARGIN) / total
    depth = 1 + max(map(len, stacks), default=0)  # the root's row, and the deepest stack's
    height = TOP + depth * ROW + MARGIN
    boxes: list[str] = []
    # Iteratively (stacks can be deep): (node, x in samples, row).
    work: list[tuple[_Node, int, int]] = [(root, 0, 0)]
    while work:
        node, x, row = work.pop()
        width = node.count * scale
        if width < MIN_WIDTH:
            continue
        left = MARGIN + x * scale
        top = height - MARGIN - (row + 1) * ROW
        share = 100 * node.count / total
        label = escape(f"{node.name} ({node.count} sample{'s' if node.count != 1 else ''}, {share:.2f}%)")
        fits = int((width - 6) // CHAR)
        text = ""
        if fits >= 3:
            shown = node.name if len(node.name) <= fits else node.name[: fits - 2] + ".."
            text = f'<text x="{left + 3:.1f}" y="{top + ROW - 5:.1f}">{escape(shown)}</text>'
        boxes.append(
            f'<g><title>{label}</title><rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{ROW - 1}" rx="2" fill="{_color(node.name)}"/>{text}</g>'
        )
        offset = x
        for name in sorted(node.children):
            child = node.children[name]
            work.append((child, offset, row + 1))
            offset += child.count
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Verdana, DejaVu Sans, sans-serif" font-size="{FONT}">',
        '<rect width="100%" height="100%" fill="#fdfdf6"/>',
        f'<text x="{WIDTH / 2}" y="{FONT + 8}" text-anchor="middle" font-size="{FONT + 4}">{escape(title)}</text>',
        f'<text x="{MARGIN}" y="{2 * FONT + 10}" fill="#666">wasm functions: callers below, callees above; '
        f'width: share of samples (hover for counts)</text>',
        *boxes,
        "</svg>",
        "",
    ])
