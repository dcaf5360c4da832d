"""Compile one real module on one engine and say which functions failed, as JSON.

    python -m tests.corpus.check ENGINE FILE

Run in a subprocess by test_corpus.py, so that a crash of native code, or a runaway compile,
shows as a failed check rather than taking pytest down. Prints {"functions": N, "failures":
[[function index or "module", message], ...]}. The Python engine compiles function by function,
so every failing function is listed; the native engine compiles the whole module in batches and
names the first function it could not lower. Compiled code goes to the engines' disk caches
($WASMKIT_CACHE_DIR, else ~/.cache/wasmkit), which makes a second run cheap.
"""

from __future__ import annotations

import json
import sys

from wasmkit.engine.registry import cached_engine
from wasmkit.errors import WasmError
from wasmkit.runtime import Module


def check(engine_name: str, path: str) -> dict[str, object]:
    module = Module.from_file(path)
    valid = module.valid
    first = valid.imported_func_count
    failures: list[tuple[int | str, str]] = []
    engine = cached_engine(engine_name)
    try:
        compiled = engine.compile(valid)
        if engine_name != "python":
            compiled.compile_all()  # a large module's functions are compiled as they are called, else
    except WasmError as err:
        failures.append(("module", str(err)))
    except Exception as err:  # noqa: BLE001 - an engine bug is what this check reports
        failures.append(("module", f"internal error: {type(err).__name__}: {err}"))
    else:
        if engine_name == "python":
            for index in range(first, len(valid.func_types)):
                try:
                    compiled.code(index)  # type: ignore[attr-defined]
                except WasmError as err:
                    failures.append((index, str(err)))
                except Exception as err:  # noqa: BLE001
                    failures.append((index, f"internal error: {type(err).__name__}: {err}"))
            if not failures:
                compiled.compile_all()  # every function is compiled by now: this writes the cache
    return {"functions": len(valid.module.funcs), "failures": failures}


if __name__ == "__main__":
    print(json.dumps(check(sys.argv[1], sys.argv[2])))
