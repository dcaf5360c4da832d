"""The `wasmkit` command: one subcommand per job, each in its own module.

Errors in a user's input are reported as one readable line on stderr (the file, where in it,
and what is wrong) with exit status 1; no traceback is shown for them.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from ..version import __version__
from ..errors import WasmError
from . import bindgen, compile, convert, explore, inspect, run, serve, strip, wast, wit
from .common import CliError
from .messages import error_message
from .parser import Parser

__all__ = ["main"]

_COMMAND_MODULES = (run, serve, compile, inspect, wit, bindgen, explore, convert, strip, wast)

# What a module's file is called: `wasmkit FILE` with one of these (or any file there is) runs it.
_MODULE_SUFFIXES = (".wasm", ".wat", ".cwasm")

USAGE_EXIT_STATUS = 2  # as argparse exits for a mistake in the command line
INTERRUPTED_EXIT_STATUS = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C


# One example per subcommand, shown at the end of its --help.
_EXAMPLES = {
    "run": "wasmkit run --dir .::/ --env USER hello.wasm arg1 arg2\n"
    "  wasmkit run --invoke fib -W fuel=1000000,timeout=10s fib.wasm 20",
    "serve": "wasmkit serve modules.toml --listen 0.0.0.0:8080 --workers 4",
    "compile": "wasmkit compile program.wasm\n"
    "  wasmkit compile --engine native -o program.cwasm program.wasm && wasmkit run program.cwasm",
    "validate": "wasmkit validate --disable-simd module.wasm other.wat",
    "objdump": "wasmkit objdump -x -d module.wasm",
    "wit": "wasmkit wit component.wasm\n"
    "  wasmkit wit --all-features wit/",
    "bindgen": "wasmkit bindgen component.wasm -o bindings.py\n"
    "  wasmkit bindgen wit/ --world app -o bindings.py",
    "wat2wasm": "wasmkit wat2wasm --debug-names module.wat -o module.wasm",
    "wasm2wat": "wasmkit wasm2wat module.wasm -o module.wat",
    "explore": "wasmkit explore module.wasm -o module.html\n"
    "  wasmkit explore --engine native module.wasm",
    "strip": "wasmkit strip module.wasm -o small.wasm --keep-section name",
    "wast": "wasmkit wast --engine native tests/*.wast",
}


def build_parser() -> Parser:
    parser = Parser(
        prog="wasmkit",
        description="WebAssembly toolkit and runtime.",
        epilog="`wasmkit FILE [ARGS...]` is short for `wasmkit run FILE [ARGS...]`.\n"
        "Each command's options: wasmkit COMMAND --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wasmkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMAND_MODULES:
        module.register(commands)
    # Each subcommand's --help opens with its one-line summary and ends with an example.
    summaries = {action.dest: action.help for action in commands._choices_actions}
    for name, sub in commands.choices.items():
        sub.description = sub.description or summaries.get(name)
        example = _EXAMPLES[name]
        label = "examples" if "\n" in example else "example"
        sub.epilog = f"{label}:\n  {example}"
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        sub.is_subcommand = True
    parser.command_names = tuple(commands.choices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # bare `wasmkit`: the commands there are, as wasmtime shows them
        parser.print_help(sys.stderr)
        return USAGE_EXIT_STATUS
    if argv[0] not in parser.command_names and (os.path.isfile(argv[0]) or argv[0].endswith(_MODULE_SUFFIXES)):
        argv.insert(0, "run")  # `wasmkit hello.wasm` runs it, as `wasmtime hello.wasm` does
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as err:
        print(f"wasmkit: error: {err}", file=sys.stderr)
        return 1
    except WasmError as err:
        print(f"wasmkit: error: {error_message(err, getattr(args, 'file', None))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except MemoryError:
        print("wasmkit: error: out of memory", file=sys.stderr)
        return 1
    except OSError as err:
        if err.errno != errno.ENOMEM:
            raise
        # A linear memory reserves its maximum (4 GiB without one) of address space up front.
        print(f"wasmkit: error: out of memory: {err.strerror} (is the address space limited? see ulimit -v)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return INTERRUPTED_EXIT_STATUS
