"""wasmkit's modules import one another without a circle, as the layers of docs/architecture.md
require: the engines build on `engine.base` and parts of the runtime, the runtime's store picks
an engine through `engine.registry`, which sits above both engines.

Every import counts, at module level or inside a function (a deferred import is still a
dependency), except those under `if TYPE_CHECKING:`, which exist for the type checker only.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import PROJECT_ROOT

SOURCE = PROJECT_ROOT / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class _Imports(ast.NodeVisitor):
    """The wasmkit modules one module imports."""

    def __init__(self, name: str, is_package: bool, known: set[str]) -> None:
        self.name = name
        self.package = name.split(".") if is_package else name.split(".")[:-1]
        self.known = known
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = ".".join(self.package[: len(self.package) - node.level + 1] + ([node.module] if node.module else []))
        elif (node.module or "").startswith("wasmkit"):
            base = node.module or ""
        else:
            return
        for alias in node.names:
            self._add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in self.known else base)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("wasmkit"):
                self._add(alias.name)

    def _add(self, target: str) -> None:
        while target and target not in self.known:
            target = target.rpartition(".")[0]
        if target and target != self.name:
            self.found.add(target)


def import_graph() -> dict[str, set[str]]:
    """Each wasmkit module -> the wasmkit modules it imports."""
    paths = {_module_name(path): path for path in (SOURCE / "wasmkit").rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        visitor = _Imports(name, path.name == "__init__.py", set(paths))
        visitor.visit(ast.parse(path.read_text(), str(path)))
        graph[name] = visitor.found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative: the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_finder_sees_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    assert "wasmkit.engine.python" in graph["wasmkit.engine.registry"]  # the finder reads deferred imports
    assert cycles(graph) == []
