"""`wasmkit bindgen`: a typed Python module for a component's world (or a world of a WIT
package), so that editors and type checkers see what `wasmkit.load` gives at run time.

    text = generate(resolve)           # a `wit.Resolve`: `wit_decode.decode_world` for a component
    text = bindgen_component(data)     # the same, from a binary component (or a `Component`)

The module has a frozen dataclass per record, a `VariantCase` subclass per variant with a
dataclass per case, an `enum.Enum` per enum, an `enum.Flag` per flags, type aliases for the
other named types, a `GuestResource` subclass per exported resource with its methods typed,
a `Protocol` per imported interface (and imported resource) for the host to implement, an
`Imports` dataclass of them, a class per exported interface, `Root` (the exports, typed),
`CLASSES` (a `GivenClasses`) and `load(source, *, imports, wasi, engine, store) -> Root`,
which calls `wasmkit.load` with `classes=CLASSES`: what the component returns is of the
module's classes. WASI's interfaces are left to `wasi=`: no protocol, their types `Any`.
"""

from __future__ import annotations

from ...errors import WitError
from ..header import is_component
from ..loader import Component
from ..reader import read_component
from ..validate import validate_component
from ..wit_decode import decode_world
from .writer import generate

__all__ = ["generate", "bindgen_component"]


def bindgen_component(component: bytes | Component, source: str = "") -> str:
    """The module for a binary component (DecodeError or ValidationError if it is malformed
    or invalid; WitError if it is a core module or its world cannot be bound), or for a
    loaded `Component` (validated already)."""
    if isinstance(component, Component):
        valid = component.valid
    else:
        if component[:4] == b"\0asm" and not is_component(component):
            raise WitError("not a component: bindgen binds a component's world (a core module has none)")
        valid = validate_component(read_component(component))
    return generate(decode_world(valid.component, valid.type), source=source)
