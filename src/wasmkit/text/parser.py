"""The text format: WAT modules to `Module`.

Two passes over the module's fields. The first defines every name in its index space (so that
fields may refer to ones defined later) and checks that imports come first; the second builds
each field, in textual order, so that function types written inline are appended to the type
section in the order they appear, as the spec (and wabt) do.
"""

from __future__ import annotations

from ..binary import read_module
from ..binary.code import inline_blocktype
from ..binary.leb128 import write_unsigned
from ..opcodes import ALL_FEATURES, Feature
from ..syntax.module import (
    CustomSection,
    DataSegment,
    ElemSegment,
    Export,
    Func,
    Global,
    Import,
    ImportDesc,
    Module,
    NameSection,
    SegmentMode,
)
from ..syntax.types import (
    PAGE_SIZE,
    DefinedType,
    ExternKind,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    REF_FUNC,
    RefType,
    TableType,
    TagType,
    ValType,
    ValueType,
)
from .annotations import ModuleAnnotations
from .body import parse_annotated_code, parse_code
from .typedefs import DEFINITION_HEADS, parse_definition, take_params, take_results
from .cursor import Cursor, Space, is_form, unexpected
from .lexer import ID, Form, Item, Source, Token, read_forms

__all__ = ["parse_module", "module_from_form", "module_from_items"]

_DEFINITION_KINDS = {"func": "function", "table": "table", "memory": "memory", "global": "global", "tag": "tag"}
_IMPORT_KINDS = {
    int: ExternKind.FUNC, TableType: ExternKind.TABLE, MemoryType: ExternKind.MEMORY, GlobalType: ExternKind.GLOBAL,
    TagType: ExternKind.TAG,
}
_EXTERN_KINDS = {"func": ExternKind.FUNC, "table": ExternKind.TABLE, "memory": ExternKind.MEMORY, "global": ExternKind.GLOBAL,
                 "tag": ExternKind.TAG}


def parse_module(text: str, name: str = "", debug_names: bool = False) -> Module:
    """Parse a module in the text format: `(module ...)`, or just its fields. Raises ParseError
    (or, for `(module binary ...)`, DecodeError). With `debug_names`, the `$names` of the text
    go into a name section (as wat2wasm's --debug-names does)."""
    source = Source(text, name)
    module = module_from_items(source, read_forms(source), debug_names)
    source.raise_pending()
    return module


def module_from_items(source: Source, items: list[Item], debug_names: bool = False) -> Module:
    """A module from the top-level items of a text: one `(module ...)` form, or fields."""
    first = items[0] if items else None
    if is_form(first, "module"):
        module = module_from_form(source, first, debug_names)
        _expect_one_module(source, items)
        return module
    return _ModuleParser(source, items, (0, len(source.text)), None, debug_names).build()


def _expect_one_module(source: Source, items: list[Item]) -> None:
    """A text that starts with `(module ...)` holds that one module: anything after it (a
    second module, a script command) is where it goes wrong, and the error points there."""
    if len(items) > 1:
        source.fail("unexpected token: a module text holds one (module ...) form", items[1].offset)


def module_from_form(
    source: Source, form: Form, debug_names: bool = False, features: frozenset[Feature] = ALL_FEATURES
) -> Module:
    """A module from a `(module $id? ...)` form, including the `binary` and `quote` forms.
    Without memory64 in `features`, limits and offsets are 32-bit numbers, as 2.0 reads them
    (and the binary form is decoded with the encodings of `features`: see `read_module`)."""
    cursor = Cursor(source, form)
    module_name = cursor.take_id()
    if cursor.take_if_keyword("binary"):
        data = cursor.take_strings()
        cursor.expect_end()
        return read_module(data, features)
    if cursor.take_if_keyword("quote"):
        first = cursor.peek()
        text = cursor.take_strings()
        cursor.expect_end()
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            cursor.fail("malformed UTF-8 encoding", first)
        return _quoted_module(Source(decoded, source.name), debug_names, features)
    return _ModuleParser(
        source, form[cursor.pos :], (form.offset, form.end - 1), module_name, debug_names, features
    ).build()


def _quoted_module(source: Source, debug_names: bool, features: frozenset[Feature] = ALL_FEATURES) -> Module:
    """The module a quote holds: a text module, `(module $id? field*)` or bare fields, as the
    reference's `module1` reads it. A `binary` or `quote` form in a quote is unexpected (there
    as in wasmtime's parser): nested quotes would cost recursion, and reading each level's
    text again, time quadratic in its length."""
    items = read_forms(source)
    form = items[0] if items else None
    if is_form(form, "module"):
        cursor = Cursor(source, form)
        module_name = cursor.take_id()
        module = _ModuleParser(
            source, form[cursor.pos :], (form.offset, form.end - 1), module_name, debug_names, features
        ).build()
        _expect_one_module(source, items)
    else:
        module = _ModuleParser(source, items, (0, len(source.text)), None, debug_names, features).build()
    source.raise_pending()
    return module


class _ModuleParser:
    """Parses one module: its fields, which lie in `span` (start and end offsets) of the source
    with the annotations there."""

    def __init__(
        self,
        source: Source,
        fields: list[Item],
        span: tuple[int, int],
        module_name: str | None,
        debug_names: bool,
        features: frozenset[Feature] = ALL_FEATURES,
    ) -> None:
        self.source = source
        # Limits and memarg offsets are 64-bit numbers with memory64 (3.0), 32-bit ones in 2.0.
        self.wide_numbers = Feature.MEMORY64 in features
        self.module_name = module_name
        self.debug_names = debug_names
        self.local_names: dict[int, dict[int, str]] = {}
        self.fields = fields
        self.span = span
        self.end_offset = span[1]
        self.annotations = ModuleAnnotations(source, *span)
        self.types = Space("type")
        self.funcs = Space("func")
        self.tables = Space("table")
        self.mems = Space("memory")
        self.globals = Space("global")
        self.tags = Space("tag")
        self.elems = Space("elem")
        self.datas = Space("data")
        self.uses_data_index = False
        self.type_forms: list[Form] = []  # the definition of each `(type ...)`, in order
        self.rec_groups: list[tuple[int, int]] = []
        self.table_inits: list[tuple[int, bytes]] = []
        self.field_names: list[Space] = []  # per explicit type, its fields' names
        self.func_types: list[DefinedType] = []  # explicit types, then function types written inline
        self.first_type_index: dict[FuncType, int] = {}  # where each distinct type first is
        self.imports: list[Import] = []
        self.imported = dict.fromkeys(ExternKind, 0)
        self.funcs_out: list[Func] = []
        self.tables_out: list[TableType] = []
        self.mems_out: list[MemoryType] = []
        self.globals_out: list[Global] = []
        self.tags_out: list[TagType] = []
        self.exports: list[Export] = []
        self.elems_out: list[ElemSegment] = []
        self.datas_out: list[DataSegment] = []
        self.start: int | None = None

    # -- driving --

    def build(self) -> Module:
        for item in self.fields:
            if not isinstance(item, Form):
                unexpected(Cursor(self.source, self.fields, 0, self.end_offset), item)
        forms: list[Form] = self.fields  # type: ignore[assignment]
        self.check_import_order(forms)
        self.annotations.module_slot(self.span[0], forms, self.span[1])
        for form in forms:
            self.declare(form)
        in_groups = {i for start, count in self.rec_groups if count > 1 for i in range(start, start + count)}
        for index, definition_form in enumerate(self.type_forms):  # every type has its name now
            definition, fields = parse_definition(self.source, definition_form, self.types)
            self.field_names.append(fields)
            self.func_types.append(definition)
            if isinstance(definition, FuncType) and index not in in_groups:
                self.first_type_index.setdefault(definition, index)
        for form in forms:
            handler = getattr(self, f"field_{form.head}")
            handler(Cursor(self.source, form))
        customs = self.custom_sections(forms)
        return Module(
            types=tuple(self.func_types),
            rec_groups=tuple(self.rec_groups),
            table_inits=tuple(self.table_inits),
            imports=tuple(self.imports),
            funcs=tuple(self.funcs_out),
            tables=tuple(self.tables_out),
            mems=tuple(self.mems_out),
            tags=tuple(self.tags_out),
            globals=tuple(self.globals_out),
            exports=tuple(self.exports),
            start=self.start,
            elems=tuple(self.elems_out),
            datas=tuple(self.datas_out),
            data_count=len(self.datas_out) if self.uses_data_index else None,
            customs=customs,
        )

    def custom_sections(self, forms: list[Form]) -> tuple[CustomSection, ...]:
        """The custom sections the annotations ask for and, with debug names or @name
        annotations, the name section, in the order they are to be written."""
        ids = self.id_names() if self.debug_names else NameSection()
        return self.annotations.custom_sections(forms, ids, self.debug_names)

    def id_names(self) -> NameSection:
        """The `$names` of the text."""
        return NameSection(
            module=self.module_name,
            funcs={index: name for name, index in self.funcs.names.items()},
            locals=self.local_names,
            types={index: name for name, index in self.types.names.items()},
            tables={index: name for name, index in self.tables.names.items()},
            memories={index: name for name, index in self.mems.names.items()},
            globals={index: name for name, index in self.globals.names.items()},
            elems={index: name for name, index in self.elems.names.items()},
            datas={index: name for name, index in self.datas.names.items()},
            tags={index: name for name, index in self.tags.names.items()},
        )

    def check_import_order(self, forms: list[Form]) -> None:
        """Imports must precede every function, table, memory and global definition; report
        the last definition that an import follows, as the reference parser does."""
        last_import = max((i for i, form in enumerate(forms) if _is_import(form)), default=-1)
        if last_import < 0:
            return
        definitions = [i for i, form in enumerate(forms[:last_import]) if form.head in _DEFINITION_KINDS and not _is_import(form)]
        if definitions:
            kind = _DEFINITION_KINDS[forms[definitions[-1]].head]  # type: ignore[index]
            self.source.fail(f"import after {kind} definition", forms[last_import].offset)

    def declare(self, form: Form) -> None:
        """Pass 1: give the field's entities their indices and names."""
        head = form.head
        cursor = Cursor(self.source, form)
        if head == "type":
            self.declare_type(form)
        elif head == "rec":
            start = self.types.count
            for item in form[1:]:
                if not is_form(item, "type"):
                    unexpected(cursor, item)
                self.declare_type(item)
            if self.types.count > start:
                self.rec_groups.append((start, self.types.count - start))
        elif head == "import":
            cursor.take_name()
            cursor.take_name()
            desc = cursor.take()
            if not isinstance(desc, Form) or desc.head not in _EXTERN_KINDS:
                unexpected(cursor, desc)
            desc_cursor = Cursor(self.source, desc)
            index = self.space(desc.head).define(desc_cursor.take_id(), cursor, desc)
            self.annotations.name_slot(desc.head, index, desc, desc_cursor.pos)
        elif head in _EXTERN_KINDS:
            index = self.space(head).define(cursor.take_id(), cursor, form)
            self.annotations.name_slot(head, index, form, cursor.pos)
            cursor.take_forms("export")
            if head == "table" and cursor.peek_form("import") is None and _has_inline(cursor, "elem"):
                self.elems.define(None, cursor)
            if head == "memory" and cursor.peek_form("import") is None and _has_inline(cursor, "data"):
                self.datas.define(None, cursor)
        elif head == "elem":
            self.annotations.name_slot("elem", self.elems.define(cursor.take_id(), cursor, form), form, cursor.pos)
        elif head == "data":
            self.annotations.name_slot("data", self.datas.define(cursor.take_id(), cursor, form), form, cursor.pos)
        elif head not in ("export", "start"):
            unexpected(cursor, form[0] if form else None)

    def declare_type(self, form: Form) -> None:
        """Pass 1 of a `(type $id? definition)`: its index and name; the definition is read
        once every type has its name."""
        cursor = Cursor(self.source, form)
        name = cursor.take_id()
        self.annotations.name_slot("type", self.types.define(name, cursor, form), form, cursor.pos)
        definition = cursor.take()
        if not isinstance(definition, Form) or definition.head not in DEFINITION_HEADS:
            unexpected(cursor, definition)
        cursor.expect_end()
        self.type_forms.append(definition)

    def space(self, head: str) -> Space:
        return {"func": self.funcs, "table": self.tables, "memory": self.mems, "global": self.globals, "tag": self.tags}[head]

    # -- types --

    def params(self, cursor: Cursor, allow_names: bool) -> tuple[list[ValueType], list[str | None]]:
        return take_params(cursor, self.types, allow_names)

    def results(self, cursor: Cursor) -> list[ValueType]:
        return take_results(cursor, self.types)

    def add_type(self, ft: FuncType) -> int:
        """Append a type to the type section; its index."""
        self.func_types.append(ft)
        index = len(self.func_types) - 1
        self.first_type_index.setdefault(ft, index)
        return index

    def type_index(self, ft: FuncType) -> int:
        """The index of the first type equal to `ft`, appending it if there is none (found by
        hashing: a module may write thousands of distinct types inline)."""
        index = self.first_type_index.get(ft)
        return self.add_type(ft) if index is None else index

    def typeuse_with_names(self, cursor: Cursor, allow_names: bool = False) -> tuple[int, list[str | None]]:
        """`(type x)? (param ...)* (result ...)*`: the type index and the parameters' names."""
        type_form = cursor.take_form("type")
        params_at = cursor.peek()
        params, names = self.params(cursor, allow_names)
        results = self.results(cursor)
        if cursor.peek_form("param") is not None or cursor.peek_form("type") is not None:
            cursor.fail("unexpected token", cursor.peek())  # out of order
        if type_form is None:
            return self.type_index(FuncType(tuple(params), tuple(results))), names
        inner = Cursor(self.source, type_form)
        index = self.types.resolve(inner)
        inner.expect_end()
        if index >= len(self.func_types):
            # An unknown index is for validation to report, unless inline types need checking.
            if params or results:
                inner.fail(f"unknown type {index}", type_form)
            return index, []
        declared = self.func_types[index]
        if not isinstance(declared, FuncType):  # a struct or array type: validation says so
            if params or results:
                cursor.fail("inline function type does not match explicit type", params_at)
            return index, []
        if (params or results) and (tuple(params), tuple(results)) != (declared.params, declared.results):
            cursor.fail("inline function type does not match explicit type", params_at)
        return index, names if params else [None] * len(declared.params)

    def type_use(self, cursor: Cursor) -> int:
        return self.typeuse_with_names(cursor)[0]

    def block_type(self, cursor: Cursor) -> int | RefType:
        """A block type, in its s33 encoding: -64 when empty, a value type's code for a single
        result, a type index otherwise (a `(type x)` of one of the first two shapes is
        written in the short form too, as wabt writes it)."""
        if cursor.peek_form("type") is None:
            start = cursor.pos
            params, _ = self.params(cursor, allow_names=False)
            results = self.results(cursor)
            if not params and len(results) <= 1:
                return inline_blocktype(results)
            cursor.pos = start
        index = self.type_use(cursor)
        if index < len(self.func_types):
            ft = self.func_types[index]
            if isinstance(ft, FuncType) and ft.final and not ft.supertypes and not ft.params and len(ft.results) <= 1:
                return inline_blocktype(ft.results)
        return index

    # -- shared pieces of fields --

    def inline_exports(self, cursor: Cursor, kind: ExternKind, index: int) -> None:
        for form in cursor.take_forms("export"):
            inner = Cursor(self.source, form)
            self.exports.append(Export(inner.take_name(), kind, index))
            inner.expect_end()

    def inline_import(self, cursor: Cursor) -> tuple[str, str] | None:
        form = cursor.take_form("import")
        if form is None:
            return None
        inner = Cursor(self.source, form)
        names = inner.take_name(), inner.take_name()
        inner.expect_end()
        return names

    def limits(self, cursor: Cursor) -> Limits:
        take = cursor.take_u64 if self.wide_numbers else cursor.take_u32
        minimum = take()
        maximum = take() if cursor.peek_u32() else None
        return Limits(minimum, maximum)

    def address_type(self, cursor: Cursor) -> ValType:
        """The `i32` or `i64` that may begin a table or memory type (I32 when absent)."""
        if cursor.take_if_keyword("i64"):
            return ValType.I64
        cursor.take_if_keyword("i32")
        return ValType.I32

    def table_type(self, cursor: Cursor) -> TableType:
        address_type = self.address_type(cursor)
        limits = self.limits(cursor)
        return TableType(limits, cursor.take_reftype(self.types), address_type)

    def memory_type(self, cursor: Cursor) -> MemoryType:
        """An address type, limits, then `shared` for a memory of the threads proposal."""
        address_type = self.address_type(cursor)
        limits = self.limits(cursor)
        return MemoryType(limits, address_type, shared=cursor.take_if_keyword("shared"))

    def global_type(self, cursor: Cursor) -> GlobalType:
        form = cursor.take_form("mut")
        if form is None:
            return GlobalType(cursor.take_valtype(self.types), False)
        inner = Cursor(self.source, form)
        vt = inner.take_valtype(self.types)
        inner.expect_end()
        return GlobalType(vt, True)

    def expr(self, cursor: Cursor) -> bytes:
        """Instructions up to the end of the cursor's form, encoded with the final `end`."""
        return parse_code(self, self.source, cursor)

    def single_expr(self, form: Form) -> bytes:
        """The expression written as one folded instruction (the abbreviation of
        `(offset instr)` and `(item instr)`)."""
        holder = Form(form.offset)
        holder.append(form)
        holder.end = form.end
        return parse_code(self, self.source, Cursor(self.source, holder, 0, form.end - 1))

    def add_import(self, module_name: str, name: str, desc: ImportDesc) -> None:
        self.imports.append(Import(module_name, name, desc))
        self.imported[_IMPORT_KINDS[type(desc)]] += 1

    # -- the fields (pass 2) --

    def field_type(self, cursor: Cursor) -> None:
        pass  # defined in pass 1

    def field_rec(self, cursor: Cursor) -> None:
        pass  # defined in pass 1

    def field_import(self, cursor: Cursor) -> None:
        module_name = cursor.take_name()
        name = cursor.take_name()
        desc_form: Form = cursor.take()  # type: ignore[assignment]
        cursor.expect_end()
        inner = Cursor(self.source, desc_form)
        inner.take_id()
        kind = desc_form.head
        desc: ImportDesc
        if kind == "func":
            desc = self.type_use(inner)
        elif kind == "table":
            desc = self.table_type(inner)
        elif kind == "memory":
            desc = self.memory_type(inner)
        elif kind == "tag":
            desc = TagType(self.type_use(inner))
        else:
            desc = self.global_type(inner)
        inner.expect_end()
        self.add_import(module_name, name, desc)

    def field_func(self, cursor: Cursor) -> None:
        cursor.take_id()
        index = self.imported[ExternKind.FUNC] + len(self.funcs_out)
        self.inline_exports(cursor, ExternKind.FUNC, index)
        imported = self.inline_import(cursor)
        type_index, param_names = self.typeuse_with_names(cursor, allow_names=True)
        if imported is not None:
            cursor.expect_end()
            self.add_import(*imported, type_index)
            return
        local_space = Space("local")
        for param_name in param_names:
            local_space.define(param_name, cursor)
        runs: list[tuple[int, ValueType]] = []
        for form in cursor.take_forms("local"):
            inner = Cursor(self.source, form)
            local_name = inner.take_id()
            if local_name is not None:
                local_space.define(local_name, inner, form)
                _add_local(runs, inner.take_valtype(self.types))
                inner.expect_end()
                continue
            while not inner.at_end():
                local_space.define(None, inner)
                _add_local(runs, inner.take_valtype(self.types))
        for item in cursor.items if self.annotations.names else ():  # named parameters and locals too
            if (is_form(item, "param") or is_form(item, "local")) and len(item) > 1 and isinstance(item[1], Token):
                local_index = local_space.names.get(item[1].value) if item[1].kind == ID else None  # type: ignore[arg-type]
                if local_index is not None:
                    self.annotations.name_slot("local", local_index, item, 2, func=index)
        hints = self.annotations.hints_in(cursor.items)  # type: ignore[arg-type]
        body, placed = parse_annotated_code(self, self.source, cursor, local_space, hints)
        self.annotations.function_hints(index, tuple(runs), hints, placed)
        if local_space.names:
            self.local_names[index] = {i: name for name, i in local_space.names.items()}
        self.funcs_out.append(Func(type_index, tuple(runs), body))

    def field_table(self, cursor: Cursor) -> None:
        cursor.take_id()
        index = self.imported[ExternKind.TABLE] + len(self.tables_out)
        self.inline_exports(cursor, ExternKind.TABLE, index)
        imported = self.inline_import(cursor)
        if imported is None and _has_inline(cursor, "elem"):
            address_type = self.address_type(cursor)
            elem_type = cursor.take_reftype(self.types)
            elem_form: Form = cursor.take_form("elem")  # type: ignore[assignment]
            cursor.expect_end()
            items = self.elem_items(Cursor(self.source, elem_form), allow_bare_indices=True)
            self.tables_out.append(TableType(Limits(len(items), len(items)), elem_type, address_type))
            self.elems_out.append(
                ElemSegment(elem_type, items, SegmentMode.ACTIVE, index, _zero_offset(address_type))
            )
            return
        table_type = self.table_type(cursor)
        if imported is not None:
            cursor.expect_end()
            self.add_import(*imported, table_type)
            return
        if not cursor.at_end():  # the elements' initial value (3.0)
            self.table_inits.append((len(self.tables_out), self.expr(cursor)))
        self.tables_out.append(table_type)

    def field_memory(self, cursor: Cursor) -> None:
        cursor.take_id()
        index = self.imported[ExternKind.MEMORY] + len(self.mems_out)
        self.inline_exports(cursor, ExternKind.MEMORY, index)
        imported = self.inline_import(cursor)
        if imported is None and _has_inline(cursor, "data"):
            address_type = self.address_type(cursor)
            data_form: Form = cursor.take_form("data")  # type: ignore[assignment]
            cursor.expect_end()
            inner = Cursor(self.source, data_form)
            data = inner.take_strings()
            inner.expect_end()
            pages = -(-len(data) // PAGE_SIZE)
            self.mems_out.append(MemoryType(Limits(pages, pages), address_type))
            self.datas_out.append(DataSegment(data, SegmentMode.ACTIVE, index, _zero_offset(address_type)))
            return
        memory_type = self.memory_type(cursor)
        cursor.expect_end()
        if imported is not None:
            self.add_import(*imported, memory_type)
        else:
            self.mems_out.append(memory_type)

    def field_global(self, cursor: Cursor) -> None:
        cursor.take_id()
        index = self.imported[ExternKind.GLOBAL] + len(self.globals_out)
        self.inline_exports(cursor, ExternKind.GLOBAL, index)
        imported = self.inline_import(cursor)
        global_type = self.global_type(cursor)
        if imported is not None:
            cursor.expect_end()
            self.add_import(*imported, global_type)
            return
        self.globals_out.append(Global(global_type, self.expr(cursor)))

    def field_tag(self, cursor: Cursor) -> None:
        cursor.take_id()
        index = self.imported[ExternKind.TAG] + len(self.tags_out)
        self.inline_exports(cursor, ExternKind.TAG, index)
        imported = self.inline_import(cursor)
        tag_type = TagType(self.type_use(cursor))
        cursor.expect_end()
        if imported is not None:
            self.add_import(*imported, tag_type)
        else:
            self.tags_out.append(tag_type)

    def field_export(self, cursor: Cursor) -> None:
        name = cursor.take_name()
        desc = cursor.take()
        cursor.expect_end()
        if not isinstance(desc, Form) or desc.head not in _EXTERN_KINDS:
            unexpected(cursor, desc)
        inner = Cursor(self.source, desc)
        index = self.space(desc.head).resolve(inner)
        inner.expect_end()
        self.exports.append(Export(name, _EXTERN_KINDS[desc.head], index))

    def field_start(self, cursor: Cursor) -> None:
        if self.start is not None:
            cursor.fail("multiple start sections", cursor.items[0])
        self.start = self.funcs.resolve(cursor)
        cursor.expect_end()

    def field_elem(self, cursor: Cursor) -> None:
        cursor.take_id()
        if cursor.take_if_keyword("declare"):
            elem_type, items = self.elem_list(cursor)
            self.elems_out.append(ElemSegment(elem_type, items, SegmentMode.DECLARATIVE))
            return
        table_form = cursor.take_form("table")
        table = 0
        legacy_table = table_form is None and self.tables.peek_index(cursor) and isinstance(cursor.peek(1), Form)
        if table_form is not None:
            inner = Cursor(self.source, table_form)
            table = self.tables.resolve(inner)
            inner.expect_end()
        elif legacy_table:
            table = self.tables.resolve(cursor)
        offset = self.offset(cursor)
        if offset is None:
            if table_form is not None or legacy_table:
                cursor.fail_here("unexpected token")
            elem_type, items = self.elem_list(cursor)
            self.elems_out.append(ElemSegment(elem_type, items, SegmentMode.PASSIVE))
            return
        if table_form is None and cursor.peek_atom() != "func" and not self.reftype_follows(cursor):
            items = self.elem_items(cursor, allow_bare_indices=True)
            self.elems_out.append(ElemSegment(REF_FUNC, items, SegmentMode.ACTIVE, table, offset))
            return
        elem_type, items = self.elem_list(cursor)
        self.elems_out.append(ElemSegment(elem_type, items, SegmentMode.ACTIVE, table, offset))

    def offset(self, cursor: Cursor) -> bytes | None:
        """`(offset instr*)` or one folded instruction; None if neither comes next."""
        form = cursor.take_form("offset")
        if form is not None:
            return self.expr(Cursor(self.source, form))
        item = cursor.peek()
        if isinstance(item, Form) and item.head not in (None, "item", "memory", "table", "ref"):
            cursor.pos += 1
            return self.single_expr(item)
        return None

    def reftype_follows(self, cursor: Cursor) -> bool:
        """Whether a reference type comes next: a keyword such as `funcref`, or `(ref ...)`."""
        if cursor.peek_form("ref") is not None:
            return True
        word = cursor.peek_atom()
        vt = ValType.from_text(word) if word is not None else None
        return vt is not None and vt.is_ref

    def elem_list(self, cursor: Cursor) -> tuple[ValueType, tuple[bytes, ...]]:
        """`func funcidx*` (of type `(ref func)`) or `reftype elemexpr*`."""
        if cursor.take_if_keyword("func"):
            return REF_FUNC, self.elem_items(cursor, allow_bare_indices=True)
        elem_type = cursor.take_reftype(self.types)
        return elem_type, self.elem_items(cursor, allow_bare_indices=False)

    def elem_items(self, cursor: Cursor, allow_bare_indices: bool) -> tuple[bytes, ...]:
        items: list[bytes] = []
        while not cursor.at_end():
            item = cursor.peek()
            if isinstance(item, Form):
                if item.head == "item":
                    cursor.pos += 1
                    items.append(self.expr(Cursor(self.source, item)))
                else:
                    cursor.pos += 1
                    items.append(self.single_expr(item))
            elif allow_bare_indices:
                items.append(_ref_func_expr(self.funcs.resolve(cursor)))
            else:
                unexpected(cursor, item)
        return tuple(items)

    def field_data(self, cursor: Cursor) -> None:
        cursor.take_id()
        memory_form = cursor.take_form("memory")
        memory = 0
        legacy_memory = memory_form is None and self.mems.peek_index(cursor) and isinstance(cursor.peek(1), Form)
        if memory_form is not None:
            inner = Cursor(self.source, memory_form)
            memory = self.mems.resolve(inner)
            inner.expect_end()
        elif legacy_memory:
            memory = self.mems.resolve(cursor)
        offset = self.offset(cursor)
        if offset is None and (memory_form is not None or legacy_memory):
            cursor.fail_here("unexpected token")
        data = cursor.take_strings()
        cursor.expect_end()
        if offset is None:
            self.datas_out.append(DataSegment(data, SegmentMode.PASSIVE))
        else:
            self.datas_out.append(DataSegment(data, SegmentMode.ACTIVE, memory, offset))


def _zero_offset(address_type: ValType) -> bytes:
    """The offset of a segment written inline in a table or memory: `i32.const 0`, or
    `i64.const 0` in a 64-bit one."""
    return b"\x42\x00\x0b" if address_type == ValType.I64 else b"\x41\x00\x0b"


def _ref_func_expr(index: int) -> bytes:
    """The constant expression `ref.func index end`."""
    return b"\xd2" + write_unsigned(index) + b"\x0b"


def _is_import(form: Form) -> bool:
    if form.head == "import":
        return True
    if form.head not in _DEFINITION_KINDS:
        return False
    for item in form[1:]:
        if is_form(item, "import"):
            return True
        if not (isinstance(item, Token) and item.kind == ID) and not is_form(item, "export"):
            return False
    return False


def _has_inline(cursor: Cursor, head: str) -> bool:
    """Whether the field continues `addrtype? reftype? (head ...)`: a table with inline elements
    or a memory with inline data."""
    ahead = 1 if head == "elem" else 0
    if cursor.peek_atom() in ("i32", "i64"):
        ahead += 1
    return is_form(cursor.peek(ahead), head)


def _add_local(runs: list[tuple[int, ValueType]], vt: ValueType) -> None:
    if runs and runs[-1][1] == vt:
        runs[-1] = (runs[-1][0] + 1, vt)
    else:
        runs.append((1, vt))
