"""Module-level validation: limits (wasmtime's implementation limits first, then the spec's),
constant expressions, segments, the start function, exports, and each function body, in the
order of the reference interpreter (so that a module with several faults reports the same one)."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from dataclasses import dataclass

from ..binary.code import iter_instructions, ref_func_index
from ..errors import ValidationError
from ..progress import Progress
from ..opcodes import ALL_FEATURES, Feature, op
from ..syntax.module import Module, SegmentMode
from ..syntax.types import (
    MAX_PAGES,
    DefinedType,
    MAX_PAGES_64,
    ExternKind,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    TagType,
    ValType,
)
from .context import Context
from .features import check_features
from .function import check_const_expr, check_function
from .limits import check_function_limits, check_module_limits
from .subtyping import TypeRelation

__all__ = ["validate", "ValidModule"]

_REF_FUNC = op("ref.func")


@dataclass(frozen=True, slots=True)
class ValidModule:
    """A module that passed validation, with the types of its index spaces resolved."""

    module: Module
    func_types: tuple[FuncType, ...]  # every function, imported ones first
    table_types: tuple[TableType, ...]
    memory_types: tuple[MemoryType, ...]
    global_types: tuple[GlobalType, ...]
    # The functions a reference can name (the spec's C.refs: exported, in element segments or
    # global initialisers): with the start function, all that can be called from outside the
    # module's own code, through an export, a table or a reference.
    func_refs: frozenset[int]
    # Each type's canonical key (`TypeRelation.key`): equal for equivalent types, whichever
    # module defines them, so that run-time type checks compare these.
    type_keys: tuple[Hashable, ...] = ()
    tag_types: tuple[FuncType, ...] = ()  # every tag's function type, imported ones first
    tail_calls: bool = False  # some function makes tail calls (return_call*)
    # The sha256 of the binary the module was read from, when it was read from one (by
    # `runtime.Module`): a name for the module that costs nothing more to key caches by.
    digest: bytes | None = None

    @property
    def imported_func_count(self) -> int:
        return len(self.func_types) - len(self.module.funcs)


def validate(
    module: Module,
    progress: Progress | None = None,
    features: frozenset[Feature] = ALL_FEATURES,
    *,
    known_tail_calls: bool | None = None,
    digest: bytes | None = None,
    bodies: range | None = None,
) -> ValidModule:
    """Check `module` against the WebAssembly type system, with the rules of `features` (all
    of them unless told; `opcodes.WASM_2_0` for 2.0's). Raises ValidationError. `progress`, if
    given, is called with (functions checked, functions) as bodies are checked. Modules past
    wasmtime's implementation limits are refused first (see `limits`).

    `known_tail_calls` is for a module whose function bodies are known valid under
    `features` (a recorded verdict on its exact bytes: `runtime.verdicts`): the bodies are then
    not checked (everything else is), and whether they make tail calls is taken from it.
    `digest` is kept on the result (`ValidModule.digest`). `bodies` checks only the bodies of
    those defined functions (by index among the defined ones), for a caller that checks the
    others elsewhere (`runtime.two_cores`); the result's `tail_calls` then covers those only."""
    if not isinstance(module, Module):
        kind = type(module).__name__
        raise TypeError(f"validate takes a parsed module (from parse_wat or read_module; or use Module), not {kind}")
    check_module_limits(module)
    types = module.types
    rel = TypeRelation(types, module.rec_groups)
    rel.check_definitions()
    for imp in module.imports:
        if isinstance(imp.desc, int):
            _lookup_type(types, imp.desc)
        elif isinstance(imp.desc, TableType):
            _check_table_type(imp.desc)
        elif isinstance(imp.desc, MemoryType):
            _check_memory_type(imp.desc)
        elif isinstance(imp.desc, TagType):
            _check_tag_type(types, imp.desc)
    func_type_indices = module.func_type_indices()
    type_of_index = {i: _lookup_type(types, i) for i in dict.fromkeys(func_type_indices)}  # each looked up once
    func_types = tuple(map(type_of_index.__getitem__, func_type_indices))
    table_types = tuple(module.table_types())
    memory_types = tuple(module.memory_types())
    imported_globals = [g for g in (imp.desc for imp in module.imports) if isinstance(g, GlobalType)]
    all_globals = tuple(imported_globals + [g.type for g in module.globals])
    # Constant expressions see the imported globals; with the GC proposal's rule (3.0), a
    # global's initialiser also sees the globals defined before it, and segments see them all.
    # The list grows as the globals are checked, so that this costs linear time.
    visible = list(imported_globals)
    const_ctx = Context(
        types=types,
        funcs=func_types,
        tables=table_types,
        mems=memory_types,
        globals=visible,
        elems=[seg.type for seg in module.elems],
        data_count=len(module.datas),
        refs=_declared_func_refs(module),
        func_type_indices=func_type_indices,
        rel=rel,
        tags=tuple(_lookup_type(types, tag.type_index) for tag in module.tag_types()),
    )
    reads_own_globals = Feature.GC in features
    for gt in all_globals:
        rel.check_valtype(gt.valtype)
    # A table's initial value sees the imported globals only (tables come before globals).
    for defined, tt in enumerate(module.tables):
        init = module.table_init(defined)
        if init is not None:
            check_const_expr(const_ctx, init, tt.elem, features)
        elif not tt.elem.defaultable:
            raise ValidationError(f"type mismatch: a table of {tt.elem.text} needs an initial value")
    for tt in table_types:
        rel.check_valtype(tt.elem)
    for glob in module.globals:
        check_const_expr(const_ctx, glob.init, glob.type.valtype, features)
        if reads_own_globals:
            visible.append(glob.type)
    for tt in module.tables:
        _check_table_type(tt)
    for mt in module.mems:
        _check_memory_type(mt)
    for tag in module.tags:
        _check_tag_type(types, tag)
    for seg in module.elems:
        rel.check_valtype(seg.type)
        for item in seg.init:
            check_const_expr(const_ctx, item, seg.type, features)
        if seg.mode is SegmentMode.ACTIVE:
            table = const_ctx.table(seg.table)
            if not rel.matches(seg.type, table.elem):
                raise ValidationError(
                    f"type mismatch: element segment's type {seg.type.text} "
                    f"does not match table's element type {table.elem.text}"
                )
            check_const_expr(const_ctx, seg.offset or b"", table.address_type, features)
    for data in module.datas:
        if data.mode is SegmentMode.ACTIVE:
            memory = const_ctx.memory(data.memory)
            check_const_expr(const_ctx, data.offset or b"", memory.address_type, features)
    func_ctx = dataclasses.replace(const_ctx, globals=all_globals)  # bodies see every global
    first_defined = len(func_types) - len(module.funcs)
    tail_calls = False
    if known_tail_calls is not None:  # a verdict covers the bodies and their limits
        checked = range(0)
    else:
        checked = range(len(module.funcs)) if bodies is None else bodies
    for i in checked:
        func = module.funcs[i]
        try:
            func_type = func_types[first_defined + i]
            check_function_limits(func_type, func.locals, func.body)
            tail_calls |= check_function(func_ctx, func_type, func.locals, func.body)
        except ValidationError as err:
            err.func_index = first_defined + i
            err.offset = func.body_offset + (err.offset or 0)
            raise
        if progress is not None:
            progress(i + 1 - checked.start, len(checked))
    if module.start is not None:
        start_type = func_ctx.func(module.start)
        if start_type.params or start_type.results:
            raise ValidationError("start function must not have parameters or results")
    names: set[str] = set()
    for export in module.exports:
        if export.kind == ExternKind.FUNC:
            func_ctx.func(export.index)
        elif export.kind == ExternKind.TABLE:
            func_ctx.table(export.index)
        elif export.kind == ExternKind.MEMORY:
            func_ctx.memory(export.index)
        elif export.kind == ExternKind.TAG:
            func_ctx.tag(export.index)
        else:
            func_ctx.global_(export.index)
        if export.name in names:
            raise ValidationError("duplicate export name")
        names.add(export.name)
    if len(table_types) > 1 and Feature.REFERENCE_TYPES not in features:
        raise ValidationError("multiple tables are not allowed")  # the MVP's wording
    if len(memory_types) > 1 and Feature.MULTI_MEMORY not in features:
        raise ValidationError("multiple memories are not allowed")
    # What the rules above do not cover (an instruction, a type or a segment kind of a feature
    # left out), after them, so that 2.0's rules give the reference wording first.
    check_features(module, ALL_FEATURES - features, bodies=known_tail_calls is None)
    return ValidModule(
        module, func_types, table_types, memory_types, all_globals, const_ctx.refs, rel.keys(), tuple(const_ctx.tags),
        tail_calls if known_tail_calls is None else known_tail_calls, digest,
    )


def _lookup_type(types: tuple[DefinedType, ...], index: int) -> FuncType:
    """Type `index`, which must be a function type."""
    if index >= len(types):
        raise ValidationError(f"unknown type {index}")
    found = types[index]
    if not isinstance(found, FuncType):
        raise ValidationError(f"non-function type {index}")
    return found


def _check_tag_type(types: tuple[DefinedType, ...], tag: TagType) -> None:
    if _lookup_type(types, tag.type_index).results:
        raise ValidationError("non-empty tag result type")


def _check_limits(limits: Limits, bound: int, message: str) -> None:
    if limits.min > bound:
        raise ValidationError(message)
    if limits.max is not None:
        if limits.max > bound:
            raise ValidationError(message)
        if limits.min > limits.max:
            raise ValidationError("size minimum must not be greater than maximum")


def _check_table_type(tt: TableType) -> None:
    if tt.is_64:
        _check_limits(tt.limits, 0xFFFF_FFFF_FFFF_FFFF, "table size must be at most 2^64-1 for i64")
    else:
        _check_limits(tt.limits, 0xFFFF_FFFF, "table size must be at most 2^32-1")


def _check_memory_type(mt: MemoryType) -> None:
    if mt.is_64:
        _check_limits(mt.limits, MAX_PAGES_64, "memory size must be at most 2^48 pages (256 TiB) for i64")
    else:
        _check_limits(mt.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)")
    if mt.shared and mt.limits.max is None:
        raise ValidationError("shared memory must have maximum")


def _declared_func_refs(module: Module) -> frozenset[int]:
    """Functions that may be referenced by `ref.func` in code: those named in exports, in
    global initialisers, tables' initial values and element segments (the spec's C.refs)."""
    refs = {e.index for e in module.exports if e.kind == ExternKind.FUNC}
    exprs = [g.init for g in module.globals] + [init for _, init in module.table_inits]
    exprs += [item for seg in module.elems for item in seg.init]
    for expr in exprs:
        index = ref_func_index(expr)  # the commonest by far, read without decoding (python.wasm: 47,161)
        if index is not None:
            refs.add(index)
        else:
            refs.update(instr.imm for instr in iter_instructions(expr) if instr.op is _REF_FUNC)
    return frozenset(refs)
