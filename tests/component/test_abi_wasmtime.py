"""The canonical ABI against wasmtime (wasmtime-py's component API): values this ABI stores
in a component's memory are what wasmtime lifts from it, and values wasmtime lowers into a
component's memory (spilled parameters, through the component's `realloc`) are what this
ABI lifts, for types of every kind, in each string encoding."""

from __future__ import annotations

import enum
import subprocess

import pytest

from tests.component.abi_support import Guest, same, val
from tests.support import tool
from wasmkit.component.abi import CanonicalAbi, Codec, Err, Ok, StringEncoding
from wasmkit.component.syntax import Prim
from wasmkit.component.types import Func, VType
from wasmkit.errors import Trap

component = pytest.importorskip("wasmtime.component")
wasmtime = pytest.importorskip("wasmtime")

BLOCK, HEAP = 1024, 1536  # where the value stored here sits, and where its parts are allocated
PAD = val("tuple", (Prim.U64,) * 16)  # a parameter that makes the parameters spill

U16S, MAYBE, NAMED = val("list", (Prim.U16,)), val("option", (Prim.U64,)), val("record", (("name", Prim.STRING), ("n", Prim.S64)))
TYPES: list[tuple[VType, list[object]]] = [
    (val("record", (("a", Prim.U8), ("b-c", Prim.STRING), ("d", U16S), ("e", MAYBE), ("f", Prim.F32), ("g", Prim.CHAR), ("h", Prim.BOOL))),
     [(200, "héllo wörld ĀĀ 😀", [1, 65535], 7, 1.5, "😀", True), (255, "", [], None, -0.0, "a", False)]),
    (val("variant", (("x", Prim.U32), ("y", Prim.U32), ("z", None))), [("x", 7), ("y", 0xFFFF_FFFF), ("z", None)]),
    (val("tuple", (val("enum", ("red", "green", "blue")), val("flags", ("r", "w", "x-all")), val("result", (Prim.U32, Prim.U32)),
                   val("list", (Prim.U8,)), Prim.F64, Prim.S16)),
     [("blue", {"r", "x-all"}, ("ok", 3), b"\x00\xff", 2.5, -300), ("red", set(), ("err", 9), b"", -1e300, 32767)]),
    (val("list", (NAMED,)), [[("ab", -1), ("ĀĀ", 1 << 62)], []]),
    (val("option", (Prim.STRING,)), ["latin é", None, "Āā"]),
]  # fmt: skip


def _ours(vt: VType, codec: Codec, spec: object) -> object:
    """A value written compactly in TYPES as this ABI's Python value."""
    if isinstance(vt, Prim):
        return spec
    kind, parts = vt.kind, vt.parts
    if kind == "record":
        return codec.cls(*(_ours(t, c, s) for (_, t), c, s in zip(parts, codec.fields, spec)))  # type: ignore[attr-defined, misc, call-overload]
    if kind == "tuple":
        return tuple(_ours(t, c, s) for t, c, s in zip(parts, codec.fields, spec))  # type: ignore[attr-defined, call-overload, arg-type]
    if kind == "list":
        return spec if isinstance(spec, bytes) else [_ours(parts[0], codec.elem, s) for s in spec]  # type: ignore[attr-defined, arg-type, union-attr]
    if kind == "variant":
        label, payload = spec  # type: ignore[misc]
        index = [label for label, _ in parts].index(label)  # type: ignore[misc]
        cls = codec.classes[index]  # type: ignore[attr-defined]
        return cls() if payload is None else cls(payload)
    if kind == "enum":
        return codec.cls(spec)  # type: ignore[attr-defined]
    if kind == "flags":
        return codec.cls(sum(1 << parts.index(label) for label in spec))  # type: ignore[attr-defined, union-attr]
    if kind == "option":
        return None if spec is None else _ours(parts[0], codec.cases[1], spec)  # type: ignore[attr-defined, arg-type]
    label, payload = spec  # type: ignore[misc]
    return (Ok if label == "ok" else Err)(payload)


def _theirs(vt: VType, spec: object) -> object:
    """The same value as wasmtime-py takes and gives it."""
    if isinstance(vt, Prim):
        return spec
    kind, parts = vt.kind, vt.parts
    if kind == "record":
        record = component.Record()
        for (label, t), s in zip(parts, spec):  # type: ignore[misc, call-overload]
            setattr(record, label, _theirs(t, s))
        return record
    if kind == "tuple":
        return tuple(_theirs(t, s) for t, s in zip(parts, spec))  # type: ignore[call-overload, arg-type]
    if kind == "list":
        return spec if isinstance(spec, bytes) else [_theirs(parts[0], s) for s in spec]  # type: ignore[arg-type, union-attr]
    if kind in ("variant", "result"):
        label, payload = spec  # type: ignore[misc]
        return component.Variant(label, payload)
    if kind == "option":
        return None if spec is None else _theirs(parts[0], spec)  # type: ignore[arg-type]
    return spec


def _wat_types(vt: VType, defs: list[str], names: dict[VType, str]) -> str:
    """The type in the text format, each defined type (and those it holds) exported by name."""
    if isinstance(vt, Prim):
        return vt.text
    if vt in names:
        return names[vt]
    kind, parts = vt.kind, vt.parts
    sub = lambda t: _wat_types(t, defs, names)  # noqa: E731
    if kind == "record":
        body = " ".join(f'(field "{label}" {sub(t)})' for label, t in parts)  # type: ignore[misc]
    elif kind == "variant":
        body = " ".join(f'(case "{label}" {sub(t)})' if t is not None else f'(case "{label}")' for label, t in parts)  # type: ignore[misc]
    elif kind in ("enum", "flags"):
        body = " ".join(f'"{label}"' for label in parts)
    elif kind == "result":
        ok, error = parts
        body = " ".join(([sub(ok)] if ok is not None else []) + ([f"(error {sub(error)})"] if error is not None else []))  # type: ignore[arg-type]
    else:
        body = " ".join(sub(t) for t in parts)  # type: ignore[arg-type]
    n = len(defs)
    defs.append(f'(type $t{n} ({kind} {body})) (export $e{n} "t{n}" (type $t{n}))')
    names[vt] = f"$e{n}"
    return f"$e{n}"


ENCODING_TEXT = {StringEncoding.UTF8: "string-encoding=utf8", StringEncoding.UTF16: "string-encoding=utf16",
                 StringEncoding.LATIN1_UTF16: "string-encoding=latin1+utf16"}  # fmt: skip


def _instance(vt: VType, data: bytes, encoding: StringEncoding) -> tuple[object, object]:
    defs: list[str] = []
    names: dict[VType, str] = {}
    t, pad = _wat_types(vt, defs, names), _wat_types(PAD, defs, names)
    escaped = "".join(f"\\{b:02x}" for b in data)
    opts = f'(memory (core memory $i "mem")) (realloc (core func $i "realloc")) {ENCODING_TEXT[encoding]}'
    text = f"""(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 8192))
    (data (i32.const {BLOCK}) "{escaped}")
    (func (export "get") (result i32) i32.const {BLOCK})
    (func (export "put") (param i32) (result i32) local.get 0)
    (func (export "dump") (result i32)
      (i32.store (i32.const 16) (i32.const 0)) (i32.store (i32.const 20) (i32.const 65536)) i32.const 16)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (memory.copy (local.get $p) (local.get 0) (local.get 1))
      local.get $p))
  (core instance $i (instantiate $m))
  {" ".join(defs)}
  (func (export "get") (result {t}) (canon lift (core func $i "get") {opts}))
  (func (export "put") (param "v" {t}) (param "pad" {pad}) (result u32) (canon lift (core func $i "put") {opts}))
  (func (export "dump") (result (list u8)) (canon lift (core func $i "dump") (memory (core memory $i "mem"))))
)"""
    binary = subprocess.run([tool("wasm-tools"), "parse", "-"], input=text.encode(), capture_output=True, check=True).stdout
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = component.Linker(engine).instantiate(store, component.Component(engine, binary))
    return store, instance


def _call(store: object, instance: object, name: str, *args: object) -> object:
    func = instance.get_func(store, instance.get_export_index(store, name))  # type: ignore[attr-defined]
    return func(store, *args)


@pytest.mark.parametrize("encoding", list(StringEncoding))
@pytest.mark.parametrize("vt, specs", TYPES)
def test_values_agree_with_wasmtime(vt: VType, specs: list[object], encoding: StringEncoding) -> None:
    abi = CanonicalAbi()
    codec = abi.codec(vt)
    for spec in specs:
        ours = _ours(vt, codec, spec)
        # stored here, lifted by wasmtime
        guest = Guest(size=1 << 16, start=HEAP)
        codec.store(guest.context(encoding), ours, BLOCK)
        store, instance = _instance(vt, bytes(guest.data[BLOCK : guest.top]), encoding)
        assert _call(store, instance, "get") == _theirs(vt, spec)
        # lowered by wasmtime (spilled, through realloc), lifted here
        pointer = _call(store, instance, "put", _theirs(vt, spec), (0,) * 16)
        memory = _call(store, instance, "dump")
        guest.data[:] = memory  # type: ignore[index]
        calls = abi.function(Func((("v", vt), ("pad", PAD)), Prim.U32))
        lifted, pad = calls.lift_args(guest.context(encoding), [pointer])
        assert same(lifted, ours) and pad == (0,) * 16


def _u32(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "little") for v in values)


# (type, encoding, the bytes at BLOCK): each in a `tuple<T, u8>`, so that the result spills.
BAD = [
    (Prim.BOOL, StringEncoding.UTF8, b"\x02\x00"),
    (val("flags", ("a", "b", "c")), StringEncoding.UTF8, b"\xf9\x00"),
    (Prim.CHAR, StringEncoding.UTF8, _u32(0xD800, 0)),
    (Prim.CHAR, StringEncoding.UTF8, _u32(0x110000, 0)),
    (Prim.STRING, StringEncoding.UTF8, _u32(BLOCK + 12, 1, 0, 0xFF)),
    (Prim.STRING, StringEncoding.UTF8, _u32(BLOCK + 12, 2, 0, 0xA0ED)),
    (Prim.STRING, StringEncoding.UTF16, _u32(BLOCK + 12, 1, 0, 0xD800)),
    (Prim.STRING, StringEncoding.UTF16, _u32(BLOCK + 13, 1, 0, 0)),
    (Prim.STRING, StringEncoding.LATIN1_UTF16, _u32(BLOCK + 12, 1 | 1 << 31, 0, 0xDC00)),
    (Prim.STRING, StringEncoding.UTF8, _u32(65530, 10, 0)),
    (val("list", (Prim.U32,)), StringEncoding.UTF8, _u32(BLOCK + 14, 1, 0)),
    (val("option", (Prim.U8,)), StringEncoding.UTF8, b"\x02\x00\x00"),
    (val("enum", ("a", "b")), StringEncoding.UTF8, b"\x02\x00"),
    (val("result", (None, None)), StringEncoding.UTF8, b"\x01\x00"),
]


@pytest.mark.parametrize("vt, encoding, data", BAD)
def test_traps_agree_with_wasmtime(vt: VType, encoding: StringEncoding, data: bytes) -> None:
    """What wasmtime refuses to lift, this ABI traps on; what it lifts, this ABI lifts."""
    wrapped = val("tuple", (vt, Prim.U8))
    store, instance = _instance(wrapped, data, encoding)
    try:
        theirs = _call(store, instance, "get")
    except wasmtime.WasmtimeError:
        theirs = None
    guest = Guest(size=1 << 16)
    guest.data[BLOCK : BLOCK + len(data)] = data
    codec = CanonicalAbi().codec(wrapped)
    if theirs is None:
        with pytest.raises(Trap):
            codec.load(guest.context(encoding), BLOCK)
    else:
        ours = codec.load(guest.context(encoding), BLOCK)
        assert _theirs_of(vt, ours[0]) == theirs[0]  # type: ignore[index]


def _theirs_of(vt: VType, value: object) -> object:
    """A lifted value of the types in BAD as wasmtime-py gives it."""
    if isinstance(value, enum.Flag):
        return {label for i, label in enumerate(vt.parts) if value.value >> i & 1}  # type: ignore[union-attr]
    if isinstance(value, (Ok, Err)):
        return component.Variant("ok" if isinstance(value, Ok) else "err", value.value)
    return value
