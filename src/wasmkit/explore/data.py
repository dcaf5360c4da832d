"""What the explore page shows of a core module, as plain data (JSON-ready dicts and lists): its
sections and their sizes, its functions with their names, sizes and direct calls, its imports
and exports, and each function's disassembly (from objdump's printer, `ObjdumpReport`).

The disassembly of a function is one string, a line per instruction: `OFFSET DEPTH TEXT`, the
instruction's file offset in hex, its nesting depth and its text, so that the page can lay out
a thousand functions' code without a JSON object per instruction. The function's body travels
with it (base64), from which the page shows each instruction's bytes.

A page must stay small enough for a browser to open at once (graphviz.wasm's 774 KiB of code
make 9 MB of page), so the disassembly is included for at most DISASSEMBLY_BYTES of code, the
biggest functions first; every function is listed and in the call graph all the same.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from ..binary.code import iter_instructions
from ..binary.reader import SectionId, read_module_layout
from ..cli.inspect import import_desc, signature
from ..cli.objdump_wabt import SECTION_NAMES, ObjdumpReport
from ..syntax.module import Module
from ..syntax.types import DefinedType, ExternKind

__all__ = ["DISASSEMBLY_BYTES", "ModuleData", "module_data"]

DISASSEMBLY_BYTES = 4 * 1024 * 1024  # of function bodies: a page of about 50 MB

# The instructions that name the function they call (the call graph's edges), and those that
# call through a table or a reference (counted, since their target is known only at run time).
_DIRECT_CALLS = frozenset({"call", "return_call"})
_INDIRECT_CALLS = frozenset({"call_indirect", "return_call_indirect", "call_ref", "return_call_ref"})


@dataclass
class ModuleData:
    """A module's page data (`as_json` gives it to the page) and what the engines' views of its
    functions need: the module and its bytes."""

    module: Module
    data: bytes
    summary: dict[str, Any]
    functions: list[dict[str, Any]]
    disassembly: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        first = len(self.functions) - len(self.module.funcs)
        return {
            **self.summary,
            "functions": self.functions,
            "disassembly": {str(i): text for i, text in self.disassembly.items()},
            "code": {str(i): base64.b64encode(self.module.funcs[i - first].body).decode("ascii") for i in self.disassembly},
        }


def module_data(data: bytes, name: str, max_disassembly: int = DISASSEMBLY_BYTES) -> ModuleData:
    """The page data of the binary module `data`, shown under `name` (its file's name), with
    the disassembly of up to `max_disassembly` bytes of function bodies, the biggest first.
    Raises DecodeError for a malformed module."""
    module, spans = read_module_layout(data)
    shown = _biggest(module, max_disassembly)
    report = ObjdumpReport(data, module, spans)
    types = module.types
    sections = [
        {
            "id": span.id,
            "name": SECTION_NAMES[span.id] + (f' "{span.name}"' if span.id == SectionId.CUSTOM else ""),
            "offset": span.offset,
            "size": span.size,
        }
        for span in spans
    ]
    functions: list[dict[str, Any]] = []
    index = 0
    for imp in module.imports:
        if imp.kind == ExternKind.FUNC:
            ft = types[imp.desc] if isinstance(imp.desc, int) and imp.desc < len(types) else None
            functions.append(_function(report, index, ft, 0, 0, imported=f"{imp.module}.{imp.name}"))
            index += 1
    disassembly: dict[int, str] = {}
    for position, func in enumerate(module.funcs):
        ft = types[func.type_index] if func.type_index < len(types) else None
        entry = _function(report, index, ft, func.body_offset, len(func.body))
        calls: set[int] = set()
        indirect = 0
        if position in shown:
            lines = []
            for row in report.instruction_rows(func.body, func.body_offset, index):
                lines.append(f"{row.offset:x} {row.depth} {row.text}")
                op = row.instr.op.name
                if op in _DIRECT_CALLS:
                    calls.add(row.instr.imm)
                elif op in _INDIRECT_CALLS:
                    indirect += 1
            disassembly[index] = "\n".join(lines)
        else:  # only its calls
            for instr in iter_instructions(func.body):
                if instr.op.name in _DIRECT_CALLS:
                    calls.add(instr.imm)
                elif instr.op.name in _INDIRECT_CALLS:
                    indirect += 1
        entry["calls"] = sorted(calls)
        entry["indirect"] = indirect
        entry["locals"] = func.local_count
        functions.append(entry)
        index += 1
    summary = {
        "kind": "module",
        "name": name,
        "size": len(data),
        "sections": sections,
        "imports": [
            {"module": imp.module, "name": imp.name, "kind": imp.kind.text, "desc": import_desc(imp.desc, module)}
            for imp in module.imports
        ],
        "exports": [{"name": e.name, "kind": e.kind.text, "index": e.index} for e in module.exports],
        "start": module.start,
        "missing": (
            f"The disassembly of this function is not in the page: it holds that of at most {_amount(max_disassembly)}"
            " of code, the biggest functions first (wasmkit objdump -d shows every function)."
        ),
    }
    return ModuleData(module, data, summary, functions, disassembly)


def _amount(size: int) -> str:
    """A number of bytes in words: `4 MiB`, `128 KiB`, `25 bytes`."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def _biggest(module: Module, budget: int) -> set[int]:
    """The positions (among the defined functions) of the biggest functions whose bodies add
    up to at most `budget` bytes: all of them when they fit."""
    if sum(len(func.body) for func in module.funcs) <= budget:
        return set(range(len(module.funcs)))
    chosen: set[int] = set()
    for position in sorted(range(len(module.funcs)), key=lambda i: -len(module.funcs[i].body)):
        budget -= len(module.funcs[position].body)
        if budget < 0:
            break
        chosen.add(position)
    return chosen


def _function(report: ObjdumpReport, index: int, ft: DefinedType | None, offset: int, size: int, imported: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": index,
        "name": report.func_names.get(index, ""),
        "type": signature(ft) if ft is not None else "?",
        "offset": offset,
        "size": size,
        "calls": [],
        "indirect": 0,
    }
    if imported:
        entry["imported"] = imported
    return entry
