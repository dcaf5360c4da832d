"""`wasmkit explore`: one self-contained HTML page that shows a module or a component.

`explore_data` gathers what the page shows (`data` for a core module, `component` for a
component, `generated` for what an engine makes of each function); `page.render_page` lays it
out with the page's own style and script. See docs/api.md.
"""

from __future__ import annotations

from typing import Any

from ..component import is_component
from ..version import __version__
from .data import ModuleData, module_data
from .page import render_page

__all__ = ["ENGINES", "ModuleData", "explore_data", "explore_page", "module_data", "render_page"]

ENGINES = ("python", "native")


def _module_page(data: bytes, name: str, engine: str | None) -> dict[str, Any]:
    found = module_data(data, name)
    page = found.as_json()
    if engine == "python":
        from .generated import python_views

        page["generated"] = python_views(found.module, set(found.disassembly))
    elif engine == "native":
        from .generated import native_views

        page["generated"] = native_views(found.module)
    return page


def explore_data(data: bytes, name: str, engine: str | None = None) -> dict[str, Any]:
    """The page data of the binary module or component `data` (its file called `name`), with
    the code `engine` ("python" or "native", or None for none) makes of each function. Raises
    WasmError for a malformed or (with an engine) invalid module."""
    if engine is not None and engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} or None, not {engine!r}")
    if is_component(data):
        from .component import component_data

        root = component_data(data, name, lambda core, label: _module_page(core, label, engine))
    else:
        root = _module_page(data, name, engine)
    return {"wasmkit": __version__, "engine": engine, "root": root}


def explore_page(data: bytes, name: str, engine: str | None = None) -> str:
    """The HTML page (self-contained: no network needed to view it) that shows `data`."""
    return render_page(name, explore_data(data, name, engine))
