"""The abstract syntax of a WebAssembly module: plain frozen dataclasses with no runtime state.

Code (function bodies and constant expressions) is kept in its binary encoding, as `bytes` that
end with the `end` opcode: that is compact, it is what every consumer (validator, engines,
printer) walks once, and it makes two modules equal exactly when they mean the same program.
The binary reader and the text parser both produce this form; `wasmkit.binary.code` encodes
and decodes instructions through the one opcode table.

Two encodings of the same meaning become one value here: adjacent local declarations of the
same type are merged, and element segments always hold expressions (an index-encoded segment
`0 1 2` becomes `ref.func 0`, `ref.func 1`, ...). The binary writer chooses the compact encoding
again where it applies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .types import DefinedType, ExternKind, FuncType, GlobalType, MemoryType, TableType, TagType, ValueType

__all__ = [
    "Import",
    "Func",
    "Global",
    "Export",
    "SegmentMode",
    "ElemSegment",
    "DataSegment",
    "CustomSection",
    "NameSection",
    "Module",
    "ImportDesc",
]

# What an import brings in: a function (by type index), a table, a memory, a global or a tag.
ImportDesc = int | TableType | MemoryType | GlobalType | TagType


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    name: str
    desc: ImportDesc

    @property
    def kind(self) -> ExternKind:
        if isinstance(self.desc, int):
            return ExternKind.FUNC
        if isinstance(self.desc, TableType):
            return ExternKind.TABLE
        if isinstance(self.desc, MemoryType):
            return ExternKind.MEMORY
        if isinstance(self.desc, TagType):
            return ExternKind.TAG
        return ExternKind.GLOBAL


@dataclass(frozen=True, slots=True)
class Func:
    """A function defined in the module.

    `locals` lists the declared locals (not the parameters) as `(count, type)` runs with no two
    adjacent runs of the same type. `body` is the encoded instruction sequence, ending in `end`.
    `body_offset` is where the body starts in the binary it was read from (0 when unknown); it
    locates validation errors and does not take part in equality.
    """

    type_index: int
    locals: tuple[tuple[int, ValueType], ...]
    body: bytes
    body_offset: int = field(default=0, compare=False)

    def local_types(self) -> list[ValueType]:
        """The declared locals, one entry per local."""
        out: list[ValueType] = []
        for count, vt in self.locals:
            out.extend([vt] * count)
        return out

    @property
    def local_count(self) -> int:
        return sum(count for count, _ in self.locals)


@dataclass(frozen=True, slots=True)
class Global:
    type: GlobalType
    init: bytes  # constant expression, ending in `end`


@dataclass(frozen=True, slots=True)
class Export:
    name: str
    kind: ExternKind
    index: int


class SegmentMode(enum.Enum):
    ACTIVE = "active"  # copied into a table or memory at instantiation
    PASSIVE = "passive"  # copied on demand by table.init / memory.init
    DECLARATIVE = "declarative"  # only declares function references (element segments)


@dataclass(frozen=True, slots=True)
class ElemSegment:
    type: ValueType
    init: tuple[bytes, ...]  # one constant expression per element, each ending in `end`
    mode: SegmentMode = SegmentMode.ACTIVE
    table: int = 0
    offset: bytes | None = None  # constant expression, for active segments


@dataclass(frozen=True, slots=True)
class DataSegment:
    init: bytes
    mode: SegmentMode = SegmentMode.ACTIVE
    memory: int = 0
    offset: bytes | None = None  # constant expression, for active segments


@dataclass(frozen=True, slots=True)
class CustomSection:
    """A custom section, kept as bytes. `after` is the id of the known section it follows
    (0 when it comes before all of them), so that writing keeps it in place: the binary
    writer puts it there whether that section is written or empty, and custom sections that
    follow the same one keep their order in `Module.customs`."""

    name: str
    data: bytes
    after: int = 0


@dataclass(frozen=True, slots=True)
class NameSection:
    """Debug names from the `name` custom section (and from `$names` in text, when asked)."""

    module: str | None = None
    funcs: dict[int, str] = field(default_factory=dict)
    locals: dict[int, dict[int, str]] = field(default_factory=dict)
    labels: dict[int, dict[int, str]] = field(default_factory=dict)
    types: dict[int, str] = field(default_factory=dict)
    tables: dict[int, str] = field(default_factory=dict)
    memories: dict[int, str] = field(default_factory=dict)
    globals: dict[int, str] = field(default_factory=dict)
    elems: dict[int, str] = field(default_factory=dict)
    datas: dict[int, str] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Module:
    """`types` are the type section's definitions, one per type index; `rec_groups` the
    (first index, count) of each recursion group written as one (`rec`): the other types are
    each a group of their own."""

    types: tuple[DefinedType, ...] = ()
    imports: tuple[Import, ...] = ()
    funcs: tuple[Func, ...] = ()
    tables: tuple[TableType, ...] = ()
    mems: tuple[MemoryType, ...] = ()
    tags: tuple[TagType, ...] = ()
    globals: tuple[Global, ...] = ()
    exports: tuple[Export, ...] = ()
    start: int | None = None
    elems: tuple[ElemSegment, ...] = ()
    datas: tuple[DataSegment, ...] = ()
    data_count: int | None = None  # the data count section, when present
    customs: tuple[CustomSection, ...] = ()
    rec_groups: tuple[tuple[int, int], ...] = ()
    # (index in `tables`, constant expression) of each table written with the value its
    # elements start as (3.0); the others start null.
    table_inits: tuple[tuple[int, bytes], ...] = ()

    # -- index spaces: imports come first, then the module's own definitions --

    def table_init(self, index: int) -> bytes | None:
        """The initial value's expression of defined table `index` (of `tables`), if any."""
        return dict(self.table_inits).get(index)

    def func_type(self, index: int) -> FuncType:
        """Type `index`, which a valid module's code uses as a function type."""
        found = self.types[index]
        if not isinstance(found, FuncType):
            raise TypeError(f"type {index} is not a function type")
        return found

    def imported(self, kind: ExternKind) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    def func_type_indices(self) -> list[int]:
        """The type index of every function in the function index space."""
        return [imp.desc for imp in self.imports if isinstance(imp.desc, int)] + [
            f.type_index for f in self.funcs
        ]

    def table_types(self) -> list[TableType]:
        return [imp.desc for imp in self.imports if isinstance(imp.desc, TableType)] + list(self.tables)

    def memory_types(self) -> list[MemoryType]:
        return [imp.desc for imp in self.imports if isinstance(imp.desc, MemoryType)] + list(self.mems)

    def tag_types(self) -> list[TagType]:
        return [imp.desc for imp in self.imports if isinstance(imp.desc, TagType)] + list(self.tags)

    def global_types(self) -> list[GlobalType]:
        return [imp.desc for imp in self.imports if isinstance(imp.desc, GlobalType)] + [
            g.type for g in self.globals
        ]

    def custom(self, name: str) -> list[CustomSection]:
        return [c for c in self.customs if c.name == name]
