"""A component's core parts, typed: the type of a core module (what it imports and exports),
and core instantiation, which gives each import of a module an export of the instance named
for its module name, of a type that matches (core import matching: `validate.extern_types`).
Core items' types are the core syntax's (a function's its `FuncType`, a tag's the `CoreTag`
of its function type); a core function of a canonical built-in not checked here is None.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ValidationError
from ..syntax.module import Module
from ..syntax.types import ExternKind, GlobalType, MemoryType, TableType, TagType
from ..syntax.types import FuncType as CoreFuncType
from ..validate.extern_types import describe_extern_type, extern_type_matches
from .syntax import CoreSort
from .types import CoreDesc, CoreTag, ModuleT

__all__ = ["module_type", "core_desc", "core_sort", "instantiate_module", "CORE_KIND_NAMES"]

CORE_KIND_NAMES = {
    CoreSort.FUNC: "function", CoreSort.TABLE: "table", CoreSort.MEMORY: "memory", CoreSort.GLOBAL: "global",
    CoreSort.TAG: "tag", CoreSort.TYPE: "type", CoreSort.MODULE: "module", CoreSort.INSTANCE: "instance",
}  # fmt: skip


def instantiate_module(module: ModuleT, args: dict[str, dict[str, object]]) -> dict[str, object]:
    """The exports of an instance of `module` made with `args` (each an instance's exports,
    by the module name it is given for); a ValidationError if one does not fit."""
    for module_name, name, expected in module.imports:
        instance = args.get(module_name)
        if instance is None:
            raise ValidationError(f"missing module instantiation argument named `{module_name}`")
        given = instance.get(name)
        if given is None:
            raise ValidationError(f"module instantiation argument `{module_name}` does not export an item named `{name}`")
        if not _core_matches(given, expected):
            raise ValidationError(
                f"type mismatch for export `{name}` of module instantiation argument `{module_name}`: "
                f"expected {_describe_core(expected)}, found {_describe_core(given)}"
            )
    return dict(module.exports)


def module_type(module: Module) -> ModuleT:
    """A core module's type: its imports' and exports' types (a module taken as valid
    unchecked may name what is not there: a ValidationError)."""
    types = module.types
    spaces: dict[ExternKind, Sequence[object]] = {
        ExternKind.FUNC: [_core_func(types, i) for i in module.func_type_indices()],
        ExternKind.TABLE: module.table_types(),
        ExternKind.MEMORY: module.memory_types(),
        ExternKind.GLOBAL: module.global_types(),
        ExternKind.TAG: [CoreTag(_core_func(types, tag.type_index)) for tag in module.tag_types()],
    }
    imports = [(imp.module, imp.name, core_desc(imp.desc, types)) for imp in module.imports]
    exports: dict[str, CoreDesc] = {}
    for export in module.exports:
        items = spaces[export.kind]
        if export.index >= len(items):
            raise ValidationError(f"unknown {export.kind.name.lower()} {export.index}: exported as `{export.name}` by a core module")
        exports[export.name] = items[export.index]  # type: ignore[assignment]
    return ModuleT(imports, exports)


def _core_func(types: Sequence[object], index: int) -> CoreFuncType:
    found = types[index] if index < len(types) else None
    if not isinstance(found, CoreFuncType):
        raise ValidationError(f"type index {index} is not a function type")
    return found


def core_desc(desc: object, types: Sequence[object]) -> CoreDesc:
    """A core import's or export's type, its type indices read in `types`."""
    if isinstance(desc, int):
        return _core_func(types, desc)
    if isinstance(desc, TagType):
        return CoreTag(_core_func(types, desc.type_index))
    return desc  # type: ignore[return-value]


def core_sort(desc: object) -> CoreSort:
    if isinstance(desc, CoreTag):
        return CoreSort.TAG
    for cls, sort in ((TableType, CoreSort.TABLE), (MemoryType, CoreSort.MEMORY), (GlobalType, CoreSort.GLOBAL)):
        if isinstance(desc, cls):
            return sort
    return CoreSort.FUNC


def _core_matches(given: object, expected: object) -> bool:
    if isinstance(expected, CoreTag) or isinstance(given, CoreTag):
        return isinstance(given, CoreTag) and isinstance(expected, CoreTag) and extern_type_matches(given.type, expected.type)
    if given is None:  # a built-in whose type is not checked
        return isinstance(expected, CoreFuncType)
    return extern_type_matches(given, expected)  # type: ignore[arg-type]


def _describe_core(desc: object) -> str:
    if isinstance(desc, CoreTag):
        return "(tag " + describe_extern_type(desc.type)[1:]
    if desc is None:
        return "(func)"
    return describe_extern_type(desc)  # type: ignore[arg-type]
