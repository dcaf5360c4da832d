"""A component in words, for `wasmkit objdump`: its sections with their offsets and sizes,
nested components and core modules indented under their section (a core module as the caller
describes it), and with details, each definition in the component model's text notation, after
the indices it gets (`type[3]`, `core func[0..2]`), which the other definitions refer to."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .index_spaces import Space, index_spaces, space_name
from .syntax import (
    CANON_FORMS, AliasCoreExport, AliasExport, AliasOuter, Borrow, Canon, CanonOpt, CanonOptKind, Component, ComponentType,
    CoreAliasOuter, CoreExportDecl, CoreInlineExports, CoreInstantiate, CoreModule, CoreModuleType, CoreRecType,
    CustomSection, Enum, Export, ExportDecl, ExternName, ExternType, Flags, FuncType, Future,
    Import, InlineExports, Instantiate, InstanceType, List, Map, Option, Own, Prim, Record,
    ResourceType, Result, Section, SectionId, Sort, SortIdx, Stream, Tuple, ValType, Variant,
)  # fmt: skip

__all__ = ["component_lines", "ModuleLines"]

# What to show of a nested core module: its lines (with details or not), each after `indent`.
ModuleLines = Callable[[CoreModule, bool, str], Iterator[str]]

_SECTION_NAMES = {
    SectionId.CUSTOM: "custom", SectionId.CORE_MODULE: "core module", SectionId.CORE_INSTANCE: "core instance",
    SectionId.CORE_TYPE: "core type", SectionId.COMPONENT: "component", SectionId.INSTANCE: "instance",
    SectionId.ALIAS: "alias", SectionId.TYPE: "type", SectionId.CANON: "canon", SectionId.START: "start",
    SectionId.IMPORT: "import", SectionId.EXPORT: "export",
}  # fmt: skip


def component_lines(path: str, component: Component, details: bool, module_lines: ModuleLines | None = None) -> Iterator[str]:
    """What `wasmkit objdump` prints for a component: a header, then each section (with
    `details`, each of its definitions too); `module_lines` shows a nested core module."""
    yield f"{path}:\tfile format wasm component (version 0x0d, layer 1)"
    yield ""
    yield "Sections:"
    placed = index_spaces(component, checked=False).placed
    yield from _sections(component, details, "  ", placed, module_lines)


def _sections(component: Component, details: bool, indent: str, placed: _Placed, module_lines: ModuleLines | None) -> Iterator[str]:
    for section in component.sections:
        line = indent + _header(section)
        if section.id in (SectionId.CORE_MODULE, SectionId.COMPONENT):
            line += f" {_indices(placed.get((id(section), 0), []))}"
        yield line
        if section.id == SectionId.COMPONENT:
            yield from _sections(section.items[0], details, indent + "  ", placed, module_lines)  # type: ignore[arg-type]
        elif section.id == SectionId.CORE_MODULE:
            if module_lines is not None:
                yield from module_lines(section.items[0], details, indent + "  ")  # type: ignore[arg-type]
        elif details and section.id != SectionId.CUSTOM:
            for n, item in enumerate(section.items):
                indices = _indices(placed.get((id(section), n), []))
                yield f"{indent}  - {indices + ': ' if indices else ''}{describe(item)}"


_Placed = dict[tuple[int, int], list[tuple[Space, int]]]


def _indices(placed: list[tuple[Space, int]]) -> str:
    """The indices a definition got: `type[3]`, `core type[4..6]` (a recursion group)."""
    spans: list[tuple[Space, int, int]] = []
    for space, index in placed:
        if spans and spans[-1][0] == space and spans[-1][2] == index - 1:
            spans[-1] = (space, spans[-1][1], index)
        else:
            spans.append((space, index, index))
    return ", ".join(f"{space_name(space)}[{first}{'' if last == first else f'..{last}'}]" for space, first, last in spans)


def _header(section: Section) -> str:
    name = _SECTION_NAMES[section.id]
    end = section.offset + section.size
    where = f"start=0x{section.offset:08x} end=0x{end:08x} (size=0x{section.size:08x})"
    if section.id == SectionId.CUSTOM:
        return f"{name:<13} {where} \"{section.items[0].name}\""  # type: ignore[attr-defined]
    if section.id == SectionId.CORE_MODULE:
        return f"{name:<13} {where}"
    if section.id == SectionId.COMPONENT:
        return f"{name:<13} {where} nested"
    return f"{name:<13} {where} count: {len(section.items)}"


def describe(item: object) -> str:
    """One definition in the text notation."""
    if isinstance(item, CoreModule):
        return f"core module of {len(item.data)} bytes"
    if isinstance(item, CustomSection):
        return f"custom \"{item.name}\" of {len(item.data)} bytes"
    if isinstance(item, CoreInstantiate):
        args = "".join(f' (with "{name}" (instance {index}))' for name, index in item.args)
        return f"(core instance (instantiate {item.module}{args}))"
    if isinstance(item, CoreInlineExports):
        exports = "".join(f' (export "{name}" ({s.sort.name.lower()} {s.index}))' for name, s in item.exports)
        return f"(core instance{exports})"
    if isinstance(item, Instantiate):
        args = "".join(f' (with "{name}" {_sort_idx(s)})' for name, s in item.args)
        return f"(instance (instantiate {item.component}{args}))"
    if isinstance(item, InlineExports):
        exports = "".join(f" (export {_name(name)} {_sort_idx(s)})" for name, s in item.exports)
        return f"(instance{exports})"
    if isinstance(item, AliasExport):
        return f'(alias export {item.instance} "{item.name}" ({_sort(item.sort)}))'
    if isinstance(item, AliasCoreExport):
        return f'(alias core export {item.instance} "{item.name}" (core {item.sort.name.lower()}))'
    if isinstance(item, AliasOuter):
        return f"(alias outer {item.count} {item.index} ({_sort(item.sort)}))"
    if isinstance(item, Canon):
        return _canon(item)
    if isinstance(item, Import):
        return f"(import {_name(item.name)} {_extern_type(item.type)})"
    if isinstance(item, Export):
        typed = f" {_extern_type(item.type)}" if item.type is not None else ""
        return f"(export {_name(item.name)} {_sort_idx(item.item)}{typed})"
    return f"(type {_type(item)})"


def _type(item: object) -> str:
    if isinstance(item, FuncType):
        params = "".join(f' (param "{label}" {_val(t)})' for label, t in item.params)
        result = f" (result {_val(item.result)})" if item.result is not None else ""
        return f"(func{' async' if item.is_async else ''}{params}{result})"
    if isinstance(item, ComponentType):
        return f"(component{_decls(item.decls)})"
    if isinstance(item, InstanceType):
        return f"(instance{_decls(item.decls)})"
    if isinstance(item, ResourceType):
        dtor = f" (dtor (func {item.dtor}))" if item.dtor is not None else ""
        return f"(resource (rep {item.rep}){dtor})"
    if isinstance(item, CoreRecType):
        body = " ".join(f"(sub {t})" if item.is_group else str(t) for t in item.types)
        return f"(core rec {body})" if item.is_group else f"(core {body})"
    if isinstance(item, CoreModuleType):
        return f"(core module{_core_decls(item.decls)})"
    return _def_val(item)


def _decls(decls: tuple[object, ...]) -> str:
    out = []
    for decl in decls:
        if isinstance(decl, ExportDecl):
            out.append(f"(export {_name(decl.name)} {_extern_type(decl.type)})")
        elif isinstance(decl, (Import, AliasExport, AliasCoreExport, AliasOuter)):
            out.append(describe(decl))
        else:
            out.append(f"(type {_type(decl)})")
    return "".join(" " + text for text in out)


def _core_decls(decls: tuple[object, ...]) -> str:
    out = []
    for decl in decls:
        if isinstance(decl, CoreAliasOuter):
            out.append(f"(alias outer {decl.count} {decl.index} (type))")
        elif isinstance(decl, CoreExportDecl):
            out.append(f'(export "{decl.name}" {decl.desc})')
        elif isinstance(decl, (CoreRecType, CoreModuleType)):
            out.append(f"(type {_type(decl)})")
        else:  # a core import
            out.append(f'(import "{decl.module}" "{decl.name}" {decl.desc})')  # type: ignore[attr-defined]
    return "".join(" " + text for text in out)


def _def_val(t: object) -> str:
    if isinstance(t, Prim):
        return t.text
    if isinstance(t, Record):
        return "(record" + "".join(f' (field "{label}" {_val(v)})' for label, v in t.fields) + ")"
    if isinstance(t, Variant):
        cases = "".join(f' (case "{c.label}"{" " + _val(c.type) if c.type is not None else ""})' for c in t.cases)
        return f"(variant{cases})"
    if isinstance(t, List):
        return f"(list {_val(t.element)}{f' {t.length}' if t.length is not None else ''})"
    if isinstance(t, Tuple):
        return "(tuple" + "".join(" " + _val(v) for v in t.types) + ")"
    if isinstance(t, Flags):
        return "(flags" + "".join(f' "{label}"' for label in t.labels) + ")"
    if isinstance(t, Enum):
        return "(enum" + "".join(f' "{label}"' for label in t.labels) + ")"
    if isinstance(t, Option):
        return f"(option {_val(t.type)})"
    if isinstance(t, Result):
        ok = f" {_val(t.ok)}" if t.ok is not None else ""
        error = f" (error {_val(t.error)})" if t.error is not None else ""
        return f"(result{ok}{error})"
    if isinstance(t, Own):
        return f"(own {t.resource})"
    if isinstance(t, Borrow):
        return f"(borrow {t.resource})"
    if isinstance(t, (Stream, Future)):
        kind = "stream" if isinstance(t, Stream) else "future"
        return f"({kind}{' ' + _val(t.element) if t.element is not None else ''})"
    if isinstance(t, Map):
        return f"(map {_val(t.key)} {_val(t.value)})"
    raise TypeError(f"not a component type: {t!r}")


def _val(t: ValType) -> str:
    return t.text if isinstance(t, Prim) else str(t)


def _name(name: ExternName) -> str:
    attributes = "".join(f' ({("implements", "versionsuffix", "external-id")[kind]} "{text}")' for kind, text in name.attributes)
    return f'"{name.name}"{attributes}'


def _sort(sort: SortIdx) -> str:
    if sort.core is not None:
        return f"core {sort.core.name.lower()}"
    return sort.sort.name.lower()


def _sort_idx(s: SortIdx) -> str:
    return f"({_sort(s)} {s.index})"


def _extern_type(t: ExternType) -> str:
    if t.kind == Sort.CORE:
        return f"(core module (type {t.index}))"
    if t.kind == Sort.TYPE:
        index = t.bound.index if t.bound is not None else None
        return "(type (sub resource))" if index is None else f"(type (eq {index}))"
    return f"({t.kind.name.lower()} (type {t.index}))"


def _canon(item: Canon) -> str:
    name, kinds = CANON_FORMS[item.code]
    parts = []
    for kind, value in zip(kinds, item.immediates):
        if kind == "core func":
            parts.append(f"(core func {value})")
        elif kind == "func":
            parts.append(f"(func {value})")
        elif kind == "opts":
            parts.extend(_option(opt) for opt in value)  # type: ignore[attr-defined]
        elif kind == "results":
            if value is not None:
                parts.append(f"(result {_val(value)})")  # type: ignore[arg-type]
        elif kind in ("async", "cancel"):
            if value:
                parts.append("cancellable" if kind == "cancel" else kind)
        elif kind == "type" and name == "lift":
            parts.append(f"(type {value})")
        elif kind == "memory":
            parts.append(f"(memory {value})")
        else:
            parts.append(str(value))
    return f"(canon {name}{''.join(' ' + p for p in parts)})"


def _option(opt: CanonOpt) -> str:
    if opt.kind == CanonOptKind.UTF8:
        return "string-encoding=utf8"
    if opt.kind == CanonOptKind.UTF16:
        return "string-encoding=utf16"
    if opt.kind == CanonOptKind.LATIN1_UTF16:
        return "string-encoding=latin1+utf16"
    if opt.kind in (CanonOptKind.ASYNC, CanonOptKind.GC):
        return opt.kind.name.lower()
    return f"({opt.kind.name.lower().replace('_', '-')} {opt.index})"
