"""What the explore page shows of a component: its WIT world (as `wasmkit wit` prints it), its
sections as `wasmkit objdump -x` lists them (nested components indented), and each of its core
modules as a module page of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..component.describe import component_lines
from ..component.reader import read_component
from ..component.syntax import Component, CoreModule, SectionId
from ..errors import WasmError

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
        "wit": _wit(data),
    }


def _wit(data: bytes) -> str:
    """The component's world in WIT, or why it has none that WIT can say (an invalid
    component, or a world WIT cannot express)."""
    from ..component.wit_decode import component_wit  # validates the component: on first need

    try:
        return component_wit(data)
    except WasmError as err:
        return f"// no WIT world: {err}"
