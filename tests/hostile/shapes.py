"""Modules of extreme shapes, built byte by byte: what a hostile or merely enormous module looks
like to the reader, the validator, the engines and the printer.

Each shape is a `Shape`: its bytes, and what wasmkit must make of them: either a valid module
whose export `run` returns `expected` when called with `args`, or an invalid one refused with a
`WasmError` whose message starts with `error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wasmkit.binary.leb128 import write_signed as sleb
from wasmkit.binary.leb128 import write_unsigned as uleb

I32 = 0x7F
BLOCK, LOOP, IF, END, BR_TABLE = 0x02, 0x03, 0x04, 0x0B, 0x0E
LOCAL_GET, I32_CONST, I32_ADD, I32_LOAD8_U = 0x20, 0x41, 0x6A, 0x2D
EMPTY = 0x40


@dataclass(frozen=True)
class Shape:
    name: str
    data: bytes
    args: tuple[int, ...] = ()
    expected: int | None = None
    error: str | None = None  # the message prefix of the WasmError that refuses it
    engines: tuple[str, ...] = field(default=("python", "native"))


def _section(code: int, payload: bytes) -> bytes:
    return bytes([code]) + uleb(len(payload)) + payload


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _name(text: bytes) -> bytes:
    return uleb(len(text)) + text


def _module(
    bodies: list[bytes],
    *,
    params: int = 1,
    memory_pages: int | None = None,
    data: bytes | None = None,
    extra_types: int = 0,
    export: bytes = b"run",
    customs: tuple[tuple[bytes, bytes], ...] = (),
) -> bytes:
    """A module whose functions all have type (param i32 * params) (result i32); the last one is
    exported as `export`. A body is its locals vector followed by its code."""
    func_type = b"\x60" + _vec([bytes([I32])] * params) + _vec([bytes([I32])])
    types = [func_type] + [b"\x60" + _vec([bytes([I32])] * (i % 7)) + _vec([]) for i in range(extra_types)]
    out = bytearray(b"\0asm\x01\0\0\0")
    out += _section(1, _vec(types))
    out += _section(3, _vec([b"\x00"] * len(bodies)))
    if memory_pages is not None:
        out += _section(5, _vec([b"\x00" + uleb(memory_pages)]))
    out += _section(7, _vec([_name(export) + b"\x00" + uleb(len(bodies) - 1)]))
    out += _section(10, _vec([uleb(len(body)) + body for body in bodies]))
    if data is not None:
        out += _section(11, _vec([b"\x00" + bytes([I32_CONST, 0, END]) + uleb(len(data)) + data]))
    for name, payload in customs:
        out += _section(0, _name(name) + payload)
    return bytes(out)


def _body(code: bytes, locals_: bytes = b"\x00") -> bytes:
    return locals_ + code + bytes([END])


def nested_ifs(depth: int) -> Shape:
    code = bytes([LOCAL_GET, 0, IF, EMPTY]) * depth + bytes([END]) * depth + bytes([I32_CONST, 7])
    return Shape(f"nested_ifs_{depth}", _module([_body(code)]), (1,), 7)


def nested_blocks(depth: int) -> Shape:
    code = bytes([BLOCK, EMPTY]) * depth + bytes([END]) * depth + bytes([I32_CONST, 5])
    return Shape(f"nested_blocks_{depth}", _module([_body(code)]), (0,), 5)


def nested_loops_with_branches(depth: int) -> Shape:
    """Loops nested `depth` deep in a block, the innermost leaving all of them (and the block)
    with a br_if."""
    code = bytes([BLOCK, EMPTY]) + bytes([LOOP, EMPTY]) * depth
    code += bytes([LOCAL_GET, 0, 0x0D]) + uleb(depth) + bytes([END]) * (depth + 1)
    return Shape(f"nested_loops_{depth}", _module([_body(code + bytes([I32_CONST, 9]))]), (1,), 9)


def add_chain(length: int) -> Shape:
    """`i32.const 1` followed by `length` times `i32.const 1; i32.add`."""
    code = bytes([I32_CONST, 1]) + bytes([I32_CONST, 1, I32_ADD]) * length
    return Shape(f"add_chain_{length}", _module([_body(code)]), (0,), length + 1)


def deep_operand_stack(height: int) -> Shape:
    """`height` constants pushed, then added together: an operand stack `height` deep."""
    code = bytes([I32_CONST, 1]) * height + bytes([I32_ADD]) * (height - 1)
    return Shape(f"deep_stack_{height}", _module([_body(code)]), (0,), height)


def wide_br_table(targets: int) -> Shape:
    code = bytes([BLOCK, EMPTY, LOCAL_GET, 0, BR_TABLE]) + uleb(targets) + b"\x00" * (targets + 1)
    code += bytes([END, I32_CONST, 3])
    return Shape(f"br_table_{targets}", _module([_body(code)]), (12345,), 3)


def many_functions(count: int) -> Shape:
    bodies = [_body(bytes([I32_CONST]) + sleb(i % 64)) for i in range(count)]
    return Shape(f"functions_{count}", _module(bodies), (0,), (count - 1) % 64)


def many_types(count: int) -> Shape:
    return Shape(f"types_{count}", _module([_body(bytes([I32_CONST, 1]))], extra_types=count), (0,), 1)


def many_locals(count: int) -> Shape:
    """A function with `count` i32 locals, returning the last one plus its parameter."""
    locals_ = _vec([uleb(count) + bytes([I32])])
    code = bytes([LOCAL_GET]) + uleb(count) + bytes([LOCAL_GET, 0, I32_ADD])
    return Shape(f"locals_{count}", _module([_body(code, locals_)]), (4,), 4)


def too_many_locals(count: int) -> Shape:
    locals_ = _vec([uleb(count) + bytes([I32])])
    return Shape(f"too_many_locals_{count}", _module([_body(bytes([I32_CONST, 0]), locals_)]), error="too many locals")


def big_data_segment(size: int) -> Shape:
    """A data segment of `size` bytes; `run` reads its last byte."""
    data = bytes(range(256)) * (size // 256)
    pages = (size + 0xFFFF) // 0x10000
    code = bytes([I32_CONST]) + sleb(size - 1) + bytes([I32_LOAD8_U, 0, 0])
    return Shape(f"data_{size}", _module([_body(code)], memory_pages=pages, data=data), (0,), data[-1])


def huge_declared_count() -> Shape:
    """A type section that claims 2**32 - 1 entries and holds one byte."""
    data = b"\0asm\x01\0\0\0" + _section(1, uleb(2**32 - 1) + b"\x60")
    return Shape("huge_type_count", data, error="length out of bounds")


def bad_utf8_export() -> Shape:
    return Shape("bad_utf8_export", _module([_body(bytes([I32_CONST, 0]))], export=b"\xff\xfe"),
                 error="malformed UTF-8 encoding")


def bad_utf8_in_name_section() -> Shape:
    """A name section naming function 0 with bytes that are not UTF-8: a custom section, so the
    module stays valid (the reference ignores a name section it cannot read)."""
    function_names = b"\x01" + _vec([b"\x00" + _name(b"\xc3\x28")])
    shape = _module([_body(bytes([I32_CONST, 2]))], customs=((b"name", function_names),))
    return Shape("bad_utf8_name_section", shape, (0,), 2)


SHAPES: dict[str, Callable[[], Shape]] = {
    "nested_ifs": lambda: nested_ifs(16_000),
    "nested_blocks": lambda: nested_blocks(100_000),
    "nested_loops": lambda: nested_loops_with_branches(20_000),
    "add_chain": lambda: add_chain(300_000),
    "deep_stack": lambda: deep_operand_stack(100_000),
    "br_table": lambda: wide_br_table(100_000),
    "functions": lambda: many_functions(20_000),
    "types": lambda: many_types(100_000),
    "locals": lambda: many_locals(49_999),  # with its parameter, the most wasmtime allows
    "too_many_locals": lambda: too_many_locals(2**32 - 1),
    "data": lambda: big_data_segment(16 << 20),
    "huge_type_count": huge_declared_count,
    "bad_utf8_export": bad_utf8_export,
    "bad_utf8_name_section": bad_utf8_in_name_section,
}
