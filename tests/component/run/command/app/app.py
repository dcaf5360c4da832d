"""A wasi:cli command for `wasmkit run` (tests/component/test_run_component.py): prints its
arguments, its RC_ environment variables, a file of the directory preopened as /data and,
in mode "ok", its stdin; writes a line to stderr; then ends as RC_MODE says: ok (run returns
ok), err (run returns err), exit (sys.exit(3): wasi:cli/exit's err) or trap (an uncaught
exception, which componentize-py turns into `unreachable`)."""

import os
import sys

from componentize_py_types import Err
from wit_world import exports


class Run(exports.Run):
    def run(self) -> None:
        mode = os.environ.get("RC_MODE", "ok")
        print("args:", sys.argv)
        print("env:", sorted((k, v) for k, v in os.environ.items() if k.startswith("RC_")))
        with open("/data/input.txt") as f:
            print("file:", f.read().strip())
        if mode == "ok":
            print("stdin:", sys.stdin.read().strip())
        print("to stderr", file=sys.stderr)
        sys.stdout.flush()
        if mode == "err":
            raise Err(None)
        if mode == "exit":
            sys.exit(3)
        if mode == "trap":
            raise ValueError("boom")
