"""Debug locations for the IR of a piece: each LLVM instruction tagged with the wasm instruction
it was lowered from (`, !dbg !N`), so that the optimised IR and the machine code can be mapped
back to wasm (what `wasmkit explore --engine native` shows). The engine itself never asks for
them: they cost compile time and change nothing the code does.

A location's line is the wasm instruction's offset in the module's file, and each function is
a `DISubprogram` of one `DIFile`: LLVM keeps the locations through its passes (dropping some
where instructions merge) and the assembly printer writes them as `.loc 1 LINE` directives.
"""

from __future__ import annotations

import re

__all__ = ["DebugLocations"]

# Metadata numbers 0-3 are the compile unit, the module flags, the file and the subprograms' type.
_HEADER = """!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!1}
!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !2, producer: "wasmkit", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !{i32 2, !"Debug Info Version", i32 3}
!2 = !DIFile(filename: "module.wasm", directory: ".")
!3 = !DISubroutineType(types: !{})
"""
_DEFINE = re.compile(r'^(define [^\n]*@"f(\d+)"\([^\n]*\))(?=\n\{)', re.MULTILINE)


class DebugLocations:
    """The debug metadata of one piece's IR, numbered as locations are asked for."""

    def __init__(self) -> None:
        self._nodes: list[str] = []
        self._subprograms: dict[int, int] = {}
        self._locations: dict[tuple[int, int], str] = {}

    def _node(self, text: str) -> int:
        self._nodes.append(text)
        return 4 + len(self._nodes) - 1

    def mark(self, func_index: int, offset: int) -> str:
        """The suffix that tags an instruction of function `func_index` with the wasm
        instruction at file offset `offset`."""
        key = (func_index, offset)
        found = self._locations.get(key)
        if found is None:
            scope = self._subprograms.get(func_index)
            if scope is None:
                scope = self._subprograms[func_index] = self._node(
                    f'distinct !DISubprogram(name: "f{func_index}", scope: !2, file: !2, line: {offset}, type: !3, '
                    f"scopeLine: {offset}, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)"
                )
            found = self._locations[key] = f", !dbg !{self._node(f'!DILocation(line: {offset}, column: 1, scope: !{scope})')}"
        return found

    def attach(self, ir_text: str) -> str:
        """`ir_text` (a piece lowered with these locations) with each function that has
        locations attached to its subprogram, and the metadata at the end."""

        def define(match: re.Match[str]) -> str:
            scope = self._subprograms.get(int(match.group(2)))
            return match.group(1) if scope is None else f"{match.group(1)} !dbg !{scope}"

        nodes = "".join(f"!{4 + i} = {text}\n" for i, text in enumerate(self._nodes))
        return _DEFINE.sub(define, ir_text) + "\n" + _HEADER + nodes
