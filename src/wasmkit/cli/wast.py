"""`wasmkit wast`: run .wast scripts and report, per file, what passed."""

from __future__ import annotations

import argparse
import sys

from .common import add_engine_option, read_input

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("wast", help="run .wast test scripts")
    p.add_argument("files", nargs="+", metavar="FILE", help=".wast scripts")
    add_engine_option(p)
    p.add_argument("-v", "--verbose", action="store_true", help="show every failure")
    p.set_defaults(handler=_wast)


def _wast(args: argparse.Namespace) -> int:
    """Run each script; the exit status is 1 if any command of any of them failed."""
    from ..script.report import format_table, tally
    from ..script.runner import ScriptRunner
    from ..text import decode_source, parse_script

    rows = {}
    any_failed = False
    for path in args.files:
        commands = parse_script(decode_source(read_input(path), path), path)
        outcomes = list(ScriptRunner(args.engine).run(commands))
        rows[path] = tally(outcomes)  # by the path given: two files may share a name
        failures = [o for o in outcomes if not o.passed]
        any_failed = any_failed or bool(failures)
        for outcome in failures if args.verbose else failures[:5]:
            print(f"{path}:{outcome.line}: {outcome.kind}: {outcome.detail}", file=sys.stderr)
        if len(failures) > 5 and not args.verbose:
            print(f"{path}: ... and {len(failures) - 5} more failures (-v shows all)", file=sys.stderr)
    print("\n".join(format_table(rows)))
    return 1 if any_failed else 0
