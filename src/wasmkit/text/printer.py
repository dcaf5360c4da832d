"""The printer: `Module -> text`, in the flat style of wabt's wasm2wat.

Every definition carries its index as a `(;N;)` comment, every type use names its type
explicitly, and names from the name section print as `$names` (made valid and unique). Other
custom sections print as wasm-tools prints them: a branch hint section as
`(@metadata.code.branch_hint ...)` before each hinted instruction (when every hint falls on one),
the rest as `(@custom "name" (after SECTION) "bytes")` at the end of the module, whose explicit
placement puts each back where it was. Parsing the output gives back the module, except for
what the text format cannot say or says one way only: the name section comes back only from
`$names` (with debug names); a data count section that no instruction needs is
dropped; integers encoded with more LEB128 bytes than needed come back minimal; and a block
whose type is the index of a type `[] -> []` or `[] -> [t]` comes back in the equivalent short
form. Printing what that parse gives is a fixpoint.

Output stays proportional to the module, as in wasmprinter (wasmtime's printer): indentation
stops growing 50 levels deep, and a function that declares more than 50,000 locals is refused
with a ValidationError ("too many locals"), since each would print as a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..binary.code import iter_instructions
from ..binary.names import read_names
from ..binary.writer import encode_locals
from ..errors import DecodeError, ValidationError
from ..syntax.module import DataSegment, ElemSegment, Module, NameSection, SegmentMode
from ..syntax.types import REF_FUNC, DefinedType, FuncType, StructType, GlobalType, Limits, MemoryType, TableType, TagType, ValType
from .annotations import BRANCH_HINT, placement_text, read_branch_hints, stands_before_code
from .instr_text import IndexNamer, format_instr

__all__ = ["print_module"]

_INDENT = "  "
# Indentation stops growing at this depth, as in wasmprinter (wasmtime's printer): without a
# cap, n nested blocks would print in n^2 characters.
_MAX_INDENT = 50
# A function with more locals than this is refused, as wasmprinter refuses it: each local
# prints as a word, so a few bytes of binary could otherwise ask for gigabytes of text.
_MAX_LOCALS = 50_000
_NOT_ID_CHAR = re.compile(r"[^0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]")


def _ids(names: dict[int, str]) -> dict[int, str]:
    """Names made into valid, unique identifiers (`$` included). A repeated name takes the
    next free `.N` suffix; where the search for one stopped is kept per name, so that many
    copies of one name cost linear time."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    for index, name in sorted(names.items()):
        base = _NOT_ID_CHAR.sub("_", name) or "_"
        candidate = base
        n = next_suffix.get(base, 1)
        while candidate in taken:
            candidate = f"{base}.{n}"
            n += 1
        next_suffix[base] = n
        taken.add(candidate)
        out[index] = "$" + candidate
    return out


# Each byte as a string literal writes it: printable ASCII as itself, the rest as `\hh`.
_BYTE_TEXT = {
    byte: chr(byte) if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C) else f"\\{byte:02x}" for byte in range(256)
}


def _string(data: bytes) -> str:
    """A string literal of the bytes (translated in C: a data segment may be large)."""
    return '"' + data.decode("latin-1").translate(_BYTE_TEXT) + '"'


def _name(text: str) -> str:
    return _string(text.encode("utf-8"))


def _limits(limits: Limits, address_type: ValType = ValType.I32) -> str:
    """Limits, after `i64` for a 64-bit table or memory."""
    text = str(limits.min) if limits.max is None else f"{limits.min} {limits.max}"
    return f"i64 {text}" if address_type == ValType.I64 else text


def _memory_type(mt: MemoryType) -> str:
    """Limits (after `i64` for a 64-bit memory), then `shared` for a shared memory (threads)."""
    text = _limits(mt.limits, mt.address_type)
    return f"{text} shared" if mt.shared else text


def _global_type(gt: GlobalType) -> str:
    return f"(mut {gt.valtype.text})" if gt.mutable else gt.valtype.text


def _signature(ft: FuncType, param_ids: dict[int, str] | None = None) -> str:
    parts: list[str] = []
    if ft.params:
        if param_ids:
            parts.extend(
                f"(param {param_ids[i]} {t.text})" if i in param_ids else f"(param {t.text})"
                for i, t in enumerate(ft.params)
            )
        else:
            parts.append("(param " + " ".join(t.text for t in ft.params) + ")")
    if ft.results:
        parts.append("(result " + " ".join(t.text for t in ft.results) + ")")
    return " ".join(parts)


def _definition(definition: DefinedType) -> str:
    """A type definition: `(func ...)`, `(struct ...)` or `(array ...)`, inside `(sub ...)`
    when it declares a supertype or is open to subtypes."""
    if isinstance(definition, FuncType):
        sig = _signature(definition)
        body = f"(func{' ' + sig if sig else ''})"
    elif isinstance(definition, StructType):
        body = "(struct" + "".join(f" (field {field.text})" for field in definition.fields) + ")"
    else:
        body = f"(array {definition.element.text})"
    if definition.final and not definition.supertypes:
        return body
    head = "sub final" if definition.final else "sub"
    return f"({head}{''.join(f' {s}' for s in definition.supertypes)} {body})"


class _Printer:
    def __init__(self, module: Module) -> None:
        self.module = module
        names: NameSection = read_names(module)
        self.names = names
        self.func_ids = _ids(names.funcs)
        self.global_ids = _ids(names.globals)
        self.table_ids = _ids(names.tables)
        self.memory_ids = _ids(names.memories)
        self.type_ids = _ids(names.types)
        self.elem_ids = _ids(names.elems)
        self.data_ids = _ids(names.datas)
        self.tag_ids = _ids(names.tags)
        self.func_types = module.func_type_indices()
        self.hints = self.inline_hints()

    def inline_hints(self) -> dict[int, dict[int, int]] | None:
        """The branch hints to print before instructions, by function index and offset of the
        instruction in the body; None when the module's branch hint section (if any) cannot
        print that way and back (malformed, out of order, or a hint on no instruction)."""
        sections = self.module.custom(BRANCH_HINT)
        if not sections:
            return {}
        if len(sections) > 1 or not stands_before_code(sections[0].after):
            return None
        try:
            funcs = read_branch_hints(sections[0].data)
        except DecodeError:
            return None
        imported = len(self.func_types) - len(self.module.funcs)
        out: dict[int, dict[int, int]] = {}
        last = -1
        for func_index, hints in funcs:
            if not max(imported, last + 1) <= func_index < len(self.func_types):
                return None  # no defined function, or out of order
            last = func_index
            func = self.module.funcs[func_index - imported]
            start = len(encode_locals(func.locals))
            instrs = {instr.offset for instr in iter_instructions(func.body)}
            offsets = [offset - start for offset, _ in hints]
            if offsets != sorted(set(offsets)) or not instrs.issuperset(offsets):
                return None
            out[func_index] = {offset - start: hint for offset, hint in hints}
        return out

    def ref(self, ids: dict[int, str], index: int) -> str:
        return ids.get(index, str(index))

    def label(self, ids: dict[int, str], index: int) -> str:
        """The `$id (;N;)` (or `(;N;)`) that opens a definition."""
        name = ids.get(index)
        return f"{name} (;{index};)" if name else f"(;{index};)"

    def namer(self, local_ids: dict[int, str]) -> IndexNamer:
        spaces = {
            "func": self.func_ids,
            "global": self.global_ids,
            "table": self.table_ids,
            "memory": self.memory_ids,
            "type": self.type_ids,
            "elem": self.elem_ids,
            "data": self.data_ids,
            "tag": self.tag_ids,
            "local": local_ids,
        }

        def name(space: str, index: int) -> str:
            return spaces.get(space, {}).get(index, str(index))

        return name

    def lines(self) -> Iterator[str]:
        m = self.module
        header = f"(module ${_NOT_ID_CHAR.sub('_', self.names.module)}" if self.names.module else "(module"
        yield header
        groups = {start: count for start, count in m.rec_groups}
        open_until = 0
        for i, definition in enumerate(m.types):
            indent = _INDENT * (2 if i < open_until else 1)
            if i in groups:
                yield f"{_INDENT}(rec"
                open_until = i + groups[i]
                indent = _INDENT * 2
            yield f"{indent}(type {self.label(self.type_ids, i)} {_definition(definition)})"
            if i + 1 == open_until:
                yield f"{_INDENT})"
        counters = {"func": 0, "table": 0, "memory": 0, "global": 0, "tag": 0}
        for imp in m.imports:
            kind = imp.kind.text
            index = counters[kind]
            counters[kind] += 1
            yield f"{_INDENT}(import {_name(imp.module)} {_name(imp.name)} ({kind} {self.import_desc(imp.desc, index)}))"
        first_func = counters["func"]
        for i, func in enumerate(m.funcs, start=first_func):
            yield from self.func(i, func)
        for defined, tt in enumerate(m.tables):
            label = self.label(self.table_ids, counters["table"] + defined)
            init = m.table_init(defined)
            value = f" {self.expr(init)}" if init is not None else ""
            yield f"{_INDENT}(table {label} {_limits(tt.limits, tt.address_type)} {tt.elem.text}{value})"
        for i, mt in enumerate(m.mems, start=counters["memory"]):
            yield f"{_INDENT}(memory {self.label(self.memory_ids, i)} {_memory_type(mt)})"
        for i, tag in enumerate(m.tags, start=counters["tag"]):
            yield f"{_INDENT}(tag {self.import_desc(tag, i)})"
        for i, glob in enumerate(m.globals, start=counters["global"]):
            yield f"{_INDENT}(global {self.label(self.global_ids, i)} {_global_type(glob.type)} {self.expr(glob.init)})"
        spaces = {"func": self.func_ids, "table": self.table_ids, "memory": self.memory_ids, "global": self.global_ids,
                  "tag": self.tag_ids}
        for export in m.exports:
            kind = export.kind.text
            yield f"{_INDENT}(export {_name(export.name)} ({kind} {self.ref(spaces[kind], export.index)}))"
        if m.start is not None:
            yield f"{_INDENT}(start {self.ref(self.func_ids, m.start)})"
        for i, seg in enumerate(m.elems):
            yield f"{_INDENT}(elem {self.label(self.elem_ids, i)}{self.elem(seg)})"
        for i, data in enumerate(m.datas):
            yield f"{_INDENT}(data {self.label(self.data_ids, i)}{self.data(data)})"
        for custom in m.customs:
            if custom.name != "name" and not (custom.name == BRANCH_HINT and self.hints is not None):
                yield f"{_INDENT}(@custom {_name(custom.name)} {placement_text(custom.after)} {_string(custom.data)})"
        yield ")"

    def import_desc(self, desc: object, index: int) -> str:
        if isinstance(desc, int):
            return f"{self.label(self.func_ids, index)} (type {self.ref(self.type_ids, desc)})"
        if isinstance(desc, TableType):
            return f"{self.label(self.table_ids, index)} {_limits(desc.limits, desc.address_type)} {desc.elem.text}"
        if isinstance(desc, MemoryType):
            return f"{self.label(self.memory_ids, index)} {_memory_type(desc)}"
        if isinstance(desc, TagType):
            return f"{self.label(self.tag_ids, index)} (type {self.ref(self.type_ids, desc.type_index)})"
        return f"{self.label(self.global_ids, index)} {_global_type(desc)}"  # type: ignore[arg-type]

    def func(self, index: int, func) -> Iterator[str]:
        m = self.module
        ft = m.types[func.type_index] if func.type_index < len(m.types) else FuncType()
        local_ids = _ids(self.names.locals.get(index, {}))
        sig = _signature(ft, local_ids)
        typeuse = f"(type {self.ref(self.type_ids, func.type_index)})"
        yield f"{_INDENT}(func {self.label(self.func_ids, index)} {typeuse}{' ' + sig if sig else ''}"
        if sum(count for count, _ in func.locals) > _MAX_LOCALS:
            raise ValidationError(f"too many locals to print (more than {_MAX_LOCALS})", func_index=index)
        local_index = len(ft.params)
        declared: list[str] = []
        unnamed: list[str] = []  # a run of unnamed locals prints as one (local ...)
        for count, vt in func.locals:
            for _ in range(count):
                name = local_ids.get(local_index)
                if name:
                    if unnamed:
                        declared.append(f"(local {' '.join(unnamed)})")
                        unnamed = []
                    declared.append(f"(local {name} {vt.text})")
                else:
                    unnamed.append(vt.text)
                local_index += 1
        if unnamed:
            declared.append(f"(local {' '.join(unnamed)})")
        if declared:
            yield _INDENT * 2 + " ".join(declared)
        namer = self.namer(local_ids)
        depth = 2
        hints = (self.hints or {}).get(index, {})
        instrs = list(iter_instructions(func.body))
        for instr in instrs[:-1]:  # the final `end` closes the func form
            name = instr.op.name
            if name in _CLOSING:
                depth -= 1
            hint = hints.get(instr.offset)
            if hint is not None:
                yield _INDENT * min(depth, _MAX_INDENT) + f'(@{BRANCH_HINT} "\\{hint:02x}")'
            yield _INDENT * min(depth, _MAX_INDENT) + format_instr(instr, namer)
            if name in _OPENING:
                depth += 1
        yield _INDENT + ")"

    def expr(self, code: bytes) -> str:
        """A constant expression: one folded instruction, or `(offset ...)`-style list."""
        instrs = list(iter_instructions(code))[:-1]
        namer = self.namer({})
        return " ".join(f"({format_instr(instr, namer)})" for instr in instrs)

    def elem(self, seg: ElemSegment) -> str:
        parts = []
        if seg.mode is SegmentMode.DECLARATIVE:
            parts.append("declare")
        elif seg.mode is SegmentMode.ACTIVE:
            parts.append(f"(table {self.ref(self.table_ids, seg.table)})")
            parts.append(f"(offset {self.expr(seg.offset or b'')})")
        indices = [_ref_func_index(item) for item in seg.init]
        if seg.type == REF_FUNC and all(i is not None for i in indices):
            parts.append("func")
            parts.extend(self.ref(self.func_ids, i) for i in indices)  # type: ignore[arg-type]
        else:
            parts.append(seg.type.text)
            parts.extend(f"(item {self.expr(item)})" for item in seg.init)
        return " " + " ".join(parts)

    def data(self, seg: DataSegment) -> str:
        parts = []
        if seg.mode is SegmentMode.ACTIVE:
            parts.append(f"(memory {self.ref(self.memory_ids, seg.memory)})")
            parts.append(f"(offset {self.expr(seg.offset or b'')})")
        parts.append(_string(seg.init))
        return " " + " ".join(parts)


# The instructions that end a nested part of a body, and those that start one (by name).
_CLOSING = frozenset({"end", "else", "catch", "catch_all", "delegate"})
_OPENING = frozenset({"block", "loop", "if", "else", "try_table", "try", "catch", "catch_all"})


def _ref_func_index(expr: bytes) -> int | None:
    instrs = list(iter_instructions(expr))
    if len(instrs) == 2 and instrs[0].op.name == "ref.func":
        return instrs[0].imm
    return None


def print_module(module: Module) -> str:
    """The module in the text format."""
    return "\n".join(_Printer(module).lines()) + "\n"
