"""Variants and their specializations: `enum` (cases without payloads), `option` (`none`,
`some(T)`) and `result` (`ok(T?)`, `error(E?)`), which the ABI lays out as the variants they
stand for ("despecialization").

In memory: the discriminant in 1, 2 or 4 bytes (by the number of cases), then the payload at
the largest case alignment, the whole padded to its alignment. Flattened: an i32
discriminant, then per position the join of the cases' core types there (i32 and f32 join to
i32, anything else unequal to i64), a case's float carried by its bits. A discriminant past
the last case traps.

Python values: a variant is an instance of one of its case classes (`classes.variant_class`;
lowering also takes any object whose class has the case's `wit_case` label); an enum a member
of its `enum.Enum` (or its label); an option `None` or its value (`Some(value)` where the value
is itself an option); a result `Ok(value)` or `Err(value)`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...bits import MASK32
from ...syntax.types import ValType
from .codec import Codec, FlatReader, align_to, coerce_lifted, coerce_lowered
from .traps import invalid
from .values import Err, Ok, Some

if TYPE_CHECKING:
    from .context import Context

__all__ = ["VariantCodec", "EnumCodec", "OptionCodec", "ResultCodec", "discriminant_size"]


def discriminant_size(cases: int) -> int:
    return 1 if cases <= 1 << 8 else 2 if cases <= 1 << 16 else 4


class _CasesCodec(Codec):
    """What every variant-like type shares: layout, flattening and the discriminant."""

    __slots__ = ("cases", "disc_size", "payload_offset", "joined", "what")

    def __init__(self, cases: Sequence[Codec | None], flat: tuple[ValType, ...], name: str, what: str) -> None:
        self.cases = tuple(cases)
        self.disc_size = discriminant_size(len(self.cases))
        case_align = max([c.align for c in self.cases if c is not None], default=1)
        case_size = max([c.size for c in self.cases if c is not None], default=0)
        self.align = max(self.disc_size, case_align)
        self.payload_offset = align_to(self.disc_size, case_align)
        self.size = align_to(self.payload_offset + case_size, self.align)
        self.flat = flat
        self.joined = flat[1:]
        self.name = name
        self.what = what

    def make(self, index: int, payload: object) -> object:
        raise NotImplementedError

    def match(self, value: object) -> tuple[int, object]:
        raise NotImplementedError

    def _index(self, index: int) -> int:
        if index >= len(self.cases):
            raise invalid(f"invalid {self.what} discriminant {index} ({self.name} has {len(self.cases)} cases)")
        return index

    def lift_flat(self, cx: Context, reader: FlatReader) -> object:
        index = self._index(reader.take_int() & MASK32)
        raw = [reader.take() for _ in self.joined]
        codec = self.cases[index]
        if codec is None:
            return self.make(index, None)
        values = coerce_lifted(raw[: len(codec.flat)], self.joined, codec.flat)
        return self.make(index, codec.lift_flat(cx, FlatReader(values)))

    def lower_flat(self, cx: Context, value: object, out: list[object]) -> None:
        index, payload = self.match(value)
        out.append(index)
        codec = self.cases[index]
        payload_flat: list[object] = []
        if codec is not None:
            codec.lower_flat(cx, payload, payload_flat)
        out += coerce_lowered(payload_flat, codec.flat if codec is not None else (), self.joined)

    def load(self, cx: Context, ptr: int) -> object:
        index = self._index(int.from_bytes(cx.read(ptr, self.disc_size), "little"))
        codec = self.cases[index]
        return self.make(index, None if codec is None else codec.load(cx, ptr + self.payload_offset))

    def store(self, cx: Context, value: object, ptr: int) -> None:
        index, payload = self.match(value)
        cx.write(ptr, index.to_bytes(self.disc_size, "little"))
        codec = self.cases[index]
        if codec is not None:
            codec.store(cx, payload, ptr + self.payload_offset)


class VariantCodec(_CasesCodec):
    __slots__ = ("cls", "classes", "by_class", "by_label")

    def __init__(self, labels: Sequence[str], cases: Sequence[Codec | None], flat: tuple[ValType, ...], cls: type, name: str) -> None:
        super().__init__(cases, flat, name, "variant")
        self.cls = cls
        self.classes: tuple[type, ...] = cls.cases  # type: ignore[attr-defined]
        self.by_class = {case_cls: i for i, case_cls in enumerate(self.classes)}
        self.by_label = {label: i for i, label in enumerate(labels)}

    def make(self, index: int, payload: object) -> object:
        case_cls = self.classes[index]
        return case_cls() if self.cases[index] is None else case_cls(payload)

    def match(self, value: object) -> tuple[int, object]:
        index = self.by_class.get(type(value))
        if index is None:
            index = self.by_label.get(getattr(type(value), "wit_case", None))  # type: ignore[arg-type]
            if index is None:
                raise self.mismatch(value)
        return index, (None if self.cases[index] is None else getattr(value, "value"))


class EnumCodec(_CasesCodec):
    __slots__ = ("cls", "members", "by_label")

    def __init__(self, labels: Sequence[str], cls: type[enum.Enum], name: str) -> None:
        super().__init__([None] * len(labels), (ValType.I32,), name, "enum")
        self.cls = cls
        self.members = tuple(cls)
        self.by_label = {label: i for i, label in enumerate(labels)}

    def make(self, index: int, payload: object) -> object:
        return self.members[index]

    def match(self, value: object) -> tuple[int, object]:
        label = value.value if isinstance(value, enum.Enum) else value
        index = self.by_label.get(label) if isinstance(label, str) else None
        if index is None:
            raise ValueError(f"{value!r} is not a case of {self.name}") if isinstance(label, str) else self.mismatch(value)
        return index, None


class OptionCodec(_CasesCodec):
    """`wrap`: the payload is itself an option, so a present value is `Some(value)`."""

    __slots__ = ("wrap",)

    def __init__(self, inner: Codec, flat: tuple[ValType, ...], wrap: bool) -> None:
        super().__init__([None, inner], flat, f"option<{inner.name}>", "option")
        self.wrap = wrap

    def make(self, index: int, payload: object) -> object:
        if index == 0:
            return None
        return Some(payload) if self.wrap else payload

    def match(self, value: object) -> tuple[int, object]:
        if value is None:
            return 0, None
        return 1, (value.value if isinstance(value, Some) else value)


class ResultCodec(_CasesCodec):
    __slots__ = ()

    def __init__(self, ok: Codec | None, error: Codec | None, flat: tuple[ValType, ...]) -> None:
        parts = [f"{c.name}" if c is not None else "_" for c in (ok, error)]
        super().__init__([ok, error], flat, f"result<{', '.join(parts)}>", "result")

    def make(self, index: int, payload: object) -> object:
        return Ok(payload) if index == 0 else Err(payload)

    def match(self, value: object) -> tuple[int, object]:
        if isinstance(value, Ok):
            return 0, value.value
        if isinstance(value, Err):
            return 1, value.value
        raise TypeError(f"expected Ok(...) or Err(...) for {self.name}, got {type(value).__name__}")
