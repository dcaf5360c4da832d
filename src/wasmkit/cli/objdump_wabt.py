"""The reports of `wasmkit objdump -h`, `-x` and `-d`, laid out as wabt's `wasm-objdump` lays
them out, so that people and scripts used to wabt read them the same way.

Where wabt prints something wrong (a passive segment's items numbered from the previous active
segment's offset, a v128 global shown as `i64=0`), the right value is printed instead. Two
differences by choice: the Code details give each function's local count (`locals=N`), and the
disassembly writes instructions as the text format does (`i32.const -1`, `i64.load offset=8`,
`if (result i32)`) where wabt shows raw immediates (`i32.const 4294967295`, `i64.load 3 8`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from ..binary.code import Instr, iter_instructions, read_valtype
from ..binary.leb128 import read_u32
from ..binary.names import read_names
from ..binary.reader import SectionId, SectionSpan
from ..binary.writer import elem_flags
from ..syntax.module import Module, NameSection, SegmentMode
from ..syntax.types import DefinedType, ExternKind, FuncType, GlobalType, Limits, MemoryType, TableType, TagType, ValType, ValueType, ref_type
from ..text.instr_text import format_immediates, format_instr

__all__ = ["SECTION_NAMES", "InstrRow", "ObjdumpReport", "wabt_report"]

SECTION_NAMES = {
    SectionId.CUSTOM: "Custom",
    SectionId.TYPE: "Type",
    SectionId.IMPORT: "Import",
    SectionId.FUNCTION: "Function",
    SectionId.TABLE: "Table",
    SectionId.MEMORY: "Memory",
    SectionId.TAG: "Tag",
    SectionId.GLOBAL: "Global",
    SectionId.EXPORT: "Export",
    SectionId.START: "Start",
    SectionId.ELEMENT: "Elem",
    SectionId.CODE: "Code",
    SectionId.DATA: "Data",
    SectionId.DATA_COUNT: "DataCount",
}

_BYTES_PER_LINE = 9  # raw bytes on one disassembly line; a longer instruction continues below
_HEX_WIDTH = _BYTES_PER_LINE * 3 - 1


@dataclass(frozen=True, slots=True)
class InstrRow:
    """One instruction as the disassembly shows it: its file offsets [offset, end), its nesting
    depth, its text, and the instruction itself."""

    offset: int
    end: int
    depth: int
    text: str
    instr: Instr


@dataclass(frozen=True, slots=True)
class _CodeEntry:
    """One function body as it lies in the file: where its locals begin (just after its size),
    its size, and each local declaration's (offset, bytes, count, type)."""

    start: int
    size: int
    local_decls: tuple[tuple[int, bytes, int, ValueType], ...]


def wabt_report(
    path: str, data: bytes, module: Module, spans: list[SectionSpan], headers: bool, details: bool, disassemble: bool
) -> Iterator[str]:
    """The lines of `wasm-objdump` with `-h`, `-x` and/or `-d`, in wabt's order."""
    report = ObjdumpReport(data, module, spans)
    yield ""
    yield f"{os.path.basename(path)}:\tfile format wasm 0x1"
    if report.names.module is not None:
        yield f"module name: <{report.names.module}>"
    if headers:
        yield from ("", "Sections:", "")
        yield from report.headers()
    if details:
        yield from ("", "Section Details:", "")
        yield from report.details()
    if disassemble:
        yield from ("", "Code Disassembly:", "")
        yield from report.disassembly()


def _result_text(ft: FuncType) -> str:
    if not ft.results:
        return "nil"
    if len(ft.results) == 1:
        return ft.results[0].text
    return f"({', '.join(t.text for t in ft.results)})"


def _signature(ft: DefinedType) -> str:
    if not isinstance(ft, FuncType):
        return ft.kind.text
    return f"({', '.join(t.text for t in ft.params)}) -> {_result_text(ft)}"


def _limits(limits: Limits, is_64: bool = False) -> str:
    """`initial=N max=N`, then ` i64` for a 64-bit memory or table, as wabt writes them."""
    text = f"initial={limits.min}" + ("" if limits.max is None else f" max={limits.max}")
    return text + " i64" if is_64 else text


def _memory_limits(mt: MemoryType) -> str:
    """A memory's limits as wabt writes them: ` shared` comes before ` i64`."""
    return _limits(mt.limits) + (" shared" if mt.shared else "") + (" i64" if mt.is_64 else "")


def _hex_dump(init: bytes, address: int) -> Iterator[str]:
    """wabt's hex lines: 16 bytes a line in groups of two, then the printable characters."""
    for at in range(0, len(init), 16):
        chunk = init[at : at + 16]
        groups = " ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        yield f"  - {address + at:07x}: {groups:<39}  {text}"


class ObjdumpReport:
    """What the three reports need: the module, its names, and where its code lies."""

    def __init__(self, data: bytes, module: Module, spans: list[SectionSpan]) -> None:
        self.data = data
        self.module = module
        self.spans = spans
        self.names = read_names(module)
        self.imported = {kind: [imp for imp in module.imports if imp.kind == kind] for kind in ExternKind}
        self.func_names = self._names_with_fallback(ExternKind.FUNC, self.names.funcs)
        self.global_names = self._names_with_fallback(ExternKind.GLOBAL, self.names.globals)
        # Tags as wabt names them: the name section, else `module.field` for an import.
        self.tag_names = {i: f"{imp.module}.{imp.name}" for i, imp in enumerate(self.imported[ExternKind.TAG])}
        self.tag_names.update(self.names.tags)

    def _names_with_fallback(self, kind: ExternKind, named: dict[int, str]) -> dict[int, str]:
        """As wabt names functions and globals: the name section, else `module.field` for an
        import, else the first export's name."""
        names = {i: f"{imp.module}.{imp.name}" for i, imp in enumerate(self.imported[kind])}
        for export in self.module.exports:
            if export.kind == kind:
                names.setdefault(export.index, export.name)
        names.update(named)
        return names

    def _func(self, index: int) -> str:
        name = self.func_names.get(index)
        return f" <{name}>" if name else ""

    def _tag(self, index: int) -> str:
        name = self.tag_names.get(index)
        return f" <{name}>" if name else ""

    def _global(self, index: int) -> str:
        name = self.global_names.get(index)
        return f" <{name}>" if name else ""

    def _section_count(self, span: SectionSpan) -> str:
        m = self.module
        if span.id == SectionId.CUSTOM:
            return f'"{span.name}"'
        if span.id == SectionId.START:
            return f"start: {m.start}"
        if span.id == SectionId.DATA_COUNT:
            return f"count: {m.data_count}"
        counts = {
            SectionId.TYPE: m.types,
            SectionId.IMPORT: m.imports,
            SectionId.FUNCTION: m.funcs,
            SectionId.TABLE: m.tables,
            SectionId.MEMORY: m.mems,
            SectionId.TAG: m.tags,
            SectionId.GLOBAL: m.globals,
            SectionId.EXPORT: m.exports,
            SectionId.ELEMENT: m.elems,
            SectionId.CODE: m.funcs,
            SectionId.DATA: m.datas,
        }
        return f"count: {len(counts[span.id])}"

    # -- -h --

    def headers(self) -> Iterator[str]:
        for span in self.spans:
            yield (
                f"{SECTION_NAMES[span.id]:>9} start={span.offset:#010x} end={span.offset + span.size:#010x} "
                f"(size={span.size:#010x}) {self._section_count(span)}"
            )

    # -- -x --

    def details(self) -> Iterator[str]:
        customs = iter(self.module.customs)
        sections = {
            SectionId.TYPE: self._types,
            SectionId.IMPORT: self._imports,
            SectionId.FUNCTION: self._functions,
            SectionId.TABLE: self._tables,
            SectionId.MEMORY: self._memories,
            SectionId.TAG: self._tags,
            SectionId.GLOBAL: self._globals,
            SectionId.EXPORT: self._exports,
            SectionId.START: self._start,
            SectionId.ELEMENT: self._elems,
            SectionId.DATA_COUNT: self._data_count,
            SectionId.CODE: self._code,
            SectionId.DATA: self._datas,
        }
        for span in self.spans:
            if span.id == SectionId.CUSTOM:
                custom = next(customs)
                yield "Custom:"
                yield f' - name: "{custom.name}"'
                if custom.name == "name":
                    yield from self._name_section()
            else:
                yield from sections[span.id]()

    def _types(self) -> Iterator[str]:
        yield f"Type[{len(self.module.types)}]:"
        for i, ft in enumerate(self.module.types):
            yield f" - type[{i}] {_signature(ft)}"

    def _imports(self) -> Iterator[str]:
        yield f"Import[{len(self.module.imports)}]:"
        counters = dict.fromkeys(ExternKind, 0)
        for imp in self.module.imports:
            index = counters[imp.kind]
            counters[imp.kind] += 1
            desc = imp.desc
            if isinstance(desc, int):
                what = f"func[{index}] sig={desc}{self._func(index)}"
            elif isinstance(desc, TableType):
                what = f"table[{index}] type={desc.elem.text} {_limits(desc.limits, desc.is_64)}"
            elif isinstance(desc, MemoryType):
                what = f"memory[{index}] pages: {_memory_limits(desc)}"
            elif isinstance(desc, TagType):
                what = f"tag[{index}] sig={desc.type_index}{self._tag(index)}"
            else:
                gt: GlobalType = desc
                what = f"global[{index}] {gt.valtype.text} mutable={int(gt.mutable)}"
            yield f" - {what} <- {imp.module}.{imp.name}"

    def _functions(self) -> Iterator[str]:
        yield f"Function[{len(self.module.funcs)}]:"
        first = len(self.imported[ExternKind.FUNC])
        for i, func in enumerate(self.module.funcs, start=first):
            yield f" - func[{i}] sig={func.type_index}{self._func(i)}"

    def _tables(self) -> Iterator[str]:
        yield f"Table[{len(self.module.tables)}]:"
        for i, tt in enumerate(self.module.tables, start=len(self.imported[ExternKind.TABLE])):
            name = self.names.tables.get(i)
            yield f" - table[{i}] type={tt.elem.text} {_limits(tt.limits, tt.is_64)}" + (f" <{name}>" if name else "")

    def _memories(self) -> Iterator[str]:
        yield f"Memory[{len(self.module.mems)}]:"
        for i, mt in enumerate(self.module.mems, start=len(self.imported[ExternKind.MEMORY])):
            yield f" - memory[{i}] pages: {_memory_limits(mt)}"

    def _tags(self) -> Iterator[str]:
        yield f"Tag[{len(self.module.tags)}]:"
        for i, tag in enumerate(self.module.tags, start=len(self.imported[ExternKind.TAG])):
            yield f" - tag[{i}] sig={tag.type_index}{self._tag(i)}"

    def _globals(self) -> Iterator[str]:
        yield f"Global[{len(self.module.globals)}]:"
        for i, g in enumerate(self.module.globals, start=len(self.imported[ExternKind.GLOBAL])):
            gt = g.type
            yield f" - global[{i}] {gt.valtype.text} mutable={int(gt.mutable)}{self._global(i)} - init {self._expr(g.init)}"

    def _exports(self) -> Iterator[str]:
        yield f"Export[{len(self.module.exports)}]:"
        for e in self.module.exports:
            name = self._func(e.index) if e.kind == ExternKind.FUNC else ""
            yield f' - {e.kind.text}[{e.index}]{name} -> "{e.name}"'

    def _start(self) -> Iterator[str]:
        yield "Start:"
        yield f" - start function: {self.module.start}{self._func(self.module.start or 0)}"

    def _elems(self) -> Iterator[str]:
        yield f"Elem[{len(self.module.elems)}]:"
        for i, seg in enumerate(self.module.elems):
            init = f" - init {self._expr(seg.offset)}" if seg.offset is not None else ""
            yield f" - segment[{i}] flags={elem_flags(seg)} table={seg.table} count={len(seg.init)}{init}"
            base = _const_offset(seg.offset)
            for j, item in enumerate(seg.init):
                yield f"  - elem[{base + j}] = {self._expr(item)}"

    def _data_count(self) -> Iterator[str]:
        yield "DataCount:"
        yield f" - data count: {self.module.data_count}"

    def _code(self) -> Iterator[str]:
        yield f"Code[{len(self.module.funcs)}]:"
        first = len(self.imported[ExternKind.FUNC])
        for i, (func, entry) in enumerate(zip(self.module.funcs, self._code_entries()), start=first):
            count = sum(n for n, _ in func.locals)
            yield f" - func[{i}] size={entry.size}{self._func(i)} locals={count}"

    def _datas(self) -> Iterator[str]:
        yield f"Data[{len(self.module.datas)}]:"
        for i, seg in enumerate(self.module.datas):
            name = self.names.datas.get(i)
            label = f" <{name}>" if name else ""
            if seg.mode is SegmentMode.PASSIVE:
                yield f" - segment[{i}]{label} passive size={len(seg.init)}"
            else:
                yield f" - segment[{i}]{label} memory={seg.memory} size={len(seg.init)} - init {self._expr(seg.offset)}"
            yield from _hex_dump(seg.init, _const_offset(seg.offset))

    def _name_section(self) -> Iterator[str]:
        names: NameSection = self.names
        if names.module is not None:
            yield f" - module <{names.module}>"
        for i, name in sorted(names.funcs.items()):
            yield f" - func[{i}] <{name}>"
        for i, local_names in sorted(names.locals.items()):
            for j, name in sorted(local_names.items()):
                yield f" - func[{i}] local[{j}] <{name}>"
        for label, mapping in (
            ("type", names.types),
            ("table", names.tables),
            ("memory", names.memories),
            ("global", names.globals),
            ("elemseg", names.elems),
            ("dataseg", names.datas),
            ("tag", names.tags),
        ):
            for i, name in sorted(mapping.items()):
                yield f" - {label}[{i}] <{name}>"

    def _expr(self, expr: bytes | None) -> str:
        """A constant expression as wabt shows one: `i32=5`, `global=0 <g>`, `ref.func:3 <f>`,
        `ref.null funcref`, else its instructions in parentheses."""
        instrs = [instr for instr in iter_instructions(expr or b"") if instr.op.name != "end"]
        if len(instrs) == 1:
            instr = instrs[0]
            name = instr.op.name
            if name.endswith(".const"):
                return f"{name[: -len('.const')]}={format_immediates(instr.op, instr.imm)}"
            if name == "global.get":
                return f"global={instr.imm}{self._global(instr.imm)}"
            if name == "ref.func":
                return f"ref.func:{instr.imm}{self._func(instr.imm)}"
            if name == "ref.null":
                return f"ref.null {ref_type(True, instr.imm).text}"  # the type of the null
        return f"({', '.join(format_instr(instr) for instr in instrs)})"

    # -- -d --

    def _code_entries(self) -> list[_CodeEntry]:
        """Each function body's place in the file, read from the code section itself (the
        module keeps local declarations merged, and wabt shows them as written)."""
        span = next((s for s in self.spans if s.id == SectionId.CODE), None)
        if span is None:
            return []
        data = self.data
        count, pos = read_u32(data, span.offset)
        entries = []
        for _ in range(count):
            size, start = read_u32(data, pos)
            decl_count, at = read_u32(data, start)
            decls = []
            for _ in range(decl_count):
                decl_start = at
                n, at = read_u32(data, at)
                vt, at = read_valtype(data, at)
                decls.append((decl_start, data[decl_start:at], n, vt))
            entries.append(_CodeEntry(start, size, tuple(decls)))
            pos = start + size
        return entries

    def disassembly(self) -> Iterator[str]:
        first = len(self.imported[ExternKind.FUNC])
        for i, (func, entry) in enumerate(zip(self.module.funcs, self._code_entries()), start=first):
            yield f"{entry.start:06x} func[{i}]{self._func(i)}:"
            local_index = len(self.module.func_type(func.type_index).params)
            for offset, raw, n, vt in entry.local_decls:
                if n == 0:
                    continue
                span = f"{local_index}" if n == 1 else f"{local_index}..{local_index + n - 1}"
                yield f" {offset:06x}: {_hex_bytes(raw):<{_HEX_WIDTH}} | local[{span}] type={vt.text}"
                local_index += n
            yield from self._disassemble(func.body, func.body_offset, i)

    def _disassemble(self, body: bytes, base: int, func_index: int) -> Iterator[str]:
        for row in self.instruction_rows(body, base, func_index):
            text = f"{'  ' * row.depth}{row.text}"
            for at in range(row.offset, row.end, _BYTES_PER_LINE):
                raw = self.data[at : min(at + _BYTES_PER_LINE, row.end)]
                yield f" {at:06x}: {_hex_bytes(raw):<{_HEX_WIDTH}} | {text}"
                text = ""

    def instruction_rows(self, body: bytes, base: int, func_index: int) -> Iterator[InstrRow]:
        """Each instruction of the body of function `func_index` (which begins at file offset
        `base`): where it lies in the file, how deeply it is nested, and its text with indices
        named as the name section names them."""
        depth = 0
        spaces = {
            "func": self.func_names,
            "global": self.global_names,
            "local": self.names.locals.get(func_index, {}),
            "table": self.names.tables,
            "elem": self.names.elems,
            "data": self.names.datas,
            "tag": self.tag_names,
        }

        def namer(space: str, index: int) -> str:
            name = spaces.get(space, {}).get(index)
            return f"{index} <{name}>" if name else str(index)

        instrs = list(iter_instructions(body))
        for n, instr in enumerate(instrs):
            end = instrs[n + 1].offset if n + 1 < len(instrs) else len(body)
            if instr.op.name in ("end", "else", "catch", "catch_all", "delegate"):
                depth = max(depth - 1, 0)
            yield InstrRow(base + instr.offset, base + end, depth, format_instr(instr, namer), instr)
            if instr.op.name in ("block", "loop", "if", "else", "try", "try_table", "catch", "catch_all"):
                depth += 1


def _hex_bytes(raw: bytes) -> str:
    return " ".join(f"{b:02x}" for b in raw)


def _const_offset(expr: bytes | None) -> int:
    """The value of an offset expression that is a single `i32.const`/`i64.const`, else 0."""
    if not expr:
        return 0
    instrs = list(iter_instructions(expr))
    if len(instrs) == 2 and instrs[0].op.name in ("i32.const", "i64.const"):
        return int(instrs[0].imm)
    return 0

