"""What the engines make of a module's functions, for the explore page: the Python source the
Python engine generates, or the LLVM IR and the machine code (as assembly) of the native
engine, each line linked to the wasm instruction it comes from where that is known.

Each function gets a list of views `{"title", "text", "at", "note"}`: `at` holds, per line of
`text`, the file offset of the wasm instruction the line comes from (0 for none), or is None.

The native engine's views cost LLVM's time (about 10-100 ms a function, more for big ones) and
much text, so they are made for at most NATIVE_FUNCTIONS functions and NATIVE_BYTES of wasm
code, the biggest first (what the page's chart points at); the page says which are missing.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import WasmError
from ..syntax.module import Module
from ..validate import validate

__all__ = ["NATIVE_BYTES", "NATIVE_FUNCTIONS", "native_views", "python_views"]

NATIVE_FUNCTIONS = 100
NATIVE_BYTES = 128 * 1024

View = dict[str, Any]


def python_views(module: Module, only: set[int] | None = None) -> dict[str, Any]:
    """The Python engine's source of every defined function (of those whose index is in
    `only`, if given): the `generated` part of a module's page data."""
    from ..engine.base import shared_globals
    from ..engine.python.compiler import ModuleLayout, compile_function_located

    valid = validate(module)
    layout = ModuleLayout(valid, shared_globals(valid))
    functions: dict[str, list[View]] = {}
    note = "click a line to see the wasm instruction it was written for"
    for index, func in enumerate(module.funcs, start=valid.imported_func_count):
        if only is not None and index not in only:
            continue
        try:
            lines = compile_function_located(layout, index, func)
        except WasmError as err:  # an implementation limit: said in the view, the page goes on
            functions[str(index)] = [{"title": "Python", "text": f"# the Python engine cannot compile this function: {err}", "at": None, "note": ""}]
            continue
        text = "\n".join(line for line, _ in lines)
        at = [0 if offset is None else func.body_offset + offset for _, offset in lines]
        functions[str(index)] = [{"title": "Python", "text": text, "at": at, "note": note}]
    return {
        "title": "Python",
        "note": "the Python source the Python engine generates for each function (without fuel metering)",
        "missing": "",
        "functions": functions,
    }


def native_views(module: Module, max_functions: int = NATIVE_FUNCTIONS, max_bytes: int = NATIVE_BYTES) -> dict[str, Any]:
    """The native engine's optimised LLVM IR and assembly of the biggest defined functions, up
    to `max_functions` of them and `max_bytes` of wasm code (the `generated` part of a
    module's page data). Each function is compiled on its own, at the tier the engine chooses
    for the module, as the engine compiles a large module."""
    from ..engine.base import shared_globals
    from ..engine.native.codegen import choose_tier, listing
    from ..engine.native.debuginfo import DebugLocations
    from ..engine.native.layout import Variant
    from ..engine.native.lower import lower_piece

    valid = validate(module)
    tier = choose_tier(valid)
    shared = shared_globals(valid)
    first = valid.imported_func_count
    by_size = sorted(range(len(module.funcs)), key=lambda i: -len(module.funcs[i].body))
    chosen: list[int] = []
    total = 0
    for i in by_size:
        size = len(module.funcs[i].body)
        if len(chosen) >= max_functions or (chosen and total + size > max_bytes):
            break
        chosen.append(first + i)
        total += size
    functions: dict[str, list[View]] = {}
    for index in sorted(chosen):
        locations = DebugLocations()
        try:
            source = locations.attach(lower_piece(valid, shared, Variant.PLAIN, range(index, index + 1), False, locations))
            ir_text, asm_text = listing(tier, source)
        except WasmError as err:  # what the native engine does not support: said in the view
            functions[str(index)] = [{"title": "LLVM IR", "text": f"; the native engine cannot compile this function: {err}", "at": None, "note": ""}]
            continue
        functions[str(index)] = [_ir_view(ir_text, index), _asm_view(asm_text, index)]
    defined = len(module.funcs)
    missing = f"{defined - len(chosen)} of {defined} functions" if len(chosen) < defined else ""
    return {
        "title": "LLVM IR / assembly",
        "note": f"native engine, {tier} tier, each function compiled on its own",
        "missing": (
            f"Not compiled for this page: the page holds the native code of at most {max_functions} functions"
            f" and {max_bytes // 1024} KiB of wasm code, the biggest first ({missing} left out)."
        ) if missing else "",
        "functions": functions,
    }


_LOCATION = re.compile(r"^!(\d+) = !DILocation\(line: (\d+)", re.MULTILINE)
_DBG = re.compile(r",? !dbg !(\d+)")


def _ir_view(ir_text: str, index: int) -> View:
    """The optimised IR of function `index` (its definition, and its entry from Python if it
    has one), each line linked through its `!dbg` location, which is then left out."""
    lines_of = {int(node): int(line) for node, line in _LOCATION.findall(ir_text)}
    lines: list[str] = []
    at: list[int] = []
    for name in (f"f{index}", f"entry{index}"):
        start = ir_text.find(f'@"{name}"(')
        if start < 0:
            start = ir_text.find(f"@{name}(")
        if start < 0:
            continue
        start = ir_text.rfind("\ndefine", 0, start) + 1
        end = ir_text.find("\n}\n", start) + 2
        for line in ir_text[start:end].split("\n"):
            found = _DBG.search(line)
            at.append(lines_of.get(int(found.group(1)), 0) if found else 0)
            lines.append(_DBG.sub("", line) if found else line)
        lines.append("")
        at.append(0)
    note = "optimised LLVM IR; click a line to see the wasm instruction it comes from"
    return {"title": "LLVM IR", "text": "\n".join(lines), "at": at, "note": note}


_LOC = re.compile(r"^\s*\.loc\s+\d+\s+(\d+)")


def _asm_view(asm_text: str, index: int) -> View:
    """The assembly of function `index` and its entry: `.loc` directives become the links of
    the lines after them, and are left out with the other directives that only debuggers read."""
    lines: list[str] = []
    at: list[int] = []
    current = 0
    inside = False
    for line in asm_text.split("\n"):
        stripped = line.strip()
        label = stripped[:-1].strip('"') if stripped.endswith(":") and not stripped.startswith(".") else None
        if label in (f"f{index}", f"entry{index}"):
            inside, current = True, 0
        elif label is not None and not label.startswith(".L") and inside:
            inside = False
        if not inside:
            continue
        found = _LOC.match(line)
        if found:
            current = int(found.group(1))
            continue
        if stripped.startswith((".cfi_", ".file", ".p2align", ".type", ".size")) or stripped.startswith((".Ltmp", ".Lfunc_")):
            continue
        lines.append(line)
        at.append(current)
    return {"title": "assembly", "text": "\n".join(lines), "at": at, "note": "machine code; click a line to see the wasm instruction it comes from"}
