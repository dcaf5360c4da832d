"""What the explore page shows of a component: its sections as `wasmkit objdump -x` lists
them (nested components indented), each of its core modules as a module page of its own, and a
place for its WIT world (`wit`, None until wasmkit prints WIT)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..component.describe import component_lines
from ..component.reader import read_component
from ..component.syntax import Component, CoreModule, SectionId

__all__ = ["component_data", "core_modules"]


def core_modules(component: Component) -> Iterator[CoreModule]:
    """The core modules of `component` and of the components nested in it, in the order of
    their sections in the file (the order `component_lines` lists them in)."""
    for section in component.sections:
        if section.id == SectionId.CORE_MODULE:
            yield from (item for item in section.items if isinstance(item, CoreModule))
        elif section.id == SectionId.COMPONENT:
            yield from core_modules(section.items[0])  # type: ignore[arg-type]


def component_data(data: bytes, name: str, module_page: Callable[[bytes, str], dict[str, Any]]) -> dict[str, Any]:
    """The page data of the component `data` (its file called `name`); `module_page` makes the
    page data of each core module. Raises WasmError for a malformed component."""
    component = read_component(data)
    modules = [module_page(core.data, f"{name} @ 0x{core.offset:x}") for core in core_modules(component)]
    return {
        "kind": "component",
        "name": name,
        "size": len(data),
        "structure": list(component_lines(name, component, details=True))[2:],  # without the file line
        "modules": modules,
        "wit": None,  # the WIT world's text, once wasmkit prints WIT
    }
