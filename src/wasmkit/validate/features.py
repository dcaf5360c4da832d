"""Which features a module uses, and refusing those not allowed: for `validate(...,
features=...)` and the command line's `--disable-FEATURE` flags alike.

An instruction belongs to the feature the instruction table gives it. Value types belong to a
feature too (v128 to SIMD, reference types outside a table's element type to reference types),
and so do passive segments (bulk memory), declarative ones (reference types), shared memories
(threads) and what a constant expression does (`function.const_expr_features`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..binary.code import Instr, iter_instructions
from ..binary.writer import elem_flags, func_index_of
from ..errors import ValidationError
from ..opcodes import Feature, Imm
from ..syntax.module import Module, SegmentMode
from ..syntax.types import REF_FUNC, ExternKind, FuncType, GlobalType, PackedType, HeapType, RefType, TableType, ValType, ValueType, ref_type
from .function import const_expr_features

__all__ = ["check_features"]

_EXCEPTION_HEAPS = frozenset({HeapType.EXN, HeapType.NOEXN})
_REFERENCE_TYPES_HEAPS = frozenset({HeapType.FUNC, HeapType.EXTERN})


def heap_feature(heap: HeapType | int, nullable: bool = True) -> Feature:
    """The feature a reference to `heap` needs: 2.0's reference types for nullable func and
    extern, exception handling for exn, GC for the other abstract types, function references
    for type indices and non-nullable references."""
    if heap in _EXCEPTION_HEAPS:
        return Feature.EXCEPTIONS
    if not isinstance(heap, HeapType) or heap in _REFERENCE_TYPES_HEAPS or heap is HeapType.NOFUNC:
        return Feature.REFERENCE_TYPES if nullable and heap in _REFERENCE_TYPES_HEAPS else Feature.FUNCTION_REFERENCES
    return Feature.GC


def valtype_feature(vt: ValueType) -> Feature | None:
    """The feature past 1.0 a value type needs, if any."""
    if vt is ValType.V128:
        return Feature.SIMD
    if not vt.is_ref:
        return None
    return heap_feature(vt.heap, vt.nullable)


def _immediate_types(instr: Instr) -> list[ValueType]:
    """The value types an instruction's immediate names (block types, typed select, ref.null)."""
    imm = instr.imm
    if isinstance(imm, RefType):
        return [imm]
    if instr.op.imm is Imm.SELECT_T:
        return list(imm)
    if instr.op.imm is Imm.HEAPTYPE:
        return [ref_type(True, imm)]
    return []
_CONST_EXPR_USES = {
    Feature.EXTENDED_CONST: "arithmetic in a constant expression",
    Feature.GC: "a constant expression reading a global the module defines",
}
_SEGMENT_FEATURES = {SegmentMode.PASSIVE: Feature.BULK_MEMORY, SegmentMode.DECLARATIVE: Feature.REFERENCE_TYPES}


def _not_enabled(feature: Feature) -> str:
    return "which is not enabled"


def check_features(
    module: Module, disabled: frozenset[Feature], why: Callable[[Feature], str] = _not_enabled, bodies: bool = True
) -> None:
    """Raise ValidationError at the first use in `module` of a feature in `disabled`, saying
    that it needs the feature and `why(feature)` it cannot have it. Without `bodies`, what
    function bodies use is not looked at (they are known to pass: see `validate`)."""
    if not disabled:
        return

    def _refused(what: str, feature: Feature) -> str:
        return f"{what} needs the {feature.value} feature, {why(feature)}"

    for what, feature in _module_uses(module):
        if feature in disabled:
            raise ValidationError(_refused(what, feature))
    if not bodies:
        return
    imported = len(module.func_type_indices()) - len(module.funcs)
    for index, func in enumerate(module.funcs, start=imported):
        for _, vt in func.locals:
            local_feature = valtype_feature(vt)
            if local_feature is not None and local_feature in disabled:
                raise ValidationError(_refused(f"a local of type {vt.text}", local_feature), index)
        for instr in iter_instructions(func.body):
            if instr.op.feature in disabled:
                raise ValidationError(_refused(instr.op.name, instr.op.feature), index, func.body_offset + instr.offset)
            for vt in _immediate_types(instr):
                needed = valtype_feature(vt)
                if needed is not None and needed in disabled:
                    raise ValidationError(_refused(f"{instr.op.name} with {vt.text}", needed), index, func.body_offset + instr.offset)


def _module_uses(module: Module) -> Iterator[tuple[str, Feature]]:
    """What the module outside function bodies uses that belongs to a feature."""
    imported_globals = sum(isinstance(imp.desc, GlobalType) for imp in module.imports)
    for definition in module.types:
        if not isinstance(definition, FuncType) or definition.supertypes or not definition.final:
            yield f"a {definition.kind.text} type", Feature.GC
        for st in definition.storage_types():
            feature = Feature.GC if isinstance(st, PackedType) else valtype_feature(st)
            if feature is not None:
                yield f"a type with {st.text}", feature
    if module.rec_groups:
        yield "a recursion group", Feature.GC
    for imp in module.imports:
        if isinstance(imp.desc, GlobalType) and (feature := valtype_feature(imp.desc.valtype)) is not None:
            yield f"a global of type {imp.desc.valtype.text}", feature
    tables = [*(imp.desc for imp in module.imports if isinstance(imp.desc, TableType)), *module.tables]
    if len(tables) > 1:
        yield "a second table", Feature.REFERENCE_TYPES
    if module.tags or any(imp.kind == ExternKind.TAG for imp in module.imports):
        yield "a tag", Feature.EXCEPTIONS
    for table_type in tables:
        if table_type.elem is not ValType.FUNCREF:
            yield f"a table of {table_type.elem.text}", valtype_feature(table_type.elem) or Feature.REFERENCE_TYPES
        if table_type.is_64:
            yield "a 64-bit table", Feature.MEMORY64
    if module.table_inits:
        yield "a table with an initial value", Feature.FUNCTION_REFERENCES
    memories = module.memory_types()
    if len(memories) > 1:
        yield "a second memory", Feature.MULTI_MEMORY
    for memory_type in memories:
        if memory_type.is_64:
            yield "a 64-bit memory", Feature.MEMORY64
        if memory_type.shared:
            yield "a shared memory", Feature.THREADS
    for elem in module.elems:
        if elem.type is not ValType.FUNCREF and elem.type != REF_FUNC:
            yield f"an element segment of {elem.type.text}", valtype_feature(elem.type) or Feature.REFERENCE_TYPES
    for glob in module.globals:
        vt = glob.type.valtype
        if (feature := valtype_feature(vt)) is not None:
            yield f"a global of type {vt.text}", feature
    for expr in (
        *(g.init for g in module.globals),
        *(init for _, init in module.table_inits),
        *(seg.offset for seg in module.elems if seg.offset),
        *(seg.offset for seg in module.datas if seg.offset),
        # Items written as expressions; those written as function indices are 1.0's, and so
        # is a funcref segment's lone `ref.func x` (the text format's `(table funcref (elem $f))`).
        *(
            item
            for seg in module.elems
            if elem_flags(seg) & 4
            for item in seg.init
            if seg.type is not ValType.FUNCREF or func_index_of(item) is None
        ),
    ):
        for instr in iter_instructions(expr):
            yield instr.op.name, instr.op.feature
        for feature in const_expr_features(expr, imported_globals):
            yield _CONST_EXPR_USES[feature], feature
    for kind, segments in (("an element", module.elems), ("a data", module.datas)):
        for seg in segments:
            if seg.mode in _SEGMENT_FEATURES:
                yield f"{kind} segment that is {seg.mode.name.lower()}", _SEGMENT_FEATURES[seg.mode]

