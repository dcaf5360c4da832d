"""What the explore page shows of a core module, as plain data (JSON-ready dicts and lists): its
sections and their sizes, its functions with their names, sizes and direct calls, its imports
and exports, and each function's disassembly (from objdump's printer, `ObjdumpReport`).

The disassembly of a function is one string, a line per instruction: `OFFSET DEPTH TEXT`, the
instruction's file offset in hex, its nesting depth and its text, so that the page can lay out
a thousand functions' code without a JSON object per instruction. The module's bytes travel
with it (base64), from which the page shows each instruction's bytes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from ..binary.reader import SectionId, read_module_layout
from ..cli.inspect import import_desc, signature
from ..cli.objdump_wabt import SECTION_NAMES, ObjdumpReport
from ..syntax.module import Module
from ..syntax.types import DefinedType, ExternKind

__all__ = ["ModuleData", "module_data"]

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
        return {
            **self.summary,
            "functions": self.functions,
            "disassembly": {str(i): text for i, text in self.disassembly.items()},
            "bytes": base64.b64encode(self.data).decode("ascii"),
        }


def module_data(data: bytes, name: str) -> ModuleData:
    """The page data of the binary module `data`, shown under `name` (its file's name).
    Raises DecodeError for a malformed module."""
    module, spans = read_module_layout(data)
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
    for func in module.funcs:
        ft = types[func.type_index] if func.type_index < len(types) else None
        entry = _function(report, index, ft, func.body_offset, len(func.body))
        lines, calls, indirect = [], set(), 0
        for row in report.instruction_rows(func.body, func.body_offset, index):
            lines.append(f"{row.offset:x} {row.depth} {row.text}")
            op = row.instr.op.name
            if op in _DIRECT_CALLS:
                calls.add(row.instr.imm)
            elif op in _INDIRECT_CALLS:
                indirect += 1
        entry["calls"] = sorted(calls)
        entry["indirect"] = indirect
        entry["locals"] = func.local_count
        disassembly[index] = "\n".join(lines)
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
    }
    return ModuleData(module, data, summary, functions, disassembly)


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
