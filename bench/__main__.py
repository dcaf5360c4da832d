"""`python -m bench`: wasmkit against wasmtime and pywasm on the programs of ../shared/bench.

    python -m bench [--compare pywasm|wasmtime|tiny] [--engines python[,native]] [--repeats N]
                    [--programs fib,sieve,...] [--output bench/RESULTS.md]

`--compare pywasm` (the default) uses the sizes at which pywasm takes about ten seconds each and
runs wasmkit's Python engine, wasmtime and pywasm; `--compare wasmtime` uses the sizes for
wasmtime and leaves pywasm out. The markdown table is printed, and written to `--output` with
the machine and date when one is given, with a chart of the speed ratios (bench/charts.py) in
plots/ beside that file, linked under the table.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from .harness import PROGRAMS, SIZES, machine, measure, pywasm_runner, speed_ratios, table, wasmkit_runner, wasmtime_runner
from .charts import add_chart, ratio_chart


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=sorted(SIZES), default="pywasm")
    parser.add_argument("--engines", default="python", help="wasmkit engines, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--programs", default=",".join(PROGRAMS))
    parser.add_argument("--output", type=Path, help="also write the table (with machine and date) here")
    args = parser.parse_args(argv)
    sizes = SIZES[args.compare]
    programs = args.programs.split(",")
    unknown = [name for name in programs if name not in sizes]
    if unknown:
        parser.error(f"unknown program {', '.join(unknown)} (known: {', '.join(PROGRAMS)})")
    runners = [wasmkit_runner(engine) for engine in args.engines.split(",")]
    peers = [wasmtime_runner()] + ([pywasm_runner()] if args.compare != "wasmtime" else [])
    missing = [name for name, peer in zip(("wasmtime", "pywasm"), peers) if peer is None]
    runners += [peer for peer in peers if peer is not None]
    if missing:
        print(f"note: not measured, not installed: {', '.join(missing)}", file=sys.stderr)
    results = measure(runners, sizes, args.repeats, programs)
    subject = runners[0].name
    lines = table(results, sizes, subject)
    print("\n".join(lines))
    if args.output:
        heading = f"{subject} against its peers ({args.compare} sizes), {datetime.date.today().isoformat()}"
        text = f"\n## {heading}\n\n{machine()}; best of {args.repeats}, run time = time(REPEATS) - time(REPEATS=0).\n\n"
        with args.output.open("a") as out:
            out.write(text + "\n".join(lines) + "\n")
        ratios = speed_ratios(results, subject)
        if ratios:  # none when no peer is installed
            chart = ratio_chart(programs, ratios, subject, heading)
            print(f"wrote {add_chart(args.output, heading, chart)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
