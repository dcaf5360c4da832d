"""A check of a profile against the Firefox Profiler's Gecko profile format, written from its
documented shape (firefox-devtools/profiler: src/types/gecko-profile.ts, `GeckoProfile`, and
docs-developer/gecko-profile-format.md; no JSON schema is published for it). It checks what
the profiler's importer relies on: the fields and their types, each table's schema (the column
positions), that every row has a value per column, and that every index points into its table
(a stack's prefix to an earlier stack, so that the stack table is a tree)."""

from __future__ import annotations

from typing import Any

__all__ = ["check_gecko_profile", "stacks_of"]

# CategoryColor in src/types/profile.ts.
COLORS = {"transparent", "purple", "green", "orange", "yellow", "lightblue", "blue", "brown", "magenta", "red",
          "lightred", "darkgrey", "grey"}  # fmt: skip
SCHEMAS = {
    "markers": {"name": 0, "startTime": 1, "endTime": 2, "phase": 3, "category": 4, "data": 5},
    "frameTable": {"location": 0, "relevantForJS": 1, "innerWindowID": 2, "implementation": 3, "line": 4,
                   "column": 5, "category": 6, "subcategory": 7},  # fmt: skip
    "stackTable": {"prefix": 0, "frame": 1},
}
SAMPLE_SCHEMAS = ({"stack": 0, "time": 1, "eventDelay": 2}, {"stack": 0, "time": 1, "responsiveness": 2})
SOURCES_SCHEMA = {"id": 0, "filename": 1, "startLine": 2, "startColumn": 3, "sourceMapURL": 4}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_index(value: Any, length: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < length


def _table(table: Any, schema: dict[str, int], where: str) -> list[list[Any]]:
    assert isinstance(table, dict) and set(table) == {"schema", "data"}, f"{where}: needs schema and data"
    assert table["schema"] == schema, f"{where}: schema {table['schema']} is not {schema}"
    rows = table["data"]
    assert isinstance(rows, list), f"{where}: data is not a list"
    for i, row in enumerate(rows):
        assert isinstance(row, list) and len(row) >= len(schema), f"{where}[{i}]: {row!r} lacks columns"
    return rows


def check_gecko_profile(profile: Any) -> None:
    """Assert that `profile` (parsed JSON) has the shape of a `GeckoProfile`."""
    assert isinstance(profile, dict)
    for key in ("meta", "libs", "threads", "pausedRanges", "processes", "sources"):
        assert key in profile, f"missing {key}"
    meta = profile["meta"]
    for key, check in {
        "version": lambda v: isinstance(v, int) and v >= 1,
        "interval": lambda v: _is_number(v) and v > 0,
        "startTime": _is_number,
        "shutdownTime": lambda v: v is None or _is_number(v),
        "processType": lambda v: isinstance(v, int),
        "stackwalk": lambda v: v in (0, 1),
        "debug": lambda v: v in (0, 1),
        "gcpoison": lambda v: v in (0, 1),
        "asyncstack": lambda v: v in (0, 1),
        "categories": lambda v: isinstance(v, list) and len(v) > 0,
        "markerSchema": lambda v: isinstance(v, list),
    }.items():
        assert key in meta and check(meta[key]), f"meta.{key} = {meta.get(key)!r}"
    categories = meta["categories"]
    for category in categories:
        assert isinstance(category["name"], str) and category["color"] in COLORS, category
        assert isinstance(category["subcategories"], list) and category["subcategories"], category
    assert any(c["color"] == "grey" for c in categories), "the default category (grey) is required"
    assert isinstance(profile["libs"], list) and isinstance(profile["pausedRanges"], list)
    assert isinstance(profile["processes"], list)
    _table(profile["sources"], SOURCES_SCHEMA, "sources")
    assert isinstance(profile["threads"], list)
    for n, thread in enumerate(profile["threads"]):
        _check_thread(thread, categories, f"threads[{n}]")


def _check_thread(thread: Any, categories: list[dict[str, Any]], where: str) -> None:
    assert isinstance(thread["name"], str) and isinstance(thread["processType"], str), where
    assert _is_number(thread["registerTime"]) and (thread["unregisterTime"] is None or _is_number(thread["unregisterTime"]))
    assert isinstance(thread["tid"], int) and isinstance(thread["pid"], int), where
    strings = thread["stringTable"]
    assert isinstance(strings, list) and all(isinstance(s, str) for s in strings), f"{where}.stringTable"
    _table(thread["markers"], SCHEMAS["markers"], f"{where}.markers")
    frames = _table(thread["frameTable"], SCHEMAS["frameTable"], f"{where}.frameTable")
    for i, (location, relevant, window, implementation, line, column, category, subcategory, *_) in enumerate(frames):
        at = f"{where}.frameTable[{i}]"
        assert _is_index(location, len(strings)) and isinstance(relevant, bool), at
        assert all(v is None or _is_number(v) for v in (window, line, column)), at
        assert implementation is None or _is_index(implementation, len(strings)), at
        assert category is None or _is_index(category, len(categories)), at
        if category is not None and subcategory is not None:
            assert _is_index(subcategory, len(categories[category]["subcategories"])), at
    stacks = _table(thread["stackTable"], SCHEMAS["stackTable"], f"{where}.stackTable")
    for i, (prefix, frame, *_) in enumerate(stacks):
        assert prefix is None or _is_index(prefix, i), f"{where}.stackTable[{i}]: prefix {prefix} (must come before)"
        assert _is_index(frame, len(frames)), f"{where}.stackTable[{i}]: frame {frame}"
    samples = thread["samples"]
    assert isinstance(samples, dict) and samples.get("schema") in SAMPLE_SCHEMAS, f"{where}.samples.schema"
    last = float("-inf")
    for i, (stack, time, delay, *_) in enumerate(samples["data"]):
        at = f"{where}.samples[{i}]"
        assert stack is None or _is_index(stack, len(stacks)), at
        assert _is_number(time) and time >= last, f"{at}: times must not go back"
        assert delay is None or _is_number(delay), at
        last = time


def stacks_of(thread: dict[str, Any]) -> list[tuple[str, ...]]:
    """Each sample's stack of function names, outermost first (" (in wasm)" taken off)."""
    strings = thread["stringTable"]
    frames = thread["frameTable"]["data"]
    stacks = thread["stackTable"]["data"]
    result = []
    for stack, *_ in thread["samples"]["data"]:
        names = []
        while stack is not None:
            prefix, frame = stacks[stack][:2]
            names.append(strings[frames[frame][0]].removesuffix(" (in wasm)"))
            stack = prefix
        result.append(tuple(reversed(names)))
    return result
