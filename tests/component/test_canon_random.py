"""Random `canon lift` and `canon lower` definitions against wasm-tools: function types of
random value types (records, variants, lists, tuples, options, results, enums, flags, nested),
core functions of random types (most of them steered to the flattening wasmkit expects, so
that valid ones come up too) and random options; wasmkit and `wasm-tools validate` agree on
each, and on the reason when it is invalid."""

from __future__ import annotations

import random
import re

import pytest

from tests.component.test_reader import _wasm_tools
from tests.component.test_validate import _wasm_tools_error
from wasmkit.component.reader import read_component
from wasmkit.component.validate import validate_component
from wasmkit.errors import ValidationError

PRIMS = ["bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char", "string"]
CORE = ["i32", "i64", "f32", "f64"]
MEMORY = """(core module $mem (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "bad") (param i32) (result i32) i32.const 0))
  (core instance $mi (instantiate $mem))"""


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.types: list[str] = []

    def value_type(self, depth: int = 0) -> str:
        """A primitive, or a new defined type's `$name`."""
        rng = self.rng
        if depth > 2 or rng.random() < 0.45:
            return rng.choice(PRIMS)
        kind = rng.choice(["list", "tuple", "option", "result", "record", "variant", "enum", "flags"])

        def inner() -> str:
            return self.value_type(depth + 1)

        count = rng.randint(1, 4)
        text = {
            "list": lambda: f"(list {inner()})",
            "tuple": lambda: "(tuple " + " ".join(inner() for _ in range(count)) + ")",
            "option": lambda: f"(option {inner()})",
            "result": lambda: f"(result {inner()} (error {inner()}))" if rng.random() < 0.7 else "(result)",
            "record": lambda: "(record " + " ".join(f'(field "f{i}" {inner()})' for i in range(count)) + ")",
            "variant": lambda: "(variant "
            + " ".join(f'(case "c{i}" {inner()})' if rng.random() < 0.7 else f'(case "c{i}")' for i in range(count)) + ")",
            "enum": lambda: "(enum " + " ".join(f'"e{i}"' for i in range(count)) + ")",
            "flags": lambda: "(flags " + " ".join(f'"g{i}"' for i in range(count)) + ")",
        }[kind]()
        self.types.append(text)
        return f"$t{len(self.types) - 1}"

    def component(self) -> tuple[bool, str, list[str], str]:
        """(lift?, the function type's text, the options, a core signature's text)."""
        rng = self.rng
        self.types = []
        params = " ".join(f'(param "p{i}" {self.value_type()})' for i in range(rng.choice([0, 1, 2, 3, 5, 17])))
        result = f"(result {self.value_type()})" if rng.random() < 0.7 else ""
        core = " ".join(rng.choice(CORE) for _ in range(rng.choice([0, 1, 2, 3, 4, 16, 17])))
        signature = f"(param {core}) " + rng.choice(["", "(result i32)", "(result i64)", "(result f32)"])
        options = [text for text, p in (('(memory (core memory $mi "mem"))', 0.85),
                   ('(realloc (core func $mi "realloc"))', 0.75), ('(realloc (core func $mi "bad"))', 0.1))
                   if rng.random() < p]  # fmt: skip
        return rng.random() < 0.5, f"{params} {result}", options, signature


def _text(types: list[str], lift: bool, functype: str, options: list[str], signature: str) -> str:
    defined = " ".join(f"(type $t{i} {text})" for i, text in enumerate(types))
    if lift:
        body = f"""(core module $m (func (export "f") {signature} unreachable)) (core instance $i (instantiate $m))
  (func {functype} (canon lift (core func $i "f") {" ".join(options)}))"""
    else:
        body = f"""(import "f" (func $f {functype})) (core func $g (canon lower (func $f) {" ".join(options)}))
  (core module $n (import "" "g" (func {signature}))) (core instance $gi (export "g" (func $g)))
  (core instance (instantiate $n (with "" (instance $gi))))"""
    return f"(component {defined}\n  {MEMORY}\n  {body})"


def _core_signature_wanted(data: bytes) -> str | None:
    """The core signature wasmkit wants instead of the one in `data`, from its message."""
    try:
        validate_component(read_component(data))
    except ValidationError as err:
        message = str(err)
    else:
        return None
    found = re.search(r"found \(func( \(param ([^)]*)\))?( \(result ([^)]*)\))?\)", message)  # a lowering's
    if found is None:
        return None
    return f"(param {found.group(2) or ''}) " + (f"(result {found.group(4)})" if found.group(4) else "")


def _lift_signature_wanted(data: bytes) -> str | None:
    try:
        validate_component(read_component(data))
    except ValidationError as err:
        params = re.match(r"lowered parameter types `\[(.*?)\]`", str(err))
        results = re.match(r"lowered result types `\[(.*?)\]`", str(err))
    else:
        return None
    if params:
        return "params:" + params.group(1).lower().replace(",", "")
    if results:
        return "results:" + results.group(1).lower().replace(",", "")
    return None


@pytest.mark.parametrize("seed", range(2))
def test_random_lifts_and_lowers_agree_with_wasm_tools(seed: int) -> None:
    generator = _Generator(seed)
    valid = 0
    for _ in range(20):
        lift, functype, options, signature = generator.component()
        data = _wasm_tools("parse", "-", stdin=_text(generator.types, lift, functype, options, signature).encode())
        if generator.rng.random() < 0.7:  # steer the core signature to the one wanted, twice
            for _ in range(2):
                if lift:
                    wanted = _lift_signature_wanted(data)
                    if wanted is None:
                        break
                    kind, _, types = wanted.partition(":")
                    params, _, results = signature.partition(") ")
                    if kind == "params":
                        signature = f"(param {types}) {results}"
                    else:
                        signature = f"{params}) " + (f"(result {types})" if types else "")
                else:
                    wanted = _core_signature_wanted(data)
                    if wanted is None:
                        break
                    signature = wanted
                data = _wasm_tools("parse", "-", stdin=_text(generator.types, lift, functype, options, signature).encode())
        reason = _wasm_tools_error(data)
        if reason is None:
            valid += 1
            validate_component(read_component(data))
        else:
            with pytest.raises(ValidationError) as caught:
                validate_component(read_component(data))
            assert str(caught.value).startswith(reason)
    assert valid > 0
