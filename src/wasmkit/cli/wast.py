"""`wasmkit wast`: run .wast scripts and report, per file, what passed."""

from __future__ import annotations

import argparse
import sys

from ..errors import WasmError
from ..opcodes import ALL_FEATURES
from .common import CliError, add_engine_option, read_input
from .features import add_feature_options, disabled_features
from .messages import error_message

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("wast", help="run .wast test scripts")
    p.add_argument("files", nargs="+", metavar="FILE", help=".wast scripts")
    add_engine_option(p)
    add_feature_options(p)
    p.add_argument("-v", "--verbose", action="store_true", help="show every failure")
    p.set_defaults(handler=_wast)


def _wast(args: argparse.Namespace) -> int:
    """Run each script; the exit status is 1 if any command of any of them failed. A command
    the reader does not know fails alone, and a file that cannot be read at all counts as one
    failed command: the run goes on with the rest."""
    from ..script.report import format_table, tally
    from ..script.runner import Outcome, ScriptRunner
    from ..text import decode_source, parse_script

    rows = {}
    any_failed = False
    for path in args.files:
        try:
            commands = parse_script(decode_source(read_input(path), path), path, keep_going=True)
            outcomes = list(ScriptRunner(args.engine, features=ALL_FEATURES - disabled_features(args)).run(commands))
        except (CliError, WasmError) as err:
            message = (str(err) if isinstance(err, CliError) else error_message(err, path)).removeprefix(f"{path}:")
            outcomes = [Outcome(0, "command", False, f"cannot read the script: {message.strip()}")]
        rows[path] = tally(outcomes)  # by the path given: two files may share a name
        failures = [o for o in outcomes if not o.passed]
        any_failed = any_failed or bool(failures)
        for outcome in failures if args.verbose else failures[:5]:
            where = f"{path}:{outcome.line}" if outcome.line else path
            print(f"{where}: {outcome.kind}: {outcome.detail}", file=sys.stderr)
        if len(failures) > 5 and not args.verbose:
            print(f"{path}: ... and {len(failures) - 5} more failures (-v shows all)", file=sys.stderr)
    print("\n".join(format_table(rows)))
    return 1 if any_failed else 0
