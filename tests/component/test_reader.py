"""The component reader against wasm-tools: every component wasm-tools makes (from a text
component written here, from random WIT packages of `wasm-tools wit-smith`, which are
themselves components, and from the components `wasm-tools component embed --dummy` and
`component new` build for each of their worlds) is read whole, with the same sections, at the
same offsets, with the same counts as `wasm-tools objdump` shows; malformed bytes give a
DecodeError, never another exception."""

from __future__ import annotations

import os
import random
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import tool
from wasmkit.component import is_component, read_component
from wasmkit.component.describe import component_lines
from wasmkit.component.syntax import Component, SectionId
from wasmkit.errors import DecodeError


# Every kind of definition: value types, an imported instance with a resource, aliases, a core
# module lowered into and lifted out of, resources, a nested component and its instance.
EVERY_KIND = """
(component
  (type $r (record (field "a" u32) (field "b" string)))
  (type $v (variant (case "x" u8) (case "y")))
  (type $l (list $r))
  (type $t (tuple u8 s64 f32))
  (type $f (flags "a" "b" "c"))
  (type $e (enum "one" "two"))
  (type $o (option string))
  (type $res (result u32 (error string)))
  (type (result))
  (import "host" (instance $host
    (export "log" (func (param "msg" string)))
    (export "res" (type $res (sub resource)))
    (export "[method]res.get" (func (param "self" (borrow $res)) (result u32)))))
  (alias export $host "log" (func $log))
  (core module $m
    (import "host" "log" (func $log (param i32 i32)))
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "run") (param i32) (result i32) local.get 0))
  (core func $log_lowered (canon lower (func $log) (memory (core memory $mi "mem"))
    (realloc (core func $mi "realloc")) string-encoding=utf8))
  (core instance $hi (export "log" (func $log_lowered)))
  (core instance $mi (instantiate $m (with "host" (instance $hi))))
  (func $run (param "x" u32) (result u32) (canon lift (core func $mi "run")))
  (export "run" (func $run))
  (type $mine (resource (rep i32)))
  (core func (canon resource.new $mine))
  (core func (canon resource.drop $mine))
  (core func (canon resource.rep $mine))
  (component $inner
    (import "f" (func $f (param "a" u32)))
    (export "g" (func $f)))
  (func $unit (param "a" u32) (canon lift (core func $mi "run")))
  (instance (instantiate $inner (with "f" (func $unit)))))
"""


def _wasm_tools(*args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "WAST_STRICT_COMPONENT_INDICES": "1"}
    return subprocess.run([tool("wasm-tools"), *args], input=stdin, capture_output=True, check=True, env=env).stdout


_OBJDUMP_LINE = re.compile(r"^(\s*)(.+?)\s*\|\s*0x([0-9a-f]+) -\s*0x([0-9a-f]+) \|\s*\d+ bytes \|\s*(\d+) count$")


def _objdump_sections(data: bytes) -> list[tuple[int, int, int]]:
    """(nesting depth, end offset, count) of each component section as `wasm-tools objdump`
    lists it (the sections inside core modules left out)."""
    found = []
    in_module = 0
    for line in _wasm_tools("objdump", "-", stdin=data).decode().splitlines():
        if "start module" in line:
            in_module += 1
            continue
        if "end module" in line:
            in_module -= 1
            continue
        match = _OBJDUMP_LINE.match(line)
        if match and not in_module:
            depth = (len(match.group(1)) - 2) // 2
            found.append((depth, int(match.group(4), 16), int(match.group(5))))
    return found


def _our_sections(component: Component, depth: int = 0) -> list[tuple[int, int, int]]:
    found = []
    for section in component.sections:
        count = len(section.items) if section.id not in (SectionId.CORE_MODULE, SectionId.COMPONENT, SectionId.CUSTOM) else 1
        found.append((depth, section.offset + section.size, count))
        if section.id == SectionId.COMPONENT:
            found.extend(_our_sections(section.items[0], depth + 1))  # type: ignore[arg-type]
    return found


def _check_like_wasm_tools(data: bytes) -> Component:
    assert is_component(data)
    component = read_component(data)
    assert _our_sections(component) == _objdump_sections(data)
    assert component.sections[-1].offset + component.sections[-1].size == len(data)
    return component


def test_every_kind_of_definition() -> None:
    data = _wasm_tools("parse", "-", stdin=EVERY_KIND.encode())
    component = _check_like_wasm_tools(data)
    lines = list(component_lines("c.wasm", component, details=True))
    expected = [
        '(type (record (field "a" u32) (field "b" string)))',
        '(type (variant (case "x" u8) (case "y")))',
        '(import "host" (instance (type 9)))',
        '(alias export 0 "log" (func))',
        "(canon lower (func 0) (memory 0) (realloc 0) string-encoding=utf8)",
        '(core instance (instantiate 0 (with "host" (instance 0))))',
        "(canon lift (core func 2) (type 10))",
        '(export "run" (func 1))',
        "(type (resource (rep i32)))",
        "(canon resource.rep 11)",
        '(instance (instantiate 0 (with "f" (func 3))))',  # the export of "run" is func 2
    ]
    for text in expected:
        assert any(line.endswith(text) for line in lines), text
    nested = component.items(SectionId.COMPONENT)[0]
    assert isinstance(nested, Component) and len(nested.items(SectionId.IMPORT)) == 1
    module = component.items(SectionId.CORE_MODULE)[0].module()  # type: ignore[attr-defined]
    assert [e.name for e in module.exports] == ["mem", "realloc", "run"]


def _wit_smith(seed: int, tmp: Path) -> tuple[bytes, list[bytes]]:
    """A random WIT package (a component itself) and the components built for its worlds."""
    rng = random.Random(seed)
    (tmp / "seed").write_bytes(bytes(rng.getrandbits(8) for _ in range(6000)))
    package = _wasm_tools("wit-smith", str(tmp / "seed"))
    (tmp / "package.wasm").write_bytes(package)
    text = _wasm_tools("component", "wit", str(tmp / "package.wasm")).decode()
    components = []
    for world in re.findall(r"^world ([a-z0-9-]+) \{", text, re.MULTILINE)[:3]:
        core = _wasm_tools("component", "embed", "--dummy", str(tmp / "package.wasm"), "--world", world)
        components.append(_wasm_tools("component", "new", "-", stdin=core))
    return package, components


@pytest.mark.parametrize("seed", range(12))
def test_random_wit_packages_and_their_worlds_components(seed: int, tmp_path: Path) -> None:
    package, components = _wit_smith(seed, tmp_path)
    _check_like_wasm_tools(package)
    for component in components:
        _check_like_wasm_tools(component)


def test_malformed_bytes_give_a_decode_error() -> None:
    data = _wasm_tools("parse", "-", stdin=EVERY_KIND.encode())
    boundaries = {section.offset for section in read_component(data).sections}
    for end in range(8, len(data)):
        if end in boundaries:  # a shorter component, whole
            assert len(read_component(data[:end]).sections) < len(boundaries)
            continue
        with pytest.raises(DecodeError):
            read_component(data[:end])
    rng = random.Random(1)
    for _ in range(2000):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(8, len(mutated))] = rng.getrandbits(8)
        try:
            read_component(bytes(mutated))
        except DecodeError:
            pass
