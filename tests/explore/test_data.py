"""What the explore page shows, checked without a browser: the page data of a module (sections,
sizes, names, the call graph, the disassembly), the engines' views of its functions, the
component view, the page being self-contained, and `wasmkit explore` on the command line."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tests.component.test_reader import EVERY_KIND, _wasm_tools
from tests.explore.modules import NAMES, demo_wasm
from tests.spec.engines import require_engine
from wasmkit.binary import read_module
from wasmkit.binary.reader import read_module_layout
from wasmkit.cli import main
from wasmkit.explore import explore_data, explore_page, module_data
from wasmkit.explore.generated import native_views, python_views
from wasmkit.explore.page import embed_json


@pytest.fixture(scope="module")
def demo() -> bytes:
    return demo_wasm()


def _rows(text: str) -> list[tuple[int, int, str]]:
    """A function's disassembly as the page reads it: (file offset, depth, instruction)."""
    rows = []
    for line in text.split("\n"):
        offset, depth, instr = line.split(" ", 2)
        rows.append((int(offset, 16), int(depth), instr))
    return rows


def test_sections_are_the_modules_with_their_offsets_and_sizes(demo: bytes) -> None:
    _, spans = read_module_layout(demo)
    sections = module_data(demo, "demo.wasm").summary["sections"]
    assert [s["name"] for s in sections] == [
        "Type", "Import", "Function", "Table", "Memory", "Export", "Elem", "Code", "Data", 'Custom "name"',
    ]  # fmt: skip
    assert [(s["offset"], s["size"]) for s in sections] == [(span.offset, span.size) for span in spans]
    assert sections[-1]["offset"] + sections[-1]["size"] == len(demo)


def test_functions_have_their_names_types_and_sizes(demo: bytes) -> None:
    found = module_data(demo, "demo.wasm")
    funcs = found.functions
    assert [f["name"] for f in funcs] == NAMES
    assert [f["index"] for f in funcs] == [0, 1, 2, 3]
    assert funcs[0]["imported"] == "env.log" and funcs[0]["type"] == "(i32) -> ()"
    assert [f["type"] for f in funcs[1:]] == ["(i32) -> (i32)", "(i32) -> (i32)", "(i32) -> ()"]
    module = read_module(demo)
    assert [(f["offset"], f["size"]) for f in funcs[1:]] == [(func.body_offset, len(func.body)) for func in module.funcs]
    assert [f["locals"] for f in funcs[1:]] == [0, 1, 0]


def test_the_call_graph_has_direct_calls_and_counts_indirect_ones(demo: bytes) -> None:
    funcs = module_data(demo, "demo.wasm").functions
    assert [(f["calls"], f["indirect"]) for f in funcs] == [([], 0), ([], 0), ([1], 1), ([0, 2], 0)]


def test_imports_and_exports(demo: bytes) -> None:
    summary = module_data(demo, "demo.wasm").summary
    assert summary["imports"] == [{"module": "env", "name": "log", "kind": "func", "desc": "func sig=1 (i32) -> ()"}]
    assert [(e["name"], e["kind"], e["index"]) for e in summary["exports"]] == [
        ("memory", "memory", 0), ("middle", "func", 2), ("</script><b>top", "func", 3),
    ]  # fmt: skip


def test_the_disassembly_is_objdumps_with_file_offsets_and_nesting(demo: bytes) -> None:
    found = module_data(demo, "demo.wasm")
    top = found.functions[3]
    rows = _rows(found.disassembly[3])
    assert [(depth, text) for _, depth, text in rows] == [
        (0, "block"), (1, "local.get 0"), (1, "call 2 <middle>"), (1, "call 0 <log>"), (0, "end"), (0, "end"),
    ]  # fmt: skip
    offsets = [offset for offset, _, _ in rows]
    assert offsets[0] == top["offset"] and offsets == sorted(offsets) and offsets[-1] < top["offset"] + top["size"]
    assert demo[offsets[2]] == 0x10  # the byte at a call's offset is the call opcode
    page = found.as_json()
    assert base64.b64decode(page["code"]["3"]) == demo[top["offset"] : top["offset"] + top["size"]]
    assert json.loads(json.dumps(page)) == page


def test_the_disassembly_stops_at_the_cap_biggest_first_but_calls_do_not(demo: bytes) -> None:
    found = module_data(demo, "demo.wasm", max_disassembly=25)  # middle (15 bytes) and top (10)
    assert sorted(found.disassembly) == [2, 3]
    assert sorted(found.as_json()["code"]) == ["2", "3"]
    assert [(f["calls"], f["indirect"]) for f in found.functions] == [([], 0), ([], 0), ([1], 1), ([0, 2], 0)]
    assert "at most 25 bytes of code" in found.summary["missing"] and "objdump -d" in found.summary["missing"]
    assert "at most 4 MiB of code" in module_data(demo, "demo.wasm").summary["missing"]


def test_python_views_are_the_python_engines_source_linked_to_wasm(demo: bytes) -> None:
    found = module_data(demo, "demo.wasm")
    generated = python_views(found.module)
    assert sorted(generated["functions"]) == ["1", "2", "3"]
    for index, (view,) in generated["functions"].items():
        assert view["title"] == "Python"
        assert view["text"].startswith(f"def f{index}(")
        lines = view["text"].split("\n")
        assert len(view["at"]) == len(lines) and view["at"][0] == 0  # the `def` line comes from no instruction
        instructions = {offset: text for offset, _, text in _rows(found.disassembly[int(index)])}
        assert {at for at in view["at"] if at} <= set(instructions)
    # top's call of log is written for the instruction `call 0 <log>`
    view = generated["functions"]["3"][0]
    (call,) = [at for line, at in zip(view["text"].split("\n"), view["at"]) if line.strip().startswith("f0(")]
    assert dict((o, t) for o, _, t in _rows(found.disassembly[3]))[call] == "call 0 <log>"


def test_native_views_link_ir_and_assembly_to_wasm_instructions(demo: bytes) -> None:
    require_engine("native")
    found = module_data(demo, "demo.wasm")
    generated = native_views(found.module)
    assert sorted(generated["functions"]) == ["1", "2", "3"] and generated["missing"] == ""
    for index, (ir_view, asm_view) in generated["functions"].items():
        instructions = {offset for offset, _, _ in _rows(found.disassembly[int(index)])}
        assert ir_view["title"] == "LLVM IR" and asm_view["title"] == "assembly"
        assert ir_view["text"].startswith("define ") and f'f{index}' in ir_view["text"].split("\n")[0]
        assert "!dbg" not in ir_view["text"]
        for view in (ir_view, asm_view):
            assert len(view["at"]) == len(view["text"].split("\n"))
            linked = {at for at in view["at"] if at}
            assert linked and linked <= instructions
    # middle's calls of leaf became calls in the IR, each linked to its own call instruction
    ir_text, at = generated["functions"]["2"][0]["text"].split("\n"), generated["functions"]["2"][0]["at"]
    calls = {at[i] for i, line in enumerate(ir_text) if re.search(r"call .*@\"?f", line) or "call i32 %" in line}
    call_offsets = {offset for offset, _, text in _rows(found.disassembly[2]) if text.startswith("call ")}
    assert calls & call_offsets


def test_native_views_stop_at_the_cap_biggest_first(demo: bytes) -> None:
    require_engine("native")
    generated = native_views(read_module(demo), max_functions=1)
    assert list(generated["functions"]) == ["2"]  # middle is the biggest
    assert "2 of 3 functions left out" in generated["missing"]


def test_a_component_shows_its_wit_world_structure_and_core_modules() -> None:
    from wasmkit.component.wit_decode import component_wit

    data = _wasm_tools("parse", "-", stdin=EVERY_KIND.encode())
    root = explore_data(data, "c.wasm")["root"]
    assert root["kind"] == "component" and root["size"] == len(data)
    assert root["wit"] == component_wit(data) and "world root" in root["wit"]
    assert root["structure"][0] == "Sections:"
    assert sum(line.lstrip().startswith("core module") for line in root["structure"]) == 2
    assert [len(m["functions"]) for m in root["modules"]] == [1, 3]
    assert [e["name"] for e in root["modules"][1]["exports"]] == ["run", "unit"]


def _embedded(page: str) -> object:
    start = page.index('<script type="application/json" id="explore-data">') + len('<script type="application/json" id="explore-data">')
    return json.loads(page[start : page.index("</script>", start)])


def test_the_page_is_self_contained_and_its_data_cannot_end_its_script(demo: bytes) -> None:
    page = explore_page(demo, "demo.wasm", "python")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)  # nothing loaded from elsewhere
    assert "http://" not in page and "https://" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the export's name is escaped
    assert _embedded(page) == explore_data(demo, "demo.wasm", "python")
    assert embed_json({"a": "</script><!--"}) == '{"a":"\\u003c/script>\\u003c!--"}'


def test_cli_writes_the_page(tmp_path: Path, demo: bytes) -> None:
    source = tmp_path / "demo.wasm"
    source.write_bytes(demo)
    assert main(["explore", str(source)]) == 0  # beside the module, by default
    assert _embedded((tmp_path / "demo.html").read_text())["root"]["name"] == "demo.wasm"  # type: ignore[index]
    out = tmp_path / "page.html"
    assert main(["explore", "--engine", "python", str(source), "-o", str(out)]) == 0
    assert _embedded(out.read_text())["engine"] == "python"  # type: ignore[index]


def test_cli_explores_text_with_its_names(tmp_path: Path) -> None:
    from tests.explore.modules import DEMO_WAT

    source = tmp_path / "demo.wat"
    source.write_text(DEMO_WAT)
    out = tmp_path / "page.html"
    assert main(["explore", str(source), "-o", str(out)]) == 0
    assert [f["name"] for f in _embedded(out.read_text())["root"]["functions"]] == NAMES  # type: ignore[index]


def test_cli_reports_a_malformed_module_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.wasm"
    source.write_bytes(b"\0asm\x01\0\0\0\x01\x05")
    assert main(["explore", str(source), "-o", str(tmp_path / "bad.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wasmkit: error: ") and err.count("\n") == 1
    assert not (tmp_path / "bad.html").exists()


def test_cli_says_when_the_native_engine_cannot_be_shown(tmp_path: Path, demo: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    source = tmp_path / "demo.wasm"
    source.write_bytes(demo)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llvmlite" else real(name, *a))
    assert main(["explore", "--engine", "native", str(source)]) == 1
    assert capsys.readouterr().err == "wasmkit: error: the native engine needs llvmlite: pip install 'wasmkit[native]'\n"
