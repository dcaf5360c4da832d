"""Put one extreme-shaped module through every layer, in a process of its own, and print what
each layer made of it as one JSON object:

    python -m tests.hostile.probe SHAPE

The layers: decoding and validation, compiling every function on each engine, calling `run` on
each engine, printing the text (wasm2wat) and parsing that text back (wat2wasm). Each answers
"ok", a result, or "error: ..." for a WasmError; anything else escaping is reported as
"escape: ..." (a defect). The process's peak resident memory is reported too, so that the test
can bound it; running apart means a crash or a runaway allocation cannot take the test run down.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable

import wasmkit
from wasmkit.engine.registry import get_engine
from wasmkit.errors import WasmError
from tests.hostile.shapes import SHAPES, Shape
from tests.support import peak_resident_mb


def _attempt(step: Callable[[], object]) -> str:
    try:
        result = step()
    except WasmError as err:
        return f"error: {err}"
    except BaseException as err:  # the defect this probe exists to catch
        return f"escape: {type(err).__name__}: {err} | {traceback.format_exc(limit=3)[-400:]}"
    return "ok" if result is None else f"ok: {result}"


def probe(shape: Shape) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    modules: list[wasmkit.Module] = []

    def load() -> None:
        modules.append(wasmkit.Module(shape.data))

    outcomes["validate"] = _attempt(load)
    if not modules:
        return outcomes
    module = modules[0]
    for engine in shape.engines:
        outcomes[f"compile:{engine}"] = _attempt(
            lambda: get_engine(engine, cache=False).compile(module.valid).compile_all()
        )
        outcomes[f"run:{engine}"] = _attempt(
            lambda: wasmkit.Instance(module, store=wasmkit.Store(engine)).exports.run(*shape.args)
        )
    texts: list[str] = []
    outcomes["wasm2wat"] = _attempt(lambda: texts.append(wasmkit.print_wat(module.syntax)))
    if texts:
        outcomes["wat2wasm"] = _attempt(lambda: _revalidate(texts[0]))
    return outcomes


def _revalidate(text: str) -> None:
    """wat2wasm of the printed text: it parses, and what it parses to is valid again."""
    wasmkit.validate(wasmkit.parse_wat(text))


def main() -> None:
    shape = SHAPES[sys.argv[1]]()
    outcomes = probe(shape)
    print(json.dumps({"outcomes": outcomes, "peak_mb": peak_resident_mb()}))


if __name__ == "__main__":
    main()
