"""The component binary reader: `bytes -> Component` (design/mvp/Binary.md of the component model).

Every byte is accounted for: a section must end where its size says, a vector must hold what
its count says, and an unknown code is malformed, each reported as a `DecodeError` at its
offset in the outermost binary. Counts never size an allocation (each item consumes input).
Nested core modules are checked as modules only when read (`CoreModule.module()`); nested
components are read here, to any depth the input has (the reader recurses once per nesting,
so the depth is bounded: see `MAX_NESTING`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..binary.leb128 import UNEXPECTED_END, read_signed
from ..binary.reader import BinaryReader
from ..errors import DecodeError
from .header import COMPONENT_LAYER, MAGIC
from .syntax import (
    CANON_FORMS, AliasCoreExport, AliasExport, AliasOuter, Borrow, Canon, CanonOpt, CanonOptKind, Case, Component,
    ComponentType, CoreAliasOuter, CoreExportDecl, CoreInlineExports, CoreInstantiate, CoreModule,
    CoreModuleType, CoreRecType, CoreSort, CoreSortIdx, CustomSection, DefValType, Enum, Export, ExportDecl,
    ExternName, ExternType, Flags, FuncType, Future, Import, InlineExports,
    Instantiate, InstanceType, List, Map, Option, Own, Prim, Record, ResourceType, Result, Section,
    SectionId, Sort, SortIdx, Stream, Tuple, TypeBound, ValType, Variant,
)  # fmt: skip

__all__ = ["read_component", "MAX_NESTING"]

_T = TypeVar("_T")

MAX_NESTING = 100  # components and component/instance types nested in one another

_OPTS_WITH_INDEX = frozenset({
    CanonOptKind.MEMORY, CanonOptKind.REALLOC, CanonOptKind.POST_RETURN, CanonOptKind.CALLBACK, CanonOptKind.CORE_TYPE,
})  # fmt: skip
_PRIMS = frozenset(int(p) for p in Prim)
_CORE_SUB, _CORE_MODULE_TYPE = 0x00, 0x50  # a component's core type: `0x00 0x50` sub, `0x50` module type


def read_component(data: bytes | bytearray | memoryview) -> Component:
    """Decode a component binary; DecodeError (what, and the offset) if it is malformed."""
    data = bytes(data)
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if len(data) < 8:
        raise DecodeError(UNEXPECTED_END, len(data))
    if data[4:8] != COMPONENT_LAYER:
        raise DecodeError("unknown binary version", 4)
    reader = _ComponentReader(data)
    reader.pos = 8
    return reader.component(len(data), 0)


class _ComponentReader(BinaryReader):
    """The component's productions; the core ones (names, core types and imports) are the
    module reader's."""

    def flag(self, what: str) -> bool:
        at = self.pos
        value = self.byte()
        if value > 1:
            raise self.fail(f"malformed {what}", at)
        return bool(value)

    def optional(self, read: Callable[[], _T]) -> _T | None:
        return read() if self.flag("optional") else None

    def component(self, end: int, depth: int) -> Component:
        if depth > MAX_NESTING:
            raise self.fail(f"components nested more than {MAX_NESTING} deep")
        sections = []
        while self.pos < end:
            start = self.pos
            section_id = self.byte()
            if section_id > SectionId.EXPORT:
                what = "value sections (a gated feature)" if section_id == SectionId.VALUE else f"section id {section_id}"
                raise self.fail(f"malformed section id: {what}", start)
            size = self.length()
            body = self.pos
            section_end = body + size
            if section_end > end:
                raise self.fail(UNEXPECTED_END, end)
            items = self.section_items(SectionId(section_id), section_end, depth)
            if self.pos != section_end:
                raise self.fail("section size mismatch", start)
            sections.append(Section(SectionId(section_id), start, section_end - start, items))
        return Component(tuple(sections))

    def section_items(self, section_id: SectionId, end: int, depth: int) -> tuple[object, ...]:
        if section_id == SectionId.CUSTOM:
            name = self.name()
            if self.pos > end:
                raise self.fail(UNEXPECTED_END, end)
            return (CustomSection(name, self.raw(end - self.pos)),)
        if section_id == SectionId.CORE_MODULE:
            start = self.pos
            return (CoreModule(self.raw(end - start), start),)
        if section_id == SectionId.COMPONENT:
            magic_at = self.pos
            if self.raw(8) != MAGIC + COMPONENT_LAYER:
                raise self.fail("malformed nested component header", magic_at)
            return (self.component(end, depth + 1),)
        if section_id == SectionId.START:
            raise self.fail("start definitions (a gated feature) are not supported")
        read = {
            SectionId.CORE_INSTANCE: self.core_instance,
            SectionId.CORE_TYPE: lambda: self.core_type(depth),
            SectionId.INSTANCE: self.instance,
            SectionId.ALIAS: self.alias,
            SectionId.TYPE: lambda: self.type(depth),
            SectionId.CANON: self.canon,
            SectionId.IMPORT: self.import_decl,
            SectionId.EXPORT: self.export_def,
        }[section_id]
        return tuple(self.vec(read))

    # -- sorts, names --

    def core_sort(self) -> CoreSort:
        at = self.pos
        code = self.byte()
        try:
            return CoreSort(code)
        except ValueError:
            raise self.fail("malformed core sort", at) from None

    def sort(self) -> SortIdx:
        """A sort (the index left 0: see `sort_idx`)."""
        at = self.pos
        code = self.byte()
        if code == Sort.CORE:
            return SortIdx(Sort.CORE, 0, self.core_sort())
        if code > Sort.INSTANCE:
            raise self.fail("malformed sort", at)
        return SortIdx(Sort(code), 0)

    def sort_idx(self) -> SortIdx:
        sort = self.sort()
        return SortIdx(sort.sort, self.u32(), sort.core)

    def extern_name(self) -> ExternName:
        at = self.pos
        form = self.byte()
        if form > 2:
            raise self.fail("malformed extern name", at)
        name = self.name()
        attributes: tuple[tuple[int, str], ...] = ()
        if form == 2:
            attributes = tuple(self.vec(self.attribute))
        return ExternName(name, form, attributes)

    def attribute(self) -> tuple[int, str]:
        at = self.pos
        kind = self.byte()
        if kind > 2:
            raise self.fail("malformed name attribute", at)
        return kind, self.name()

    # -- instances and aliases --

    def core_instance(self) -> CoreInstantiate | CoreInlineExports:
        at = self.pos
        form = self.byte()
        if form == 0x00:
            module = self.u32()
            return CoreInstantiate(module, tuple(self.vec(self.core_instantiate_arg)))
        if form == 0x01:
            return CoreInlineExports(tuple(self.vec(lambda: (self.name(), CoreSortIdx(self.core_sort(), self.u32())))))
        raise self.fail("malformed core instance", at)

    def core_instantiate_arg(self) -> tuple[str, int]:
        name = self.name()
        at = self.pos
        if self.byte() != CoreSort.INSTANCE:
            raise self.fail("malformed core instantiate argument: an instance is expected", at)
        return name, self.u32()

    def instance(self) -> Instantiate | InlineExports:
        at = self.pos
        form = self.byte()
        if form == 0x00:
            component = self.u32()
            return Instantiate(component, tuple(self.vec(lambda: (self.name(), self.sort_idx()))))
        if form == 0x01:
            return InlineExports(tuple(self.vec(lambda: (self.extern_name(), self.sort_idx()))))
        raise self.fail("malformed instance", at)

    def alias(self) -> AliasExport | AliasCoreExport | AliasOuter:
        sort = self.sort()
        at = self.pos
        target = self.byte()
        if target == 0x00:
            return AliasExport(sort, self.u32(), self.name())
        if target == 0x01:
            if sort.core is None:
                raise self.fail("malformed alias: a core export of a component sort", at)
            return AliasCoreExport(sort.core, self.u32(), self.name())
        if target == 0x02:
            return AliasOuter(sort, self.u32(), self.u32())
        raise self.fail("malformed alias target", at)

    # -- types --

    def prim_or_index(self, what: str) -> ValType:
        """A value type: a primitive's negative code, or a type index (an s33)."""
        at = self.pos
        value, self.pos = read_signed(self.data, self.pos, 33)
        if value >= 0:
            return value
        code = value & 0x7F
        if value < -0x40 or code not in _PRIMS:
            raise self.fail(f"malformed {what}", at)
        return Prim(code)

    def val_type(self) -> ValType:
        return self.prim_or_index("value type")

    def label(self) -> str:
        return self.name()

    def type(self, depth: int) -> object:
        at = self.pos
        code = self.data[at] if at < len(self.data) else -1
        if code == 0x40 or code == 0x43:
            self.pos += 1
            params = tuple(self.vec(lambda: (self.label(), self.val_type())))
            return FuncType(params, self.result_list(), is_async=code == 0x43)
        if code == 0x41:
            self.pos += 1
            return ComponentType(tuple(self.vec(lambda: self.decl(depth + 1, in_component=True))))
        if code == 0x42:
            self.pos += 1
            return InstanceType(tuple(self.vec(lambda: self.decl(depth + 1, in_component=False))))
        if code == 0x3F:
            self.pos += 1
            rep = self.valtype()
            return ResourceType(rep, self.optional(self.u32))
        return self.def_val_type()

    def result_list(self) -> ValType | None:
        at = self.pos
        form = self.byte()
        if form == 0x00:
            return self.val_type()
        if form == 0x01 and self.byte() == 0x00:
            return None
        raise self.fail("malformed result list", at)

    def def_val_type(self) -> DefValType:
        at = self.pos
        value = self.prim_or_index("defined value type") if self.pos < len(self.data) and self.data[self.pos] in _PRIMS else None
        if isinstance(value, Prim):
            return value
        self.pos = at
        code = self.byte()
        if code == 0x72:
            return Record(tuple(self.vec(lambda: (self.label(), self.val_type()))))
        if code == 0x71:
            return Variant(tuple(self.vec(self.case)))
        if code == 0x70:
            return List(self.val_type())
        if code == 0x67:
            return List(self.val_type(), self.u32())
        if code == 0x6F:
            return Tuple(tuple(self.vec(self.val_type)))
        if code == 0x6E:
            return Flags(tuple(self.vec(self.label)))
        if code == 0x6D:
            return Enum(tuple(self.vec(self.label)))
        if code == 0x6B:
            return Option(self.val_type())
        if code == 0x6A:
            return Result(self.optional(self.val_type), self.optional(self.val_type))
        if code == 0x69:
            return Own(self.u32())
        if code == 0x68:
            return Borrow(self.u32())
        if code == 0x66:
            return Stream(self.optional(self.val_type))
        if code == 0x65:
            return Future(self.optional(self.val_type))
        if code == 0x63:
            return Map(self.val_type(), self.val_type())
        raise self.fail("malformed type", at)

    def case(self) -> Case:
        label = self.label()
        case_type = self.optional(self.val_type)
        at = self.pos
        if self.byte() != 0x00:
            raise self.fail("malformed variant case", at)
        return Case(label, case_type)

    def decl(self, depth: int, in_component: bool) -> object:
        if depth > MAX_NESTING:
            raise self.fail(f"types nested more than {MAX_NESTING} deep")
        at = self.pos
        kind = self.byte()
        if kind == 0x00:
            return self.core_type(depth)
        if kind == 0x01:
            return self.type(depth)
        if kind == 0x02:
            return self.alias()
        if kind == 0x03 and in_component:
            return self.import_decl()
        if kind == 0x04:
            return ExportDecl(self.extern_name(), self.extern_type())
        raise self.fail("malformed declaration", at)

    def extern_type(self) -> ExternType:
        at = self.pos
        kind = self.byte()
        if kind == Sort.CORE:
            if self.byte() != CoreSort.MODULE:
                raise self.fail("malformed extern type", at)
            return ExternType(Sort.CORE, self.u32())
        if kind in (Sort.FUNC, Sort.COMPONENT, Sort.INSTANCE):
            return ExternType(Sort(kind), self.u32())
        if kind == Sort.TYPE:
            bound_at = self.pos
            bound = self.byte()
            if bound == 0x00:
                return ExternType(Sort.TYPE, bound=TypeBound(self.u32()))
            if bound == 0x01:
                return ExternType(Sort.TYPE, bound=TypeBound(None))
            raise self.fail("malformed type bound", bound_at)
        if kind == Sort.VALUE:
            raise self.fail("value imports and exports (a gated feature) are not supported", at)
        raise self.fail("malformed extern type", at)

    def core_type(self, depth: int) -> CoreRecType | CoreModuleType:
        at = self.pos
        code = self.data[at] if at < len(self.data) else -1
        if code == _CORE_MODULE_TYPE:
            self.pos += 1
            return CoreModuleType(tuple(self.vec(lambda: self.core_module_decl(depth + 1))))
        if code == _CORE_SUB:  # `0x00 0x50`: a non-final sub type, as the module reader reads `0x50`
            self.pos += 1
            if self.pos >= len(self.data) or self.data[self.pos] != 0x50:
                raise self.fail("malformed core type", at)
        if code == 0x4E:
            self.pos += 1
            return CoreRecType(tuple(self.vec(self.sub_type)), is_group=True)
        return CoreRecType((self.sub_type(),))

    def core_module_decl(self, depth: int) -> object:
        if depth > MAX_NESTING:
            raise self.fail(f"types nested more than {MAX_NESTING} deep")
        at = self.pos
        kind = self.byte()
        if kind == 0x00:
            return self.import_()
        if kind == 0x01:
            found = self.core_type(depth)
            if isinstance(found, CoreModuleType):
                raise self.fail("malformed core type: a module type inside a module type", at)
            return found
        if kind == 0x02:
            alias_at = self.pos
            if self.byte() != CoreSort.TYPE or self.byte() != 0x01:
                raise self.fail("malformed core alias", alias_at)
            return CoreAliasOuter(self.u32(), self.u32())
        if kind == 0x03:
            name = self.name()
            return CoreExportDecl(name, self.import_desc())
        raise self.fail("malformed core module declaration", at)

    # -- canonical definitions, imports, exports --

    def canon(self) -> Canon:
        at = self.pos
        code = self.byte()
        form = CANON_FORMS.get(code)
        if form is None:
            raise self.fail("malformed canonical definition", at)
        return Canon(code, tuple(self.canon_immediate(kind) for kind in form[1]))

    def canon_immediate(self, kind: str) -> object:
        if kind in ("core func", "func"):
            at = self.pos
            if self.byte() != 0x00:
                raise self.fail("malformed canonical definition: a function is expected", at)
            return self.u32()
        if kind == "opts":
            return tuple(self.vec(self.canon_opt))
        if kind == "results":
            return self.result_list()
        if kind in ("async", "cancel"):
            return self.flag(kind)
        if kind == "core valtype":
            return self.valtype()
        return self.u32()  # type, u32, memory, table, core type

    def canon_opt(self) -> CanonOpt:
        at = self.pos
        code = self.byte()
        try:
            kind = CanonOptKind(code)
        except ValueError:
            raise self.fail("malformed canonical option", at) from None
        return CanonOpt(kind, self.u32() if kind in _OPTS_WITH_INDEX else None)

    def import_decl(self) -> Import:
        return Import(self.extern_name(), self.extern_type())

    def export_def(self) -> Export:
        name = self.extern_name()
        item = self.sort_idx()
        return Export(name, item, self.optional(self.extern_type))

