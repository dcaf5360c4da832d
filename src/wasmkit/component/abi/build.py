"""`CanonicalAbi`: the codec of each value type, made once (per `CanonicalAbi`: one per
component, kept by its instances) from the type as `types` resolves it, with the Python
classes of its records, variants, enums and flags named after the type's name in `names`
when given (else `Record`, `Variant`, `Enum`, `Flags`), or the embedder's classes
(`GivenClasses`) when it gives them.

`stream` and `future` values are handles to their readable ends (`async_.values`). Not
supported yet: `error-context` values and fixed-length lists, which the validator refuses;
asking for them raises NotImplementedError.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ..syntax import Prim
from ..types import Func, Val, VType, flatten
from .calls import FunctionAbi
from .classes import GivenClasses, enum_class, flags_class, record_class, variant_class
from .codec import Codec
from .handles import HandleCodec
from .lists import ListCodec, MapCodec
from .records import FlagsCodec, RecordCodec, TupleCodec
from .scalars import BoolCodec, CharCodec, Float32Codec, Float64Codec, IntCodec
from .strings import StringCodec
from .variants import EnumCodec, OptionCodec, ResultCodec, VariantCodec

if TYPE_CHECKING:
    from ...syntax.types import ValType
    from ..types import Resource

__all__ = ["CanonicalAbi"]

_PRIMS: dict[Prim, Codec] = {
    Prim.BOOL: BoolCodec(), Prim.S8: IntCodec(8, True), Prim.U8: IntCodec(8, False), Prim.S16: IntCodec(16, True),
    Prim.U16: IntCodec(16, False), Prim.S32: IntCodec(32, True), Prim.U32: IntCodec(32, False),
    Prim.S64: IntCodec(64, True), Prim.U64: IntCodec(64, False), Prim.F32: Float32Codec(), Prim.F64: Float64Codec(),
    Prim.CHAR: CharCodec(), Prim.STRING: StringCodec(),
}  # fmt: skip


def _flat(vt: VType) -> tuple[ValType, ...]:
    out: list[ValType] = []
    flatten(vt, out, sys.maxsize)
    return tuple(out)


class CanonicalAbi:
    """Codecs by value type (see the module's doc)."""

    def __init__(self, names: Mapping[VType, str] | None = None, given: GivenClasses | None = None) -> None:
        self.names: Mapping[VType, str] = names if names is not None else {}
        self.given = given
        self._codecs: dict[VType, Codec] = {}

    def codec(self, vt: VType) -> Codec:
        found = self._codecs.get(vt)
        if found is None:
            found = self._codecs[vt] = self._make(vt)
        return found

    def function(self, func: Func) -> FunctionAbi:
        """How calls of a function of type `func` move their arguments and result."""
        return FunctionAbi(func, [self.codec(t) for _, t in func.params], None if func.result is None else self.codec(func.result))

    def _given(self, kind: str, name: str | None, labels: tuple[str, ...]) -> Any:
        """The embedder's class for this type (`GivenClasses`), or None."""
        return None if self.given is None else self.given.value_class(kind, name, labels)

    def _make(self, vt: VType) -> Codec:
        if isinstance(vt, Prim):
            if vt not in _PRIMS:
                raise NotImplementedError(f"{vt.text} values are not supported yet")
            return _PRIMS[vt]
        kind, name = vt.kind, self.names.get(vt)
        if kind == "record":
            fields = cast("tuple[tuple[str, VType], ...]", vt.parts)
            labels = tuple(label for label, _ in fields)
            codecs = [self.codec(t) for _, t in fields]
            cls = self._given("record", name, labels) or record_class(vt, labels, name)
            return RecordCodec(labels, codecs, cls, name or "record")
        if kind == "variant":
            cases = cast("tuple[tuple[str, VType | None], ...]", vt.parts)
            labels = tuple(label for label, _ in cases)
            case_codecs = [None if t is None else self.codec(t) for _, t in cases]
            cls = self._given("variant", name, labels) or variant_class(
                vt, tuple((label, c is not None) for label, c in zip(labels, case_codecs)), name
            )
            return VariantCodec(labels, case_codecs, _flat(vt), cls, name or "variant")
        if kind in ("enum", "flags"):
            labels = cast("tuple[str, ...]", vt.parts)
            if kind == "enum":
                return EnumCodec(labels, self._given(kind, name, labels) or enum_class(vt, labels, name), name or "enum")
            return FlagsCodec(labels, self._given(kind, name, labels) or flags_class(vt, labels, name), name or "flags")
        if kind in ("own", "borrow"):
            return HandleCodec(cast("Resource", vt.parts[0]), own=kind == "own")
        parts = cast("tuple[VType | None, ...]", vt.parts)
        if kind == "tuple":
            items = [self.codec(t) for t in parts if t is not None]
            return TupleCodec(items, f"tuple<{', '.join(c.name for c in items)}>")
        if kind == "list" and parts[0] is not None:
            return ListCodec(self.codec(parts[0]))
        if kind == "map" and parts[0] is not None and parts[1] is not None:
            key, value = self.codec(parts[0]), self.codec(parts[1])
            return MapCodec(TupleCodec([key, value], f"tuple<{key.name}, {value.name}>"), f"map<{key.name}, {value.name}>")
        if kind == "option" and parts[0] is not None:
            inner = parts[0]
            return OptionCodec(self.codec(inner), _flat(vt), isinstance(inner, Val) and inner.kind == "option")
        if kind in ("stream", "future"):
            from ..async_.values import AsyncValueCodec  # the async ABI builds on this package

            carried = parts[0]
            return AsyncValueCodec(carried, None if carried is None else self.codec(carried), kind == "future")
        if kind == "result":
            ok, error = (None if t is None else self.codec(t) for t in parts)
            return ResultCodec(ok, error, _flat(vt))
        raise NotImplementedError(f"{kind} values are not supported yet")
