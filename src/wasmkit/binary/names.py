"""The `name` custom section: debug names for the module, functions, locals and (in the extended
name section) labels, types, tables, memories, globals, segments and tags.

A malformed name section does not make the module malformed (custom sections are not part of
the semantics), so `read_names` returns what it could read and stops at the first fault.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..syntax.module import Module, NameSection
from .leb128 import read_u32, write_unsigned

__all__ = ["read_names", "encode_names"]

_MODULE, _FUNCS, _LOCALS, _LABELS, _TYPES, _TABLES, _MEMORIES, _GLOBALS, _ELEMS, _DATAS = range(10)
_TAGS = 11  # (10 names the fields of GC types)
_FLAT_SUBSECTIONS = {
    _FUNCS: "funcs",
    _TYPES: "types",
    _TABLES: "tables",
    _MEMORIES: "memories",
    _GLOBALS: "globals",
    _ELEMS: "elems",
    _DATAS: "datas",
    _TAGS: "tags",
}
_NESTED_SUBSECTIONS = {_LOCALS: "locals", _LABELS: "labels"}


def read_names(module: Module) -> NameSection:
    """The names in `module`'s name section (empty if it has none)."""
    sections = module.custom("name")
    if not sections:
        return NameSection()
    fields: dict[str, object] = {}
    try:
        _read_subsections(sections[0].data, fields)
    except (DecodeError, UnicodeDecodeError):
        pass
    return NameSection(**fields)  # type: ignore[arg-type]


def _read_subsections(data: bytes, fields: dict[str, object]) -> None:
    pos = 0
    while pos < len(data):
        kind = data[pos]
        size, pos = read_u32(data, pos + 1)
        end = pos + size
        body = data[pos:end]
        if kind == _MODULE:
            fields["module"], _ = _read_name(body, 0)
        elif kind in _FLAT_SUBSECTIONS:
            fields[_FLAT_SUBSECTIONS[kind]], _ = _read_name_map(body, 0)
        elif kind in _NESTED_SUBSECTIONS:
            count, at = read_u32(body, 0)
            nested = {}
            for _ in range(count):
                index, at = read_u32(body, at)
                nested[index], at = _read_name_map(body, at)
            fields[_NESTED_SUBSECTIONS[kind]] = nested
        pos = end


def _read_name(data: bytes, pos: int) -> tuple[str, int]:
    length, pos = read_u32(data, pos)
    if pos + length > len(data):
        raise DecodeError("unexpected end", pos)
    return data[pos : pos + length].decode("utf-8"), pos + length


def _read_name_map(data: bytes, pos: int) -> tuple[dict[int, str], int]:
    count, pos = read_u32(data, pos)
    names: dict[int, str] = {}
    for _ in range(count):
        index, pos = read_u32(data, pos)
        names[index], pos = _read_name(data, pos)
    return names, pos


def _encode_name(name: str) -> bytes:
    raw = name.encode("utf-8")
    return write_unsigned(len(raw)) + raw


def _encode_name_map(names: dict[int, str]) -> bytes:
    items = sorted(names.items())
    return write_unsigned(len(items)) + b"".join(write_unsigned(i) + _encode_name(n) for i, n in items)


def encode_names(names: NameSection, func_count: int | None = None) -> bytes:
    """The content of a name section holding `names`. Given `func_count` (the size of the
    function index space), the local names subsection is always written, with an entry for
    every function, named locals or not: what `wat2wasm --debug-names` writes."""
    out = bytearray()
    local_names = names.locals
    if func_count is not None:
        local_names = {i: names.locals.get(i, {}) for i in range(func_count)}

    def subsection(kind: int, content: bytes) -> None:
        out.append(kind)
        out.extend(write_unsigned(len(content)) + content)

    if names.module is not None:
        subsection(_MODULE, _encode_name(names.module))
    for kind in (*range(_FUNCS, _DATAS + 1), _TAGS):
        if kind in _FLAT_SUBSECTIONS:
            mapping = getattr(names, _FLAT_SUBSECTIONS[kind])
            if mapping:
                subsection(kind, _encode_name_map(mapping))
        else:
            nested = local_names if kind == _LOCALS else getattr(names, _NESTED_SUBSECTIONS[kind])
            if nested or (kind == _LOCALS and func_count is not None):
                items = sorted(nested.items())
                subsection(
                    kind,
                    write_unsigned(len(items)) + b"".join(write_unsigned(i) + _encode_name_map(m) for i, m in items),
                )
    return bytes(out)
