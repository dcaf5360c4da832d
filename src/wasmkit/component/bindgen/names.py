"""What `bindgen` calls things in the module it writes: one Python name per WIT type,
interface protocol and export class, unique in the module, and the Python type each WIT type
is (docs/components.md, "Values").

A type is named in PascalCase as the run-time classes are (`point` -> `Point`); a second type
of the same name (in another interface) is prefixed with its interface's (`TypesPoint`), and
then numbered. The module's own helpers start with `_`, which no WIT name does.
"""

from __future__ import annotations

from typing import cast

from ...errors import WitError
from ..abi.classes import pascal_case, snake_case
from ..syntax import Prim
from ..wit import Interface, TypeDef, WitType, World

__all__ = ["Names", "python_type", "target"]

_INTS = {Prim.S8, Prim.U8, Prim.S16, Prim.U16, Prim.S32, Prim.U32, Prim.S64, Prim.U64}


class Names:
    """The module's names: `take` gives each thing (by identity) its unique name once."""

    def __init__(self) -> None:
        self.taken: set[str] = {"Root", "Imports", "CLASSES", "load"}
        self.of: dict[int, str] = {}
        # A resource both imported and exported: its import side's protocol's name.
        self.import_side: dict[int, str] = {}

    def take(self, thing: object, preferred: str, prefix: str = "") -> str:
        found = self.of.get(id(thing))
        if found is not None:
            return found
        name = self.unique(preferred, prefix)
        self.of[id(thing)] = name
        return name

    def unique(self, preferred: str, prefix: str = "") -> str:
        candidates = [preferred] + ([prefix + preferred] if prefix else [])
        for candidate in candidates:
            if candidate not in self.taken:
                break
        else:
            n = 2
            while f"{candidates[-1]}{n}" in self.taken:
                n += 1
            candidate = f"{candidates[-1]}{n}"
        self.taken.add(candidate)
        return candidate

    def type_name(self, typedef: TypeDef) -> str:
        owner = typedef.owner
        prefix = pascal_case(owner.name) if isinstance(owner, (Interface, World)) and owner.name else ""
        return self.take(typedef, pascal_case(typedef.name or "type"), prefix)


def target(t: WitType) -> WitType:
    """What an alias stands for, through any number of aliases."""
    while isinstance(t, TypeDef) and t.kind == "alias":
        t = cast(WitType, t.parts[0])
    return t


def python_type(t: WitType | None, names: Names, side: str = "export") -> str:
    """The Python type (as annotation text) of a value of WIT type `t`: as a component gives
    or takes it on `side` ("import": what the host implements; "export": what it calls)."""
    if t is None:
        return "None"
    if isinstance(t, Prim):
        if t in _INTS:
            return "int"
        if t in (Prim.F32, Prim.F64):
            return "float"
        if t is Prim.BOOL:
            return "bool"
        if t in (Prim.CHAR, Prim.STRING):
            return "str"
        return "_t.Any"
    kind, parts = t.kind, t.parts
    if kind == "alias":
        found = target(t)
        if isinstance(found, TypeDef) and found.kind in ("resource", "own", "borrow"):
            return python_type(found, names, side)
        return names.type_name(t)
    if kind == "resource":
        if side == "import" and id(t) in names.import_side:
            return names.import_side[id(t)]
        return names.type_name(t)
    if t.name is not None and kind in ("record", "variant", "enum", "flags"):
        return names.type_name(t)
    if kind in ("own", "borrow"):
        return python_type(cast(TypeDef, parts[0]), names, side)
    if kind == "list":
        element = cast(WitType, parts[0])
        return "bytes" if element is Prim.U8 else f"list[{python_type(element, names, side)}]"
    if kind == "tuple":
        items = [python_type(cast(WitType, p), names, side) for p in parts]
        return f"tuple[{', '.join(items)}]" if items else "tuple[()]"
    if kind == "map":
        return f"dict[{python_type(cast(WitType, parts[0]), names, side)}, {python_type(cast(WitType, parts[1]), names, side)}]"
    if kind == "option":
        inner = target(cast(WitType, parts[0]))
        if isinstance(inner, TypeDef) and inner.kind == "option":
            return "_abi.Some | None"
        return f"{python_type(cast(WitType, parts[0]), names, side)} | None"
    if kind == "result":
        return "_abi.Ok | _abi.Err"
    if kind in ("future", "stream"):
        return "_t.Any"
    raise WitError(f"bindgen: no Python type for a WIT {kind}")


def parameter_name(label: str) -> str:
    """A parameter's or field's Python name: snake_case, and not `self`."""
    name = snake_case(label)
    return "self_" if name == "self" else name
