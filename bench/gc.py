"""GC: binary trees, the classic allocation benchmark. Builds and walks a tree of depth D of
two-field structs, then many short-lived trees, on wasmkit's Python and native engines against
wasmtime-py (with GC on) and the same program in plain Python, side by side.

    python -m bench.gc [--depth D] [--repeats R]

Prints the best time of each, in microseconds per tree node, and each peer's time over
wasmkit's. The node counts must agree.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import wasmkit

from .harness import best_of_peers, side_by_side

WAT = """
(module
  (type $node (struct (field $left (ref null $node)) (field $right (ref null $node))))
  (func $make (param $depth i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $depth))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node
        (call $make (i32.sub (local.get $depth) (i32.const 1)))
        (call $make (i32.sub (local.get $depth) (i32.const 1)))))))
  (func $count (param $tree (ref null $node)) (result i32)
    (if (result i32) (ref.is_null (local.get $tree))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
        (i32.add (call $count (struct.get $node $left (local.get $tree)))
                 (call $count (struct.get $node $right (local.get $tree))))))))
  ;; `trees` trees of depth `depth`, each counted and dropped: the nodes counted in all
  (func (export "trees") (param $trees i32) (param $depth i32) (result i32)
    (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $trees)))
        (local.set $total (i32.add (local.get $total) (call $count (call $make (local.get $depth)))))
        (local.set $trees (i32.sub (local.get $trees) (i32.const 1)))
        (br $next)))
    (local.get $total))
)
"""


def _make(depth: int) -> tuple | None:  # type: ignore[type-arg]
    if depth == 0:
        return (None, None)
    return (_make(depth - 1), _make(depth - 1))


def _count(tree: tuple | None) -> int:  # type: ignore[type-arg]
    return 0 if tree is None else 1 + _count(tree[0]) + _count(tree[1])


def python_trees(trees: int, depth: int) -> int:
    return sum(_count(_make(depth)) for _ in range(trees))


def runners(depth: int) -> dict[str, Callable[[int], int]]:
    """Each peer's `run(trees)`, building `trees` trees of `depth`."""
    exports = wasmkit.Instance(wasmkit.Module(WAT), store=wasmkit.Store("python")).exports
    found: dict[str, Callable[[int], int]] = {"wasmkit (python engine)": lambda n: exports.trees(n, depth)}
    try:
        native = wasmkit.Instance(wasmkit.Module(WAT), store=wasmkit.Store("native")).exports
    except wasmkit.WasmError as err:  # no llvmlite
        print(f"note: the native engine is not available ({err}): not measured", file=sys.stderr)
    else:
        found["wasmkit (native engine)"] = lambda n: native.trees(n, depth)
    try:
        import wasmtime
    except ImportError:
        print("note: wasmtime-py is not installed: not measured", file=sys.stderr)
    else:
        config = wasmtime.Config()
        config.wasm_gc = True
        config.wasm_function_references = True
        engine = wasmtime.Engine(config)
        store = wasmtime.Store(engine)
        run = wasmtime.Instance(store, wasmtime.Module(engine, WAT), []).exports(store)["trees"]
        found["wasmtime-py"] = lambda n: run(store, n, depth)
    found["plain Python, tuples"] = lambda n: python_trees(n, depth)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--trees", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    nodes = args.trees * ((1 << (args.depth + 1)) - 1)
    per_tree = best_of_peers(runners(args.depth), args.trees, args.repeats)
    timings = {name: (seconds * args.trees / nodes, result) for name, (seconds, result) in per_tree.items()}
    if {result for _, result in timings.values()} != {nodes}:
        print(f"node counts differ from {nodes}: {timings}", file=sys.stderr)
        return 1
    title = f"{args.trees} trees of depth {args.depth} ({nodes} nodes)"
    per_node = {name: seconds for name, (seconds, _) in timings.items()}
    print("\n".join(side_by_side(title, "node", per_node, "wasmkit (python engine)")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
