"""wasmtime's implementation limits, applied where the spec allows an implementation to refuse
a module for its size: refused at validation, naming the function, before anything is
allocated for what the module declares."""

from __future__ import annotations

import pytest

import wasmkit
from wasmkit import FuncType, GlobalType, Limits, MemoryType, TableType, ValidationError, ValType
from wasmkit.syntax.module import DataSegment, ElemSegment, Export, Func, Global, Import, Module, SegmentMode
from wasmkit.syntax.types import ExternKind
from wasmkit.validate import limits, validate

I32 = ValType.I32
EMPTY = FuncType((), ())
END = b"\x0b"


def module_with_locals(count: int, params: int = 0) -> bytes:
    """A binary module with one function of `params` i32 parameters declaring `count` i32
    locals in one run (a few bytes, however large `count`)."""
    leb = bytearray()
    value = count
    while True:
        byte, value = value & 0x7F, value >> 7
        leb.append(byte | (0x80 if value else 0))
        if not value:
            break
    func_type = b"\x60" + bytes([params]) + b"\x7f" * params + b"\x00"
    entry = b"\x01" + bytes(leb) + b"\x7f" + END
    sections = [
        (1, b"\x01" + func_type),
        (3, b"\x01\x00"),
        (10, b"\x01" + bytes([len(entry)]) + entry),
    ]
    return b"\0asm\1\0\0\0" + b"".join(bytes([sid, len(body)]) + body for sid, body in sections)


def test_a_function_with_2_to_the_32_minus_1_locals_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="too many locals: locals exceed maximum") as caught:
        wasmkit.Module(module_with_locals(2**32 - 1))
    assert caught.value.func_index == 0
    assert "in function 0" in str(caught.value)


def test_locals_count_the_parameters_up_to_50000() -> None:
    assert wasmkit.Instance(wasmkit.Module(module_with_locals(limits.MAX_FUNCTION_LOCALS - 2, params=2)))
    with pytest.raises(ValidationError, match="too many locals"):
        wasmkit.Module(module_with_locals(limits.MAX_FUNCTION_LOCALS - 1, params=2))


def one_function(func_type: FuncType = EMPTY, **fields: object) -> Module:
    return Module(types=(func_type,), funcs=(Func(0, (), END),), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (Module(types=(EMPTY,) * 1_000_001), "types count exceeds limit of 1000000"),
        (Module(types=(EMPTY,), funcs=(Func(0, (), END),) * 1_000_001), "functions count exceeds limit of 1000000"),
        (Module(types=(EMPTY,), imports=(Import("m", "f", 0),) * 1_000_001), "imports count exceeds limit of 1000000"),
        (one_function(exports=(Export("f", ExternKind.FUNC, 0),) * 1_000_001), "exports count exceeds limit of 1000000"),
        (Module(globals=(Global(GlobalType(I32), b"\x41\x00\x0b"),) * 1_000_001), "globals count exceeds limit of 1000000"),
        (Module(tables=(TableType(Limits(0, None), ValType.FUNCREF),) * 101), "tables count exceeds limit of 100"),
        (Module(mems=(MemoryType(Limits(0, None)),) * 101), "memories count exceeds limit of 100"),
        (
            Module(elems=(ElemSegment(ValType.FUNCREF, (), SegmentMode.PASSIVE),) * 100_001),
            "element segments count exceeds limit of 100000",
        ),
        (Module(datas=(DataSegment(b"", SegmentMode.PASSIVE),) * 100_001), "data segments count exceeds limit of 100000"),
        (Module(types=(FuncType((I32,) * 1001, ()),)), "function params size is out of bounds"),
        (Module(types=(FuncType((), (I32,) * 1001),)), "function returns size is out of bounds"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_counts_past_wasmtimes_limits_are_refused(module: Module, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate(module)


def test_a_function_body_past_the_size_limit_is_refused() -> None:
    body = b"\x01" * limits.MAX_FUNCTION_SIZE + END  # nops
    with pytest.raises(ValidationError, match="function body size count exceeds limit of 7654321") as caught:
        validate(Module(types=(EMPTY,), funcs=(Func(0, (), END), Func(0, (), body))))
    assert caught.value.func_index == 1


def test_an_element_segment_past_the_item_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_SEGMENT_ELEMENTS", 3)  # ten million items would take seconds to build
    segment = ElemSegment(ValType.FUNCREF, (b"\xd0\x70\x0b",) * 4, SegmentMode.PASSIVE)
    with pytest.raises(ValidationError, match="number of elements is out of bounds"):
        validate(Module(elems=(segment,)))
    validate(Module(elems=(ElemSegment(ValType.FUNCREF, (b"\xd0\x70\x0b",) * 3, SegmentMode.PASSIVE),)))
