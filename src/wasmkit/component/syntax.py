"""The abstract syntax of a component, as the component model's binary format defines it
(WebAssembly/component-model, design/mvp/Binary.md).

A component is its sections in order: unlike a core module's, a component's sections may repeat
and interleave, and each definition's index is its place among the definitions of its sort
so far, so the order is part of the meaning. Core modules nested in a component are kept as
their bytes (`CoreModule.module()` reads one); nested components are `Component`s.

Value types are a primitive (`Prim`) or the index of a defined value type; a defined type is a
record, variant, list, tuple, flags, enum, option, result, own or borrow handle, stream or
future (`DefValType`), a function type, a component or instance type, or a resource type.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from ..syntax.module import Import as CoreImport
    from ..syntax.module import Module
    from ..syntax.types import DefinedType as CoreDefinedType
    from ..syntax.module import ImportDesc as CoreImportDesc

__all__ = [
    "Component", "Section", "SectionId", "CoreModule", "CoreSort", "Sort", "CoreSortIdx", "SortIdx",
    "CoreInstantiate", "CoreInlineExports", "Instantiate", "InlineExports", "AliasExport",
    "AliasCoreExport", "AliasOuter", "Prim", "ValType", "Record", "Variant", "Case", "List", "Tuple",
    "Flags", "Enum", "Option", "Result", "Own", "Borrow", "Stream", "Future", "Map", "DefValType",
    "FuncType", "ComponentType", "InstanceType", "ResourceType", "CoreRecType", "CoreModuleType",
    "CoreAliasOuter", "CoreExportDecl", "ExportDecl", "ExternName", "ExternType",
    "TypeBound", "CanonOpt", "CanonOptKind", "Canon", "CANON_FORMS", "Import", "Export", "CustomSection",
]  # fmt: skip


class SectionId(enum.IntEnum):
    """A component's section ids."""

    CUSTOM = 0
    CORE_MODULE = 1
    CORE_INSTANCE = 2
    CORE_TYPE = 3
    COMPONENT = 4
    INSTANCE = 5
    ALIAS = 6
    TYPE = 7
    CANON = 8
    START = 9
    IMPORT = 10
    EXPORT = 11
    VALUE = 12


class CoreSort(enum.IntEnum):
    """What a core index names (the core extern kinds, and three more for aliases)."""

    FUNC = 0x00
    TABLE = 0x01
    MEMORY = 0x02
    GLOBAL = 0x03
    TAG = 0x04
    TYPE = 0x10
    MODULE = 0x11
    INSTANCE = 0x12


class Sort(enum.IntEnum):
    """What a component-level index names; CORE is followed by a `CoreSort`."""

    CORE = 0x00
    FUNC = 0x01
    VALUE = 0x02
    TYPE = 0x03
    COMPONENT = 0x04
    INSTANCE = 0x05


@dataclass(frozen=True)
class CoreSortIdx:
    sort: CoreSort
    index: int


@dataclass(frozen=True)
class SortIdx:
    """A sort and an index in its space (`core` is set for `Sort.CORE`)."""

    sort: Sort
    index: int
    core: CoreSort | None = None


@dataclass(frozen=True)
class CoreModule:
    """A core module nested in a component, as its bytes."""

    data: bytes
    offset: int  # where its bytes start in the outermost binary

    def module(self) -> Module:
        from ..binary import read_module

        return read_module(self.data)


# -- instances --


@dataclass(frozen=True)
class CoreInstantiate:
    module: int
    args: tuple[tuple[str, int], ...]  # (name, core instance index)


@dataclass(frozen=True)
class CoreInlineExports:
    exports: tuple[tuple[str, CoreSortIdx], ...]


@dataclass(frozen=True)
class Instantiate:
    component: int
    args: tuple[tuple[str, SortIdx], ...]


@dataclass(frozen=True)
class InlineExports:
    exports: tuple[tuple[ExternName, SortIdx], ...]


# -- aliases --


@dataclass(frozen=True)
class AliasExport:
    """A component instance's export, as a new definition of `sort`."""

    sort: SortIdx  # its sort (the index is unused: 0)
    instance: int
    name: str


@dataclass(frozen=True)
class AliasCoreExport:
    sort: CoreSort
    instance: int
    name: str


@dataclass(frozen=True)
class AliasOuter:
    """Definition `index` of `sort` in the scope `count` levels out."""

    sort: SortIdx
    count: int
    index: int


# -- value types --


class Prim(enum.IntEnum):
    """The primitive value types, by their codes."""

    BOOL = 0x7F
    S8 = 0x7E
    U8 = 0x7D
    S16 = 0x7C
    U16 = 0x7B
    S32 = 0x7A
    U32 = 0x79
    S64 = 0x78
    U64 = 0x77
    F32 = 0x76
    F64 = 0x75
    CHAR = 0x74
    STRING = 0x73
    ERROR_CONTEXT = 0x64

    @property
    def text(self) -> str:
        return self.name.lower().replace("_", "-")


ValType = Union[Prim, int]  # a primitive, or the index of a defined value type


@dataclass(frozen=True)
class Record:
    fields: tuple[tuple[str, ValType], ...]


@dataclass(frozen=True)
class Case:
    label: str
    type: ValType | None


@dataclass(frozen=True)
class Variant:
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class List:
    element: ValType
    length: int | None = None  # a fixed-size list's length


@dataclass(frozen=True)
class Tuple:
    types: tuple[ValType, ...]


@dataclass(frozen=True)
class Flags:
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Enum:
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Option:
    type: ValType


@dataclass(frozen=True)
class Result:
    ok: ValType | None
    error: ValType | None


@dataclass(frozen=True)
class Own:
    resource: int  # a type index


@dataclass(frozen=True)
class Borrow:
    resource: int


@dataclass(frozen=True)
class Stream:
    element: ValType | None


@dataclass(frozen=True)
class Future:
    element: ValType | None


@dataclass(frozen=True)
class Map:
    key: ValType
    value: ValType


DefValType = Union[Prim, Record, Variant, List, Tuple, Flags, Enum, Option, Result, Own, Borrow, Stream, Future, Map]


@dataclass(frozen=True)
class FuncType:
    params: tuple[tuple[str, ValType], ...]
    result: ValType | None
    is_async: bool = False


@dataclass(frozen=True)
class ResourceType:
    """A resource defined here: its representation (a core value type; i32 today) and its
    destructor, a core function index."""

    rep: object  # a core ValueType
    dtor: int | None


# -- component and instance types --


@dataclass(frozen=True)
class ExternName:
    """An import's or export's name; `form` is its encoding (0x00, 0x01, or 0x02 with
    attributes), kept so that the binary reads back as written."""

    name: str
    form: int = 0
    attributes: tuple[tuple[int, str], ...] = ()  # (kind, text): implements, versionsuffix, external-id


@dataclass(frozen=True)
class TypeBound:
    """`(eq i)`, or `(sub resource)` when `index` is None."""

    index: int | None


@dataclass(frozen=True)
class ExternType:
    """What an import or export is: a core module (`Sort.CORE`: the binary's externtype codes
    are the sorts'), function, component or instance of a type index, a value (not supported),
    or a type with its bound."""

    kind: Sort
    index: int | None = None  # the type index (core type index for a core module)
    bound: TypeBound | None = None  # for TYPE


@dataclass(frozen=True)
class ExportDecl:
    name: ExternName
    type: ExternType


# A declaration of a component or instance type: a core type, a type, an alias, an import (in a
# component type only: the same as a component's) or an export.
Decl = Union["CoreType", "Type", AliasExport, AliasCoreExport, AliasOuter, "Import", ExportDecl]


@dataclass(frozen=True)
class ComponentType:
    decls: tuple[Decl, ...]


@dataclass(frozen=True)
class InstanceType:
    decls: tuple[Decl, ...]


Type = Union[DefValType, FuncType, ComponentType, InstanceType, ResourceType]


# -- core types --


@dataclass(frozen=True)
class CoreRecType:
    """Core type definitions (a function type, or 3.0's struct, array and recursion groups)."""

    types: tuple[CoreDefinedType, ...]
    is_group: bool = False  # written as an explicit `rec` group


@dataclass(frozen=True)
class CoreAliasOuter:
    count: int
    index: int


@dataclass(frozen=True)
class CoreExportDecl:
    name: str
    desc: CoreImportDesc


CoreModuleDecl = Union["CoreImport", "CoreType", CoreAliasOuter, CoreExportDecl]


@dataclass(frozen=True)
class CoreModuleType:
    decls: tuple[CoreModuleDecl, ...]


CoreType = Union[CoreRecType, CoreModuleType]


# -- canonical definitions --


class CanonOptKind(enum.IntEnum):
    UTF8 = 0x00
    UTF16 = 0x01
    LATIN1_UTF16 = 0x02
    MEMORY = 0x03
    REALLOC = 0x04
    POST_RETURN = 0x05
    ASYNC = 0x06
    CALLBACK = 0x07
    CORE_TYPE = 0x08  # the component model's gc feature (refused by validation)
    GC = 0x09


@dataclass(frozen=True)
class CanonOpt:
    kind: CanonOptKind
    index: int | None = None  # the memory or function it names


@dataclass(frozen=True)
class Canon:
    """A canonical definition: its code (see `CANON_FORMS` for each code's name and
    immediates) and its immediates in order (ints, options, result types)."""

    code: int
    immediates: tuple[object, ...]

    @property
    def name(self) -> str:
        return CANON_FORMS[self.code][0]


# Each canonical definition's code: its name and its immediates, in order. "core func" and
# "func" are a sort byte (0x00, func) then an index; "opts" a vector of options; "results" a
# result list; "async" and "cancel" a flag byte; "core valtype" a core value type.
CANON_FORMS: dict[int, tuple[str, tuple[str, ...]]] = {
    0x00: ("lift", ("core func", "opts", "type")),
    0x01: ("lower", ("func", "opts")),
    0x02: ("resource.new", ("type",)),
    0x03: ("resource.drop", ("type",)),
    0x04: ("resource.rep", ("type",)),
    0x24: ("backpressure.inc", ()),
    0x25: ("backpressure.dec", ()),
    0x09: ("task.return", ("results", "opts")),
    0x05: ("task.cancel", ()),
    0x0A: ("context.get", ("core valtype", "u32")),
    0x0B: ("context.set", ("core valtype", "u32")),
    0x06: ("subtask.cancel", ("async",)),
    0x0D: ("subtask.drop", ()),
    0x0E: ("stream.new", ("type",)),
    0x2E: ("stream.forward", ("type",)),
    0x2F: ("future.forward", ("type",)),
    0x0F: ("stream.read", ("type", "opts")),
    0x10: ("stream.write", ("type", "opts")),
    0x11: ("stream.cancel-read", ("type", "async")),
    0x12: ("stream.cancel-write", ("type", "async")),
    0x13: ("stream.drop-readable", ("type",)),
    0x14: ("stream.drop-writable", ("type",)),
    0x15: ("future.new", ("type",)),
    0x16: ("future.read", ("type", "opts")),
    0x17: ("future.write", ("type", "opts")),
    0x18: ("future.cancel-read", ("type", "async")),
    0x19: ("future.cancel-write", ("type", "async")),
    0x1A: ("future.drop-readable", ("type",)),
    0x1B: ("future.drop-writable", ("type",)),
    0x1C: ("error-context.new", ("opts",)),
    0x1D: ("error-context.debug-message", ("opts",)),
    0x1E: ("error-context.drop", ()),
    0x1F: ("waitable-set.new", ()),
    0x20: ("waitable-set.wait", ("cancel", "memory")),
    0x21: ("waitable-set.poll", ("cancel", "memory")),
    0x22: ("waitable-set.drop", ()),
    0x23: ("waitable.join", ()),
    0x26: ("thread.index", ()),
    0x27: ("thread.new-indirect", ("core type", "table")),
    0x28: ("thread.resume-later", ()),
    0x29: ("thread.suspend", ("cancel",)),
    0x0C: ("thread.yield", ("cancel",)),
    0x2A: ("thread.suspend-then-resume", ("cancel",)),
    0x2B: ("thread.yield-then-resume", ("cancel",)),
    0x2C: ("thread.suspend-then-promote", ("cancel",)),
    0x2D: ("thread.yield-then-promote", ("cancel",)),
    # Binary.md gives these three a `shared?` flag first; wasm-tools (1.262) reads and writes none.
    0x40: ("thread.spawn-ref", ("core type",)),
    0x41: ("thread.spawn-indirect", ("core type", "table")),
    0x42: ("thread.available_parallelism", ()),
}


# -- imports, exports, customs --


@dataclass(frozen=True)
class Import:
    name: ExternName
    type: ExternType


@dataclass(frozen=True)
class Export:
    name: ExternName
    item: SortIdx
    type: ExternType | None


@dataclass(frozen=True)
class CustomSection:
    name: str
    data: bytes


@dataclass(frozen=True)
class Section:
    """One section: its id, where it starts in the outermost binary and its size, and its
    items (one `CoreModule` or `Component` for those sections, a custom section's self)."""

    id: SectionId
    offset: int
    size: int
    items: tuple[object, ...]


@dataclass(frozen=True)
class Component:
    sections: tuple[Section, ...]

    def items(self, section_id: SectionId) -> list[object]:
        """Every item of the sections with `section_id`, in order."""
        return [item for section in self.sections if section.id == section_id for item in section.items]
